//! MariaDB/MySQL databases for tests: the server at `LLM_LIFECYCLE_TEST_MYSQL`
//! (default [`DEFAULT_MYSQL_ADMIN_URL`]), else a throwaway `mariadbd` started
//! from the installed binaries once per test process.
//!
//! The throwaway server lives in `$TMPDIR/llm-lifecycle-mariadb-<pid>` (data
//! directory from `mariadb-install-db`, root without a password, TCP on a free
//! port of 127.0.0.1). A watcher shell, the server's parent, stops it with
//! SIGTERM once the test process has exited and removes the directory. Only
//! MariaDB's tools are supported for it (MySQL 8 initialises differently); a
//! MySQL 8 server is used when it runs at `LLM_LIFECYCLE_TEST_MYSQL`.
//!
//! Connections are pure Rust: diesel-async's `mysql_async` connection behind its
//! synchronous [`AsyncConnectionWrapper`], so no MySQL client library is needed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel_async::AsyncMysqlConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;

use crate::cluster::{free_port, is_root, run};
use crate::{Backend, TestDb, unavailable, unique_name};

/// The server tests use unless `LLM_LIFECYCLE_TEST_MYSQL` names another.
pub const DEFAULT_MYSQL_ADMIN_URL: &str = "mysql://root@127.0.0.1:3306/mysql";

/// A synchronous diesel connection to MariaDB/MySQL without a C client:
/// `diesel::Connection`, `SimpleConnection` and `RunQueryDsl` work on it as on
/// `PgConnection`. Not usable inside a tokio runtime (it blocks on its own).
pub type MysqlConnection = AsyncConnectionWrapper<AsyncMysqlConnection>;

