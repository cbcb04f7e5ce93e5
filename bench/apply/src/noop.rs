//! The no-op case: a generated catalogue applied once to an empty database,
//! then applied again, finding nothing to do; the repeated applies are timed.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use llm_lifecycle_runtime::{ApplyOptions, Database, DatabaseUrl, apply};

use crate::dataset;
use crate::server::Server;
use crate::timing::median;

/// The timings of the no-op applies.
#[derive(Debug)]
pub(crate) struct Noop {
    /// Models in the catalogue.
    pub(crate) models: usize,
    /// The first apply (creates every row).
    pub(crate) first: Duration,
    /// Each repeated apply.
    pub(crate) samples: Vec<Duration>,
}

impl Noop {
    /// Median of the repeated applies.
    pub(crate) fn median(&self) -> Duration {
        median(self.samples.clone())
    }
}

/// Applies a generated `models`-model catalogue to a fresh database on
/// `server`, then times `reps` further applies (each must be a no-op).
pub(crate) fn run(server: &mut Server, models: usize, reps: usize) -> Result<Noop> {
    let name = server.create("noop")?;
    let result = measure(&server.url(&name), models, reps);
    server.drop_database(&name)?;
    result
}

/// The same on a fresh SQLite file in the temporary directory (removed after).
pub(crate) fn run_sqlite(models: usize, reps: usize) -> Result<Noop> {
    let file = std::env::temp_dir().join(format!(
        "llm-lifecycle-bench-noop-{}.db",
        std::process::id()
    ));
    let result = measure(&file.to_string_lossy(), models, reps);
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    result
}

/// The first apply of the catalogue at `url`, then `reps` timed no-op applies.
fn measure(url: &str, models: usize, reps: usize) -> Result<Noop> {
    let catalog = dataset::parse(&dataset::noop_catalogue_toml(models), "noop-catalogue.toml")?;
    let mut db = Database::connect(&DatabaseUrl::parse(url)?)?;
    let options = ApplyOptions::default();
    let started = Instant::now();
    apply(&mut db, &catalog, &options).context("the first apply of the no-op case")?;
    let first = started.elapsed();
    let mut samples = Vec::new();
    for _ in 0..reps.max(1) {
        let started = Instant::now();
        let report = apply(&mut db, &catalog, &options)?;
        samples.push(started.elapsed());
        if !report.plan.is_noop() {
            bail!("the repeated apply of the no-op case changed something");
        }
    }
    Ok(Noop {
        models,
        first,
        samples,
    })
}
