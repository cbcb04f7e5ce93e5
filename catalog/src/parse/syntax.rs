//! TOML syntax errors, reported once at the mistake.
//!
//! After a syntax error the TOML parser resynchronises and reports every
//! following line that no longer fits: removing one `}` from a catalogue gives
//! dozens of errors, the first on the line *after* the mistake. So only the
//! first error is kept, and when a delimiter is left unclosed (or a closing one
//! has nothing to close) before that error, the diagnostic points at the
//! delimiter itself.

use std::ops::Range;

use crate::diagnostic::{Diagnostic, SourceMap};

/// The diagnostics for a source the TOML parser rejected: one, at the mistake.
pub(crate) fn diagnostics(map: &SourceMap<'_>, errors: &[toml::de::Error]) -> Vec<Diagnostic> {
    // The earliest line with an error, and on it the error reported first
    // (the parser's follow-up errors on that line may start earlier).
    let first = errors
        .iter()
        .map(|error| (error.span().unwrap_or(0..0), error.message()))
        .enumerate()
        .min_by_key(|(order, (span, _))| (map.line_of(span.start), *order))
        .map(|(_, first)| first);
    let delimiter = unbalanced_delimiter(map.source());
    match (first, delimiter) {
        (Some((span, _)), Some(delimiter)) if delimiter.span.start <= span.start => {
            vec![delimiter.into_diagnostic(map)]
        }
        (Some((span, message)), _) => vec![map.error(span, message_line(message))],
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
