//! PostgreSQL over TLS, against a throwaway cluster that accepts TLS only
//! (`ssl = on`, only `hostssl` lines in `pg_hba.conf`) with a CA and server
//! certificate the test makes: libpq's `sslmode` meanings, without libpq.
//! That the server accepts a TCP session at all proves it is encrypted.
#![allow(clippy::unwrap_used)]

use llm_lifecycle_runtime::{ApplyOptions, Database, DatabaseUrl, Error};
use llm_lifecycle_test_support::tls_postgres;

use crate::common::*;

fn connect_to(url: &str) -> Result<Database<'static>, Error> {
    Database::connect(&DatabaseUrl::parse(url)?)
}

/// `require`: encrypted, a certificate from a CA the client does not know
/// accepted (as libpq does); the apply converges over it.
#[test]
fn sslmode_require_encrypts_and_the_apply_converges() {
    let Some(cluster) = tls_postgres() else {
        return;
    };
    let mut db = connect_to(&format!("{}?sslmode=require", cluster.url)).unwrap();
    let options = ApplyOptions {
        environment: "tls-require".into(),
        ..ApplyOptions::default()
    };
    let first = llm_lifecycle_runtime::apply(&mut db, &catalog(MODELS), &options).unwrap();
    assert!(!first.plan.is_noop());
    let second = llm_lifecycle_runtime::apply(&mut db, &catalog(MODELS), &options).unwrap();
    assert!(second.plan.is_noop(), "{:?}", second.plan);
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
    let error = connect_to(&format!("{}?sslmode=disable", cluster.url)).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::Connect { .. }), "{message}");
    assert!(message.contains("no encryption"), "{message}");
    assert!(!message.contains('\n'), "{message}");
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
    let error = connect_to(&format!("{}?sslmode=verify-full", cluster.url)).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::Connect { .. }), "{message}");
    assert!(message.to_lowercase().contains("certificate"), "{message}");
}
