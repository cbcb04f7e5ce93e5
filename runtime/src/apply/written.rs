//! The rows the platform writes while `apply --batch-size` moves references
//! in batches, logged so the final transaction looks at those rows again
//! instead of reading every table whole (at ten million JSON rows that read
//! was the longest transaction of a batched apply: 4.3 s).
//!
//! Before the batched run's notices are counted, the apply puts a trigger on
//! each table it walks (PostgreSQL: one `AFTER INSERT OR UPDATE OF <its
//! reference columns>` trigger, its condition read as each row is written,
//! and its function; MySQL: an `AFTER INSERT` and
//! an `AFTER UPDATE` trigger that compares the reference columns). Each logs
//! the written row's integer key in [`WRITTEN_TABLE`] (`tbl`, `k`). The
//! apply's own writes are not logged: its transactions set
//! `llm_lifecycle.untracked` (PostgreSQL, `SET LOCAL`) or
//! `@llm_lifecycle_untracked` (MySQL, the session), which the triggers read.
//! Then the run logs a marker (`tbl` ''): the log holds every row written
//! since it, as long as it is there.
//!
//! In the final transaction, a column whose table is watched, and whose
//! every old value the batches looked for, is read only at the keys logged
//! since the marker ([`crate::references::RefColumn::written`]; MySQL binds
//! the logged keys, read first, at most 5,000 of them): its
//! `UPDATE`, and the resources its notices count (a row not written since
//! was there, as it is, when the batched run's notices were counted). Any
//! other column is read whole, as without the log.
//!
//! After the final transaction (whatever its outcome) the apply deletes the
//! log, markers included, then drops the triggers, in that order: a marker
//! that is there always means triggers that are. A run that loses its marker
//! (another apply removed the triggers meanwhile) reads every table whole. A
//! process killed between batches leaves its triggers: every later apply
//! looks for them and removes them.
//!
//! SQLite has none of this (a writer waits for any transaction there): its
//! final transaction reads the tables whole.
//!
//! The triggers are DDL, which binds nothing: the table's name is written
//! into their bodies as a literal (names are the catalogue's validated
//! identifiers; quotes are doubled).

use std::collections::{HashMap, HashSet};

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};

use crate::db::{Backend, Bind, Conn, Query, dialect};
use crate::error::{Context, Error};
use crate::plan::Planned;
use crate::references::{OldValue, Written};
use crate::schema::WRITTEN_TABLE;

/// The name of every trigger and function this module puts.
const PREFIX: &str = "llm_lifecycle_written_";

/// A table to watch: its integer key and the reference columns whose
/// updates are logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Watched {
    pub(super) table: String,
    pub(super) key: String,
    pub(super) columns: Vec<String>,
}

