//! `2027-01-31` → [`Date`], for the dates a caller passes to an edit.

use std::str::FromStr;

use crate::model::Date;

/// Why a date did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a date: write it as YYYY-MM-DD, e.g. `2027-01-31`")]
pub struct DateError {
    /// The text as given.
    pub input: String,
}

impl FromStr for Date {
    type Err = DateError;

    /// Parses `YYYY-MM-DD` (a real calendar day, as TOML local dates are).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = || DateError {
            input: input.to_owned(),
        };
        let bytes = input.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(error());
        }
        let number = |range: std::ops::Range<usize>| -> Result<u16, DateError> {
            let part = &input[range];
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().map_err(|_| error())
            } else {
                Err(error())
            }
        };
        let year = number(0..4)?;
        let month = u8::try_from(number(5..7)?).map_err(|_| error())?;
        let day = u8::try_from(number(8..10)?).map_err(|_| error())?;
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(error()),
        };
        if day == 0 || day > days {
            return Err(error());
        }
        Ok(Date { year, month, day })
    }
}
