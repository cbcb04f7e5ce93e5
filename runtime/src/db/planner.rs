//! Settings of the engine's planner around the runtime's own small
//! statements.
//!
//! PostgreSQL compiles a statement to machine code (`jit`) when its
//! estimated cost passes `jit_above_cost`. Inside the apply, the read-back
//! of the notices just written (a count per model, the first teams of
//! each) is planned with the statistics of the table before the write, so
//! every per-model `LIMIT` is costed as a scan of the whole once-per-team
//! index: measured on the apply benchmark (134,100 notices, 20 models),
//! 87 ms of JIT compilation for a statement that reads 400 rows in 1 ms.
//! [`without_jit`] turns `jit` off for such statements, for the rest of the
//! transaction only (`set_config(…, true)`, nothing stays on the session:
//! it works through a transaction pooler), and puts the previous value
//! back after them. Other engines have no such setting.

use diesel::QueryableByName;
use diesel::sql_types::Text;

use super::{Backend, Bind, Conn, Query};
use crate::error::{Context, Error};

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    value: String,
}

/// Runs `statements` with PostgreSQL's `jit` off (module docs), the
/// previous value put back after them when they succeed (when they fail,
/// the transaction they are in rolls back, and the setting with it).
/// Elsewhere it only runs them.
///
/// # Errors
/// [`Error::Database`] when the setting cannot be read or written, or what
/// `statements` returns.
pub(crate) fn without_jit<T>(
    conn: &mut Conn<'_>,
    statements: impl FnOnce(&mut Conn<'_>) -> Result<T, Error>,
) -> Result<T, Error> {
    if conn.backend() != Backend::Postgres {
        return statements(conn);
    }
    let rows: Vec<Setting> = conn
        .load(&Query::new("SELECT current_setting('jit') AS value"))
        .context(context)?;
    let Some(previous) = rows.into_iter().next() else {
        return statements(conn);
    };
    set_jit(conn, "off")?;
    let value = statements(conn)?;
    set_jit(conn, &previous.value)?;
    Ok(value)
}

/// Sets `jit` to `value` for the rest of the transaction.
fn set_jit(conn: &mut Conn<'_>, value: &str) -> Result<(), Error> {
    let query = Query::new("SELECT set_config('jit', ")
        .bind(Bind::Text(value.to_owned()))
        .sql(", true)");
    conn.execute(&query).context(context)?;
    Ok(())
}

/// What [`without_jit`]'s statements were doing, for their errors.
fn context() -> String {
    "reading or setting PostgreSQL's jit (current_setting, set_config) around the notices' \
     read-back: jit is a user setting, so check the server accepts SET jit from this role"
        .to_owned()
}