/// The log a batched run reads in its final transaction.
#[derive(Debug, Clone)]
pub(super) struct Log {
    /// The id of the run's marker: every row written since is logged after it.
    pub(super) since: i64,
    /// The watched tables and their integer keys.
    pub(super) tables: HashMap<String, String>,
    /// Per reference (its index in the catalogue): the old values the
    /// batches looked for.
    pub(super) olds: HashMap<usize, HashSet<OldValue>>,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// A trigger (or PostgreSQL function) this module put.
#[derive(QueryableByName)]
struct Put {
    #[diesel(sql_type = Text)]
    name: String,
    /// Its table (a function: empty).
    #[diesel(sql_type = Text)]
    tbl: String,
    /// Its schema (PostgreSQL; elsewhere empty).
    #[diesel(sql_type = Text)]
    nsp: String,
}

/// Whether the engine logs written rows (PostgreSQL, MySQL).
pub(super) fn supported(backend: Backend) -> bool {
    backend != Backend::Sqlite
}

/// Puts the triggers on `tables` and logs the run's marker: its id. In a
/// locked session (MySQL: outside a transaction, trigger DDL commits).
pub(super) fn install(conn: &mut Conn<'_>, tables: &[Watched]) -> Result<i64, Error> {
    for watched in tables {
        for statement in trigger_ddl(conn.backend(), watched) {
            conn.execute_unprepared(&statement).context(|| {
                format!(
                    "putting the trigger that logs the rows written to {} while the batches run \
                     (grant the TRIGGER privilege on it, so the final transaction reads only \
                     those rows instead of the whole table)",
                    watched.table
                )
            })?;
        }
    }
    let mut marker = Query::new("INSERT INTO ");
    marker
        .push_ident(WRITTEN_TABLE)
        .push_sql(" (tbl, k) VALUES (")
        .push_bind(Bind::Text(String::new()))
        .push_sql(", 0)");
    conn.execute(&marker)
        .context(|| format!("logging the batched run's marker in {WRITTEN_TABLE}"))?;
    // Under the deploy lock no other marker is written meanwhile.
    let mut last = of_log(conn.backend(), "MAX(id)");
    last.push_sql("tbl = ").push_bind(Bind::Text(String::new()));
    numbers(conn, &last, "reading the batched run's marker")?
        .first()
        .copied()
        .ok_or_else(|| Error::Diverged(format!("the marker logged in {WRITTEN_TABLE} is gone")))
}

/// `SELECT CAST(<expr> AS <integer>) AS n FROM llm_lifecycle_written WHERE `.
fn of_log(backend: Backend, expr: &str) -> Query {
    let mut query = Query::new(format!(
        "SELECT CAST({expr} AS {}) AS n FROM ",
        dialect::of(backend).integer_type()
    ));
    query.push_ident(WRITTEN_TABLE).push_sql(" WHERE ");
    query
}

/// The numbers `query` ([`of_log`]) reads, doing `what`.
fn numbers(conn: &mut Conn<'_>, query: &Query, what: &str) -> Result<Vec<i64>, Error> {
    let rows: Vec<Number> = conn
        .load(query)
        .context(|| format!("{what} in {WRITTEN_TABLE}"))?;
    Ok(rows.into_iter().map(|row| row.n).collect())
}

/// Keeps this transaction's writes (PostgreSQL) or this session's (MySQL)
/// out of the log.
pub(super) fn untracked(conn: &mut Conn<'_>) -> Result<(), Error> {
    let Some(set) = untracked_statement(conn.backend()) else {
        return Ok(());
    };
    conn.execute(&Query::new(set))
        .context(|| "keeping the apply's own writes out of the log of written rows".into())?;
    Ok(())
}

/// The statement [`untracked`] runs; `None` on SQLite, which logs nothing.
/// (A batch runs it with its other settings, in one round trip.)
pub(super) fn untracked_statement(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Postgres => Some("SET LOCAL llm_lifecycle.untracked = 'on'"),
        Backend::Mysql => Some("SET @llm_lifecycle_untracked = 1"),
        Backend::Sqlite => None,
    }
}

/// Whether the log is whole from `since` on: the run's marker is still there.
pub(super) fn whole(conn: &mut Conn<'_>, since: i64) -> Result<bool, Error> {
    let mut query = of_log(conn.backend(), "COUNT(*)");
    query
        .push_sql("id = ")
        .push_bind(Bind::BigInt(since))
        .push_sql(" AND tbl = ")
        .push_bind(Bind::Text(String::new()));
    let found = numbers(conn, &query, "looking for the batched run's marker")?;
    Ok(found.first() == Some(&1))
}

/// Most logged keys of one table the final transaction binds (MySQL); with
/// more, it reads the table whole (far fewer than one batch moves).
const MOST_KEYS: i64 = 5_000;

