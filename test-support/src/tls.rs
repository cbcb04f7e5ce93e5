//! Throwaway servers that speak TLS only, with a certificate made for them: a
//! test CA and a server certificate for `localhost` and `127.0.0.1` signed by
//! it (rcgen), so clients can be tested in every `sslmode` / `ssl-mode`,
//! verification included: a PostgreSQL cluster ([`tls_postgres`]) and a
//! `mariadbd` ([`tls_mariadb`]).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

/// A running TLS-only cluster (started once per test process).
#[derive(Debug, Clone)]
pub struct TlsPostgres {
    /// Its admin URL, `postgres://postgres@127.0.0.1:PORT/postgres` (no
    /// `sslmode`: add one).
    pub url: String,
    /// The PEM file of the CA that signed the server's certificate (for
    /// `sslrootcert=`).
    pub ca_file: PathBuf,
}

/// A running TLS-only `mariadbd` (started once per test process).
#[derive(Debug, Clone)]
pub struct TlsMariadb {
    /// Its admin URL, `mysql://root@127.0.0.1:PORT/mysql` (no `ssl-mode`: add
    /// one; without TLS the server refuses the session).
    pub url: String,
    /// The PEM file of the CA that signed the server's certificate.
    pub ca_file: PathBuf,
    /// The PEM file of the server's own certificate (not a CA: a chain
    /// checked against it fails).
    pub cert_file: PathBuf,
}

impl TlsMariadb {
    /// A new empty database on this server (`CREATE DATABASE` over TLS, left
    /// for the server's removal at exit); its URL, without `ssl-mode`.
    ///
    /// # Errors
    /// When the server refuses the session or the statement.
    pub fn database(&self) -> Result<String, String> {
        let name = crate::unique_name("llm_tls");
        super::mariadb::execute(
            &format!("{}?{MYSQL_TLS_UNCHECKED}", self.url),
            &format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"),
        )?;
        let server = self.url.rsplit_once('/').map_or(&*self.url, |(s, _)| s);
        Ok(format!("{server}/{name}"))
    }
}

/// mysql_async's options for TLS without checking the certificate.
const MYSQL_TLS_UNCHECKED: &str = "require_ssl=true&verify_ca=false&verify_identity=false";

/// The TLS-only `mariadbd`, started on first use from the installed
/// `mariadb-install-db`/`mariadbd` with the test certificate and
/// `require_secure_transport`. `None` after a loud message when it cannot
/// start (under `CI=true`: a panic).
///
/// # Panics
/// Under `CI=true` when the server cannot be started.
#[must_use]
pub fn tls_mariadb() -> Option<TlsMariadb> {
    static SERVER: OnceLock<Result<TlsMariadb, String>> = OnceLock::new();
    started(&SERVER, start_mariadb, "a TLS mariadbd")
}

/// The server in `cell`, started by `start` on first use; `None` after a
/// loud message when it could not start (under `CI=true`: a panic).
#[allow(clippy::panic)]
fn started<T: Clone>(
    cell: &OnceLock<Result<T, String>>,
    start: fn() -> Result<T, String>,
    what: &str,
) -> Option<T> {
    match cell.get_or_init(start) {
        Ok(server) => Some(server.clone()),
        Err(e) => {
            let message = format!("could not start {what}: {e}");
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{message}");
            }
            eprintln!("SKIPPED (loudly): {message}; this TLS test did not run");
            None
        }
    }
}

fn start_mariadb() -> Result<TlsMariadb, String> {
    let (ca, cert, key) = certificates().map_err(|e| format!("making the certificates: {e}"))?;
    let (url, dir) = super::mariadb::start_server("mariadb-tls", |dir| {
        write_certificates(dir, &ca, &cert, &key)?;
        let file = |name: &str| dir.join(name).display().to_string();
        Ok((
            vec![
                format!("--ssl-cert={}", file("server.crt")),
                format!("--ssl-key={}", file("server.key")),
                format!("--ssl-ca={}", file("ca.crt")),
                // TLS or nothing.
                "--require-secure-transport=ON".to_owned(),
            ],
            MYSQL_TLS_UNCHECKED.to_owned(),
        ))
    })?;
    Ok(TlsMariadb {
        url,
        ca_file: dir.join("ca.crt"),
        cert_file: dir.join("server.crt"),
    })
}

/// The TLS-only cluster, started on first use from the installed
/// `initdb`/`pg_ctl`: `ssl = on`, and `pg_hba.conf` accepting only
/// `hostssl` connections. `None` after a loud message when it cannot start
/// (under `CI=true`: a panic).
///
/// # Panics
/// Under `CI=true` when the cluster cannot be started.
#[must_use]
pub fn tls_postgres() -> Option<TlsPostgres> {
    static CLUSTER: OnceLock<Result<TlsPostgres, String>> = OnceLock::new();
    started(&CLUSTER, start, "a TLS PostgreSQL cluster")
}

fn start() -> Result<TlsPostgres, String> {
    let (ca, cert, key) = certificates().map_err(|e| format!("making the certificates: {e}"))?;
    let mut ca_file = None;
    let (url, _) = super::cluster::start_with("pg-tls", |data| {
        write_certificates(data, &ca, &cert, &key)?;
        // PostgreSQL refuses a key others can read.
        set_private(&data.join("server.key"))?;
        // TLS or nothing.
        write_file(
            data,
            "pg_hba.conf",
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n",
        )?;
        ca_file = Some(data.join("ca.crt"));
        Ok("-c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key".to_owned())
    })?;
    Ok(TlsPostgres {
        url,
        ca_file: ca_file.ok_or("the cluster was not configured")?,
    })
}

/// `ca.crt`, `server.crt` and `server.key` in `dir`.
fn write_certificates(dir: &Path, ca: &str, cert: &str, key: &str) -> Result<(), String> {
    write_file(dir, "server.crt", cert)?;
    write_file(dir, "server.key", key)?;
    write_file(dir, "ca.crt", ca)
}

fn write_file(dir: &Path, name: &str, text: &str) -> Result<(), String> {
    std::fs::write(dir.join(name), text).map_err(|e| format!("writing {name}: {e}"))
}

fn set_private(path: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("chmod 600 {}: {e}", path.display()))
}

/// The CA's certificate, the server's certificate and the server's key, PEM.
fn certificates() -> Result<(String, String, String), rcgen::Error> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "llm-lifecycle test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &ca)?;
    Ok((ca.pem(), cert.pem(), key.serialize_pem()))
}
