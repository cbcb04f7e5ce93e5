//! Raw SQL with bound values, run the same way on every backend.
//!
//! The runtime's own SQL is written once with `?` placeholders;
//! [`Query::render`] turns them into `$1, $2…` for PostgreSQL. SQL from the
//! catalogue (`filter`, `recipients_query`) is pushed with
//! [`Query::push_foreign`] and rendered verbatim: it is never scanned for
//! placeholders, so its literals, comments and operators (PostgreSQL's `?`)
//! mean what they mean to the engine. Values are always bound, never formatted
//! into the text; identifiers go through [`quote_ident`].

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

/// A piece of a statement's text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// The runtime's own SQL: `?` is a placeholder.
    Own(String),
    /// SQL from the catalogue, rendered exactly as written.
    Foreign(String),
}

/// An SQL statement and its bound values.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    parts: Vec<Part>,
    binds: Vec<Bind>,
}

impl Query {
    /// A statement with `?` placeholders.
    pub(crate) fn new(sql: impl Into<String>) -> Self {
        Self {
            parts: vec![Part::Own(sql.into())],
            binds: Vec::new(),
        }
    }

    /// Appends SQL text (with `?` placeholders for the values pushed next).
    pub(crate) fn push_sql(&mut self, sql: &str) -> &mut Self {
        match self.parts.last_mut() {
            Some(Part::Own(text)) => text.push_str(sql),
            _ => self.parts.push(Part::Own(sql.to_owned())),
        }
        self
    }

    /// Appends SQL from the catalogue, verbatim: nothing in it is a placeholder
    /// of ours (the catalogue crate and plan-time checks keep engine
    /// placeholders out of it).
    pub(crate) fn push_foreign(&mut self, sql: &str) -> &mut Self {
        self.parts.push(Part::Foreign(sql.to_owned()));
        self
    }

    /// The catalogue SQL in this statement, its pieces separated by spaces:
    /// what is checked for engine placeholders.
    pub(crate) fn foreign_text(&self) -> String {
        let pieces: Vec<&str> = self
            .parts
            .iter()
            .filter_map(|part| match part {
                Part::Foreign(text) => Some(text.as_str()),
                Part::Own(_) => None,
            })
            .collect();
        pieces.join(" ")
    }

    /// Appends another query: its text, then its bound values.
    pub(crate) fn append(&mut self, other: Query) -> &mut Self {
        for part in other.parts {
            match part {
                Part::Own(text) => {
                    self.push_sql(&text);
                }
                Part::Foreign(text) => self.parts.push(Part::Foreign(text)),
            }
        }
        self.binds.extend(other.binds);
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

    /// The SQL text for `backend`: on PostgreSQL the `?` placeholders of the
    /// runtime's own SQL become `$n`; catalogue SQL is copied as written.
    pub(crate) fn render(&self, backend: Backend) -> String {
        let mut out = String::new();
        let mut n = 0;
        for part in &self.parts {
            match (part, backend) {
                (Part::Foreign(text), _) | (Part::Own(text), Backend::Sqlite) => {
                    out.push_str(text);
                }
                (Part::Own(text), Backend::Postgres) => {
                    // The runtime's own literals never hold a `?`: every one is a placeholder.
                    for piece in text.split_inclusive('?') {
                        match piece.strip_suffix('?') {
                            Some(before) => {
                                n += 1;
                                out.push_str(before);
                                out.push('$');
                                out.push_str(&n.to_string());
                            }
                            None => out.push_str(piece),
                        }
                    }
                }
            }
        }
        out
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
    fn own_placeholders_are_numbered_for_postgres_and_catalogue_sql_is_verbatim() {
        let mut q = Query::new("SELECT n FROM t WHERE x = ? AND (");
        q.push_foreign("params ? 'k' /* don't ? */")
            .push_sql(") AND y = ?");
        assert_eq!(
            q.render(Backend::Postgres),
            "SELECT n FROM t WHERE x = $1 AND (params ? 'k' /* don't ? */) AND y = $2"
        );
        assert_eq!(
            q.render(Backend::Sqlite),
            "SELECT n FROM t WHERE x = ? AND (params ? 'k' /* don't ? */) AND y = ?"
        );
        let mut outer = Query::new("SELECT ? FROM (");
        outer.push_bind(Bind::BigInt(1));
        let mut inner = Query::new("SELECT ? AS a");
        inner.push_bind(Bind::BigInt(2));
        outer.append(inner).push_sql(") s WHERE s.a = ?");
        assert_eq!(
            outer.render(Backend::Postgres),
            "SELECT $1 FROM (SELECT $2 AS a) s WHERE s.a = $3"
        );
        assert_eq!(outer.binds(), [Bind::BigInt(1), Bind::BigInt(2)]);
    }

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(quote_ident("pipeline_nodes"), "\"pipeline_nodes\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(placeholders(3), "?, ?, ?");
    }
}
