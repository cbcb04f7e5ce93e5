//! Raw SQL with bound values, run the same way on every backend.
//!
//! SQL is written once with `?` placeholders; [`Query::render`] turns them into
//! `$1, $2…` for PostgreSQL. Values are always bound, never formatted into the
//! text; identifiers go through [`quote_ident`].

use super::url::Backend;

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bind {
    /// `BIGINT NOT NULL`.
    BigInt(i64),
    /// `BIGINT NULL`.
    NullableBigInt(Option<i64>),
    /// `TEXT NOT NULL`.
    Text(String),
    /// `TEXT NULL`.
    NullableText(Option<String>),
    /// `BOOLEAN NULL`.
    NullableBool(Option<bool>),
}

/// An SQL statement and its bound values.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    sql: String,
    binds: Vec<Bind>,
}

impl Query {
    /// A statement with `?` placeholders.
    pub(crate) fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            binds: Vec::new(),
        }
    }

    /// Appends SQL text (with `?` placeholders for the values pushed next).
    pub(crate) fn push_sql(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Binds the next placeholder.
    pub(crate) fn bind(mut self, value: Bind) -> Self {
        self.binds.push(value);
        self
    }

    /// Binds the next placeholder (in place).
    pub(crate) fn push_bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        self
    }

    /// The bound values, in placeholder order.
    pub(crate) fn binds(&self) -> &[Bind] {
        &self.binds
    }

    /// The SQL text for `backend`: `?` placeholders outside quotes become `$n` on PostgreSQL.
    pub(crate) fn render(&self, backend: Backend) -> String {
        match backend {
            Backend::Sqlite => self.sql.clone(),
            Backend::Postgres => {
                let mut out = String::with_capacity(self.sql.len() + 16);
                let mut quote: Option<char> = None;
                let mut n = 0;
                for c in self.sql.chars() {
                    match (quote, c) {
                        (None, '\'' | '"') => {
                            quote = Some(c);
                            out.push(c);
                        }
                        (Some(q), _) if q == c => {
                            quote = None;
                            out.push(c);
                        }
                        (None, '?') => {
                            n += 1;
                            out.push('$');
                            out.push_str(&n.to_string());
                        }
                        _ => out.push(c),
                    }
                }
                out
            }
        }
    }
}

/// `"ident"`: a quoted SQL identifier (embedded quotes doubled).
pub(crate) fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// `?, ?, ?` with `n` placeholders.
pub(crate) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_outside_quotes() {
        let q = Query::new("SELECT '?' , \"a?\", ? FROM t WHERE x = ? AND y = '?'");
        assert_eq!(
            q.render(Backend::Postgres),
            "SELECT '?' , \"a?\", $1 FROM t WHERE x = $2 AND y = '?'"
        );
        assert_eq!(q.render(Backend::Sqlite), q.sql);
    }

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(quote_ident("pipeline_nodes"), "\"pipeline_nodes\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(placeholders(3), "?, ?, ?");
    }
}
