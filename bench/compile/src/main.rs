//! Compile-time benchmark of `catalog!`.
//!
//! For each size (default 100, 1,000 and 5,000 models) it generates a catalogue,
//! then builds two scratch crates side by side: one invoking
//! `llm_lifecycle_macros::catalog!`, one holding the very code the macro expands
//! to, written out as plain Rust (the same code generator, included from
//! `macros/src/codegen`). Dependencies are built first; each timed run rewrites
//! the crate's `lib.rs` and rebuilds only that crate, alternating the two, and
//! the median of the repetitions is reported. "net" subtracts cargo's own
//! overhead (a build with nothing to do). The real catalogue (`models.toml`) is
//! compared with an empty crate with the same dependencies: what it adds.
//!
//! ```text
//! cargo run -p llm-lifecycle-compile-bench --release -- --sizes 100,1000,5000 --reps 5
//! ```
#![forbid(unsafe_code)]

#[allow(dead_code, unreachable_pub)]
#[path = "../../../macros/src/codegen/mod.rs"]
mod codegen;
mod scratch;
mod synthetic;
mod timing;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;

use scratch::{Crate, Workspace};
use timing::{Builder, median};

/// Times `catalog!` against the same enum, tables and impls written by hand.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Catalogue sizes, in live models.
    #[arg(long, value_delimiter = ',', default_value = "100,1000,5000")]
    sizes: Vec<usize>,
    /// Timed builds per crate (the median is reported).
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Where the scratch workspace lives (kept between runs, so its
    /// dependencies stay built). Default: `target/compile-bench` of the repository.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Build the scratch crates with `--release` instead of the dev profile.
    #[arg(long)]
    release_builds: bool,
    /// Keep rustc's incremental compilation on (off by default: it would reuse
    /// work across the touch-and-rebuild runs).
    #[arg(long)]
    incremental: bool,
    /// Skip the real catalogue's measurement.
    #[arg(long)]
    skip_real: bool,
}

/// The medians of one crate.
struct Measured {
    gross: Duration,
    net: Duration,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let repo = repo
        .canonicalize()
        .with_context(|| format!("finding the repository at {}", repo.display()))?;
    let work_dir = args
        .work_dir
        .clone()
        .unwrap_or_else(|| repo.join("target").join("compile-bench"));
    std::fs::create_dir_all(&work_dir)?;
    let mut workspace = Workspace::new(&work_dir.canonicalize()?, &repo);

    let mut pairs = Vec::new();
    for &size in &args.sizes {
        let dir = format!("n{size}");
        workspace.write_catalogue(&dir, &synthetic::catalogue(size))?;
        pairs.push((size, workspace.pair(&dir)?));
    }
    let real = if args.skip_real {
        None
    } else {
        let text = std::fs::read_to_string(repo.join("models.toml"))?;
        workspace.write_catalogue("real", &text)?;
        let with_macro = workspace.add_crate(
            "real-macro",
            "llm_lifecycle_macros::catalog!(\"../real/models.toml\");\n",
        )?;
        let empty = workspace.add_crate("real-empty", "")?;
        Some((with_macro, empty))
    };
    workspace.finish()?;

    let builder = Builder {
        root: workspace.root().to_owned(),
        cargo_args: if args.release_builds {
            vec!["--release".to_owned()]
        } else {
            Vec::new()
        },
        incremental: args.incremental,
    };
    eprintln!("scratch workspace: {}", workspace.root().display());
    eprintln!("building dependencies and warming every crate once…");
    for (_, (with_macro, by_hand)) in &pairs {
        builder.warm(with_macro)?;
        builder.warm(by_hand)?;
    }
    if let Some((with_macro, empty)) = &real {
        builder.warm(with_macro)?;
        builder.warm(empty)?;
    }

    println!(
        "profile: {}, incremental: {}, {} repetitions, median wall time of `cargo build -p <crate>` after touching its lib.rs\n",
        if args.release_builds {
            "release"
        } else {
            "dev"
        },
        if args.incremental { "on" } else { "off" },
        args.reps
    );
    println!(
        "{:>7} | {:>11} | {:>12} | {:>6} | {:>11} | {:>12} | {:>9}",
        "models", "catalog! s", "by hand s", "ratio", "net macro s", "net hand s", "net ratio"
    );
    println!("{}", "-".repeat(86));
    for (size, (with_macro, by_hand)) in &pairs {
        eprintln!("timing {size} models…");
        let [macro_time, hand_time] = measure_pair(&builder, with_macro, by_hand, args.reps)?;
        println!(
            "{:>7} | {:>11.3} | {:>12.3} | {:>5.2}x | {:>11.3} | {:>12.3} | {:>8.2}x",
            size,
            macro_time.gross.as_secs_f64(),
            hand_time.gross.as_secs_f64(),
            ratio(macro_time.gross, hand_time.gross),
            macro_time.net.as_secs_f64(),
            hand_time.net.as_secs_f64(),
            ratio(macro_time.net, hand_time.net),
        );
    }
    if let Some((with_macro, empty)) = &real {
        eprintln!("timing the real catalogue…");
        let [with, without] = measure_pair(&builder, with_macro, empty, args.reps)?;
        println!(
            "\nreal models.toml (90 models): crate with catalog! {:.3} s, empty crate with the same \
             dependencies {:.3} s: the catalogue adds {:.3} s",
            with.gross.as_secs_f64(),
            without.gross.as_secs_f64(),
            with.gross.saturating_sub(without.gross).as_secs_f64()
        );
    }
    Ok(())
}

/// Times two crates, alternating them in each repetition.
fn measure_pair(
    builder: &Builder,
    first: &Crate,
    second: &Crate,
    reps: usize,
) -> Result<[Measured; 2]> {
    let mut samples = [Vec::new(), Vec::new()];
    let mut fresh = [Vec::new(), Vec::new()];
    for _ in 0..reps.max(1) {
        for (index, krate) in [first, second].into_iter().enumerate() {
            samples[index].push(builder.touch_and_build(krate)?);
            fresh[index].push(builder.fresh_build(krate)?);
        }
    }
    let [first_samples, second_samples] = samples;
    let [first_fresh, second_fresh] = fresh;
    Ok([
        measured(first_samples, first_fresh),
        measured(second_samples, second_fresh),
    ])
}

fn measured(samples: Vec<Duration>, fresh: Vec<Duration>) -> Measured {
    let gross = median(samples);
    Measured {
        gross,
        net: gross.saturating_sub(median(fresh)),
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    if b.is_zero() {
        f64::NAN
    } else {
        a.as_secs_f64() / b.as_secs_f64()
    }
}
