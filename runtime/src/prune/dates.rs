//! Calendar arithmetic for ages: days between a date (or a commit time) and now,
//! in UTC, without a date-time dependency.

use llm_lifecycle_catalog::Date;

/// Seconds in a day.
const DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The UTC calendar date of a day number (inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// `YYYY-MM-DD` (UTC) of a Unix time.
pub(crate) fn utc_date(unix_seconds: i64) -> String {
    let (year, month, day) = civil_from_days(unix_seconds.div_euclid(DAY));
    format!("{year:04}-{month:02}-{day:02}")
}

/// Whole days from a Unix time to `now` (never negative).
pub(crate) fn days_since_time(unix_seconds: i64, now: i64) -> i64 {
    (now - unix_seconds).div_euclid(DAY).max(0)
}

/// Whole days from a calendar date (midnight UTC) to `now` (never negative).
pub(crate) fn days_since_date(date: Date, now: i64) -> i64 {
    let start = days_from_civil(
        i64::from(date.year),
        u32::from(date.month),
        u32::from(date.day),
    );
    (now.div_euclid(DAY) - start).max(0)
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
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for days in [-800_000, -1, 0, 59, 60, 11_016, 20_000, 30_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
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
