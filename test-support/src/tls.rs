//! A throwaway PostgreSQL cluster that speaks TLS only, with a certificate
//! made for it: a test CA and a server certificate for `localhost` and
//! `127.0.0.1` signed by it (rcgen), so clients can be tested in every
//! `sslmode`, verification included.

use std::path::PathBuf;
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

/// The TLS-only cluster, started on first use from the installed
/// `initdb`/`pg_ctl`: `ssl = on`, and `pg_hba.conf` accepting only
/// `hostssl` connections. `None` after a loud message when it cannot start
/// (under `CI=true`: a panic).
///
/// # Panics
/// Under `CI=true` when the cluster cannot be started.
#[must_use]
#[allow(clippy::panic)]
pub fn tls_postgres() -> Option<TlsPostgres> {
    static CLUSTER: OnceLock<Result<TlsPostgres, String>> = OnceLock::new();
    match CLUSTER.get_or_init(start) {
        Ok(cluster) => Some(cluster.clone()),
        Err(e) => {
            let message = format!("could not start a TLS PostgreSQL cluster: {e}");
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{message}");
            }
            eprintln!("SKIPPED (loudly): {message}; this TLS test did not run");
            None
        }
    }
}

fn start() -> Result<TlsPostgres, String> {
    let (ca, cert, key) = certificates().map_err(|e| format!("making the certificates: {e}"))?;
    let mut ca_file = None;
    let (url, _) = super::cluster::start_with("pg-tls", |data| {
        let write = |name: &str, text: &str| {
            std::fs::write(data.join(name), text).map_err(|e| format!("writing {name}: {e}"))
        };
        write("server.crt", &cert)?;
        write("server.key", &key)?;
        write("ca.crt", &ca)?;
        // PostgreSQL refuses a key others can read.
        set_private(&data.join("server.key"))?;
        // TLS or nothing.
        write(
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
