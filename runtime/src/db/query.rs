//! Statements as diesel AST fragments, run the same way on every backend.
//!
//! A [`Query`] is a list of segments: the runtime's own SQL text, identifiers,
//! bound values, and SQL from the catalogue (`filter`, `recipients_query`).
//! It implements diesel's [`QueryFragment`] for each backend through
//! `push_sql`, `push_identifier` and `push_bind_param`, so diesel writes the
//! placeholders (`$1` on PostgreSQL, `?` on SQLite) and the identifier
//! quoting; nothing is ever rewritten or scanned afterwards. Catalogue SQL is
//! passed through verbatim, so its literals, comments and operators
//! (PostgreSQL's `?`) mean what they mean to the engine. Values are always
//! bound, never formatted into the text.

use diesel::backend::Backend as DieselBackend;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, HasSqlType, Nullable, Text, Untyped};
use diesel::{QueryResult, RunQueryDsl};

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
    /// `BIGINT[]` (PostgreSQL only: a whole column of a batch in one value).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    BigIntArray(Vec<i64>),
    /// `TEXT[]` (PostgreSQL only).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    TextArray(Vec<String>),
}

/// A segment of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// The runtime's own SQL text (never a placeholder in it).
    Sql(String),
    /// An identifier, quoted by the backend.
    Ident(String),
    /// A bound value: the backend writes its placeholder.
    Bind(Bind),
    /// SQL from the catalogue, passed through exactly as written.
    Foreign(String),
}

/// An SQL statement: segments of text, identifiers, bound values and
/// catalogue SQL, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    parts: Vec<Part>,
}

impl Query {
    /// A statement starting with `sql` (the runtime's own text: no placeholders).
    pub(crate) fn new(sql: impl Into<String>) -> Self {
        let mut query = Self::default();
        query.push_sql(&sql.into());
        query
    }

    /// Appends the runtime's own SQL text.
    pub(crate) fn push_sql(&mut self, sql: &str) -> &mut Self {
        debug_assert!(
            !sql.contains('?'),
            "own SQL holds no placeholder; bind values with push_bind: {sql}"
        );
        match self.parts.last_mut() {
            Some(Part::Sql(text)) => text.push_str(sql),
            _ => self.parts.push(Part::Sql(sql.to_owned())),
        }
        self
    }

    /// Appends the runtime's own SQL text (by value, for chains).
    pub(crate) fn sql(mut self, sql: &str) -> Self {
        self.push_sql(sql);
        self
    }

    /// Appends an identifier, quoted by the backend.
    pub(crate) fn push_ident(&mut self, ident: &str) -> &mut Self {
        self.parts.push(Part::Ident(ident.to_owned()));
        self
    }

    /// Appends an identifier (by value, for chains).
    pub(crate) fn ident(mut self, ident: &str) -> Self {
        self.push_ident(ident);
        self
    }

    /// Appends a bound value: the backend writes its placeholder here.
    pub(crate) fn push_bind(&mut self, value: Bind) -> &mut Self {
        self.parts.push(Part::Bind(value));
        self
    }

    /// Appends a bound value (by value, for chains).
    pub(crate) fn bind(mut self, value: Bind) -> Self {
        self.push_bind(value);
        self
    }

    /// Appends bound values separated by `, ` (an `IN (…)` list).
    pub(crate) fn push_binds(&mut self, values: impl IntoIterator<Item = Bind>) -> &mut Self {
        for (index, value) in values.into_iter().enumerate() {
            if index > 0 {
                self.push_sql(", ");
            }
            self.push_bind(value);
        }
        self
    }

    /// Appends rows of bound values, `(a, b), (c, d)` (a `VALUES` list).
    pub(crate) fn push_rows<R>(&mut self, rows: impl IntoIterator<Item = R>) -> &mut Self
    where
        R: IntoIterator<Item = Bind>,
    {
        for (index, row) in rows.into_iter().enumerate() {
            self.push_sql(if index > 0 { ", (" } else { "(" });
            self.push_binds(row);
            self.push_sql(")");
        }
        self
    }

