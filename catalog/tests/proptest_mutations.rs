//! The catalogue parser under attack: random byte-level mutations of the real
//! `models.toml` (truncation, duplicated, swapped and deleted lines, invalid
//! UTF-8, huge numbers, deep nesting, byte flips, CRLF line ends).
//!
//! Properties, on every mutated file:
//!
//! 1. nothing panics, on any entry point: [`Catalog::parse`] on the text,
//!    [`Catalog::parse_bytes`] and [`Catalog::load`], the build script's report
//!    and the macro's loader on the file;
//! 2. every diagnostic is located inside the file: its line is one of the
//!    file's lines (the empty one after a final newline counts), its column is
//!    within that line (one past its end at most; a leading byte order mark is
//!    not a column), both agree with its byte span, and its rendering starts
//!    `models.toml:LINE:COL: message` and shows that line. A file that is not
//!    UTF-8 is one diagnostic at its first invalid byte, the line shown as far
//!    as it decodes;
//! 3. the build script (`build.rs` at the repository root) and the `catalog!`
//!    macro (`macros/src/load.rs`) report the same diagnostics, word for word.
//!
//! Both of those are compiled into this test from their own source files (with
//! `#[path]`), so the test runs the code the build and the macro run, not a
//! copy of it. Code generation is not involved: `llm-lifecycle-codegen` only
//! ever sees a catalogue that parsed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

/// `build.rs`: its `report(source, origin)` is what the build script prints.
#[allow(dead_code, unreachable_pub)]
#[path = "../../build.rs"]
mod build_script;

/// `macros/src/load.rs`: its `load(relative, calling_file)` is what `catalog!`
/// turns into one `compile_error!` per message.
#[allow(dead_code, unreachable_pub)]
#[path = "../../macros/src/load.rs"]
mod macro_load;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use llm_lifecycle_catalog::{Catalog, Diagnostics, LoadError};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const REAL: &str = include_str!("../../models.toml");
const ORIGIN: &str = "models.toml";
const BYTE_ORDER_MARK: &str = "\u{FEFF}";

// ---------------------------------------------------------------------------
// Mutations, on bytes.

#[derive(Debug, Clone, Copy)]
enum Nesting {
    /// `key = [[[…]]]`
    Array,
    /// `key = {a={a=…1}}`
    InlineTable,
    /// `key = [{a=[{a=…}]}]`
    Mixed,
    /// `key.a.a.a… = 1`
    DottedKey,
    /// `[key.a.a.a…]`
    TableHeader,
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Cut the file at a byte (maybe inside a multi-byte character).
    Truncate {
        at: usize,
    },
    DuplicateLine {
        line: usize,
    },
    SwapLines {
        a: usize,
        b: usize,
    },
    DeleteLine {
        line: usize,
    },
    /// Insert bytes that are not UTF-8.
    InsertBytes {
        at: usize,
        bytes: Vec<u8>,
    },
    /// Insert one character (multi-byte ones give truncation and flips
    /// something to split; U+FEFF is a byte order mark).
    InsertChar {
        at: usize,
        c: char,
    },
    /// Replace the `pick`-th number of the file.
    Number {
        pick: usize,
        number: String,
    },
    /// Insert a deeply nested value on its own line before line `line`.
    Nest {
        line: usize,
        nesting: Nesting,
        depth: usize,
        closed: bool,
    },
    /// XOR one byte with a non-zero mask.
    FlipByte {
        at: usize,
        mask: u8,
    },
    /// Every `\n` becomes `\r\n`.
    CrLf,
}

fn invalid_utf8() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(vec![0xFF]),
        Just(vec![0xFE, 0xFF]),
        Just(vec![0x80]),
        // An overlong `/`, a lone lead byte, a cut 3-byte sequence.
        Just(vec![0xC0, 0xAF]),
        Just(vec![0xC3]),
        Just(vec![0xE2, 0x82]),
        // A UTF-16 surrogate, a code point past U+10FFFF, a 5-byte form.
        Just(vec![0xED, 0xA0, 0x80]),
        Just(vec![0xF4, 0x90, 0x80, 0x80]),
        Just(vec![0xF8, 0x88, 0x80, 0x80, 0x80]),
        vec(0x80u8..=0xFF, 1..6),
    ]
}

