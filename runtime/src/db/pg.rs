//! The PostgreSQL driver: tokio-postgres (pure Rust, no libpq) under
//! diesel-async's synchronous [`AsyncConnectionWrapper`], so the rest of the
//! runtime sees an ordinary diesel `Connection` with `Backend = Pg`.
//!
//! Every connection runs on one process-wide tokio runtime with a single worker
//! thread, which also drives each connection's socket between statements. The
//! runtime's functions are blocking: call them from a plain thread (in an async
//! host, from `tokio::task::spawn_blocking`).
//!
//! TLS follows libpq's `sslmode`: `disable`; `prefer` (the default: TLS when the
//! server offers it); `require` (TLS or nothing; like libpq, the certificate is
//! not checked); `verify-ca` / `verify-full` (TLS with the certificate checked
//! against `sslrootcert=FILE` when given, else the Mozilla roots, and the host
//! name matched; both are checked as `verify-full`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use diesel::ConnectionError;
use diesel::connection::CacheSize;
use diesel_async::async_connection_wrapper::{AsyncConnectionWrapper, BlockOn};
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::tokio_runtime::shared as runtime;

/// A PostgreSQL connection: tokio-postgres behind diesel-async's synchronous
/// wrapper, on the runtime's shared tokio runtime.
pub type PgConnection = AsyncConnectionWrapper<AsyncPgConnection, SharedRuntime>;

/// The process-wide tokio runtime PostgreSQL connections run on (one worker
/// thread: it drives the sockets; statements are awaited by the caller).
pub struct SharedRuntime(&'static tokio::runtime::Runtime);

impl BlockOn for SharedRuntime {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }

    /// The shared runtime, started on first use (also when a host opens a
    /// [`PgConnection`] with diesel's `Connection::establish`). Panics only
    /// when tokio cannot start a thread at all (the trait has no error path).
    #[allow(clippy::panic)]
    fn get_runtime() -> Self {
        match runtime() {
            Ok(runtime) => Self(runtime),
            Err(e) => panic!("{e}"),
        }
    }
}

/// How a `sslmode` asks for TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verify {
    /// Encrypt when TLS is used, never check the certificate (libpq's
    /// `prefer` and `require`).
    Nothing,
    /// Check the certificate chain and the host name.
    Full,
}

/// Opens a connection to `location` (a `postgres://` URL or libpq
/// keyword/value string).
pub(super) fn establish(location: &str) -> Result<PgConnection, String> {
    let (location, verify, root_cert) = tls_settings(location);
    let config: tokio_postgres::Config = location.parse().map_err(|e| format!("{e}"))?;
    let tls =
        tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(verify, root_cert.as_deref())?);
    let runtime = runtime()?;
    let conn = runtime.block_on(async move {
        let (client, connection) = config.connect(tls).await.map_err(|e| error_chain(&e))?;
        // diesel-async's setup sets the session's time zone and encoding with
        // two named prepared statements. Outside a transaction, a transaction
        // pooler (PgBouncer `pool_mode = transaction`) may run their Parse,
        // Bind and Close on different server connections and leave them
        // prepared on one, where the next process's statement of the same
        // name (tokio-postgres counts `s0`, `s1`… per process) then fails
        // with `prepared statement "s0" already exists`. In one transaction
        // they stay on one server connection and are closed before it ends;
        // the settings themselves are committed (PgBouncer tracks both).
        let mut connection = connection;
        drive_until(&mut connection, client.batch_execute("BEGIN")).await?;
        let mut conn = AsyncPgConnection::try_from_client_and_connection(client, connection)
            .await
            .map_err(|e: ConnectionError| e.to_string())?;
        conn.batch_execute("COMMIT")
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(conn)
    })?;
    let mut conn = AsyncConnectionWrapper::from(conn);
    disable_statement_cache(&mut conn);
    Ok(conn)
}