    /// MySQL: a relation of bound rows, `SELECT ? AS c1, ? AS c2 UNION ALL
    /// SELECT ?, ? …` (MySQL 8 writes a `VALUES` relation `VALUES ROW(…)`,
    /// MariaDB `VALUES (…)`, and neither renames its columns; this form reads
    /// the same on both). Wrap it in parentheses and name it.
    pub(crate) fn push_union_rows<R>(
        &mut self,
        columns: &[&str],
        rows: impl IntoIterator<Item = R>,
    ) -> &mut Self
    where
        R: IntoIterator<Item = Bind>,
    {
        for (index, row) in rows.into_iter().enumerate() {
            self.push_sql(if index > 0 {
                " UNION ALL SELECT "
            } else {
                "SELECT "
            });
            for (at, value) in row.into_iter().enumerate() {
                if at > 0 {
                    self.push_sql(", ");
                }
                self.push_bind(value);
                if index == 0 {
                    self.push_sql(" AS ");
                    self.push_ident(columns.get(at).copied().unwrap_or("value"));
                }
            }
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
                _ => None,
            })
            .collect();
        pieces.join(" ")
    }

    /// Appends another query's segments.
    pub(crate) fn append(&mut self, other: Query) -> &mut Self {
        for part in other.parts {
            match part {
                Part::Sql(text) => {
                    self.push_sql(&text);
                }
                other => self.parts.push(other),
            }
        }
        self
    }

    /// The bound values, in placeholder order.
    pub(crate) fn binds(&self) -> Vec<&Bind> {
        self.parts
            .iter()
            .filter_map(|part| match part {
                Part::Bind(bind) => Some(bind),
                _ => None,
            })
            .collect()
    }

    /// The SQL text as `backend`'s query builder writes it (placeholders and
    /// identifier quoting included): for logs and tests.
    pub(crate) fn render(&self, backend: Backend) -> String {
        let rendered = match backend {
            #[cfg(feature = "postgres")]
            Backend::Postgres => {
                to_sql::<diesel::pg::Pg>(self, diesel::pg::PgQueryBuilder::default())
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => {
                to_sql::<diesel::sqlite::Sqlite>(self, diesel::sqlite::SqliteQueryBuilder::new())
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                to_sql::<diesel::mysql::Mysql>(self, diesel::mysql::MysqlQueryBuilder::new())
            }
            #[allow(unreachable_patterns)]
            other => Err(diesel::result::Error::QueryBuilderError(
                format!("{other} is not compiled into this build").into(),
            )),
        };
        rendered.unwrap_or_else(|error| format!("<unrenderable query: {error}>"))
    }
}

/// `query` written by `builder`.
#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
fn to_sql<DB>(query: &Query, mut builder: DB::QueryBuilder) -> QueryResult<String>
where
    DB: DieselBackend + Default,
    Query: QueryFragment<DB>,
{
    use diesel::query_builder::QueryBuilder as _;
    query.to_sql(&mut builder, &DB::default())?;
    Ok(builder.finish())
}

impl Query {
    /// Walks the segments: text and catalogue SQL pushed as they are,
    /// identifiers quoted by the backend, scalar values bound; `array` binds
    /// the array values (PostgreSQL) or refuses them.
    fn walk<'b, DB>(
        &'b self,
        out: &mut AstPass<'_, 'b, DB>,
        array: impl Fn(&'b Bind, &mut AstPass<'_, 'b, DB>) -> QueryResult<()>,
    ) -> QueryResult<()>
    where
        DB: DieselBackend + HasSqlType<BigInt> + HasSqlType<Text> + HasSqlType<Bool>,
        i64: ToSql<BigInt, DB>,
        Option<i64>: ToSql<Nullable<BigInt>, DB>,
        String: ToSql<Text, DB>,
        Option<String>: ToSql<Nullable<Text>, DB>,
        Option<bool>: ToSql<Nullable<Bool>, DB>,
    {
        // Built at run time: no prepared-statement cache entry per text.
        out.unsafe_to_cache_prepared();
        for part in &self.parts {
            match part {
                Part::Sql(text) | Part::Foreign(text) => out.push_sql(text),
                Part::Ident(ident) => out.push_identifier(ident)?,
                Part::Bind(Bind::BigInt(value)) => out.push_bind_param::<BigInt, _>(value)?,
                Part::Bind(Bind::NullableBigInt(value)) => {
                    out.push_bind_param::<Nullable<BigInt>, _>(value)?;
                }
                Part::Bind(Bind::Text(value)) => out.push_bind_param::<Text, _>(value)?,
                Part::Bind(Bind::NullableText(value)) => {
                    out.push_bind_param::<Nullable<Text>, _>(value)?;
                }
                Part::Bind(Bind::NullableBool(value)) => {
                    out.push_bind_param::<Nullable<Bool>, _>(value)?;
                }
                Part::Bind(bind @ (Bind::BigIntArray(_) | Bind::TextArray(_))) => array(bind, out)?,
            }
        }
        Ok(())
    }
}

