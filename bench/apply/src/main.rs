//! Apply benchmark against PostgreSQL or MariaDB: the runtime against
//! hand-written optimal SQL.
//!
//! Builds a data set once in a throwaway database (100 k teams, 200 k
//! assistants, 1 M JSON pipeline nodes reached through pipelines, 100 models
//! of which the new catalogue deletes 20, referenced by 15 % of the rows), then
//! runs each variant on its own copy of it (PostgreSQL: `CREATE DATABASE …
//! TEMPLATE base`; MariaDB: the tables copied, see `server.rs`), the variants
//! interleaved, `--reps` times each, and prints the median wall time and its
//! ratio to the hand-written optimal SQL for that engine. Every run's end
//! state is checked against the state the mapping predicts. Then the no-op
//! case: a 5,000-model catalogue applied a second time.
//!
//! The variants: the runtime's apply in one transaction, the same with
//! `--batch-size N` (`ApplyOptions::batch_size`, default 10,000: references
//! moved in committed batches before the final transaction), each with and
//! without team notifications, and the hand-written SQL (`--variants` picks).
//! During every measured call the parent runs a host writer on its own
//! connection (`--writer-rate`, default 200 autocommit `UPDATE`s a second on
//! referencing rows, half of them rows the apply repoints, no reference
//! changed; latency from each write's scheduled time) and a monitor polling
//! the server every `--poll-ms` for the apply's longest open transaction
//! (see `load.rs`). The table gives per variant: median wall time, ratios to
//! the hand-written SQL and to the single-transaction apply, the longest
//! transaction, the writer's p50/p99/max latency, peak RSS.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-bench cargo run --release -p llm-lifecycle-apply-bench -- --scale 0.01
//! cargo run --release -p llm-lifecycle-apply-bench --            # full scale, PostgreSQL
//! cargo run --release -p llm-lifecycle-apply-bench -- --engine mariadb   # MariaDB at 127.0.0.1:3306
//! cargo run --release -p llm-lifecycle-apply-bench -- --admin-url mysql://root@db:3306/mysql
//! cargo run --release -p llm-lifecycle-apply-bench -- --per-row  # + one UPDATE per row, at 1/10 scale
//! cargo run --release -p llm-lifecycle-apply-bench -- --scale 10 --reps 1 --skip-noop \
//!     --variants apply,apply-batched,baseline-with-notices --batch-size 10000
//! ```
//!
//! Every database it creates is dropped at the end (`--keep` keeps the base
//! data set for `EXPLAIN ANALYZE`). `--trace` prints the runtime's SQL with
//! timestamps on stderr.
#![forbid(unsafe_code)]

mod dataset;
mod engine;
mod load;
mod memory;
mod noop;
mod report;
mod server;
mod timing;
mod variants;
mod verify;

use std::io::{BufRead as _, BufReader};
use std::num::NonZeroU64;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;

use dataset::{References, Scale};
use engine::{Conn, Engine};
use load::{Load, Probe};
use server::Server;
use timing::{median, millis, percentile, ratio, secs};
use variants::{Inputs, Sample, Variant};

