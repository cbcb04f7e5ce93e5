//! Compile-time benchmark of `catalog!`.
//!
//! For each size (default 100, 1,000 and 5,000 models) it generates a catalogue,
//! then builds three scratch crates side by side: one invoking
//! `llm_lifecycle::catalog!` (each crate depends on llm-lifecycle only, without
//! default features, as a user's does), one holding the very code the macro expands
//! to, written out as plain Rust (the same code generator), and the floor: a
//! minimal hand-written table-driven enum of the same models (no docs, no
//! `model!`; see `floor.rs`), what rustc costs for an enum of that size at
//! least. Dependencies are built first; each timed run rewrites the crate's
//! `lib.rs` and rebuilds only that crate, alternating the three, and the median
//! of the repetitions is reported. "net" subtracts cargo's own overhead (a
//! build with nothing to do); "ms/model" is the net time per model, and the
//! last lines compare it between the largest and the smallest size (1.00× is
//! linear growth). The real catalogue (`models.toml`) is compared with an empty
//! crate with the same dependencies: what it adds.
//!
//! ```text
//! cargo run -p llm-lifecycle-compile-bench --release -- --sizes 5000,40000 --reps 3
//! ```
#![forbid(unsafe_code)]

mod floor;
mod scratch;
mod synthetic;
mod timing;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;

use scratch::{Crate, Workspace};
use timing::{Builder, median};

/// Times `catalog!` against the same enum, tables and impls written by hand,
/// and against a minimal hand-written enum (the floor).
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

    let mut trios = Vec::new();
    for &size in &args.sizes {
        let dir = format!("n{size}");
        workspace.write_catalogue(&dir, &synthetic::catalogue(size))?;
        trios.push((size, workspace.trio(&dir)?));
    }
    let real = if args.skip_real {
        None
    } else {
        let text = std::fs::read_to_string(repo.join("models.toml"))?;
        workspace.write_catalogue("real", &text)?;
        let with_macro =
            workspace.add_crate("real-macro", &scratch::catalog_call("../real/models.toml"))?;
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
    for (_, crates) in &trios {
        for krate in crates {
            builder.warm(krate)?;
        }
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
        "{:>7} | {:>10} | {:>10} | {:>10} | {:>12} | {:>12} | {:>12} | {:>10} | {:>10}",
        "models",
        "catalog! s",
        "by hand s",
        "floor s",
        "net macro s",
        "net hand s",
        "net floor s",
        "macro/hand",
        "macro/floor"
    );
    println!("{}", "-".repeat(124));
    let mut per_model = Vec::new();
    for (size, crates) in &trios {
        eprintln!("timing {size} models…");
        let [with_macro, by_hand, floor] = measure(&builder, crates, args.reps)?;
        println!(
            "{:>7} | {:>10.3} | {:>10.3} | {:>10.3} | {:>12.3} | {:>12.3} | {:>12.3} | {:>9.2}x | {:>10.2}x",
            size,
            with_macro.gross.as_secs_f64(),
            by_hand.gross.as_secs_f64(),
            floor.gross.as_secs_f64(),
            with_macro.net.as_secs_f64(),
            by_hand.net.as_secs_f64(),
            floor.net.as_secs_f64(),
            ratio(with_macro.net, by_hand.net),
            ratio(with_macro.net, floor.net),
        );
        per_model.push((*size, [with_macro.net, by_hand.net, floor.net]));
    }
    println!("\nnet ms per model:");
    for (size, nets) in &per_model {
        let [with_macro, by_hand, floor] = nets.map(|net| millis_per_model(net, *size));
        println!(
            "{size:>7} models: catalog! {with_macro:.3}, by hand {by_hand:.3}, floor {floor:.3}"
        );
    }
    if let (Some((small, small_nets)), Some((large, large_nets))) =
        (per_model.first(), per_model.last())
        && small != large
    {
        let names = ["catalog!", "by hand", "floor"];
        let growth: Vec<String> = (0..3)
            .map(|index| {
                let at = |size: usize, nets: &[Duration; 3]| {
                    nets.get(index)
                        .map_or(f64::NAN, |&net| millis_per_model(net, size))
                };
                format!(
                    "{} {:.2}x",
                    names.get(index).copied().unwrap_or_default(),
                    at(*large, large_nets) / at(*small, small_nets)
                )
            })
            .collect();
        println!(
            "cost per model at {large} / at {small} models: {}",
            growth.join(", ")
        );
    }
    if let Some((with_macro, empty)) = &real {
        eprintln!("timing the real catalogue…");
        let [with, without] = measure(&builder, &[with_macro.clone(), empty.clone()], args.reps)?;
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

/// Times some crates, alternating them in each repetition.
fn measure<const N: usize>(
    builder: &Builder,
    crates: &[Crate; N],
    reps: usize,
) -> Result<[Measured; N]> {
    let mut samples: [Vec<Duration>; N] = std::array::from_fn(|_| Vec::new());
    let mut fresh: [Vec<Duration>; N] = std::array::from_fn(|_| Vec::new());
    for _ in 0..reps.max(1) {
        for ((krate, samples), fresh) in crates.iter().zip(&mut samples).zip(&mut fresh) {
            samples.push(builder.touch_and_build(krate)?);
            fresh.push(builder.fresh_build(krate)?);
        }
    }
    let mut fresh = fresh.into_iter();
    Ok(samples.map(|samples| measured(samples, fresh.next().unwrap_or_default())))
}

/// Net milliseconds per model.
fn millis_per_model(net: Duration, models: usize) -> f64 {
    net.as_secs_f64() * 1000.0 / models.max(1) as f64
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
