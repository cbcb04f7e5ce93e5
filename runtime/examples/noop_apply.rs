//! Times a no-op apply: applies a catalogue once, then times further applies
//! that find nothing to do.
//!
//! ```sh
//! cargo run --release -p llm-lifecycle-runtime --example noop_apply -- URL [models.toml | N]
//! ```
//!
//! `URL` is a `postgres://` URL or a SQLite path; the catalogue is a file, or `N`
//! generated models (default: 5,000 across 10 providers).
#![forbid(unsafe_code)]

use std::error::Error;
use std::fmt::Write as _;
use std::time::Instant;

use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::{ApplyOptions, Database, DatabaseUrl, apply};

fn generated(models: usize) -> String {
    let providers = 10;
    let mut toml = String::new();
    for p in 0..providers {
        let _ = writeln!(toml, "[providers.provider{p}]\nmodels = [");
        for m in 0..models.div_ceil(providers) {
            let default = if m == 0 { ", default = true" } else { "" };
            let _ = writeln!(
                toml,
                "  {{ name = \"model-{m}\", token_limit = {}{default} }},",
                1_000 + m
            );
        }
        let _ = writeln!(toml, "]");
    }
    toml
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: noop_apply URL [models.toml | N]")?;
    let source = match args.next() {
        Some(arg) => match arg.parse::<usize>() {
            Ok(n) => generated(n),
            Err(_) => std::fs::read_to_string(&arg)?,
        },
        None => generated(5_000),
    };
    let catalog = Catalog::parse(&source, "catalogue").map_err(|d| d.to_string())?;
    let mut db = Database::connect(&DatabaseUrl::parse(&url)?)?;
    let options = ApplyOptions::default();
    let first = apply(&mut db, &catalog, &options)?;
    println!(
        "first apply: {} created in {} ms",
        first.counts.created, first.duration_ms
    );
    for run in 1..=5 {
        let started = Instant::now();
        let report = apply(&mut db, &catalog, &options)?;
        let wall = started.elapsed();
        if !report.plan.is_noop() {
            return Err("the repeated apply was not a no-op".into());
        }
        println!("no-op apply #{run}: {:.1} ms", wall.as_secs_f64() * 1000.0);
    }
    Ok(())
}