/// Times `llm_lifecycle_runtime::apply` against hand-written optimal SQL.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Server to create the throwaway databases on (any database on it): a
    /// `postgres://` or a `mysql://` (MariaDB, MySQL) URL; its scheme picks
    /// the engine. Default: `$LLM_LIFECYCLE_TEST_PG`, else
    /// postgres://postgres@127.0.0.1:5432/postgres; with `--engine mariadb`,
    /// `$LLM_LIFECYCLE_TEST_MYSQL`, else mysql://root@127.0.0.1:3306/mysql.
    #[arg(long)]
    admin_url: Option<String>,
    /// The engine to run on, at its default server (instead of `--admin-url`).
    #[arg(long, value_enum, default_value_t = Engine::Postgres, conflicts_with = "admin_url")]
    engine: Engine,
    /// Multiplies the default sizes (100 k teams, 200 k assistants, 125 k
    /// pipelines, 1 M nodes); explicit sizes are taken as given.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Teams.
    #[arg(long)]
    teams: Option<u64>,
    /// Assistants (integer FK reference).
    #[arg(long)]
    assistants: Option<u64>,
    /// Pipelines (own the nodes' team and name).
    #[arg(long)]
    pipelines: Option<u64>,
    /// Pipeline nodes (JSONB reference).
    #[arg(long)]
    nodes: Option<u64>,
    /// Models in the old catalogue.
    #[arg(long, default_value_t = 100)]
    models: usize,
    /// Models the new catalogue deletes (each with a replacement).
    #[arg(long, default_value_t = 20)]
    deleted: usize,
    /// Share of the referencing rows that point at a deleted model.
    #[arg(long, default_value_t = 0.15)]
    deleted_share: f64,
    /// Repetitions of each variant (the median is reported).
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// The main comparison's variants, comma-separated (default: apply,
    /// apply-batched, apply-without-notices, baseline, baseline-with-notices;
    /// also apply-batched-without-notices, per-row).
    #[arg(long, value_delimiter = ',')]
    variants: Option<Vec<String>>,
    /// The batched variants' `ApplyOptions::batch_size` (rows per committed batch).
    #[arg(long, default_value_t = 10_000)]
    batch_size: u64,
    /// Host writes per second during each measured run (0: no writer).
    #[arg(long, default_value_t = 200.0)]
    writer_rate: f64,
    /// How often the monitor polls for the longest open transaction, ms.
    #[arg(long, default_value_t = 10)]
    poll_ms: u64,
    /// Also time one UPDATE per row (and the baseline again) on a smaller data set.
    #[arg(long)]
    per_row: bool,
    /// Size of the per-row data set relative to the main one.
    #[arg(long, default_value_t = 0.1)]
    per_row_scale: f64,
    /// Models in the no-op case's catalogue.
    #[arg(long, default_value_t = 5_000)]
    noop_models: usize,
    /// Skip the main comparison (only the no-op case and, with --per-row, the per-row one).
    #[arg(long)]
    skip_apply: bool,
    /// Skip the no-op case.
    #[arg(long)]
    skip_noop: bool,
    /// Keep the base database (its name is printed) for `EXPLAIN ANALYZE`.
    #[arg(long)]
    keep: bool,
    /// Print the runtime's statements with timestamps on stderr (tracing, TRACE level).
    #[arg(long)]
    trace: bool,
    /// Internal: run this one variant on `--child-url` and print its sample
    /// as JSON (each measured run is a process of its own, so its peak RSS is
    /// its own).
    #[arg(long, hide = true, requires = "child_url")]
    child_run: Option<String>,
    /// Internal: the database the child runs on.
    #[arg(long, hide = true)]
    child_url: Option<String>,
}

impl Args {
    /// The admin URL: `--admin-url`, else the engine's default.
    fn admin_url(&self) -> String {
        self.admin_url
            .clone()
            .unwrap_or_else(|| self.engine.default_admin_url())
    }

