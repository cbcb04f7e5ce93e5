//! MySQL sessions whose certificate is checked against a CA file of the
//! location's own (`ssl-ca=FILE`, as the MySQL client and sqlx name it), for
//! servers whose CA is not among the Mozilla roots (a managed server's own
//! CA, say). mysql_async reads root certificates from its options only, not
//! from a URL, so the session is opened here: the driver's options from the
//! location, the CA added, then the same settings diesel-async's own
//! `establish` gives a session.
//!
//! The session runs on the runtime PostgreSQL's sessions share
//! ([`super::tokio_runtime`]), whose worker drives its socket: diesel-async's
//! wrapper keeps the handle of the runtime it was made in, and a
//! current-thread runtime could not be driven from that handle once its
//! `block_on` returned.

use std::path::Path;

use diesel_async::AsyncMysqlConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use mysql_async::{Opts, OptsBuilder, SslOpts};

use super::MysqlConnection;

/// A session to `location` (mysql_async's URL, TLS options included) whose
/// server certificate is checked against the certificates of `ca_file`
/// (PEM) instead of the Mozilla roots.
/// A location without TLS (`ssl-mode=DISABLED` beside a `ssl-ca`) has no
/// certificate to check: it opens as any other.
pub(super) fn establish(location: &str, ca_file: &Path) -> Result<MysqlConnection, String> {
    use diesel::Connection as _;
    let opts = Opts::from_url(location).map_err(|e| e.to_string())?;
    let Some(ssl) = opts.ssl_opts().cloned() else {
        return MysqlConnection::establish(location).map_err(|e| e.to_string());
    };
    let ssl = ssl
        .with_root_certs(vec![ca_file.to_path_buf().into()])
        .with_disable_built_in_roots(true);
    let builder = OptsBuilder::from_opts(opts)
        .ssl_opts(Some::<SslOpts>(ssl))
        // As diesel-async's `establish`: its own statement cache, and the
        // rows an UPDATE matched counted, as on the other engines.
        .stmt_cache_size(0)
        .client_found_rows(true);
    super::tokio_runtime::shared()?.block_on(async {
        let conn = mysql_async::Conn::new(builder)
            .await
            .map_err(|e| e.to_string())?;
        let conn = AsyncMysqlConnection::try_from(conn)
            .await
            .map_err(|e| e.to_string())?;
        // Made inside the runtime: the wrapper keeps its handle.
        Ok(AsyncConnectionWrapper::from(conn))
    })
}
