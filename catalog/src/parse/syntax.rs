//! TOML syntax errors, reported once at the mistake.
//!
//! After a syntax error the TOML parser resynchronises and reports every
//! following line that no longer fits: removing one `}` from a catalogue gives
//! dozens of errors, the first on the line *after* the mistake. So only the
//! first error is kept, and when a delimiter is left unclosed (or a closing one
//! has nothing to close) before that error, the diagnostic points at the
//! delimiter itself.
//!
//! One TOML error has no span: a dotted key or table header of more than
//! [`KEY_DEPTH_LIMIT`] keys hits the parser's recursion limit. It is located
//! here, at the key, by [`deep_key`].

use std::ops::Range;

use toml::de::DeTable;

use crate::diagnostic::{Diagnostic, SourceMap};

/// The most keys toml accepts in one dotted key or table header: with more,
/// `toml` 1.2 (`de/parser/key.rs`, its private `LIMIT`) reports a "recursion
/// limit" error without a span and drops the key.
pub(crate) const KEY_DEPTH_LIMIT: usize = 80;

/// The most keys a dotted key of `models.toml` needs (`providers.KEY.label`).
const CATALOGUE_KEY_DEPTH: usize = 3;

/// toml's message for a key past [`KEY_DEPTH_LIMIT`] (the only error it reports
/// without a span).
const RECURSION_LIMIT: &str = "recursion limit";

/// One TOML error, located.
struct Located {
    span: Range<usize>,
    message: String,
    help: Option<String>,
}

impl Located {
    fn into_diagnostic(self, map: &SourceMap<'_>) -> Diagnostic {
        let diagnostic = map.error(self.span, self.message);
        match self.help {
            Some(help) => diagnostic.with_help(help),
            None => diagnostic,
        }
    }
}

/// The diagnostics for a source the TOML parser rejected: one, at the mistake.
pub(crate) fn diagnostics(map: &SourceMap<'_>, errors: &[toml::de::Error]) -> Vec<Diagnostic> {
    let mut located = Vec::with_capacity(errors.len());
    let mut deep_key_seen = false;
    for error in errors {
        match error.span() {
            Some(span) => located.push(Located {
                span,
                message: message_line(error.message()),
                help: None,
            }),
            // toml reports its deep keys in source order, so the first one
            // is the earliest of them: the later ones are never reported.
            None if error.message().trim() == RECURSION_LIMIT => {
                if !deep_key_seen {
                    deep_key_seen = true;
                    located.push(deep_key(map.source()));
                }
            }
            None => located.push(Located {
                span: 0..0,
                message: message_line(error.message()),
                help: None,
            }),
        }
    }
    // The earliest line with an error, and on it the error reported first
    // (the parser's follow-up errors on that line may start earlier).
    let first = located
        .into_iter()
        .enumerate()
        .min_by_key(|(order, error)| (map.line_of(error.span.start), *order))
        .map(|(_, first)| first);
    let delimiter = unbalanced_delimiter(map.source());
    match (first, delimiter) {
        (Some(first), Some(delimiter)) if delimiter.span.start <= first.span.start => {
            vec![delimiter.into_diagnostic(map)]
        }
        (Some(first), _) => vec![first.into_diagnostic(map)],
        (None, Some(delimiter)) => vec![delimiter.into_diagnostic(map)],
        (None, None) => vec![map.error(0..0, "invalid TOML")],
    }
}

/// toml's message, on one line and without a trailing newline.
fn message_line(message: &str) -> String {
    let trimmed = message.trim();
    let mut lines = trimmed.lines();
    let first = lines.next().unwrap_or("invalid TOML").trim();
    let mut out = format!("invalid TOML: {first}");
    for line in lines.map(str::trim).filter(|line| !line.is_empty()) {
        out.push_str("; ");
        out.push_str(line);
    }
    out
}

