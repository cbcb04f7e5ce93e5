//! PostgreSQL over TLS, against a throwaway cluster that accepts TLS only
//! (`ssl = on`, only `hostssl` lines in `pg_hba.conf`) with a CA and server
//! certificate the test makes: libpq's `sslmode` meanings, without libpq.
//! That the server accepts a TCP session at all proves it is encrypted.
//!
//! MariaDB the same way (module `mysql`), against a throwaway `mariadbd` with
//! `require_secure_transport`: the MySQL client's `ssl-mode` meanings, without
//! a MySQL client library.
#![allow(clippy::unwrap_used)]

use llm_lifecycle_runtime::{ApplyOptions, Database, DatabaseUrl, Error};
use llm_lifecycle_test_support::tls_postgres;

use crate::common::*;

fn connect_to(url: &str) -> Result<Database<'static>, Error> {
    Database::connect(&DatabaseUrl::parse(url)?)
}

/// The message of the connection error a session to `url` ends in: one line.
fn refused(url: &str) -> String {
    let Err(error) = connect_to(url) else {
        panic!("{url}: the session was not refused");
    };
    let message = error.to_string();
    assert!(matches!(error, Error::Connect { .. }), "{message}");
    assert!(!message.contains('\n'), "{message}");
    message
}

/// Two applies over a session to `url`: the first changes the database,
/// the second has nothing to do.
fn converges_over(url: &str, environment: &str) {
    let mut db = connect_to(url).unwrap();
    let options = ApplyOptions {
        environment: environment.into(),
        ..ApplyOptions::default()
    };
    let first = llm_lifecycle_runtime::apply(&mut db, &catalog(MODELS), &options).unwrap();
    assert!(!first.plan.is_noop());
    let second = llm_lifecycle_runtime::apply(&mut db, &catalog(MODELS), &options).unwrap();
    assert!(second.plan.is_noop(), "{:?}", second.plan);
}

/// `require`: encrypted, a certificate from a CA the client does not know
/// accepted (as libpq does); the apply converges over it.
#[test]
fn sslmode_require_encrypts_and_the_apply_converges() {
    let Some(cluster) = tls_postgres() else {
        return;
    };
    converges_over(&format!("{}?sslmode=require", cluster.url), "tls-require");
}

/// The default (`prefer`) tries TLS first, so it reaches a TLS-only server.
#[test]
fn the_default_sslmode_prefers_tls() {
    let Some(cluster) = tls_postgres() else {
        return;
    };
    let mut db = connect_to(&cluster.url).unwrap();
    // The session works: a plan reads the database over it (the cluster is
    // shared with the other TLS tests, so it may or may not be migrated yet).
    let plan = llm_lifecycle_runtime::plan(&mut db, &catalog(MODELS)).unwrap();
    assert!(plan.refusals.is_empty(), "{plan:?}");
}

/// `disable` sends no TLS, and the TLS-only server refuses it: one line.
#[test]
fn sslmode_disable_is_refused_by_a_tls_only_server() {
    let Some(cluster) = tls_postgres() else {
        return;
    };
    let message = refused(&format!("{}?sslmode=disable", cluster.url));
    assert!(message.contains("no encryption"), "{message}");
}

/// `verify-full` checks the chain against `sslrootcert` and the host name.
#[test]
fn sslmode_verify_full_accepts_the_certificate_of_the_given_ca() {
    let Some(cluster) = tls_postgres() else {
        return;
    };
    let url = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        cluster.url,
        cluster.ca_file.display()
    );
    connect_to(&url).unwrap();
}

/// `verify-full` without `sslrootcert` checks against the Mozilla roots,
/// which never signed the test CA: refused, naming the certificate.
#[test]
fn sslmode_verify_full_refuses_a_certificate_of_an_unknown_ca() {
    let Some(cluster) = tls_postgres() else {
        return;
    };
    let message = refused(&format!("{}?sslmode=verify-full", cluster.url));
    assert!(message.to_lowercase().contains("certificate"), "{message}");
}

#[cfg(feature = "mysql")]
mod mysql {
    use llm_lifecycle_test_support::{TlsMariadb, tls_mariadb};

    use super::{connect_to, converges_over, refused};
    use crate::common::*;

    /// A new database on the TLS-only server, and its URL (no `ssl-mode`).
    fn database() -> Option<String> {
        Some(server()?.database().unwrap())
    }

