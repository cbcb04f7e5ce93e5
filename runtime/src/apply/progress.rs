//! The progress bar an apply draws on a terminal (never elsewhere): rows
//! moved, with the total and an ETA (the plan counts the rows whenever the
//! bar is drawn, on every engine). It ticks on its own, so the spinner keeps
//! moving while one long statement runs.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// How often the spinner moves while a statement runs.
const TICK: Duration = Duration::from_millis(120);

/// A bar over `rows` rows, drawn only when `enabled` (a terminal, not
/// `--quiet`) and there is something to count.
pub(super) fn bar(enabled: bool, what: &str, rows: u64) -> ProgressBar {
    if !enabled || rows == 0 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(rows);
    if let Ok(style) = ProgressStyle::with_template(&template(what)) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(TICK);
    bar
}

/// A spinner with `what` and a message, drawn only when `enabled`: for steps
/// whose total is not known (a batched apply's notices).
pub(super) fn spinner(enabled: bool, what: &str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let spinner = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template(&format!("{{spinner}} {what} {{msg}}")) {
        spinner.set_style(style);
    }
    spinner.enable_steady_tick(TICK);
    spinner
}

/// The bar's line: rows with their rate and ETA.
fn template(what: &str) -> String {
    format!(
        "{{spinner}} {what} [{{bar:30}}] {{human_pos}}/{{human_len}} rows, \
         {{per_sec}}, ETA {{eta}} {{msg}}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_drawn_off_a_terminal_or_with_nothing_to_count() {
        assert!(bar(false, "moving", 10).is_hidden());
        assert!(bar(true, "moving", 0).is_hidden());
        assert!(spinner(false, "telling").is_hidden());
    }

    #[test]
    fn the_templates_are_ones_indicatif_accepts() {
        // A template it rejects would leave the bar with indicatif's default
        // style (no rows, no ETA) without a word.
        let template = template("repointing references");
        assert!(
            ProgressStyle::with_template(&template).is_ok(),
            "{template}"
        );
        assert!(template.contains("ETA {eta}"));
    }
}