impl TestDb {
    /// A fresh MariaDB/MySQL database (`CREATE DATABASE`, utf8mb4, the
    /// server's default collation), or `None` (after a loud message) when no
    /// server can be reached or started outside CI. Its URL logs in as the
    /// admin URL's user.
    ///
    /// # Panics
    /// Under `CI=true` when no server is available; when `CREATE DATABASE` fails.
    #[must_use]
    #[allow(clippy::expect_used)]
    pub fn mysql() -> Option<Self> {
        let Some(admin) = admin_url() else {
            return unavailable(
                "MySQL",
                "no server at LLM_LIFECYCLE_TEST_MYSQL / 127.0.0.1:3306 \
                 and no throwaway mariadbd could be started",
            );
        };
        Some(Self::on_server(Backend::Mysql, admin, |admin, name| {
            let mut conn =
                MysqlConnection::establish(admin).expect("connect to the MySQL test server");
            conn.batch_execute(&format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
                .expect("CREATE DATABASE for the test");
        }))
    }

    /// MySQL: a user of its own with a password, allowed everything on this
    /// database, or only `SELECT` when `read_only`; dropped with the database.
    /// The URL of this database that logs in as that user.
    ///
    /// # Panics
    /// On another engine; when the user cannot be created.
    #[must_use]
    #[allow(clippy::panic)]
    pub fn mysql_user(&self, password: &str, read_only: bool) -> String {
        let (Backend::Mysql, Some((_, name))) = (self.backend, &self.server) else {
            panic!("mysql_user on a {:?} database", self.backend);
        };
        let user = unique_name("llm_u");
        let privileges = if read_only {
            "SELECT"
        } else {
            "ALL PRIVILEGES"
        };
        let quoted = password.replace('\\', "\\\\").replace('\'', "''");
        self.users
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(user.clone());
        self.execute(&format!(
            "CREATE USER '{user}'@'%' IDENTIFIED BY '{quoted}';
             GRANT {privileges} ON `{name}`.* TO '{user}'@'%'"
        ));
        with_user(&self.url, &user, password)
    }
}

/// Runs `sql` (one or more statements separated by `;`) on a connection of its own.
pub(crate) fn execute(url: &str, sql: &str) -> Result<(), String> {
    let mut conn = MysqlConnection::establish(url).map_err(|e| e.to_string())?;
    conn.batch_execute(sql).map_err(|e| e.to_string())
}

/// Ends the sessions still using database `name` (as PostgreSQL's `DROP
/// DATABASE … WITH (FORCE)` does), drops it and the test's `users`.
pub(crate) fn drop_database(admin: &str, name: &str, users: &[String]) -> Result<(), String> {
    use diesel::RunQueryDsl;
    let mut conn = MysqlConnection::establish(admin).map_err(|e| e.to_string())?;
    let sessions: Vec<crate::Value> = diesel::sql_query(format!(
        "SELECT CAST(ID AS CHAR) AS v FROM information_schema.PROCESSLIST \
         WHERE DB = '{name}' AND ID <> CONNECTION_ID()"
    ))
    .load(&mut conn)
    .map_err(|e| e.to_string())?;
    for id in sessions.into_iter().filter_map(|session| session.v) {
        // Gone already when it ended by itself meanwhile.
        let _ = conn.batch_execute(&format!("KILL CONNECTION {id}"));
    }
    let mut sql = format!("DROP DATABASE IF EXISTS `{name}`");
    for user in users {
        sql.push_str(&format!("; DROP USER IF EXISTS '{user}'@'%'"));
    }
    conn.batch_execute(&sql).map_err(|e| e.to_string())
}

/// `url` logging in as `user` with `password` (percent-encoded).
fn with_user(url: &str, user: &str, password: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[authority_start..];
    let host_start = rest
        .find('/')
        .map_or(rest, |slash| &rest[..slash])
        .rfind('@')
        .map_or(0, |at| at + 1);
    let password: String = password
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!(
        "{}{user}:{password}@{}",
        &url[..authority_start],
        &rest[host_start..]
    )
}

/// The admin URL of a reachable server, found or started once per process.
fn admin_url() -> Option<String> {
    static ADMIN: OnceLock<Option<String>> = OnceLock::new();
    ADMIN
        .get_or_init(|| {
            let configured = std::env::var("LLM_LIFECYCLE_TEST_MYSQL")
                .unwrap_or_else(|_| DEFAULT_MYSQL_ADMIN_URL.to_owned());
            match MysqlConnection::establish(&configured) {
                Ok(_) => return Some(configured),
                Err(e) => eprintln!(
                    "no MySQL server at {configured} ({e}); starting a throwaway mariadbd"
                ),
            }
            match start() {
                Ok(url) => Some(url),
                Err(e) => {
                    eprintln!("could not start a throwaway mariadbd: {e}");
                    None
                }
            }
        })
        .clone()
}

/// Starts a throwaway server on a free port; its admin URL.
fn start() -> Result<String, String> {
    start_server("mariadb", |_| Ok((Vec::new(), String::new()))).map(|(url, _)| url)
}

/// Starts a throwaway `mariadbd` in `$TMPDIR/llm-lifecycle-LABEL-<pid>`, on a
/// free port of 127.0.0.1, stopped and removed once the test process has
/// exited. `configure` gets that directory (to write files the server reads)
/// and answers the server's extra arguments, and the query (without `?`) a
/// client needs to be let in (TLS options for a TLS-only server). Its admin
/// URL (`mysql://root@127.0.0.1:PORT/mysql`, without that query) and the
/// directory.
pub(crate) fn start_server(
    label: &str,
    configure: impl FnOnce(&Path) -> Result<(Vec<String>, String), String>,
) -> Result<(String, PathBuf), String> {
    let install = find_program(
        &["mariadb-install-db", "mysql_install_db"],
        &["/usr/bin", "/usr/local/bin", "/usr/local/mysql/scripts"],
    )
    .ok_or("mariadb-install-db not found on PATH")?;
    let server = find_program(
        &["mariadbd", "mysqld"],
        &[
            "/usr/sbin",
            "/usr/local/sbin",
            "/usr/libexec",
            "/usr/local/mysql/bin",
        ],
    )
    .ok_or("mariadbd not found on PATH nor in /usr/sbin")?;
    let dir = std::env::temp_dir().join(format!("llm-lifecycle-{label}-{}", std::process::id()));
    // A directory left by an earlier process with the same id.
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.join("data");
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    // mariadbd refuses to run as root unless told to.
    let as_user: &[&str] = if is_root() { &["--user=root"] } else { &[] };
    run(Command::new(&install)
        .arg("--no-defaults")
        .arg("--auth-root-authentication-method=normal")
        .arg("--skip-test-db")
        .arg(format!("--datadir={}", data.display()))
        .args(as_user))?;
    let (extra, query) = configure(&dir)?;
    let port = free_port()?;
    let log = dir.join("error.log");
    let mut command = vec![
        server.display().to_string(),
        "--no-defaults".to_owned(),
        format!("--datadir={}", data.display()),
        format!("--socket={}", dir.join("mariadbd.sock").display()),
        format!("--pid-file={}", dir.join("mariadbd.pid").display()),
        format!("--log-error={}", log.display()),
        format!("--port={port}"),
        "--bind-address=127.0.0.1".to_owned(),
        // Throwaway data: no need to flush the redo log at every commit.
        "--innodb-flush-log-at-trx-commit=2".to_owned(),
    ];
    command.extend(extra);
    command.extend(as_user.iter().map(|arg| (*arg).to_owned()));
    let command: Vec<String> = command.iter().map(|arg| shell_quote(arg)).collect();
    // The shell is the server's parent: it reaps it, whoever reaps the shell.
    let watcher = format!(
        "{server} & server=$!; \
         while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         kill $server 2>/dev/null; wait $server; rm -rf {dir}",
        server = command.join(" "),
        pid = std::process::id(),
        dir = shell_quote(&dir.display().to_string()),
    );
    Command::new("sh")
        .arg("-c")
        .arg(watcher)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting mariadbd: {e}"))?;
    let url = format!("mysql://root@127.0.0.1:{port}/mysql");
    let probe = if query.is_empty() {
        url.clone()
    } else {
        format!("{url}?{query}")
    };
    wait_until_it_answers(&probe, &log)?;
    eprintln!("started a throwaway mariadbd at {url} in {}", dir.display());
    Ok((url, dir))
}

/// Polls `url` until the server accepts a connection; an error with the end of
/// its log when it aborts or has not answered within a minute.
fn wait_until_it_answers(url: &str, log: &Path) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let error = match MysqlConnection::establish(url) {
            Ok(_) => return Ok(()),
            Err(e) => e.to_string(),
        };
        let logged = std::fs::read_to_string(log).unwrap_or_default();
        if logged.contains("[ERROR] Aborting") || Instant::now() > deadline {
            let tail: Vec<&str> = logged.lines().rev().take(10).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!(
                "mariadbd did not answer at {url} ({error}); {}:\n{}",
                log.display(),
                tail.join("\n")
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The first of `names` on PATH, else in one of `dirs`.
fn find_program(names: &[&str], dirs: &[&str]) -> Option<PathBuf> {
    let path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect())
        .unwrap_or_default();
    names.iter().find_map(|name| {
        path.iter()
            .cloned()
            .chain(dirs.iter().map(PathBuf::from))
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// `arg` quoted for `sh`.
fn shell_quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', "'\\''"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::with_user;
    use crate::{Backend, TestDb};

    #[test]
    fn urls_log_in_as_another_user() {
        assert_eq!(
            with_user("mysql://root@h:3306/db", "u", "hunter2"),
            "mysql://u:hunter2@h:3306/db"
        );
        assert_eq!(
            with_user("mysql://root:pw@h/db?x=1", "u", "p@ss/w:rd"),
            "mysql://u:p%40ss%2Fw%3Ard@h/db?x=1"
        );
        assert_eq!(with_user("mysql://h/db", "u", "p"), "mysql://u:p@h/db");
    }

    #[test]
    fn sql_helpers_speak_each_dialect() {
        assert_eq!(Backend::Mysql.text_cast("id"), "CAST(id AS CHAR)");
        assert_eq!(Backend::Postgres.text_cast("id"), "CAST(id AS TEXT)");
        assert_eq!(
            Backend::Mysql.concat(&["a", "':'", "b"]),
            "CONCAT(a, ':', b)"
        );
        assert_eq!(Backend::Sqlite.concat(&["a", "':'", "b"]), "a || ':' || b");
        assert_eq!(Backend::Mysql.quote("blob"), "`blob`");
        assert_eq!(Backend::Postgres.quote("blob"), "\"blob\"");
    }

    /// `SCHEMA_NAME` of database `name` as the admin URL sees it.
    fn schemata(admin: &str, name: &str) -> Vec<Option<String>> {
        use diesel::{Connection, RunQueryDsl};
        let mut conn = super::MysqlConnection::establish(admin).unwrap();
        diesel::sql_query(format!(
            "SELECT CAST(SCHEMA_NAME AS CHAR) AS v FROM information_schema.SCHEMATA \
             WHERE SCHEMA_NAME = '{name}'"
        ))
        .load::<crate::Value>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|value| value.v)
        .collect()
    }

    #[test]
    fn a_mysql_database_exists_round_trips_and_is_gone_after_drop() {
        let Some(db) = TestDb::mysql() else {
            return;
        };
        assert_eq!(db.backend(), Backend::Mysql);
        let (admin, name) = db.server.clone().unwrap();
        assert!(db.url().ends_with(&format!("/{name}")), "{}", db.url());
        assert_eq!(db.database_name(), Some(name.as_str()));
        assert_eq!(schemata(&admin, &name), [Some(name.clone())]);
        assert_eq!(db.string("SELECT DATABASE() AS v"), name);
        // Several statements in one call, the TEXT, JSON and NULL a test reads.
        db.execute(
            "CREATE TABLE t (id BIGINT AUTO_INCREMENT PRIMARY KEY, s TEXT NULL, j JSON NULL);
             INSERT INTO t (s, j) VALUES ('a', '{\"k\": 1}'), (NULL, NULL);
             INSERT INTO t (s) VALUES ('c');",
        );
        assert_eq!(
            db.strings(&format!(
                "SELECT {} AS v FROM t ORDER BY id",
                db.concat(&[&db.text_cast("id"), "':'", "COALESCE(s, '-')"])
            )),
            [
                Some("1:a".to_owned()),
                Some("2:-".to_owned()),
                Some("3:c".to_owned())
            ]
        );
        assert_eq!(
            db.strings("SELECT j AS v FROM t ORDER BY id"),
            [Some("{\"k\": 1}".to_owned()), None, None]
        );
        // A session left open on the database does not keep it from being dropped.
        let mut open = {
            use diesel::Connection;
            super::MysqlConnection::establish(db.url()).unwrap()
        };
        {
            use diesel::connection::SimpleConnection;
            open.batch_execute("BEGIN; SELECT * FROM t FOR UPDATE")
                .unwrap();
        }
        drop(db);
        assert_eq!(schemata(&admin, &name), []);
        drop(open);
    }

    #[test]
    fn a_failing_statement_after_the_first_fails_the_batch() {
        let Some(db) = TestDb::mysql() else {
            return;
        };
        let failed = super::execute(
            db.url(),
            "CREATE TABLE t (id BIGINT PRIMARY KEY); INSERT INTO nowhere VALUES (1); \
             CREATE TABLE never (id BIGINT)",
        )
        .unwrap_err();
        assert!(failed.contains("nowhere"), "{failed}");
        // The statements before the failing one ran, those after it did not.
        assert_eq!(
            db.strings(
                "SELECT CAST(TABLE_NAME AS CHAR) AS v FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE()"
            ),
            [Some("t".to_owned())]
        );
    }

    #[test]
    fn a_read_only_user_reads_and_cannot_write() {
        let Some(db) = TestDb::mysql() else {
            return;
        };
        db.execute("CREATE TABLE t (id BIGINT PRIMARY KEY); INSERT INTO t VALUES (1)");
        let url = db.mysql_user("hunter2", true);
        assert!(url.contains(":hunter2@"), "{url}");
        let reader = TestDb {
            backend: Backend::Mysql,
            url,
            dir: None,
            server: None,
            users: std::sync::Mutex::default(),
        };
        assert_eq!(
            reader.string("SELECT CAST(COUNT(*) AS CHAR) AS v FROM t"),
            "1"
        );
        let refused = super::execute(reader.url(), "INSERT INTO t VALUES (2)").unwrap_err();
        assert!(refused.contains("denied"), "{refused}");
        let writer = db.mysql_user("s3cret'\\", false);
        super::execute(&writer, "INSERT INTO t VALUES (2)").unwrap();
        assert_eq!(db.string("SELECT CAST(COUNT(*) AS CHAR) AS v FROM t"), "2");
    }
}