/// The first key of `source` past [`KEY_DEPTH_LIMIT`], for toml's
/// span-less "recursion limit" error.
///
/// The line is toml's own answer: the shortest run of whole lines on which
/// the parser already hits the limit (bisected: a longer run of lines can only
/// add errors after it, as a key never spans lines). On that line the key is
/// the first run of more than [`KEY_DEPTH_LIMIT`] dot-separated keys, outside
/// strings and comments; should none be found, the line's first character.
fn deep_key(source: &str) -> Located {
    let line_ends: Vec<usize> = source
        .match_indices('\n')
        .map(|(index, _)| index + 1)
        .chain((!source.ends_with('\n')).then_some(source.len()))
        .collect();
    let hits_limit = |end: usize| {
        let (_, errors) = DeTable::parse_recoverable(&source[..end]);
        errors
            .iter()
            .any(|error| error.span().is_none() && error.message().trim() == RECURSION_LIMIT)
    };
    let line = line_ends.partition_point(|&end| !hits_limit(end));
    let Some(&line_end) = line_ends.get(line) else {
        return Located {
            span: 0..0,
            message: format!(
                "invalid TOML: a dotted key or table header is nested more than \
                 {KEY_DEPTH_LIMIT} levels deep; models.toml needs at most {CATALOGUE_KEY_DEPTH}"
            ),
            help: Some(shorten_help()),
        };
    };
    let line_start = match line.checked_sub(1) {
        Some(before) => line_ends[before],
        None if source.starts_with('\u{FEFF}') => '\u{FEFF}'.len_utf8(),
        None => 0,
    };
    let text = &source[line_start..line_end];
    let (span, parts) = dotted_runs(text)
        .into_iter()
        .find(|(_, parts)| *parts > KEY_DEPTH_LIMIT)
        .map_or_else(
            || {
                let blank = text.len() - text.trim_start().len();
                (blank..blank, None)
            },
            |(span, parts)| (span, Some(parts)),
        );
    let header = text[..span.start].trim_end().ends_with('[') && text.trim_start().starts_with('[');
    let what = if header { "table header" } else { "dotted key" };
    let count = parts.map_or_else(String::new, |parts| format!(" ({parts} keys)"));
    Located {
        span: line_start + span.start..line_start + span.end,
        message: format!(
            "invalid TOML: this {what} is nested more than {KEY_DEPTH_LIMIT} levels \
             deep{count}; models.toml needs at most {CATALOGUE_KEY_DEPTH}"
        ),
        help: Some(shorten_help()),
    }
}

fn shorten_help() -> String {
    format!(
        "shorten it to {CATALOGUE_KEY_DEPTH} keys at most: a provider is `[providers.KEY]`, its \
         fields are `label = …` under it or `providers.KEY.label = …`"
    )
}

/// The runs of dot-separated keys (bare or quoted, `a . "b".c`) in `text`
/// outside strings and comments, as (span, number of keys).
fn dotted_runs(text: &str) -> Vec<(Range<usize>, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'#' {
            break;
        }
        if is_bare(byte) || byte == b'"' || byte == b'\'' {
            let Some(end) = simple_key_end(bytes, index) else {
                // A multi-line or unterminated string: nothing after it is a key.
                break;
            };
            let start = index;
            let mut parts = 1;
            index = end;
            loop {
                let dot = skip_blank(bytes, index);
                if bytes.get(dot) != Some(&b'.') {
                    break;
                }
                let next = skip_blank(bytes, dot + 1);
                match simple_key_end(bytes, next) {
                    Some(end) if end > next => {
                        parts += 1;
                        index = end;
                    }
                    _ => break,
                }
            }
            out.push((start..index, parts));
            continue;
        }
        index += 1;
    }
    out
}

/// A character of a bare key.
fn is_bare(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

fn skip_blank(bytes: &[u8], mut index: usize) -> usize {
    while matches!(bytes.get(index), Some(b' ' | b'\t')) {
        index += 1;
    }
    index
}

/// The end of the bare or one-line quoted key at `start` (`start` itself when
/// there is none), or `None` for a string that cannot be a key.
fn simple_key_end(bytes: &[u8], start: usize) -> Option<usize> {
    match bytes.get(start) {
        Some(&quote @ (b'"' | b'\'')) => {
            if bytes.get(start..start + 3) == Some(&[quote, quote, quote][..]) {
                return None;
            }
            skip_string(bytes, start)
        }
        _ => {
            let mut end = start;
            while bytes.get(end).copied().is_some_and(is_bare) {
                end += 1;
            }
            Some(end)
        }
    }
}

/// A `{` or `[` that is never closed, or a `}` or `]` with nothing to close.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Unbalanced {
    pub(crate) span: Range<usize>,
    pub(crate) message: &'static str,
    pub(crate) help: String,
}

