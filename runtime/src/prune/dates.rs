//! Calendar arithmetic for ages: days between a date (or a commit time) and now,
//! in UTC, without a date-time dependency.

use llm_lifecycle_catalog::Date;

/// Seconds in a day.
const DAY: i64 = 86_400;

/// `YYYY-MM-DD` (UTC) of a Unix time.
pub(crate) fn utc_date(unix_seconds: i64) -> String {
    Date::from_day_number(unix_seconds.div_euclid(DAY)).map_or_else(
        || format!("day {}", unix_seconds.div_euclid(DAY)),
        |d| d.to_string(),
    )
}

/// Whole days from a Unix time to `now` (never negative).
pub(crate) fn days_since_time(unix_seconds: i64, now: i64) -> i64 {
    (now - unix_seconds).div_euclid(DAY).max(0)
}

/// Whole days from a calendar date (midnight UTC) to `now` (never negative).
pub(crate) fn days_since_date(date: Date, now: i64) -> i64 {
    (now.div_euclid(DAY) - date.day_number()).max(0)
}

/// The current Unix time.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(utc_date(1_772_582_400), "2026-03-04");
    }

    #[test]
    fn ages_count_whole_days() {
        let date = Date {
            year: 2026,
            month: 3,
            day: 4,
        };
        let midnight = 1_772_582_400;
        assert_eq!(days_since_date(date, midnight), 0);
        assert_eq!(days_since_date(date, midnight + 30 * DAY + 5), 30);
        assert_eq!(days_since_date(date, midnight - DAY), 0);
        assert_eq!(days_since_time(midnight, midnight + 31 * DAY - 1), 30);
    }
}