fn huge_number() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(format!("1{}", "0".repeat(30))),
        Just(format!("1{}", "_000".repeat(10))),
        Just("-1".to_owned()),
        Just("0".to_owned()),
        Just("-0".to_owned()),
        Just("+4294967296".to_owned()),
        Just("4294967295".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("170141183460469231731687303715884105728".to_owned()),
        Just("-170141183460469231731687303715884105729".to_owned()),
        Just("9".repeat(2000)),
        Just("1e30".to_owned()),
        Just("1e400".to_owned()),
        Just("-1e400".to_owned()),
        Just(format!("0.{}1", "0".repeat(400))),
        Just("0x7fffffffffffffffffffffffffffffffff".to_owned()),
        Just("0o777777777777777777777777777777777777777777777".to_owned()),
        Just("nan".to_owned()),
        Just("-inf".to_owned()),
        Just("1__0".to_owned()),
        Just("00".to_owned()),
        "[+-]?[0-9_]{1,40}(\\.[0-9]{0,5})?([eE][+-]?[0-9]{1,5})?",
    ]
}

fn nesting() -> impl Strategy<Value = Nesting> {
    prop_oneof![
        Just(Nesting::Array),
        Just(Nesting::InlineTable),
        Just(Nesting::Mixed),
        Just(Nesting::DottedKey),
        Just(Nesting::TableHeader),
    ]
}

/// Shallow (under toml's limit of 80), around it, and thousands deep.
fn depth() -> impl Strategy<Value = usize> {
    prop_oneof![1usize..79, 79usize..83, 1000usize..6000]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        any::<usize>().prop_map(|line| Mutation::DeleteLine { line }),
        (any::<usize>(), invalid_utf8())
            .prop_map(|(at, bytes)| Mutation::InsertBytes { at, bytes }),
        (
            any::<usize>(),
            prop_oneof![
                Just('\u{FEFF}'),
                Just('é'),
                Just('€'),
                Just('🦀'),
                any::<char>()
            ]
        )
            .prop_map(|(at, c)| Mutation::InsertChar { at, c }),
        (any::<usize>(), huge_number())
            .prop_map(|(pick, number)| Mutation::Number { pick, number }),
        (any::<usize>(), nesting(), depth(), any::<bool>()).prop_map(
            |(line, nesting, depth, closed)| Mutation::Nest {
                line,
                nesting,
                depth,
                closed,
            }
        ),
        (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Mutation::FlipByte { at, mask }),
        Just(Mutation::CrLf),
    ]
}

/// The nested line, without its line break.
fn nested(nesting: Nesting, depth: usize, closed: bool) -> String {
    let (open, inner, close) = match nesting {
        Nesting::Array => ("[".repeat(depth), String::new(), "]".repeat(depth)),
        Nesting::InlineTable => ("{a=".repeat(depth), "1".to_owned(), "}".repeat(depth)),
        Nesting::Mixed => ("[{a=".repeat(depth), "1".to_owned(), "}]".repeat(depth)),
        Nesting::DottedKey => {
            let key = format!("deep{}", ".a".repeat(depth));
            return if closed { format!("{key} = 1") } else { key };
        }
        Nesting::TableHeader => {
            let key = format!("deep{}", ".a".repeat(depth));
            return if closed {
                format!("[{key}]")
            } else {
                format!("[{key}")
            };
        }
    };
    if closed {
        format!("deep = {open}{inner}{close}")
    } else {
        format!("deep = {open}{inner}")
    }
}

fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split(|&b| b == b'\n').collect()
}

/// The numbers of `bytes`: runs of digits and `_` that do not continue a word.
fn numbers(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let word_before = index > 0 && bytes[index - 1].is_ascii_alphanumeric();
        if bytes[index].is_ascii_digit() && !word_before {
            let start = index;
            while index < bytes.len() && (bytes[index].is_ascii_digit() || bytes[index] == b'_') {
                index += 1;
            }
            out.push(start..index);
        } else {
            index += 1;
        }
    }
    out
}

fn splice(bytes: &[u8], at: usize, insert: &[u8]) -> Vec<u8> {
    let at = at % (bytes.len() + 1);
    [&bytes[..at], insert, &bytes[at..]].concat()
}

