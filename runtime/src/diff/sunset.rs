//! Sunsets: each deprecated model's retirement date and the days left.

use std::fmt;

use serde::Serialize;

use super::ModelId;

/// A deprecated model with a `sunset` date in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sunset {
    /// The model.
    pub model: ModelId,
    /// Its `sunset` (`2027-01-31`).
    pub sunset: String,
    /// Days from the plan's today to the sunset: 0 on the day, negative once
    /// it has passed.
    pub days_left: i64,
    /// The end of its replacement chain, what its users move to.
    pub replacement: Option<ModelId>,
}

impl Sunset {
    /// The sunset has passed (the day itself is not past).
    #[must_use]
    pub fn is_past_due(&self) -> bool {
        self.days_left < 0
    }
}

impl fmt::Display for Sunset {
    /// `openai/gpt-4 retires on 2027-01-31: 59 days left (use openai/gpt-4.1)`,
    /// `openai/gpt-4 retired on 2026-11-01, 32 days ago: past due (…)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            model,
            sunset,
            days_left,
            ..
        } = self;
        match days_left {
            ..0 => write!(
                f,
                "{model} retired on {sunset}, {} day{} ago: past due",
                -days_left,
                if *days_left == -1 { "" } else { "s" }
            )?,
            0 => write!(f, "{model} retires today ({sunset})")?,
            1 => write!(f, "{model} retires on {sunset}: 1 day left")?,
            _ => write!(f, "{model} retires on {sunset}: {days_left} days left")?,
        }
        match &self.replacement {
            Some(to) => write!(f, " (use {to})"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sunset(days_left: i64, replacement: bool) -> String {
        Sunset {
            model: ModelId::new("openai", "gpt-4"),
            sunset: "2027-01-31".to_owned(),
            days_left,
            replacement: replacement.then(|| ModelId::new("openai", "gpt-4.1")),
        }
        .to_string()
    }

    #[test]
    fn days_left_read_naturally() {
        assert_eq!(
            sunset(59, true),
            "openai/gpt-4 retires on 2027-01-31: 59 days left (use openai/gpt-4.1)"
        );
        assert_eq!(
            sunset(1, false),
            "openai/gpt-4 retires on 2027-01-31: 1 day left"
        );
        assert_eq!(sunset(0, false), "openai/gpt-4 retires today (2027-01-31)");
        assert_eq!(
            sunset(-1, false),
            "openai/gpt-4 retired on 2027-01-31, 1 day ago: past due"
        );
        assert_eq!(
            sunset(-32, true),
            "openai/gpt-4 retired on 2027-01-31, 32 days ago: past due (use openai/gpt-4.1)"
        );
    }
}