/// Limits the final transaction's columns to the logged rows where `log`
/// covers them: the table is watched and the batches looked for every old
/// value the column maps. The others are read whole. On MySQL the logged
/// keys are read here, once per table (at most [`MOST_KEYS`]).
pub(super) fn restrict(conn: &mut Conn<'_>, planned: &mut Planned, log: &Log) -> Result<(), Error> {
    let covered: Vec<(usize, String)> = planned
        .columns
        .iter()
        .enumerate()
        .filter_map(|(index, column)| {
            let column = column.as_ref()?;
            let olds = log.olds.get(&index)?;
            let key = log.tables.get(&column.table)?;
            planned
                .mapping(column)
                .all(|entry| olds.contains(&entry.old))
                .then(|| (index, key.clone()))
        })
        .collect();
    let mut keys: HashMap<String, Option<Vec<i64>>> = HashMap::new();
    for (index, key) in covered {
        let Some(Some(column)) = planned.columns.get_mut(index) else {
            continue;
        };
        let written = match conn.backend() {
            Backend::Mysql => {
                let logged = match keys.get(&column.table) {
                    Some(logged) => logged.clone(),
                    None => {
                        let logged = logged_keys(conn, &column.table, log.since)?;
                        keys.insert(column.table.clone(), logged.clone());
                        logged
                    }
                };
                match logged {
                    Some(logged) => Written::Keys(logged),
                    None => continue,
                }
            }
            _ => Written::Since(log.since),
        };
        tracing::debug!(
            table = %column.table,
            column = %column.column,
            "the final transaction reads only the rows written since the batches began"
        );
        column.walk_key = Some(key);
        column.written = Some(written);
    }
    Ok(())
}

/// The distinct keys of `table` logged after `since`; `None` when there
/// are more than [`MOST_KEYS`].
fn logged_keys(conn: &mut Conn<'_>, table: &str, since: i64) -> Result<Option<Vec<i64>>, Error> {
    let mut query = of_log(conn.backend(), "k");
    query
        .push_sql("tbl = ")
        .push_bind(Bind::Text(table.to_owned()))
        .push_sql(" AND id > ")
        .push_bind(Bind::BigInt(since))
        .push_sql(" GROUP BY k LIMIT ")
        .push_bind(Bind::BigInt(MOST_KEYS + 1));
    let keys = numbers(
        conn,
        &query,
        &format!("reading the rows of {table} written"),
    )?;
    let too_many = usize::try_from(MOST_KEYS).map_or(true, |most| keys.len() > most);
    Ok((!too_many).then_some(keys))
}

/// Whether triggers this module put are there (a run in progress, or one
/// killed between batches).
pub(super) fn present(conn: &mut Conn<'_>) -> Result<bool, Error> {
    Ok(!put(conn)?.is_empty())
}

/// Deletes the log, markers included, then drops every trigger (and
/// function) this module put; whether there were any.
pub(super) fn remove(conn: &mut Conn<'_>) -> Result<bool, Error> {
    let put = put(conn)?;
    if put.is_empty() {
        return Ok(false);
    }
    let context = || {
        format!(
            "removing the triggers that log the rows written while a batched apply runs \
             (the next apply tries again; to do it by hand, drop the triggers named \
             {PREFIX}* and delete the rows of {WRITTEN_TABLE})"
        )
    };
    let mut delete = Query::new("DELETE FROM ");
    delete.push_ident(WRITTEN_TABLE);
    conn.execute(&delete).context(context)?;
    let backend = conn.backend();
    // Triggers before the functions they call.
    for item in put.iter().filter(|item| !item.tbl.is_empty()) {
        let mut drop = Query::new("DROP TRIGGER IF EXISTS ");
        match backend {
            Backend::Postgres => drop
                .push_ident(&item.name)
                .push_sql(" ON ")
                .push_ident(&item.nsp)
                .push_sql(".")
                .push_ident(&item.tbl),
            _ => drop.push_ident(&item.name),
        };
        conn.execute_unprepared(&drop).context(context)?;
    }
    for item in put.iter().filter(|item| item.tbl.is_empty()) {
        let mut drop = Query::new("DROP FUNCTION IF EXISTS ");
        drop.push_ident(&item.nsp)
            .push_sql(".")
            .push_ident(&item.name)
            .push_sql("()");
        conn.execute_unprepared(&drop).context(context)?;
    }
    if backend == Backend::Mysql {
        conn.execute(&Query::new("SET @llm_lifecycle_untracked = NULL"))
            .context(context)?;
    }
    Ok(true)
}

