//! PgBouncer in front of the PostgreSQL test server, so the runtime's
//! PostgreSQL tests can run through a connection pooler.
//!
//! - `LLM_LIFECYCLE_TEST_PGBOUNCER=transaction` (or `session`):
//!   [`TestDb::postgres`] still creates each database on the server directly,
//!   but its [`TestDb::url`] goes through a PgBouncer in that pool mode: the
//!   one at `LLM_LIFECYCLE_TEST_PGBOUNCER_URL` when set (its database part is
//!   replaced by the test's), else one this test process starts once from the
//!   installed `pgbouncer` (see [`PgBouncer::start`]).
//! - [`PgBouncer::start`]: a PgBouncer of its own for a test (stopped when
//!   dropped).
//!
//! A started PgBouncer listens on a free port of 127.0.0.1, trusts every user
//! (`auth_type = trust`; the test server trusts them too) and forwards every
//! database (`* = host=… port=…`) to the test server, with few server
//! connections per database so they are handed from client to client. Its
//! ini, auth file and log live in `$TMPDIR/llm-lifecycle-pgbouncer-<pid>-<n>`;
//! a watcher shell stops it and removes the directory once the test process
//! has exited. As root it runs as `postgres` (PgBouncer refuses root). Without
//! the binary the test panics under `CI=true` and is otherwise skipped with a
//! loud message.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::cluster::{free_port, is_root, run};
use crate::{TestDb, with_database};

/// PgBouncer's `pool_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolMode {
    /// A server connection per transaction: nothing of a session survives
    /// its transaction (prepared statements, `SET`, session locks).
    Transaction,
    /// A server connection per client connection (reset with `DISCARD ALL`
    /// when the client leaves).
    Session,
}

impl PoolMode {
    /// The ini value: `transaction` or `session`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transaction => "transaction",
            Self::Session => "session",
        }
    }

    /// `transaction` or `session`.
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "transaction" => Some(Self::Transaction),
            "session" => Some(Self::Session),
            _ => None,
        }
    }
}

/// The pool mode `LLM_LIFECYCLE_TEST_PGBOUNCER` asks for, if any.
///
/// # Panics
/// When it is set to anything but `transaction` or `session`.
#[must_use]
#[allow(clippy::panic)]
pub fn requested() -> Option<PoolMode> {
    let value = std::env::var("LLM_LIFECYCLE_TEST_PGBOUNCER").ok()?;
    if value.is_empty() {
        return None;
    }
    match PoolMode::parse(&value) {
        Some(mode) => Some(mode),
        None => panic!("LLM_LIFECYCLE_TEST_PGBOUNCER={value}: expected `transaction` or `session`"),
    }
}

/// A running PgBouncer: started by [`PgBouncer::start`] (stopped when
/// dropped) or the one at `LLM_LIFECYCLE_TEST_PGBOUNCER_URL`.
#[derive(Debug)]
pub struct PgBouncer {
    /// `postgres://postgres@127.0.0.1:PORT/postgres` (any database name).
    url: String,
    mode: PoolMode,
    child: Option<Child>,
    dir: Option<PathBuf>,
}

static STARTED: AtomicU32 = AtomicU32::new(0);

impl PgBouncer {
    /// Starts a PgBouncer in `mode` in front of the PostgreSQL test server,
    /// with `pool_size` server connections per database (`default_pool_size`);
    /// `None` after a loud message when it cannot run outside CI.
    ///
    /// # Panics
    /// Under `CI=true` when no PostgreSQL server is available or PgBouncer
    /// is not installed or does not start.
    #[must_use]
    #[allow(clippy::panic)]
    pub fn start(mode: PoolMode, pool_size: u32) -> Option<Self> {
        let Some(admin) = crate::admin_url() else {
            return crate::unavailable("PostgreSQL", "no server for PgBouncer to forward to");
        };
        match start(&admin, mode, pool_size) {
            Ok(bouncer) => Some(bouncer),
            Err(why) => crate::unavailable("PgBouncer", &why),
        }
    }

    /// The pool mode.
    #[must_use]
    pub fn mode(&self) -> PoolMode {
        self.mode
    }

    /// The URL of the database `name` through this PgBouncer.
    #[must_use]
    pub fn url_of(&self, name: &str) -> String {
        with_database(&self.url, name)
    }