fn apply(bytes: &[u8], mutation: &Mutation) -> Vec<u8> {
    let lines = lines(bytes);
    let join = |lines: &[&[u8]]| lines.join(&b'\n');
    match mutation {
        Mutation::Truncate { at } => bytes[..at % (bytes.len() + 1)].to_vec(),
        Mutation::DuplicateLine { line } => {
            let line = line % lines.len();
            let mut out = lines.clone();
            out.insert(line, lines[line]);
            join(&out)
        }
        Mutation::SwapLines { a, b } => {
            let mut out = lines.clone();
            out.swap(a % lines.len(), b % lines.len());
            join(&out)
        }
        Mutation::DeleteLine { line } => {
            let mut out = lines.clone();
            out.remove(line % lines.len());
            join(&out)
        }
        Mutation::InsertBytes { at, bytes: insert } => splice(bytes, *at, insert),
        Mutation::InsertChar { at, c } => splice(bytes, *at, c.to_string().as_bytes()),
        Mutation::Number { pick, number } => {
            let found = numbers(bytes);
            if found.is_empty() {
                return bytes.to_vec();
            }
            let range = found[pick % found.len()].clone();
            [
                &bytes[..range.start],
                number.as_bytes(),
                &bytes[range.end..],
            ]
            .concat()
        }
        Mutation::Nest {
            line,
            nesting,
            depth,
            closed,
        } => {
            let text = nested(*nesting, *depth, *closed);
            let mut out = lines.clone();
            out.insert(line % (lines.len() + 1), text.as_bytes());
            join(&out)
        }
        Mutation::FlipByte { at, mask } => {
            let mut out = bytes.to_vec();
            if !out.is_empty() {
                let at = at % out.len();
                out[at] ^= mask;
            }
            out
        }
        Mutation::CrLf => lines.join(&b"\r\n"[..]),
    }
}

// ---------------------------------------------------------------------------
// The entry points, on a file.

/// A fresh directory holding `models.toml`, removed when dropped.
struct TempCatalogue {
    dir: PathBuf,
}

impl TempCatalogue {
    fn new(bytes: &[u8]) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "llm-lifecycle-mutations-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(ORIGIN), bytes).unwrap();
        Self { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.join(ORIGIN)
    }

    /// What the macro does for `catalog!("models.toml")` in `src/lib.rs` of a
    /// crate in this directory (the path is found next to the calling file's
    /// ancestors, as for trybuild's scratch crates).
    fn macro_load(&self) -> Result<macro_load::Loaded, macro_load::LoadFailure> {
        let beside_manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join(ORIGIN);
        assert!(
            !beside_manifest.exists(),
            "{} exists: the macro would load it instead of the mutated file",
            beside_manifest.display()
        );
        macro_load::load(ORIGIN, Some(self.dir.join("src").join("lib.rs")))
    }
}