/// The triggers and functions this module put, found by their names.
fn put(conn: &mut Conn<'_>) -> Result<Vec<Put>, Error> {
    // `_` is a LIKE wildcard: escaped (`\` is the default escape on both engines).
    let pattern = Bind::Text(format!("{}%", PREFIX.replace('_', "\\_")));
    let query = match conn.backend() {
        Backend::Sqlite => return Ok(Vec::new()),
        Backend::Postgres => Query::new(
            "SELECT CAST(t.tgname AS TEXT) AS name, CAST(c.relname AS TEXT) AS tbl, \
             CAST(n.nspname AS TEXT) AS nsp FROM pg_trigger t \
             JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE NOT t.tgisinternal AND t.tgname LIKE ",
        )
        .bind(pattern.clone())
        .sql(
            " UNION ALL SELECT CAST(p.proname AS TEXT), '', CAST(n.nspname AS TEXT) \
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
             WHERE p.proname LIKE ",
        )
        .bind(pattern),
        Backend::Mysql => Query::new(
            "SELECT CAST(TRIGGER_NAME AS CHAR) AS name, CAST(EVENT_OBJECT_TABLE AS CHAR) AS tbl, \
             '' AS nsp FROM information_schema.TRIGGERS \
             WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE ",
        )
        .bind(pattern),
    };
    conn.load(&query).context(|| {
        "looking for the triggers that log the rows written while a batched apply runs".into()
    })
}

/// The statements that put `watched`'s trigger(s), replacing any of the
/// same name (a killed run's, which may watch other columns).
fn trigger_ddl(backend: Backend, watched: &Watched) -> Vec<Query> {
    let name = name_of(&watched.table);
    let literal = format!("'{}'", watched.table.replace('\'', "''"));
    let log = |query: Query| {
        query
            .sql("INSERT INTO ")
            .ident(WRITTEN_TABLE)
            .sql(&format!(" (tbl, k) VALUES ({literal}, NEW."))
            .ident(&watched.key)
            .sql(");")
    };
    match backend {
        Backend::Sqlite => Vec::new(),
        Backend::Postgres => {
            let function = log(Query::default()
                .sql("CREATE OR REPLACE FUNCTION ")
                .ident(&name)
                .sql(
                    "() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER \
                     SET search_path FROM CURRENT AS $llm_lifecycle$ BEGIN ",
                ))
            .sql(" RETURN NULL; END $llm_lifecycle$");
            let drop = Query::default()
                .sql("DROP TRIGGER IF EXISTS ")
                .ident(&name)
                .sql(" ON ")
                .ident(&watched.table);
            let mut create = Query::default()
                .sql("CREATE TRIGGER ")
                .ident(&name)
                .sql(" AFTER INSERT OR UPDATE OF ");
            for (index, column) in watched.columns.iter().enumerate() {
                if index > 0 {
                    create.push_sql(", ");
                }
                create.push_ident(column);
            }
            // The condition is read as each row is written: the apply's own
            // rows queue no trigger event at all.
            create = create
                .sql(" ON ")
                .ident(&watched.table)
                .sql(
                    " FOR EACH ROW WHEN (current_setting('llm_lifecycle.untracked', true) \
                     IS DISTINCT FROM 'on') EXECUTE PROCEDURE ",
                )
                .ident(&name)
                .sql("()");
            vec![function, drop, create]
        }
        Backend::Mysql => {
            let mut changed = Query::default();
            for (index, column) in watched.columns.iter().enumerate() {
                if index > 0 {
                    changed.push_sql(" AND ");
                }
                changed = changed
                    .sql("NEW.")
                    .ident(column)
                    .sql(" <=> OLD.")
                    .ident(column);
            }
            let trigger = |suffix: &str, event: &str, condition: Query| {
                let name = format!("{name}{suffix}");
                let drop = Query::default().sql("DROP TRIGGER IF EXISTS ").ident(&name);
                let mut create = Query::default()
                    .sql("CREATE TRIGGER ")
                    .ident(&name)
                    .sql(&format!(" AFTER {event} ON "))
                    .ident(&watched.table)
                    .sql(" FOR EACH ROW BEGIN IF @llm_lifecycle_untracked IS NULL");
                create.append(condition);
                create = log(create.sql(" THEN ")).sql(" END IF; END");
                [drop, create]
            };
            let mut statements = Vec::new();
            statements.extend(trigger("_i", "INSERT", Query::default()));
            let mut updated = Query::new(" AND NOT (");
            updated.append(changed).push_sql(")");
            statements.extend(trigger("_u", "UPDATE", updated));
            statements
        }
    }
}

