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
}
