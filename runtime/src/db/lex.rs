//! Each engine's bind placeholders in catalogue SQL, found with the catalogue
//! crate's SQL lexer (code only: never in literals, quoted identifiers or
//! comments).

use llm_lifecycle_catalog::sql::spans;

use super::url::Backend;

/// The first bind placeholder of `backend` that `sql` has in code, if any:
/// `$1` on PostgreSQL (where `?` is an operator); `?`, `?1`, `:name`, `@name`
/// and `$name` on SQLite; `?` on MySQL. Catalogue SQL must not contain one: the runtime binds
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
                (Backend::Sqlite | Backend::Mysql, '?', _) => true,
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
        assert_eq!(placeholder("a = ? AND b = 'x?'", Backend::Mysql), Some("?"));
        assert_eq!(placeholder("a = :name", Backend::Mysql), None);
    }
}