    fn scale(&self, factor: f64) -> Scale {
        let sized = |explicit: Option<u64>, default: f64| {
            explicit.map_or_else(
                || ((default * self.scale * factor).round() as u64).max(1),
                |n| ((n as f64 * factor).round() as u64).max(1),
            )
        };
        Scale {
            teams: sized(self.teams, 100_000.0),
            assistants: sized(self.assistants, 200_000.0),
            pipelines: sized(self.pipelines, 125_000.0),
            nodes: sized(self.nodes, 1_000_000.0),
            models: self.models,
            deleted: self.deleted,
            deleted_share: self.deleted_share,
        }
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.trace {
        tracing_subscriber::fmt()
            .with_env_filter("llm_lifecycle_runtime=trace")
            .with_writer(std::io::stderr)
            .init();
    }
    if let (Some(variant), Some(url)) = (&args.child_run, &args.child_url) {
        return child(&args, Variant::from_key(variant)?, url);
    }
    let admin_url = args.admin_url();
    let engine = Engine::of_url(&admin_url)?;
    let mut server = Server::new(&admin_url)?;
    println!(
        "{} at {}; {} repetitions per variant, median wall time; each run is a process \
         of its own, peak RSS is its VmHWM during the measured call\n\
         batched variants: --batch-size {}; host writer: {} (one connection, autocommit \
         UPDATEs, half on rows the apply repoints; latency from each write's scheduled time); \
         longest transaction: polled every {} ms from outside ({})\n",
        server.describe()?,
        llm_lifecycle_runtime::redact(&admin_url),
        args.reps,
        args.batch_size,
        if args.writer_rate > 0.0 {
            format!("{} writes/s", args.writer_rate)
        } else {
            "off".to_owned()
        },
        args.poll_ms,
        match engine {
            Engine::Postgres => "pg_stat_activity.xact_start; may be short by up to one poll",
            Engine::Mariadb =>
                "on MariaDB every 120 ms at least: innodb_trx, whose snapshot InnoDB refreshes only \
                 after 100 ms unread; first to last sighting, may be short by up to one poll",
        }
    );
    if engine == Engine::Mariadb {
        println!("{}\n", server.settings()?);
    }
    if !args.skip_apply {
        let variants = match &args.variants {
            Some(keys) => keys
                .iter()
                .map(|key| Variant::from_key(key.trim()))
                .collect::<Result<Vec<_>>>()?,
            None => vec![
                Variant::Apply,
                Variant::ApplyBatched,
                Variant::ApplyWithoutNotices,
                Variant::Baseline,
                Variant::BaselineWithNotices,
            ],
        };
        compare(&mut server, &args, &args.scale(1.0), &variants)?;
    }
    if args.per_row {
        let variants = [Variant::Baseline, Variant::PerRow];
        compare(
            &mut server,
            &args,
            &args.scale(args.per_row_scale),
            &variants,
        )?;
    }
    if !args.skip_noop {
        eprintln!("no-op case: {} models…", args.noop_models);
        let reps = args.reps.max(3) + 2;
        let engine = server.engine_label().to_owned();
        for (label, noop) in [
            (engine, noop::run(&mut server, args.noop_models, reps)?),
            (
                "SQLite".to_owned(),
                noop::run_sqlite(args.noop_models, reps)?,
            ),
        ] {
            println!(
                "no-op apply on {label}, {}-model catalogue (empty host tables): first apply {} s, \
                 then median {} ms over {} applies (samples {}): target < 100 ms",
                noop.models,
                secs(noop.first),
                (noop.median().as_secs_f64() * 1000.0).round(),
                noop.samples.len(),
                noop.samples
                    .iter()
                    .map(|d| format!("{:.0}", d.as_secs_f64() * 1000.0))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    }
    Ok(())
}

/// Builds the data set at `scale`, runs `variants` on fresh copies, prints the table.
fn compare(server: &mut Server, args: &Args, scale: &Scale, variants: &[Variant]) -> Result<()> {
    scale.check()?;
    println!(
        "data set: {} teams, {} assistants, {} pipelines, {} pipeline nodes; {} models, {} deleted, \
         {:.0} % of the rows reference a deleted one",
        scale.teams,
        scale.assistants,
        scale.pipelines,
        scale.nodes,
        scale.models,
        scale.deleted,
        scale.deleted_share * 100.0
    );
    let base = server.create("base")?;
    if args.keep {
        server.keep(&base);
    }
    eprintln!("generating the base data set in {base}…");
    let started = std::time::Instant::now();
    let ids = dataset::build(&server.url(&base), scale)?;
    let expected = verify::expected(&server.url(&base), &ids)?;
    eprintln!(
        "generated in {} s; {} rows reference a deleted model",
        secs(started.elapsed()),
        expected.repointed_rows
    );

    let writer = load::Writer {
        rate: args.writer_rate,
        scale: *scale,
    };
    let poll = Duration::from_millis(args.poll_ms.max(1));
    let mut samples: Vec<Vec<(Sample, Load)>> = vec![Vec::new(); variants.len()];
    for rep in 0..args.reps.max(1) {
        // Rotate the order so no variant always runs first.
        for offset in 0..variants.len() {
            let index = (rep + offset) % variants.len();
            let variant = variants[index];
            let copy = server.copy(&base, "run")?;
            let url = server.url(&copy);
            eprintln!("rep {}: {}…", rep + 1, variant.label());
            let probe = Probe::new(&url, writer, poll)?;
            let checkpoints_before = load::checkpoints(&url);
            let (sample, load) = spawn(variant, &url, probe)?;
            let checkpoints = checkpoints_before.zip(load::checkpoints(&url)).map(
                |((req, timed), (req_after, timed_after))| (req_after - req, timed_after - timed),
            );
            let fingerprint = verify::fingerprint(&url, &ids)?;
            server.drop_database(&copy)?;
            ensure!(
                fingerprint == expected.fingerprint,
                "{} left the data in an unexpected state: {fingerprint:?}, expected {:?}",
                variant.label(),
                expected.fingerprint
            );
            ensure!(
                sample.rows == expected.repointed_rows,
                "{} moved {} rows, expected {}",
                variant.label(),
                sample.rows,
                expected.repointed_rows
            );
            eprintln!(
                "  {} s, peak RSS {} MiB, longest transaction {} s ({} polls), {} writes \
                 ({} failed), p50 {} ms, p99 {} ms, max {} ms (each write's own time from its \
                 issue, p99: {} on repointed rows {} ms, {} on others {} ms); longest transaction's statement: {}",
                secs(sample.wall),
                sample.memory.peak_kib / 1024,
                secs(load.longest_tx),
                load.polls,
                load.latencies.len(),
                load.errors,
                millis(percentile(&load.latencies, 50.0)),
                millis(percentile(&load.latencies, 99.0)),
                millis(percentile(&load.latencies, 100.0)),
                load.on_repointed.len(),
                millis(percentile(&load.on_repointed, 99.0)),
                load.elsewhere.len(),
                millis(percentile(&load.elsewhere, 99.0)),
                load.longest_statement,
            );
            if let Some((requested, timed)) = checkpoints {
                eprintln!(
                    "  server checkpoints during the run: {requested} requested (WAL volume over \
                     max_wal_size, or forced), {timed} timed"
                );
            }
            for stall in &load.stalls {
                eprintln!(
                    "  host writes stalled from {} UTC: {} in a row at least {} ms late, the \
                     worst {} ms",
                    load::time_of_day(stall.began),
                    stall.writes,
                    load::STALLED.as_millis(),
                    millis(stall.worst)
                );
            }
            samples[index].push((sample, load));
        }
    }
    if !args.keep {
        server.drop_database(&base)?;
    }
    // The hand-written notices must be as many as the runtime's (a one-off
    // diff at --scale 0.01 found them identical, texts and links included).
    let notices: Vec<i64> = variants
        .iter()
        .zip(&samples)
        .filter(|(v, _)| {
            matches!(
                v,
                Variant::Apply | Variant::ApplyBatched | Variant::BaselineWithNotices
            )
        })
        .flat_map(|(_, runs)| runs.iter().map(|(s, _)| s.notified))
        .collect();
    ensure!(
        notices.windows(2).all(|pair| pair[0] == pair[1]),
        "the runtime and the hand-written SQL wrote different numbers of notices: {notices:?}"
    );
    print_table(variants, &samples, expected.repointed_rows);
    Ok(())
}

/// Child mode: runs one variant on `url`, prints its sample as one JSON line.
fn child(args: &Args, variant: Variant, url: &str) -> Result<()> {
    let scale = args.scale(1.0);
    let with_teams = dataset::parse(
        &dataset::catalogue_toml(&scale, true, References::WithTeams),
        "new-catalogue.toml",
    )?;
    let without_teams = dataset::parse(
        &dataset::catalogue_toml(&scale, true, References::WithoutTeams),
        "new-catalogue-without-teams.toml",
    )?;
    let ids = {
        let mut conn = Conn::establish(url)?;
        dataset::model_ids(&mut conn, &scale)?
    };
    let inputs = Inputs {
        with_teams: &with_teams,
        without_teams: &without_teams,
        ids: &ids,
        batch_size: NonZeroU64::new(args.batch_size),
    };
    let sample = variants::run(variant, url, &inputs)?;
    println!("{}", sample.to_json());
    Ok(())
}

/// Runs one variant in a child process (this binary, same arguments), the
/// probe's writer and monitor running between the child's start and end marks.
fn spawn(variant: Variant, url: &str, probe: Probe) -> Result<(Sample, Load)> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(std::env::args_os().skip(1))
        .args(["--child-run", variant.key(), "--child-url", url])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the child process")?;
    let stdout = child.stdout.take().context("the child's stdout")?;
    let mut last = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading the child's output")?;
        match line.as_str() {
            variants::START => probe.start(),
            variants::END => probe.stop(),
            _ => last = line,
        }
    }
    let status = child.wait().context("waiting for the child process")?;
    let load = probe.finish()?;
    if !status.success() {
        bail!("{} failed in its child process ({status})", variant.label());
    }
    Ok((Sample::from_json(&last)?, load))
}

/// The median wall time of `variant`'s runs, when it ran.
fn median_of(
    variants: &[Variant],
    samples: &[Vec<(Sample, Load)>],
    variant: Variant,
) -> Option<Duration> {
    variants
        .iter()
        .position(|v| *v == variant)
        .and_then(|i| samples.get(i))
        .filter(|runs| !runs.is_empty())
        .map(|runs| median(runs.iter().map(|(s, _)| s.wall).collect()))
}

/// `a / b` as `1.23x`, `-` without `b`.
fn times(a: Duration, b: Option<Duration>) -> String {
    b.map_or_else(|| "-".to_owned(), |b| format!("{:.2}x", ratio(a, b)))
}

/// The single-transaction apply a variant is compared with: the one doing
/// the same work (with notices or without).
fn single_transaction(variant: Variant) -> Variant {
    match variant {
        Variant::ApplyWithoutNotices
        | Variant::ApplyBatchedWithoutNotices
        | Variant::Baseline
        | Variant::PerRow => Variant::ApplyWithoutNotices,
        Variant::Apply | Variant::ApplyBatched | Variant::BaselineWithNotices => Variant::Apply,
    }
}

fn print_table(variants: &[Variant], samples: &[Vec<(Sample, Load)>], rows: i64) {
    let baseline = median_of(variants, samples, Variant::Baseline);
    let with_notices = median_of(variants, samples, Variant::BaselineWithNotices);
    println!("{rows} referencing rows moved by every variant (end states checked identical)\n");
    let headers = [
        "variant",
        "median s",
        "all runs s",
        "vs SQL",
        "vs SQL+notices",
        "vs 1-tx apply",
        "longest tx s",
        "writer p50 ms",
        "p99 ms",
        "max ms",
        "writes",
        "RSS MiB",
        "notices",
        "no-op ms",
    ];
    let mut table = Vec::new();
    for (variant, runs) in variants.iter().zip(samples) {
        let wall = median(runs.iter().map(|(s, _)| s.wall).collect());
        let all: Vec<String> = runs.iter().map(|(s, _)| secs(s.wall)).collect();
        let rss = runs
            .iter()
            .map(|(s, _)| s.memory.peak_kib)
            .max()
            .unwrap_or_default();
        let before = runs
            .iter()
            .map(|(s, _)| s.memory.before_kib)
            .min()
            .unwrap_or_default();
        let noop: Vec<_> = runs.iter().filter_map(|(s, _)| s.noop).collect();
        let noop = if noop.is_empty() {
            "-".to_owned()
        } else {
            format!("{:.0}", median(noop).as_secs_f64() * 1000.0)
        };
        let notices = runs.first().map_or(0, |(s, _)| s.notified);
        let longest = runs
            .iter()
            .map(|(_, l)| l.longest_tx)
            .max()
            .unwrap_or_default();
        // The writes of every run of the variant, pooled.
        let writes: Vec<Duration> = runs
            .iter()
            .flat_map(|(_, l)| l.latencies.iter().copied())
            .collect();
        let failed: u64 = runs.iter().map(|(_, l)| l.errors).sum();
        let (p50, p99, max) = if writes.is_empty() {
            ("-".to_owned(), "-".to_owned(), "-".to_owned())
        } else {
            (
                millis(percentile(&writes, 50.0)),
                millis(percentile(&writes, 99.0)),
                millis(percentile(&writes, 100.0)),
            )
        };
        let counterpart = single_transaction(*variant);
        let single = median_of(variants, samples, counterpart);
        table.push(vec![
            variant.label().to_owned(),
            secs(wall),
            all.join(" "),
            times(wall, baseline),
            times(wall, with_notices),
            times(wall, single),
            secs(longest),
            p50,
            p99,
            max,
            if failed == 0 {
                writes.len().to_string()
            } else {
                format!("{} ({failed} failed)", writes.len())
            },
            format!("{}→{}", before / 1024, rss / 1024),
            notices.to_string(),
            noop,
        ]);
    }
    print!("{}", report::markdown_table(&headers, &table));
    println!();
    for (variant, runs) in variants.iter().zip(samples) {
        if let Some((_, load)) = runs.iter().max_by_key(|(_, l)| l.longest_tx) {
            println!(
                "longest transaction of {}: {} s, its statement seen running longest (MariaDB: the last seen): {}",
                variant.label(),
                secs(load.longest_tx),
                if load.longest_statement.is_empty() {
                    "-"
                } else {
                    &load.longest_statement
                }
            );
        }
    }
    println!(
        "\n(vs 1-tx apply: against the single-transaction apply doing the same work, with \
         notices or without; longest tx: the longest open transaction of the run's sessions \
         other than the writer's, max over the runs, polled, so short by up to one poll \
         interval; writer: every run's writes pooled, latency from each write's scheduled \
         time; RSS: resident before → peak during)"
    );
    let runtime_ms: Vec<String> = samples
        .iter()
        .flatten()
        .filter_map(|(s, _)| s.runtime_ms)
        .map(|ms| ms.to_string())
        .collect();
    if !runtime_ms.is_empty() {
        println!(
            "(the runtime's own duration_ms of each apply: {}; no-op: a second apply of the \
             same catalogue on the migrated data)",
            runtime_ms.join(" ")
        );
    }
    if samples.iter().flatten().any(|(s, _)| !s.memory.reset) {
        println!("(the kernel refused to reset VmHWM: the peaks cover the whole process)");
    }
    println!();
}