impl Unbalanced {
    fn into_diagnostic(self, map: &SourceMap<'_>) -> Diagnostic {
        map.error(self.span, self.message).with_help(self.help)
    }
}

fn position(map: &SourceMap<'_>, offset: usize) -> String {
    let diagnostic = map.error(offset..offset, "");
    format!("{}:{}", diagnostic.line, diagnostic.column)
}

fn unclosed(open: u8, at: usize) -> Unbalanced {
    if open == b'{' {
        Unbalanced {
            span: at..at + 1,
            message: "invalid TOML: this inline table is never closed, expected `}`",
            help: "add the `}` that closes this `{` at the end of the entry".to_owned(),
        }
    } else {
        Unbalanced {
            span: at..at + 1,
            message: "invalid TOML: this array is never closed, expected `]`",
            help: "add the `]` that closes this `[` after its last element".to_owned(),
        }
    }
}

/// Scans the source for brackets and braces outside strings and comments and
/// returns the first one that does not balance.
pub(crate) fn unbalanced_delimiter(source: &str) -> Option<Unbalanced> {
    let map = SourceMap::new(source, "");
    let bytes = source.as_bytes();
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        match byte {
            b'#' => {
                index = bytes[index..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |offset| index + offset);
                continue;
            }
            b'"' | b'\'' => {
                // An unterminated string is the parser's to report.
                index = skip_string(bytes, index)?;
                continue;
            }
            b'{' | b'[' => open.push((byte, index)),
            b'}' | b']' => {
                let expected = if byte == b'}' { b'{' } else { b'[' };
                match open.pop() {
                    Some((opening, _)) if opening == expected => {}
                    // `]` while a `{` is open: the `}` of an inline table is missing.
                    Some((b'{', at)) => return Some(unclosed(b'{', at)),
                    // `}` while a `[` is open: this `}` has no `{`.
                    Some((_, at)) => {
                        return Some(Unbalanced {
                            span: index..index + 1,
                            message: "invalid TOML: this `}` closes no inline table",
                            help: format!(
                                "remove it, add the `{{` it closes, or close the `[` at {} first",
                                position(&map, at)
                            ),
                        });
                    }
                    None => {
                        let (message, help) = if byte == b'}' {
                            (
                                "invalid TOML: this `}` closes no inline table",
                                "remove it, or add the `{` it closes",
                            )
                        } else {
                            (
                                "invalid TOML: this `]` closes no array",
                                "remove it, or add the `[` it closes",
                            )
                        };
                        return Some(Unbalanced {
                            span: index..index + 1,
                            message,
                            help: help.to_owned(),
                        });
                    }
                }
            }
            _ => {}
        }
        index += 1;
    }
    open.pop().map(|(opening, at)| unclosed(opening, at))
}

/// The offset just past the string starting at `start`, or `None` if it is
/// never terminated.
fn skip_string(bytes: &[u8], start: usize) -> Option<usize> {
    let quote = bytes[start];
    let multi_line = bytes.get(start..start + 3) == Some(&[quote, quote, quote][..]);
    let mut index = start + if multi_line { 3 } else { 1 };
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'\\' && quote == b'"' {
            index += 2;
            continue;
        }
        if !multi_line && byte == b'\n' {
            return None;
        }
        if byte == quote {
            if !multi_line {
                return Some(index + 1);
            }
            if bytes.get(index..index + 3) == Some(&[quote, quote, quote][..]) {
                // A multi-line string may end with up to two extra quotes.
                let mut end = index + 3;
                while end < bytes.len() && end < index + 5 && bytes[end] == quote {
                    end += 1;
                }
                return Some(end);
            }
        }
        index += 1;
    }
    None
}

#[cfg(test)]
mod tests;
