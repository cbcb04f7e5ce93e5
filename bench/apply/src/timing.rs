//! Medians and ratios of wall times.

use std::time::Duration;

/// The median (the lower middle for an even count); zero when empty.
pub(crate) fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    match samples.len() {
        0 => Duration::ZERO,
        n => samples[(n - 1) / 2],
    }
}

/// The `p`-th percentile (0..=100) by nearest rank: the smallest sample at
/// or above `p` % of them; zero when empty.
pub(crate) fn percentile(samples: &[Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds with one decimal.
pub(crate) fn millis(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

/// `a / b`, NaN when `b` is zero.
pub(crate) fn ratio(a: Duration, b: Duration) -> f64 {
    if b.is_zero() {
        f64::NAN
    } else {
        a.as_secs_f64() / b.as_secs_f64()
    }
}

/// Seconds with three decimals.
pub(crate) fn secs(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_sample() {
        let ms = Duration::from_millis;
        assert_eq!(median(vec![ms(3), ms(1), ms(2)]), ms(2));
        assert_eq!(median(vec![ms(4), ms(1), ms(2), ms(3)]), ms(2));
        assert_eq!(median(Vec::new()), Duration::ZERO);
        assert!((ratio(ms(3), ms(2)) - 1.5).abs() < 1e-9);
        assert!(ratio(ms(3), Duration::ZERO).is_nan());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let ms = Duration::from_millis;
        let samples: Vec<Duration> = (1..=100).rev().map(ms).collect();
        assert_eq!(percentile(&samples, 50.0), ms(50));
        assert_eq!(percentile(&samples, 99.0), ms(99));
        assert_eq!(percentile(&samples, 100.0), ms(100));
        assert_eq!(percentile(&samples, 0.0), ms(1));
        assert_eq!(percentile(&[ms(7)], 99.0), ms(7));
        assert_eq!(percentile(&[ms(1), ms(2), ms(3)], 50.0), ms(2));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
        assert_eq!(millis(Duration::from_micros(12_345)), "12.3");
    }
}