#[cfg(feature = "postgres")]
impl QueryFragment<diesel::pg::Pg> for Query {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        use diesel::sql_types::Array;
        self.walk(&mut out, |bind, out| match bind {
            Bind::BigIntArray(values) => out.push_bind_param::<Array<BigInt>, _>(values),
            Bind::TextArray(values) => out.push_bind_param::<Array<Text>, _>(values),
            _ => Ok(()),
        })
    }
}

#[cfg(feature = "mysql")]
impl QueryFragment<diesel::mysql::Mysql> for Query {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::mysql::Mysql>) -> QueryResult<()> {
        self.walk(&mut out, |_, _| {
            Err(diesel::result::Error::QueryBuilderError(
                "array values are PostgreSQL only".into(),
            ))
        })
    }
}

#[cfg(feature = "sqlite")]
impl QueryFragment<diesel::sqlite::Sqlite> for Query {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::sqlite::Sqlite>) -> QueryResult<()> {
        self.walk(&mut out, |_, _| {
            Err(diesel::result::Error::QueryBuilderError(
                "array values are PostgreSQL only".into(),
            ))
        })
    }
}

impl QueryId for Query {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for Query {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Query {}

/// Run by reference: a statement (with its bound values) is never copied to be executed.
impl<Conn> RunQueryDsl<Conn> for &Query {}

/// `"ident"`: a quoted SQL identifier (embedded quotes doubled), for SQL text
/// that names runtime-owned tables and columns the same way on every engine.
pub(crate) fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diesel_writes_the_placeholders_and_catalogue_sql_is_verbatim() {
        let mut q = Query::new("SELECT n FROM t WHERE x = ");
        q.push_bind(Bind::BigInt(1))
            .push_sql(" AND (")
            .push_foreign("params ? 'k' /* don't ? */")
            .push_sql(") AND y IN (")
            .push_binds([Bind::Text("a".into()), Bind::Text("b".into())])
            .push_sql(")");
        assert_eq!(
            q.render(Backend::Postgres),
            "SELECT n FROM t WHERE x = $1 AND (params ? 'k' /* don't ? */) AND y IN ($2, $3)"
        );
        assert_eq!(
            q.render(Backend::Sqlite),
            "SELECT n FROM t WHERE x = ? AND (params ? 'k' /* don't ? */) AND y IN (?, ?)"
        );
        let mut outer = Query::new("SELECT ");
        outer.push_bind(Bind::BigInt(1)).push_sql(" FROM (");
        let inner = Query::new("SELECT ").bind(Bind::BigInt(2)).sql(" AS a");
        outer.append(inner).push_sql(") s WHERE s.a = ");
        outer.push_bind(Bind::BigInt(3));
        assert_eq!(
            outer.render(Backend::Postgres),
            "SELECT $1 FROM (SELECT $2 AS a) s WHERE s.a = $3"
        );
        assert_eq!(
            outer.binds(),
            [&Bind::BigInt(1), &Bind::BigInt(2), &Bind::BigInt(3)]
        );
    }

    #[test]
    fn identifiers_are_quoted_by_the_backend_and_rows_are_listed() {
        let mut q = Query::new("INSERT INTO ");
        q.push_ident("odd\"name").push_sql(" VALUES ");
        q.push_rows([
            [Bind::BigInt(1), Bind::NullableText(None)],
            [Bind::BigInt(2), Bind::Text("x".into())],
        ]);
        assert_eq!(
            q.render(Backend::Postgres),
            "INSERT INTO \"odd\"\"name\" VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            q.render(Backend::Sqlite),
            "INSERT INTO `odd\"name` VALUES (?, ?), (?, ?)"
        );
        assert_eq!(quote_ident("pipeline_nodes"), "\"pipeline_nodes\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
