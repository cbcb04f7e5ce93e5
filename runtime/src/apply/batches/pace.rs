//! How many rows the next batch takes: at most the batch size, fewer while
//! batches take longer than [`BATCH_TARGET`] (100 ms).
//!
//! A batch holds the row lock of every row it moves until its COMMIT, and a
//! host write to one of those rows waits for it. So what bounds the host's
//! wait is the batch's *time*, and the batch size alone does not: at ten
//! times the apply benchmark's scale a batch of 10,000 assistants (an
//! integer foreign key, whose every moved row is checked against the model
//! table) took 220–585 ms, and each of the writer's slowest writes was one
//! that waited for such a batch to commit. So the batches of a table start
//! at [`FEWEST_ROWS`] (1,000; the batch size when it is smaller) and, after
//! each batch, the next one is sized from the rows per second the last one
//! moved, so that it takes about [`BATCH_TARGET`]: smaller at once after a
//! batch that ran long, larger by at most twice per batch after quick ones,
//! never above the batch size and never below [`FEWEST_ROWS`], so a slow
//! server cannot turn an apply into a walk of single rows. (Starting at the
//! batch size instead, the first batch of each table held its 10,000 rows'
//! locks for up to half a second.)

use std::num::NonZeroU64;
use std::time::Duration;

use crate::diff::{BATCH_TARGET, FEWEST_ROWS};

/// The size of the next batch of one table's walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pace {
    /// The batch size: no batch takes more.
    most: u64,
    /// No batch is sized below this.
    least: u64,
    /// The next batch's size.
    rows: u64,
}

impl Pace {
    /// The first batch takes [`FEWEST_ROWS`], or `batch_size` when it is
    /// smaller.
    pub(super) fn new(batch_size: NonZeroU64) -> Self {
        let most = batch_size.get();
        let least = most.min(FEWEST_ROWS);
        Self {
            most,
            least,
            rows: least,
        }
    }

    /// How many rows the next batch takes at most.
    pub(super) fn rows(&self) -> NonZeroU64 {
        NonZeroU64::new(self.rows).unwrap_or(NonZeroU64::MIN)
    }

    /// After a batch that moved `moved` rows in `took`: the next one's size.
    /// A batch that moved nothing (the walk's end) changes nothing.
    pub(super) fn record(&mut self, moved: u64, took: Duration) {
        if moved == 0 {
            return;
        }
        let doubled = self.rows.saturating_mul(2);
        // (A float in range: the cast saturates.)
        let fits = fitting(moved, took, BATCH_TARGET) as u64;
        self.rows = fits.min(doubled).clamp(self.least, self.most);
    }
}

/// How many rows (or keys) would take `target` at the rate of a statement
/// that handled `width` of them in `took` (taken as 0.1 ms at least).
pub(super) fn fitting(width: u64, took: Duration, target: Duration) -> f64 {
    width as f64 * target.as_secs_f64() / took.as_secs_f64().max(1e-4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pace(batch_size: u64) -> Pace {
        Pace::new(NonZeroU64::new(batch_size).unwrap_or(NonZeroU64::MIN))
    }

    const fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn the_first_batch_takes_the_fewest_rows_or_the_batch_size_when_smaller() {
        assert_eq!(pace(10_000).rows().get(), FEWEST_ROWS);
        assert_eq!(pace(FEWEST_ROWS).rows().get(), FEWEST_ROWS);
        assert_eq!(pace(2).rows().get(), 2);
    }

    #[test]
    fn a_batch_that_ran_long_makes_the_next_one_smaller_in_proportion() {
        let mut pace = pace(10_000);
        pace.record(1_000, ms(10));
        pace.record(2_000, ms(20));
        pace.record(4_000, ms(40));
        assert_eq!(pace.rows().get(), 8_000);
        // 8,000 rows in 320 ms: 2,500 fit in 100 ms.
        pace.record(8_000, ms(320));
        assert_eq!(pace.rows().get(), 2_500);
        // At that rate it stays.
        pace.record(2_500, ms(100));
        assert_eq!(pace.rows().get(), 2_500);
    }

    #[test]
    fn quick_batches_grow_by_at_most_twice_and_never_past_the_batch_size() {
        let mut pace = pace(10_000);
        // 1,000 rows in 1 ms would fit 100,000: twice the last, at most.
        pace.record(1_000, ms(1));
        assert_eq!(pace.rows().get(), 2_000);
        pace.record(2_000, ms(1));
        assert_eq!(pace.rows().get(), 4_000);
        pace.record(4_000, ms(1));
        pace.record(8_000, ms(1));
        assert_eq!(pace.rows().get(), 10_000);
        pace.record(10_000, ms(1));
        assert_eq!(pace.rows().get(), 10_000);
    }

    #[test]
    fn a_batch_never_shrinks_below_the_fewest_rows() {
        let mut pace = pace(10_000);
        pace.record(1_000, ms(1));
        pace.record(2_000, Duration::from_secs(60));
        assert_eq!(pace.rows().get(), FEWEST_ROWS);
        pace.record(FEWEST_ROWS, Duration::from_secs(60));
        assert_eq!(pace.rows().get(), FEWEST_ROWS);
    }

    #[test]
    fn a_batch_size_below_the_fewest_rows_is_never_changed() {
        let mut pace = pace(2);
        pace.record(2, Duration::from_secs(5));
        assert_eq!(pace.rows().get(), 2);
        pace.record(2, Duration::ZERO);
        assert_eq!(pace.rows().get(), 2);
    }

    #[test]
    fn the_end_of_a_walk_changes_nothing() {
        let mut pace = pace(10_000);
        pace.record(1_000, ms(40));
        let before = pace;
        pace.record(0, ms(900));
        assert_eq!(pace, before);
    }

    #[test]
    fn a_batch_of_no_measurable_time_does_not_overflow() {
        let mut pace = pace(u64::MAX);
        for _ in 0..80 {
            pace.record(pace.rows().get(), Duration::ZERO);
        }
        assert_eq!(pace.rows().get(), u64::MAX);
    }
}
