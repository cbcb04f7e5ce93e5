//! The progress bar an apply draws on a terminal (never elsewhere): rows
//! moved, with the total and an ETA when the rows were counted (batches, and
//! the single transaction on engines whose plan counts them), else reference
//! columns done. It ticks on its own, so the spinner keeps moving while one
//! long statement runs.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// How often the spinner moves while a statement runs.
const TICK: Duration = Duration::from_millis(120);

/// What a bar counts.
pub(super) enum Unit {
    /// Rows, out of this many.
    Rows(u64),
    /// Reference columns, out of this many.
    Columns(usize),
}

/// A bar over `unit`, drawn only when `enabled` (a terminal, not `--quiet`)
/// and there is something to count.
pub(super) fn bar(enabled: bool, what: &str, unit: &Unit) -> ProgressBar {
    let len = match *unit {
        Unit::Rows(rows) => rows,
        Unit::Columns(columns) => u64::try_from(columns).unwrap_or(u64::MAX),
    };
    if !enabled || len == 0 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(&template(what, unit)) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(TICK);
    bar
}

/// The bar's line: rows with their rate and ETA, or columns.
fn template(what: &str, unit: &Unit) -> String {
    match unit {
        Unit::Rows(_) => format!(
            "{{spinner}} {what} [{{bar:30}}] {{human_pos}}/{{human_len}} rows, \
             {{per_sec}}, ETA {{eta}} {{msg}}"
        ),
        Unit::Columns(_) => {
            format!("{{spinner}} {what} [{{bar:30}}] {{pos}}/{{len}} columns {{msg}}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_drawn_off_a_terminal_or_with_nothing_to_count() {
        assert!(bar(false, "moving", &Unit::Rows(10)).is_hidden());
        assert!(bar(true, "moving", &Unit::Rows(0)).is_hidden());
        assert!(bar(true, "moving", &Unit::Columns(0)).is_hidden());
    }

    #[test]
    fn the_templates_are_ones_indicatif_accepts() {
        // A template it rejects would leave the bar with indicatif's default
        // style (no rows, no ETA) without a word.
        for unit in [Unit::Rows(5), Unit::Columns(2)] {
            let template = template("repointing references", &unit);
            assert!(
                ProgressStyle::with_template(&template).is_ok(),
                "{template}"
            );
        }
        assert!(template("x", &Unit::Rows(1)).contains("ETA {eta}"));
    }
}