    /// The URL of `db` (a PostgreSQL test database) through this PgBouncer.
    ///
    /// # Panics
    /// When `db` is not on a server.
    #[must_use]
    #[allow(clippy::expect_used)]
    pub fn url_for(&self, db: &TestDb) -> String {
        self.url_of(
            db.database_name()
                .expect("a database on the PostgreSQL server"),
        )
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The PgBouncer [`TestDb::postgres`] hands out URLs through when
/// `LLM_LIFECYCLE_TEST_PGBOUNCER` asks for one: the one at
/// `LLM_LIFECYCLE_TEST_PGBOUNCER_URL`, else one started once per process
/// (left to the watcher, which stops it after the process). `Err`: why there
/// is none.
pub(crate) fn shared(mode: PoolMode) -> Result<&'static PgBouncer, String> {
    static SHARED: OnceLock<Result<PgBouncer, String>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            if let Ok(url) = std::env::var("LLM_LIFECYCLE_TEST_PGBOUNCER_URL")
                && !url.is_empty()
            {
                return Ok(PgBouncer {
                    url,
                    mode,
                    child: None,
                    dir: None,
                });
            }
            let admin = crate::admin_url().ok_or("no PostgreSQL server to forward to")?;
            // Enough server connections per database for the scenarios that
            // hold a lock on one while another waits and a third looks on.
            // A static is never dropped: the watcher stops it after the process.
            let bouncer = start(&admin, mode, 4)?;
            eprintln!(
                "PostgreSQL tests run through PgBouncer ({} pooling) at {}",
                mode.as_str(),
                bouncer.url
            );
            Ok(bouncer)
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The installed `pgbouncer`: on `PATH`, else `/usr/sbin/pgbouncer`.
fn binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("pgbouncer"))
            .find(|bin| bin.is_file())
    });
    on_path.or_else(|| {
        let sbin = PathBuf::from("/usr/sbin/pgbouncer");
        sbin.is_file().then_some(sbin)
    })
}

/// Host and port of a `postgres://user@host:port/db` URL (port 5432 when
/// not given).
fn host_port(url: &str) -> Result<(String, u16), String> {
    let rest = url
        .split_once("://")
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("not a URL: {url}"))?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    match host_port.rsplit_once(':') {
        Some((host, port)) => Ok((
            host.to_owned(),
            port.parse().map_err(|e| format!("port of {url}: {e}"))?,
        )),
        None => Ok((host_port.to_owned(), 5432)),
    }
}

fn start(admin: &str, mode: PoolMode, pool_size: u32) -> Result<PgBouncer, String> {
    let bin = binary().ok_or(
        "pgbouncer not found on PATH nor at /usr/sbin/pgbouncer (apt-get install pgbouncer)",
    )?;
    let (server_host, server_port) = host_port(admin)?;
    let dir = std::env::temp_dir().join(format!(
        "llm-lifecycle-pgbouncer-{}-{}",
        std::process::id(),
        STARTED.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let port = free_port()?;
    let auth = dir.join("users.txt");
    let log = dir.join("pgbouncer.log");
    std::fs::write(&auth, "\"postgres\" \"\"\n\"root\" \"\"\n")
        .map_err(|e| format!("writing {}: {e}", auth.display()))?;
    let ini = dir.join("pgbouncer.ini");
    std::fs::write(
        &ini,
        format!(
            "[databases]\n\
             * = host={server_host} port={server_port}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = trust\n\
             auth_file = {auth}\n\
             pool_mode = {mode}\n\
             default_pool_size = {pool_size}\n\
             min_pool_size = 0\n\
             reserve_pool_size = 0\n\
             max_client_conn = 1000\n\
             server_reset_query = DISCARD ALL\n\
             ignore_startup_parameters = extra_float_digits,options\n\
             logfile = {log}\n",
            auth = auth.display(),
            mode = mode.as_str(),
            log = log.display(),
        ),
    )
    .map_err(|e| format!("writing {}: {e}", ini.display()))?;
    let mut command = Command::new(&bin);
    if is_root() {
        run(Command::new("chown").arg("-R").arg("postgres").arg(&dir))?;
        command.arg("-u").arg("postgres");
    }
    let child = command
        .arg(&ini)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", bin.display()))?;
    let watcher = format!(
        "while kill -0 {pid} 2>/dev/null && kill -0 {child} 2>/dev/null; do sleep 1; done; \
         kill {child} 2>/dev/null; rm -rf {dir}",
        pid = std::process::id(),
        child = child.id(),
        dir = dir.display(),
    );
    Command::new("sh")
        .arg("-c")
        .arg(watcher)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting the PgBouncer watcher: {e}"))?;
    let mut bouncer = PgBouncer {
        url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        mode,
        child: Some(child),
        dir: Some(dir),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(bouncer);
        }
        let exited = bouncer
            .child
            .as_mut()
            .and_then(|child| child.try_wait().ok().flatten());
        if exited.is_some() || Instant::now() > deadline {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            // Dropping it stops it and removes its directory.
            drop(bouncer);
            return Err(format!(
                "{} did not start listening on 127.0.0.1:{port} ({}): {}",
                bin.display(),
                exited.map_or_else(|| "timed out".to_owned(), |status| status.to_string()),
                log.trim()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_s_host_and_port() {
        assert_eq!(
            host_port("postgres://postgres@127.0.0.1:5433/postgres"),
            Ok(("127.0.0.1".to_owned(), 5433))
        );
        assert_eq!(
            host_port("postgres://u:p@db.example/x?sslmode=disable"),
            Ok(("db.example".to_owned(), 5432))
        );
    }

    #[test]
    fn pool_modes() {
        assert_eq!(PoolMode::parse("transaction"), Some(PoolMode::Transaction));
        assert_eq!(PoolMode::parse("session"), Some(PoolMode::Session));
        assert_eq!(PoolMode::parse("statement"), None);
    }
}
