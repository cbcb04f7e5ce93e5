//! Timed `cargo build`s of one scratch crate, dependencies already built.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::scratch::Crate;

/// How the scratch crates are built.
#[derive(Debug, Clone)]
pub(crate) struct Builder {
    /// The scratch workspace.
    pub(crate) root: std::path::PathBuf,
    /// Extra `cargo build` arguments (e.g. `--release`).
    pub(crate) cargo_args: Vec<String>,
    /// Whether rustc's incremental compilation is on.
    pub(crate) incremental: bool,
}

impl Builder {
    /// Builds `krate` (and whatever it needs) once, untimed.
    pub(crate) fn warm(&self, krate: &Crate) -> Result<()> {
        self.build(krate).map(drop)
    }

    /// Rewrites `src/lib.rs` (a new mtime, same content) and times its rebuild.
    pub(crate) fn touch_and_build(&self, krate: &Crate) -> Result<Duration> {
        touch(&krate.lib_rs)?;
        self.build(krate)
    }

    /// Times a build with nothing changed: cargo's own overhead.
    pub(crate) fn fresh_build(&self, krate: &Crate) -> Result<Duration> {
        self.build(krate)
    }

    fn build(&self, krate: &Crate) -> Result<Duration> {
        let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        command
            .current_dir(&self.root)
            .env("CARGO_TARGET_DIR", self.root.join("target"))
            .env(
                "CARGO_INCREMENTAL",
                if self.incremental { "1" } else { "0" },
            )
            .env_remove("RUSTFLAGS")
            .args(["build", "--quiet", "--offline", "--package", &krate.name])
            .args(&self.cargo_args);
        let started = Instant::now();
        let output = command
            .output()
            .with_context(|| format!("running cargo build -p {}", krate.name))?;
        let elapsed = started.elapsed();
        if !output.status.success() {
            bail!(
                "cargo build -p {} failed:\n{}",
                krate.name,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(elapsed)
    }
}

fn touch(path: &Path) -> Result<()> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    // Rewriting gives a new modification time; sleep past coarse mtime granularity.
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// The median of some durations (the mean of the middle two for an even count).
pub(crate) fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    match samples.len() {
        0 => Duration::ZERO,
        len if len % 2 == 1 => samples[len / 2],
        len => (samples[len / 2 - 1] + samples[len / 2]) / 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        assert_eq!(median(vec![ms(3), ms(1), ms(2)]), ms(2));
        assert_eq!(
            median(vec![ms(4), ms(1), ms(2), ms(3)]),
            Duration::from_micros(2500)
        );
        assert_eq!(median(Vec::new()), Duration::ZERO);
    }
}