/// Runs `request` on a connection nobody drives yet (diesel-async spawns
/// its driver once it has it), driving `connection` meanwhile.
async fn drive_until<S, T>(
    connection: &mut tokio_postgres::Connection<S, T>,
    request: impl Future<Output = Result<(), tokio_postgres::Error>>,
) -> Result<(), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut request = std::pin::pin!(request);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(result) = request.as_mut().poll(cx) {
            return Poll::Ready(result.map_err(|e| error_chain(&e)));
        }
        match Pin::new(&mut *connection).poll(cx) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(error_chain(&e))),
            Poll::Ready(Ok(())) => Poll::Ready(Err("the server closed the connection".into())),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// Turns diesel-async's prepared-statement cache off: each statement is
/// prepared, run and closed (the protocol's Close) where it is used, inside
/// the runtime's transactions, so nothing named outlives a transaction on a
/// server connection a transaction pooler hands on to another client. It
/// costs a round trip or two per statement; the runtime runs a few dozen
/// per apply.
pub(super) fn disable_statement_cache(conn: &mut PgConnection) {
    diesel::Connection::set_prepared_statement_cache_size(conn, CacheSize::Disabled);
}

/// A tokio-postgres error with its causes (the server's message is the source).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// The location with `sslmode=verify-*` turned into `require` (tokio-postgres
/// knows `disable`, `prefer` and `require`) and `sslrootcert` taken out, what
/// to verify, and the root certificate file.
fn tls_settings(location: &str) -> (String, Verify, Option<String>) {
    let mut verify = Verify::Nothing;
    let mut root_cert = None;
    let url = location.contains("://");
    let separator = if url { '&' } else { ' ' };
    let (head, params) = if url {
        let (head, query) = super::url::split_query(location);
        (head, query.unwrap_or_default())
    } else {
        ("", location)
    };
    let mut kept = Vec::new();
    for param in params.split(separator).filter(|p| !p.is_empty()) {
        match param.split_once('=') {
            Some(("sslmode", "verify-ca" | "verify-full")) => {
                verify = Verify::Full;
                kept.push("sslmode=require".to_owned());
            }
            Some(("sslrootcert", file)) => root_cert = Some(file.to_owned()),
            _ => kept.push(param.to_owned()),
        }
    }
    let location = if url {
        if kept.is_empty() {
            head.to_owned()
        } else {
            format!("{head}?{}", kept.join("&"))
        }
    } else {
        kept.join(" ")
    };
    (location, verify, root_cert)
}

/// The rustls client configuration for `verify`.
fn tls_config(verify: Verify, root_cert: Option<&str>) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    Ok(match verify {
        Verify::Nothing => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
            .with_no_client_auth(),
        Verify::Full => {
            let mut roots = RootCertStore::empty();
            match root_cert {
                Some(file) => {
                    for cert in CertificateDer::pem_file_iter(file)
                        .map_err(|e| format!("reading sslrootcert {file}: {e}"))?
                    {
                        let cert = cert.map_err(|e| format!("reading sslrootcert {file}: {e}"))?;
                        roots
                            .add(cert)
                            .map_err(|e| format!("sslrootcert {file}: {e}"))?;
                    }
                }
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    })
}

/// libpq's `sslmode=require`: the channel is encrypted and the handshake's
/// signatures are checked, the certificate's issuer and name are not.
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_modes_become_require_and_lose_the_root_file() {
        let (location, verify, root) =
            tls_settings("postgres://u:p?w@h/d?sslmode=verify-full&sslrootcert=/ca.pem&x=1");
        assert_eq!(location, "postgres://u:p?w@h/d?sslmode=require&x=1");
        assert_eq!(verify, Verify::Full);
        assert_eq!(root.as_deref(), Some("/ca.pem"));
        let (location, verify, _) = tls_settings("postgres://h/d?sslmode=require");
        assert_eq!(location, "postgres://h/d?sslmode=require");
        assert_eq!(verify, Verify::Nothing);
        let (location, verify, _) = tls_settings("host=h dbname=d sslmode=verify-ca");
        assert_eq!(location, "host=h dbname=d sslmode=require");
        assert_eq!(verify, Verify::Full);
    }
}