impl Drop for TempCatalogue {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------
// The properties.

/// Property 2: every diagnostic sits inside `source` and renders its position.
fn check_located(
    source: &str,
    diagnostics: &Diagnostics,
    origin: &str,
) -> Result<(), TestCaseError> {
    prop_assert!(!diagnostics.is_empty());
    // Split on `\n` only: a final line break leaves an empty last line (EOF).
    let lines: Vec<&str> = source.split('\n').collect();
    for diagnostic in diagnostics {
        let (line, column) = (diagnostic.line, diagnostic.column);
        prop_assert!(
            (1..=lines.len()).contains(&line),
            "line {} of {}: {:?}",
            line,
            lines.len(),
            diagnostic
        );
        let mut line_start: usize = lines[..line - 1].iter().map(|l| l.len() + 1).sum();
        let mut raw = lines[line - 1];
        if line == 1 && raw.starts_with(BYTE_ORDER_MARK) {
            // A byte order mark is no column and is not shown.
            raw = &raw[BYTE_ORDER_MARK.len()..];
            line_start = BYTE_ORDER_MARK.len();
        }
        prop_assert!(
            (1..=raw.chars().count() + 1).contains(&column),
            "column {} on a line of {} characters: {:?}",
            column,
            raw.chars().count(),
            diagnostic
        );
        prop_assert_eq!(
            diagnostic.source_line.as_str(),
            raw.strip_suffix('\r').unwrap_or(raw)
        );
        // The span agrees with the line and the column.
        let span = &diagnostic.span;
        prop_assert!(
            span.start <= span.end && span.end <= source.len(),
            "{:?}",
            diagnostic
        );
        prop_assert!(source.is_char_boundary(span.start) && source.is_char_boundary(span.end));
        prop_assert!(
            (line_start..=line_start + raw.len()).contains(&span.start),
            "span {:?} outside line {}: {:?}",
            span,
            line,
            diagnostic
        );
        prop_assert_eq!(source[line_start..span.start].chars().count() + 1, column);
        // The rendering names the position and shows the line.
        let rendered = diagnostic.to_string();
        let headline = format!("{origin}:{line}:{column}: {}\n", diagnostic.message);
        prop_assert!(rendered.starts_with(&headline), "{}", rendered);
        let shown = format!("\n{line} | {}\n", diagnostic.source_line);
        prop_assert!(rendered.contains(&shown), "{}", rendered);
    }
    let all = diagnostics.to_string();
    for diagnostic in diagnostics {
        prop_assert!(all.contains(&diagnostic.headline()));
    }
    Ok(())
}

/// Property 2 for a file that is not UTF-8 (`error` is what `from_utf8` said):
/// one diagnostic, at the first invalid byte, the line shown as far as it
/// decodes and the caret just after it.
fn check_not_utf8(
    bytes: &[u8],
    error: std::str::Utf8Error,
    diagnostics: &Diagnostics,
    origin: &str,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(diagnostics.len(), 1, "{}", diagnostics);
    let diagnostic = &diagnostics.as_slice()[0];
    let offset = error.valid_up_to();
    let invalid = error.error_len().unwrap_or(bytes.len() - offset);
    prop_assert_eq!(&diagnostic.span, &(offset..offset + invalid));
    prop_assert_eq!(
        &diagnostic.message,
        &format!(
            "the file is not valid UTF-8 (byte 0x{:02X} at offset {offset})",
            bytes[offset]
        )
    );
    // The line holding the byte: one of the file's lines.
    let decoded = std::str::from_utf8(&bytes[..offset]).unwrap();
    let line = decoded.matches('\n').count() + 1;
    prop_assert_eq!(diagnostic.line, line);
    prop_assert!(line <= lines(bytes).len());
    let mut shown = &decoded[decoded.rfind('\n').map_or(0, |at| at + 1)..];
    if line == 1 {
        shown = shown.strip_prefix(BYTE_ORDER_MARK).unwrap_or(shown);
    }
    prop_assert_eq!(diagnostic.column, shown.chars().count() + 1);
    // A `\r` before the byte is counted but not shown (as for any line).
    let shown = shown.strip_suffix('\r').unwrap_or(shown);
    prop_assert_eq!(diagnostic.source_line.as_str(), shown);
    let rendered = diagnostic.to_string();
    let headline = format!(
        "{origin}:{line}:{}: {}\n",
        diagnostic.column, diagnostic.message
    );
    prop_assert!(rendered.starts_with(&headline), "{}", rendered);
    prop_assert!(
        rendered.contains(&format!("\n{line} | {shown}\n")),
        "{}",
        rendered
    );
    prop_assert!(rendered.contains("= help: save "), "{}", rendered);
    Ok(())
}

/// Properties 1 to 3 on one mutated file.
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let file = TempCatalogue::new(bytes);
    let from_macro = file.macro_load();
    let loaded = Catalog::load(&file.path());
    let path = file.path().display().to_string();
    let parsed = Catalog::parse_bytes(bytes, ORIGIN);
    match std::str::from_utf8(bytes) {
        Ok(source) => {
            prop_assert_eq!(&parsed, &Catalog::parse(source, ORIGIN));
            match &parsed {
                Ok(catalog) => {
                    let again = Catalog::parse(&catalog.to_toml(), ORIGIN);
                    prop_assert_eq!(again.as_ref().ok(), Some(catalog));
                }
                Err(diagnostics) => check_located(source, diagnostics, ORIGIN)?,
            }
            if let Err(LoadError::Invalid(diagnostics)) = &loaded {
                check_located(source, diagnostics, &path)?;
            }
        }
        Err(error) => {
            // Not UTF-8: refused by every entry, with one located diagnostic.
            let Err(diagnostics) = &parsed else {
                return Err(TestCaseError::fail("parse_bytes accepted non-UTF-8"));
            };
            check_not_utf8(bytes, error, diagnostics, ORIGIN)?;
            let Err(LoadError::Invalid(diagnostics)) = &loaded else {
                return Err(TestCaseError::fail(format!(
                    "Catalog::load on non-UTF-8: {loaded:?}"
                )));
            };
            check_not_utf8(bytes, error, diagnostics, &path)?;
            // The parser itself, on the text an editor would show.
            let lossy = String::from_utf8_lossy(bytes);
            if let Err(diagnostics) = Catalog::parse(&lossy, ORIGIN) {
                check_located(&lossy, &diagnostics, ORIGIN)?;
            }
        }
    }