    fn server() -> Option<TlsMariadb> {
        tls_mariadb()
    }

    /// `VERIFY_IDENTITY` and `VERIFY_CA` with `ssl-ca=FILE` check the chain
    /// against that CA (and the name), and accept the test server; `ssl-ca`
    /// alone means `VERIFY_CA`.
    #[test]
    fn ssl_ca_names_the_ca_the_certificate_is_checked_against() {
        let (Some(server), Some(url)) = (server(), database()) else {
            return;
        };
        let ca = server.ca_file.display().to_string();
        for query in [
            format!("ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}"),
            format!("ssl-ca={ca}&ssl-mode=VERIFY_CA"),
            format!("ssl-ca={ca}"),
        ] {
            let mut db = connect_to(&format!("{url}?{query}")).unwrap();
            let plan = llm_lifecycle_runtime::plan(&mut db, &catalog(MODELS)).unwrap();
            assert!(plan.refusals.is_empty(), "{query}: {plan:?}");
        }
    }

    /// A CA file that did not sign the server's certificate (the server's
    /// own certificate, which is no CA) refuses the session, `ssl-ca` alone
    /// too: a CA given is never left unchecked. A file that is not there is
    /// named.
    #[test]
    fn ssl_ca_of_another_issuer_or_no_file_refuses_the_session() {
        let (Some(server), Some(url)) = (server(), database()) else {
            return;
        };
        let other = server.cert_file.display().to_string();
        for query in [
            format!("ssl-mode=VERIFY_IDENTITY&ssl-ca={other}"),
            format!("ssl-ca={other}"),
        ] {
            let message = refused(&format!("{url}?{query}"));
            assert!(
                message.to_lowercase().contains("certificate")
                    || message.to_lowercase().contains("issuer"),
                "{query}: {message}"
            );
        }
        // DISABLED wins over a CA: no TLS, which the server refuses.
        let message = refused(&format!(
            "{url}?ssl-mode=DISABLED&ssl-ca={}",
            server.ca_file.display()
        ));
        assert!(message.contains("Access denied"), "{message}");
        let missing = "/nonexistent/ca.pem";
        let message = refused(&format!("{url}?ssl-mode=VERIFY_CA&ssl-ca={missing}"));
        assert!(message.contains(missing), "{message}");
    }

    /// `REQUIRED`: encrypted, the certificate of an unknown CA accepted (as the
    /// MySQL client does); the apply converges over it.
    #[test]
    fn ssl_mode_required_encrypts_and_the_apply_converges() {
        let Some(url) = database() else {
            return;
        };
        converges_over(&format!("{url}?ssl-mode=REQUIRED"), "tls-required");
    }

    /// No `ssl-mode` is `PREFERRED`, which tries TLS first, so it reaches a
    /// TLS-only server (and, in every other MySQL test, a server without TLS).
    #[test]
    fn the_default_ssl_mode_prefers_tls() {
        let Some(url) = database() else {
            return;
        };
        for url in [url.clone(), format!("{url}?ssl-mode=PREFERRED")] {
            let mut db = connect_to(&url).unwrap();
            let plan = llm_lifecycle_runtime::plan(&mut db, &catalog(MODELS)).unwrap();
            assert!(plan.refusals.is_empty(), "{plan:?}");
        }
    }

    /// `DISABLED` sends no TLS, and the TLS-only server refuses it: one line
    /// with the server's reason (MySQL 8 says "insecure transport", MariaDB
    /// 10.11 "Access denied" for the same user it lets in over TLS).
    #[test]
    fn ssl_mode_disabled_is_refused_by_a_tls_only_server() {
        let Some(url) = database() else {
            return;
        };
        let message = refused(&format!("{url}?ssl-mode=DISABLED"));
        assert!(
            message.contains("insecure transport") || message.contains("Access denied"),
            "{message}"
        );
    }

    /// `VERIFY_IDENTITY` checks the chain against the Mozilla roots, which
    /// never signed the test CA: refused, naming the certificate.
    #[test]
    fn ssl_mode_verify_identity_refuses_a_certificate_of_an_unknown_ca() {
        let Some(url) = database() else {
            return;
        };
        for mode in ["VERIFY_IDENTITY", "VERIFY_CA"] {
            let message = refused(&format!("{url}?ssl-mode={mode}"));
            assert!(
                message.to_lowercase().contains("certificate"),
                "{mode}: {message}"
            );
        }
    }
}
