//! The one SQL lexer of the runtime: splits catalogue-supplied SQL (`filter`,
//! `recipients_query`) into code and the parts where a `?`, `$name` or quote
//! means nothing (string literals, quoted identifiers, comments, dollar-quoted
//! strings), so placeholders are looked for in code only.
//!
//! It knows `'…'` (with `''` inside), `"…"` (with `""` inside), `` `…` ``
//! (MySQL/SQLite identifiers), `[…]` is left alone (SQLite only, and never
//! holds a quote character that matters), `-- …` to the end of the line,
//! `/* … */` (nested, as PostgreSQL nests them) and `$tag$ … $tag$`.

use super::url::Backend;

/// A run of SQL text: code, or text that is not code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span<'a> {
    /// The text, exactly as written.
    pub(crate) text: &'a str,
    /// `true` for code; `false` inside a literal, quoted identifier or comment.
    pub(crate) code: bool,
}

/// `sql` as alternating code and non-code spans; concatenated, they give `sql` back.
pub(crate) fn spans(sql: &str) -> Vec<Span<'_>> {
    let bytes = sql.as_bytes();
    let mut spans = Vec::new();
    let mut code_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let end = match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => Some(quoted_end(bytes, i, quote)),
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                Some(sql[i..].find('\n').map_or(bytes.len(), |n| i + n + 1))
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => Some(block_comment_end(bytes, i)),
            b'$' => dollar_quote_end(sql, i),
            _ => None,
        };
        match end {
            Some(end) => {
                if code_start < i {
                    spans.push(Span {
                        text: &sql[code_start..i],
                        code: true,
                    });
                }
                spans.push(Span {
                    text: &sql[i..end],
                    code: false,
                });
                i = end;
                code_start = end;
            }
            None => i += 1,
        }
    }
    if code_start < bytes.len() {
        spans.push(Span {
            text: &sql[code_start..],
            code: true,
        });
    }
    spans
}

/// The end of a quoted run starting at `start` (a doubled quote stays inside);
/// the end of the text when it is not closed.
fn quoted_end(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

fn block_comment_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// `$tag$ … $tag$` (tag empty or an identifier not starting with a digit): the
/// end of the quoted run, or `None` when `$` does not open one (`$1`, `$team_id`).
fn dollar_quote_end(sql: &str, start: usize) -> Option<usize> {
    let rest = &sql[start + 1..];
    let tag_len = rest.find('$')?;
    let tag = &rest[..tag_len];
    let valid = tag
        .chars()
        .enumerate()
        .all(|(n, c)| c == '_' || c.is_alphabetic() || (n > 0 && c.is_ascii_digit()));
    if !valid {
        return None;
    }
    let delimiter = &sql[start..start + tag_len + 2];
    let body = start + delimiter.len();
    Some(
        sql[body..]
            .find(delimiter)
            .map_or(sql.len(), |n| body + n + delimiter.len()),
    )
}

/// The first bind placeholder of `backend` that `sql` has in code, if any:
/// `$1` on PostgreSQL (where `?` is an operator); `?`, `?1`, `:name`, `@name`
/// and `$name` on SQLite. Catalogue SQL must not contain one: the runtime binds
/// its own values around it.
pub(crate) fn placeholder(sql: &str, backend: Backend) -> Option<&str> {
    for span in spans(sql).into_iter().filter(|span| span.code) {
        let text = span.text;
        for (at, c) in text.char_indices() {
            let next = text[at + c.len_utf8()..].chars().next();
            let word_end = |from: usize| {
                text[from..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map_or(text.len(), |n| from + n)
            };
            let found = match (backend, c, next) {
                (Backend::Postgres, '$', Some(d)) if d.is_ascii_digit() => true,
                (Backend::Sqlite, '?', _) => true,
                (Backend::Sqlite, ':' | '@' | '$', Some(n)) if n.is_alphabetic() || n == '_' => {
                    // `::` is not SQLite, but keep `a::b` from reading as `:b`.
                    !(c == ':' && text[..at].ends_with(':'))
                }
                _ => false,
            };
            if found {
                return Some(&text[at..word_end(at + 1)]);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(sql: &str) -> String {
        spans(sql)
            .iter()
            .filter(|span| span.code)
            .map(|span| span.text)
            .collect()
    }

    #[test]
    fn spans_give_the_text_back() {
        let sql = "a = 'x''y' AND \"q\"\"r\" -- c'\nb /* d' /* e */ f' */ $$g'$$ $t$h$t$ $1";
        let joined: String = spans(sql).iter().map(|span| span.text).collect();
        assert_eq!(joined, sql);
    }

    #[test]
    fn literals_identifiers_and_comments_are_not_code() {
        assert_eq!(code("a = 'it''s ?' AND b"), "a =  AND b");
        assert_eq!(code("\"odd?\" IS NULL"), " IS NULL");
        assert_eq!(
            code("name IS NOT NULL /* don't count drafts */"),
            "name IS NOT NULL "
        );
        assert_eq!(code("x -- don't\n AND y"), "x  AND y");
        assert_eq!(code("/* a /* nested */ still ' */ z"), " z");
        assert_eq!(code("$$it's$$ AND $tag$?$tag$ AND w"), " AND  AND w");
    }

    #[test]
    fn placeholders_are_found_in_code_only() {
        use Backend::{Postgres, Sqlite};
        assert_eq!(placeholder("params ? 'key'", Sqlite), Some("?"));
        assert_eq!(placeholder("params ? 'key'", Postgres), None);
        assert_eq!(placeholder("a = ?12", Sqlite), Some("?12"));
        assert_eq!(placeholder("a = :name OR b = @x", Sqlite), Some(":name"));
        assert_eq!(placeholder("a = $v", Sqlite), Some("$v"));
        assert_eq!(
            placeholder("name <> '?' AND \"odd?\" IS NULL -- ?", Sqlite),
            None
        );
        assert_eq!(placeholder("id = $1", Postgres), Some("$1"));
        assert_eq!(
            placeholder("id = x AND note = '$1' AND $$ $2 $$", Postgres),
            None
        );
        assert_eq!(placeholder("CAST(x AS text) = 'a:b'", Sqlite), None);
    }

    #[test]
    fn unclosed_runs_end_at_the_end() {
        assert_eq!(code("a 'open"), "a ");
        assert_eq!(code("a /* open"), "a ");
        assert_eq!(code("a $$ open"), "a ");
        assert_eq!(code("a $team_id b"), "a $team_id b");
    }
}