    // Catalog::load names the file as given and says the same.
    match (&loaded, Catalog::parse_bytes(bytes, &path)) {
        (Ok(a), Ok(b)) => prop_assert_eq!(a, &b),
        (Err(LoadError::Invalid(a)), Err(b)) => prop_assert_eq!(a, &b),
        (a, b) => prop_assert!(
            false,
            "Catalog::load: {:?}, Catalog::parse_bytes: {:?}",
            a,
            b
        ),
    }

    // Property 3: the build script and the macro print the same diagnostics,
    // the file's (UTF-8 or not) read as bytes by both.
    let from_build = build_script::report(bytes, ORIGIN);
    match (&from_build, &from_macro) {
        (None, Ok(loaded)) => {
            prop_assert_eq!(Some(&loaded.catalog), parsed.as_ref().ok());
        }
        (Some(report), Err(macro_load::LoadFailure(messages))) => {
            let as_the_build_prints: String = messages
                .iter()
                .map(|message| format!("error: {message}\n\n"))
                .collect();
            prop_assert_eq!(&report.rendered, &as_the_build_prints);
            let count = match messages.len() {
                1 => "1 problem".to_owned(),
                n => format!("{n} problems"),
            };
            prop_assert!(report.directive.contains(&count), "{}", report.directive);
            let expected: Vec<String> = parsed
                .as_ref()
                .err()
                .map(|d| d.iter().map(ToString::to_string).collect())
                .unwrap_or_default();
            prop_assert_eq!(messages, &expected);
        }
        (build, from_macro) => prop_assert!(
            false,
            "build.rs: {:?}, catalog!: {:?}",
            build,
            from_macro.as_ref().err()
        ),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn mutated_catalogues_are_reported_located_and_alike(mutations in vec(mutation(), 1..5)) {
        let mut bytes = REAL.as_bytes().to_vec();
        for mutation in &mutations {
            bytes = apply(&bytes, mutation);
        }
        check(&bytes)?;
    }

    #[test]
    fn non_utf8_catalogues_are_reported_at_the_first_invalid_byte(
        at in any::<usize>(),
        bytes in invalid_utf8(),
        more in vec(mutation(), 0..3),
    ) {
        let mut mutated = splice(REAL.as_bytes(), at, &bytes);
        for mutation in &more {
            mutated = apply(&mutated, mutation);
        }
        check(&mutated)?;
    }
}

/// The lines a nested value can go before and stay at the top level or in a
/// provider table (not inside a multi-line array): the first line, each
/// `[providers.…]` header, and the end.
fn table_boundaries() -> Vec<usize> {
    let lines: Vec<&str> = REAL.split('\n').collect();
    let mut out = vec![0];
    out.extend(
        lines
            .iter()
            .enumerate()
            .filter(|(_, line)| line.starts_with('['))
            .map(|(index, _)| index),
    );
    out.push(lines.len());
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Deep arrays and inline tables, however deep, are one diagnostic on
    /// their own line (toml stops at 80 levels; nothing overflows the stack).
    #[test]
    fn deep_values_are_reported_at_their_line(
        pick in any::<usize>(),
        nesting in prop_oneof![Just(Nesting::Array), Just(Nesting::InlineTable), Just(Nesting::Mixed)],
        depth in depth(),
        closed in any::<bool>(),
    ) {
        let boundaries = table_boundaries();
        let line = boundaries[pick % boundaries.len()];
        let mutation = Mutation::Nest { line, nesting, depth, closed };
        let bytes = apply(REAL.as_bytes(), &mutation);
        check(&bytes)?;
        let source = std::str::from_utf8(&bytes).unwrap();
        let diagnostics = Catalog::parse(source, ORIGIN).unwrap_err();
        if closed {
            for diagnostic in &diagnostics {
                prop_assert_eq!(diagnostic.line, line + 1, "{}", diagnostic);
            }
        } else {
            // An unclosed value swallows the lines after it; the first
            // problem is still on its line.
            let first = diagnostics.iter().next().unwrap();
            prop_assert_eq!(first.line, line + 1, "{}", diagnostics);
        }
    }
}

/// A dotted key or table header of more than 80 keys hits toml's recursion
/// limit, whose error (`toml` 1.2, `de/parser/key.rs`) has no span:
/// `parse/syntax.rs` locates it at the key.
#[test]
fn deep_dotted_keys_are_reported_at_their_line() {
    let boundaries = table_boundaries();
    // Before a provider header: in a provider table; at the end: after the last.
    for line in [boundaries[1], *boundaries.last().unwrap()] {
        for nesting in [Nesting::DottedKey, Nesting::TableHeader] {
            // `deep` and then `depth` keys: 81 keys is the first too many.
            for depth in [80, 100, 5000] {
                let mutation = Mutation::Nest {
                    line,
                    nesting,
                    depth,
                    closed: true,
                };
                let bytes = apply(REAL.as_bytes(), &mutation);
                check(&bytes).unwrap();
                let source = std::str::from_utf8(&bytes).unwrap();
                let diagnostics = Catalog::parse(source, ORIGIN).unwrap_err();
                assert_eq!(diagnostics.len(), 1, "{diagnostics}");
                let diagnostic = diagnostics.iter().next().unwrap();
                let (what, column) = match nesting {
                    Nesting::TableHeader => ("table header", 2),
                    _ => ("dotted key", 1),
                };
                assert_eq!((diagnostic.line, diagnostic.column), (line + 1, column));
                assert_eq!(
                    diagnostic.message,
                    format!(
                        "invalid TOML: this {what} is nested more than 80 levels deep ({} \
                         keys); models.toml needs at most 3",
                        depth + 1
                    )
                );
            }
        }
    }
}

/// A Latin-1 `é` in the real catalogue: one diagnostic at its byte, the same
/// text from `Catalog::load`, the build script and the macro.
#[test]
fn a_non_utf8_catalogue_is_reported_alike_on_every_path() {
    let at = REAL.find("\"claude").unwrap() + 1;
    let bytes = splice(REAL.as_bytes(), at, b"\xE9");
    let line = REAL[..at].matches('\n').count() + 1;
    let line_start = REAL[..at].rfind('\n').unwrap() + 1;
    let column = REAL[line_start..at].chars().count() + 1;
    let expected = format!(
        "{ORIGIN}:{line}:{column}: the file is not valid UTF-8 (byte 0xE9 at offset {at})\n"
    );
    check(&bytes).unwrap();

    let file = TempCatalogue::new(&bytes);
    let Err(macro_load::LoadFailure(messages)) = file.macro_load() else {
        panic!("catalog! accepted non-UTF-8");
    };
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].starts_with(&expected), "{}", messages[0]);
    assert!(
        messages[0].contains(&format!("\n{line} | {}\n", &REAL[line_start..at])),
        "{}",
        messages[0]
    );
    assert!(
        messages[0].contains("= help: save the file as UTF-8"),
        "{}",
        messages[0]
    );
    let report = build_script::report(&bytes, ORIGIN).unwrap();
    assert_eq!(report.rendered, format!("error: {}\n\n", messages[0]));
    assert!(
        report.directive.contains(": 1 problem,"),
        "{}",
        report.directive
    );
    let Err(LoadError::Invalid(loaded)) = Catalog::load(&file.path()) else {
        panic!("Catalog::load did not report non-UTF-8 as a diagnostic");
    };
    let path = file.path().display().to_string();
    assert_eq!(
        loaded.to_string(),
        messages[0].replacen(ORIGIN, &path, 1),
        "the same text, naming the path as given"
    );
}

#[test]
fn the_real_catalogue_is_valid_on_every_path() {
    let file = TempCatalogue::new(REAL.as_bytes());
    assert!(file.macro_load().is_ok());
    assert!(build_script::report(REAL, ORIGIN).is_none());
    assert!(Catalog::load(&file.path()).is_ok());
}