/// The trigger's (and function's) name for `table`: [`PREFIX`] and a hash
/// of the name (FNV-1a), short enough for MySQL's 64 characters.
fn name_of(table: &str) -> String {
    let hash = table.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    format!("{PREFIX}{hash:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statements putting [`watched`]'s triggers on `backend`, rendered.
    fn rendered(backend: Backend) -> Vec<String> {
        trigger_ddl(backend, &watched())
            .iter()
            .map(|query| query.render(backend))
            .collect()
    }

    fn watched() -> Watched {
        Watched {
            table: "pipeline_nodes".into(),
            key: "id".into(),
            columns: vec!["params".into(), "llm".into()],
        }
    }

    #[test]
    fn a_postgres_trigger_logs_inserts_and_updates_of_the_reference_columns() {
        let sql = rendered(Backend::Postgres);
        let name = name_of("pipeline_nodes");
        assert_eq!(
            sql[0],
            format!(
                "CREATE OR REPLACE FUNCTION \"{name}\"() RETURNS trigger LANGUAGE plpgsql \
                 SECURITY DEFINER SET search_path FROM CURRENT AS $llm_lifecycle$ BEGIN \
                 INSERT INTO \"llm_lifecycle_written\" (tbl, k) VALUES \
                 ('pipeline_nodes', NEW.\"id\"); RETURN NULL; END $llm_lifecycle$"
            )
        );
        assert_eq!(
            sql[1],
            format!("DROP TRIGGER IF EXISTS \"{name}\" ON \"pipeline_nodes\"")
        );
        assert_eq!(
            sql[2],
            format!(
                "CREATE TRIGGER \"{name}\" AFTER INSERT OR UPDATE OF \"params\", \"llm\" ON \
                 \"pipeline_nodes\" FOR EACH ROW WHEN (current_setting('llm_lifecycle.untracked', \
                 true) IS DISTINCT FROM 'on') EXECUTE PROCEDURE \"{name}\"()"
            )
        );
    }

    #[test]
    fn mysql_logs_an_update_only_when_a_reference_column_changed() {
        let sql = rendered(Backend::Mysql);
        let name = name_of("pipeline_nodes");
        assert_eq!(sql.len(), 4);
        assert_eq!(sql[0], format!("DROP TRIGGER IF EXISTS `{name}_i`"));
        assert_eq!(
            sql[1],
            format!(
                "CREATE TRIGGER `{name}_i` AFTER INSERT ON `pipeline_nodes` FOR EACH ROW \
                 BEGIN IF @llm_lifecycle_untracked IS NULL THEN INSERT INTO \
                 `llm_lifecycle_written` (tbl, k) VALUES ('pipeline_nodes', NEW.`id`); \
                 END IF; END"
            )
        );
        assert_eq!(
            sql[3],
            format!(
                "CREATE TRIGGER `{name}_u` AFTER UPDATE ON `pipeline_nodes` FOR EACH ROW \
                 BEGIN IF @llm_lifecycle_untracked IS NULL AND NOT (NEW.`params` <=> \
                 OLD.`params` AND NEW.`llm` <=> OLD.`llm`) THEN INSERT INTO \
                 `llm_lifecycle_written` (tbl, k) VALUES ('pipeline_nodes', NEW.`id`); \
                 END IF; END"
            )
        );
        assert!(trigger_ddl(Backend::Sqlite, &watched()).is_empty());
    }

    #[test]
    fn a_quote_in_a_table_name_is_doubled_in_the_literal() {
        let odd = Watched {
            table: "it's".into(),
            ..watched()
        };
        let sql = trigger_ddl(Backend::Postgres, &odd)[0].render(Backend::Postgres);
        assert!(sql.contains("VALUES ('it''s', NEW.\"id\")"), "{sql}");
    }

    #[test]
    fn names_fit_mysql_and_differ_per_table() {
        let long = "t".repeat(64);
        assert!(name_of(&long).len() + 2 <= 64);
        assert_ne!(name_of("assistants"), name_of("pipeline_nodes"));
        assert_eq!(name_of("assistants"), name_of("assistants"));
    }
}
