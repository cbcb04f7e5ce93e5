//! The one SQL lexer of the project: splits catalogue-supplied SQL (`filter`,
//! `recipients_query`) into code and the parts where a `?`, `$name` or quote
//! means nothing (string literals, quoted identifiers, comments, dollar-quoted
//! strings), so parameters and placeholders are looked for in code only. The
//! catalogue validates named parameters with it at build time; the runtime
//! uses it to find each engine's bind placeholders.
//!
//! It knows `'…'` (with `''` inside), `"…"` (with `""` inside), `` `…` ``
//! (MySQL/SQLite identifiers), `[…]` is left alone (SQLite only, and never
//! holds a quote character that matters), `-- …` to the end of the line,
//! `/* … */` (nested, as PostgreSQL nests them) and `$tag$ … $tag$`.

/// A run of SQL text: code, or text that is not code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Span<'a> {
    /// The text, exactly as written.
    pub text: &'a str,
    /// `true` for code; `false` inside a literal, quoted identifier or comment.
    pub code: bool,
}

/// `sql` as alternating code and non-code spans; concatenated, they give `sql` back.
pub fn spans(sql: &str) -> Vec<Span<'_>> {
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

/// The named parameters (`$name`, a letter or `_` first) that `sql` has in
/// code, in order, each as written without the `$`.
#[must_use]
pub fn named_parameters(sql: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for span in spans(sql).into_iter().filter(|span| span.code) {
        let text = span.text;
        for (at, _) in text.match_indices('$') {
            let name = &text[at + 1..];
            let end = name
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(name.len());
            let name = &name[..end];
            if name
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
            {
                found.push(name);
            }
        }
    }
    found
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
    fn unclosed_runs_end_at_the_end() {
        assert_eq!(code("a 'open"), "a ");
        assert_eq!(code("a /* open"), "a ");
        assert_eq!(code("a $$ open"), "a ");
        assert_eq!(code("a $team_id b"), "a $team_id b");
    }

    #[test]
    fn named_parameters_are_found_in_code_only() {
        assert_eq!(
            named_parameters("t = $team_id AND p = $permission AND n <> '$x' -- $y\n AND $1 = 1"),
            ["team_id", "permission"]
        );
        assert!(named_parameters("a = $$ $b $$").is_empty());
    }
}
