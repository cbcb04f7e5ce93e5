//! What the database says about itself: which tables and columns exist, and
//! which foreign keys point at the model table.

use std::collections::HashMap;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Text};

use crate::db::dialect;
use crate::db::{Bind, Conn, Query};
use crate::error::{Context, Error};

/// What a column is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ColumnInfo {
    /// The declared type, lower case (`jsonb`, `integer`, `text`…).
    pub(crate) data_type: String,
    /// Whether it accepts NULL.
    pub(crate) nullable: bool,
    /// Whether an insert that leaves it out gets a value (a default, an
    /// identity, serial or auto-increment, a generated column).
    pub(crate) has_default: bool,
}

/// Columns by `(table, column)`.
pub(crate) type Columns = HashMap<(String, String), ColumnInfo>;

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
    #[diesel(sql_type = Bool)]
    has_default: bool,
}

#[derive(QueryableByName)]
struct ForeignKeyRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// PostgreSQL: whether the runtime's `llm_lifecycle_try_jsonb(text)` exists
/// (installed by its migration of 2026-12-01).
pub(crate) fn pg_try_jsonb_exists(conn: &mut Conn<'_>) -> Result<bool, Error> {
    let rows: Vec<CountRow> = conn
        .load(&Query::new(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n \
             WHERE to_regprocedure('llm_lifecycle_try_jsonb(text)') IS NOT NULL",
        ))
        .context(|| "looking for the function llm_lifecycle_try_jsonb".into())?;
    Ok(rows.first().is_some_and(|row| row.n > 0))
}

/// Whether `table` exists (in the current schema on PostgreSQL).
pub(crate) fn table_exists(conn: &mut Conn<'_>, table: &str) -> Result<bool, Error> {
    let sql = dialect::of(conn.backend()).table_exists();
    let rows: Vec<CountRow> = conn
        .load(&Query::new(sql).bind(Bind::Text(table.to_owned())))
        .context(|| format!("checking whether table `{table}` exists"))?;
    Ok(rows.first().is_some_and(|row| row.n > 0))
}

/// The columns of `tables`; tables that do not exist have no entries.
pub(crate) fn columns(conn: &mut Conn<'_>, tables: &[String]) -> Result<Columns, Error> {
    if tables.is_empty() {
        return Ok(Columns::new());
    }
    let query = dialect::of(conn.backend()).columns(
        tables
            .iter()
            .map(|table| Bind::Text(table.clone()))
            .collect(),
    );
    let rows: Vec<ColumnRow> = conn
        .load(&query)
        .context(|| format!("reading the columns of {}", tables.join(", ")))?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                (row.table_name, row.column_name),
                ColumnInfo {
                    data_type: row.data_type.to_ascii_lowercase(),
                    nullable: row.nullable,
                    has_default: row.has_default,
                },
            )
        })
        .collect())
}

/// The integer types a batch key may have, as the engines name them.
const INTEGER_TYPES: [&str; 9] = [
    "integer",
    "int",
    "bigint",
    "smallint",
    "mediumint",
    "tinyint",
    "int2",
    "int4",
    "int8",
];

/// The integer column each of `tables` can be walked by in batches: its
/// primary key when that is one column of an integer type (MySQL: or the
/// first NOT NULL unique key of a table without a primary key). Tables
/// without one (no key, a composite or a text key) have no entry.
pub(crate) fn integer_keys(
    conn: &mut Conn<'_>,
    tables: &[String],
) -> Result<HashMap<String, String>, Error> {
    if tables.is_empty() {
        return Ok(HashMap::new());
    }
    let mut query = Query::new(dialect::of(conn.backend()).primary_keys());
    query
        .push_binds(tables.iter().map(|table| Bind::Text(table.clone())))
        .push_sql(")");
    let rows: Vec<KeyRow> = conn
        .load(&query)
        .context(|| format!("reading the primary keys of {}", tables.join(", ")))?;
    let mut keys: HashMap<String, Vec<KeyRow>> = HashMap::new();
    for row in rows {
        keys.entry(row.table_name.clone()).or_default().push(row);
    }
    Ok(keys
        .into_iter()
        .filter_map(|(table, columns)| match columns.as_slice() {
            [only] if INTEGER_TYPES.contains(&only.data_type.to_ascii_lowercase().as_str()) => {
                Some((table, only.column_name.clone()))
            }
            _ => None,
        })
        .collect())
}

/// Every `(table, column)` with a real foreign key to the model table `table`.
pub(crate) fn foreign_keys_to(
    conn: &mut Conn<'_>,
    table: &str,
) -> Result<Vec<(String, String)>, Error> {
    let sql = dialect::of(conn.backend()).foreign_keys_to();
    let query = Query::new(sql)
        .bind(Bind::Text(table.to_owned()))
        .sql(") ORDER BY 1, 2");
    let rows: Vec<ForeignKeyRow> = conn
        .load(&query)
        .context(|| format!("listing the foreign keys to {table}"))?;
    Ok(rows
        .into_iter()
        .map(|row| (row.table_name, row.column_name))
        .collect())
}

#[cfg(all(test, feature = "mysql"))]
mod tests {
    use super::*;
    use crate::db::{Database, DatabaseUrl};

    /// MariaDB's `JSON` (text under a `json_valid` check) is told apart from
    /// plain text, so its values are not checked again.
    #[test]
    fn a_mariadb_json_column_is_introspected_as_checked_json_text() -> Result<(), Error> {
        let Some(test_db) = llm_lifecycle_test_support::TestDb::mysql() else {
            return Ok(());
        };
        test_db.execute(
            "CREATE TABLE nodes (id BIGINT PRIMARY KEY, params JSON NOT NULL, note LONGTEXT NULL);
             CREATE TABLE other (id BIGINT PRIMARY KEY, params LONGTEXT NULL)",
        );
        let mut db = Database::connect(&DatabaseUrl::parse(test_db.url())?)?;
        let columns =
            db.read_transaction(|conn| columns(conn, &["nodes".into(), "other".into()]))?;
        let kind = |table: &str, column: &str| {
            columns
                .get(&(table.to_owned(), column.to_owned()))
                .map(|info| (info.data_type.clone(), info.nullable))
        };
        assert_eq!(kind("nodes", "params"), Some(("json_text".into(), false)));
        assert_eq!(kind("nodes", "note"), Some(("longtext".into(), true)));
        // Another table's column of the same name, without the check.
        assert_eq!(kind("other", "params"), Some(("longtext".into(), true)));
        Ok(())
    }
}
