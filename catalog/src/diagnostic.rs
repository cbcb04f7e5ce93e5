//! Diagnostics: one error in `models.toml`, located by line and column and
//! rendered the way rustc and toml-rs render theirs.
//!
//! ```text
//! models.toml:7:72: unknown key `deprecate` in a model
//!   |
//! 7 |   { name = "gpt-4.1-nano", token_limit = 1_000_000, deprecate = true },
//!   |                                                      ^^^^^^^^^
//!   = help: did you mean `deprecated`?
//! ```

use std::fmt;
use std::ops::Range;

/// One problem in a catalogue source, with its position and the offending line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file name shown in messages (e.g. `models.toml`).
    pub origin: String,
    /// 1-based line of the span's start.
    pub line: usize,
    /// 1-based column of the span's start, counted in characters.
    pub column: usize,
    /// Byte offsets of the offending text in the source (in the file's bytes
    /// when the file is not UTF-8).
    pub span: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is a hint.
    pub help: Option<String>,
    /// The source line holding the span's start, without its line break.
    pub source_line: String,
}

impl Diagnostic {
    /// The first line of the rendering: `models.toml:LINE:COL: message`.
    pub fn headline(&self) -> String {
        format!(
            "{}:{}:{}: {}",
            self.origin, self.line, self.column, self.message
        )
    }

    /// Adds (or replaces) the fix hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The `^^^` marker line: whitespace up to the span's column, then one caret
    /// per character of the span on this line (at least one).
    fn marker(&self) -> String {
        let mut marker = String::new();
        for c in self.source_line.chars().take(self.column.saturating_sub(1)) {
            marker.push(if c == '\t' { '\t' } else { ' ' });
        }
        let line_start = self.span.start.saturating_sub(
            self.source_line
                .char_indices()
                .nth(self.column.saturating_sub(1))
                .map_or(self.source_line.len(), |(offset, _)| offset),
        );
        let line_end = line_start + self.source_line.len();
        let end = self.span.end.min(line_end).max(self.span.start);
        let width = self
            .source_line
            .get(self.span.start - line_start..end - line_start)
            .map_or(0, |text| text.chars().count());
        marker.push_str(&"^".repeat(width.max(1)));
        marker
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = self.line.to_string();
        let gutter = " ".repeat(number.len());
        writeln!(f, "{}", self.headline())?;
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{number} | {}", self.source_line)?;
        write!(f, "{gutter} | {}", self.marker())?;
        if let Some(help) = &self.help {
            write!(f, "\n{gutter} = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// Every problem found in a catalogue, sorted by position.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Wraps a list of diagnostics, sorting it by position (then message) and
    /// dropping exact duplicates.
    pub fn new(mut items: Vec<Diagnostic>) -> Self {
        items.sort_by(|a, b| {
            (a.span.start, a.span.end, &a.message).cmp(&(b.span.start, b.span.end, &b.message))
        });
        items.dedup();
        Self { items }
    }

    /// The diagnostics, in source order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// How many problems were found.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The diagnostics as a slice.
    pub fn as_slice(&self) -> &[Diagnostic] {
        &self.items
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, diagnostic) in self.items.iter().enumerate() {
            if index > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// Turns byte spans of one source into located [`Diagnostic`]s.
///
/// A leading byte order mark (U+FEFF, which TOML allows) is not part of line 1:
/// columns on that line count from after it, the line shown leaves it out, and
/// a span inside it moves to its end. Spans stay byte offsets into `source`
/// (the mark included), so they are offsets into the file.
#[derive(Debug, Clone)]
pub struct SourceMap<'s> {
    origin: &'s str,
    source: &'s str,
    line_starts: Vec<usize>,
}

impl<'s> SourceMap<'s> {
    /// Indexes the line starts of `source`; `origin` is the file name shown in messages.
    pub fn new(source: &'s str, origin: &'s str) -> Self {
        let first_line = if source.starts_with(BYTE_ORDER_MARK) {
            BYTE_ORDER_MARK.len_utf8()
        } else {
            0
        };
        let line_starts = std::iter::once(first_line)
            .chain(source.match_indices('\n').map(|(index, _)| index + 1))
            .collect();
        Self {
            origin,
            source,
            line_starts,
        }
    }

    /// The source text.
    pub fn source(&self) -> &'s str {
        self.source
    }

    /// 1-based line of a byte offset (offsets past the end count as the last line).
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&start| start <= offset)
            .max(1)
    }

    /// A diagnostic at `span` (clamped to the source and to char boundaries).
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        let start = floor_char_boundary(
            self.source,
            span.start.clamp(self.line_starts[0], self.source.len()),
        );
        let end = floor_char_boundary(self.source, span.end.clamp(start, self.source.len()));
        let line = self.line_of(start);
        let line_start = self.line_starts[line - 1];
        let line_end = self.source[line_start..]
            .find('\n')
            .map_or(self.source.len(), |i| line_start + i);
        let raw_line = &self.source[line_start..line_end];
        let source_line = raw_line.strip_suffix('\r').unwrap_or(raw_line).to_owned();
        let column = self.source[line_start..start].chars().count() + 1;
        Diagnostic {
            origin: self.origin.to_owned(),
            line,
            column,
            span: start..end,
            message: message.into(),
            help: None,
            source_line,
        }
    }
}

/// U+FEFF at the start of a file: a byte order mark, which TOML allows.
const BYTE_ORDER_MARK: char = '\u{FEFF}';

/// The diagnostic for a file that is not UTF-8, at its first invalid byte:
/// `error` is what [`std::str::from_utf8`] said about `bytes`. The line is
/// shown as far as it decodes, so the caret sits just after the text that did.
pub(crate) fn not_utf8(bytes: &[u8], error: std::str::Utf8Error, origin: &str) -> Diagnostic {
    let offset = error.valid_up_to();
    // Everything before `valid_up_to` is UTF-8: nothing is replaced.
    let decoded = String::from_utf8_lossy(&bytes[..offset]);
    let byte = bytes.get(offset).copied().unwrap_or_default();
    let invalid = error
        .error_len()
        .unwrap_or(bytes.len().saturating_sub(offset));
    let help = if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        "the file starts with a UTF-16 byte order mark: save it as UTF-8 (TOML allows no other \
         encoding)"
    } else {
        "save the file as UTF-8 (TOML allows no other encoding), or remove the bytes at the caret"
    };
    let mut diagnostic = SourceMap::new(&decoded, origin)
        .error(
            offset..offset,
            format!("the file is not valid UTF-8 (byte 0x{byte:02X} at offset {offset})"),
        )
        .with_help(help);
    diagnostic.span = offset..offset + invalid;
    diagnostic
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests;
