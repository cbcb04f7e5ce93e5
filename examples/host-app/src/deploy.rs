//! The deploy step, in-process: the application's own migrations, then
//! llm-lifecycle's apply of the catalogue, on a connection the application
//! holds (no URL, no second connection). `apply-models` (src/bin) does the
//! apply part as a command line.

use llm_lifecycle::catalog::Catalog;
use llm_lifecycle::runtime::{self, ApplyOptions, ApplyReport, Database, Plan};

use crate::connection::AppConnection;

/// Why a deploy stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum DeployError {
    /// One of the application's own migrations failed.
    Migrations(Box<dyn std::error::Error + Send + Sync>),
    /// llm-lifecycle refused or failed the apply; nothing of it was kept.
    Lifecycle(runtime::Error),
}

impl std::fmt::Display for DeployError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Migrations(e) => write!(f, "the application's migrations failed: {e}"),
            Self::Lifecycle(e) => write!(f, "applying models.toml failed: {e}"),
        }
    }
}

impl std::error::Error for DeployError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Migrations(e) => Some(&**e),
            Self::Lifecycle(e) => Some(e),
        }
    }
}

impl From<runtime::Error> for DeployError {
    fn from(e: runtime::Error) -> Self {
        Self::Lifecycle(e)
    }
}

/// The application's migrations, then [`CATALOG`](crate::CATALOG) applied.
///
/// # Errors
/// [`DeployError`], saying which half failed.
pub fn deploy(conn: &mut AppConnection) -> Result<ApplyReport, DeployError> {
    deploy_catalog(conn, &crate::CATALOG)
}

/// The application's migrations, then `catalog` applied (an older release's
/// catalogue, in the upgrade tests).
///
/// # Errors
/// [`DeployError`], saying which half failed.
pub fn deploy_catalog(
    conn: &mut AppConnection,
    catalog: &Catalog,
) -> Result<ApplyReport, DeployError> {
    crate::migrations::run_pending(conn).map_err(DeployError::Migrations)?;
    Ok(runtime::apply(
        &mut borrow(conn)?,
        catalog,
        &ApplyOptions::default(),
    )?)
}

/// What an apply of `catalog` would do (writes nothing).
///
/// # Errors
/// llm-lifecycle's, when the database cannot be read.
pub fn plan(conn: &mut AppConnection, catalog: &Catalog) -> Result<Plan, runtime::Error> {
    runtime::plan(&mut borrow(conn)?, catalog)
}

/// The runtime's view of the application's connection, borrowed for as long
/// as the returned [`Database`] lives.
fn borrow(conn: &mut AppConnection) -> Result<Database<'_>, runtime::Error> {
    match conn {
        AppConnection::Postgres(conn) => Ok(Database::borrow_postgres(conn)),
        AppConnection::Mysql(conn) => Database::borrow_mysql(conn),
        AppConnection::Sqlite(conn) => Database::borrow_sqlite(conn),
    }
}
