//! Deciding, per deleted entry, whether it can leave the catalogue.

use std::fmt;

use serde::Serialize;

use super::environments::{EntryStatus, EnvironmentReport};

/// What prune concludes about a deleted entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// Applied everywhere and on the branch long enough: it can be removed.
    Safe,
    /// Applied everywhere, but not on the branch for `--min-age` yet.
    TooRecent {
        /// Days on the branch so far (0 when not on it yet).
        days: i64,
    },
    /// Some environments have not applied the deletion.
    Pending {
        /// Their names.
        environments: Vec<String>,
    },
    /// Neither git history nor `deleted_on` tells how old the deletion is.
    UnknownAge,
    /// Some environments could not be read: nothing can be concluded.
    Unreachable {
        /// Their names.
        environments: Vec<String>,
    },
    /// Safe on its own, but a model of the catalogue (a live one, or another
    /// deleted entry that stays) names it as its replacement: removing it would
    /// break the catalogue.
    NeededBy {
        /// The entries (`provider/name`) that need it.
        entries: Vec<String>,
    },
}

impl Verdict {
    /// Whether prune could decide (an unreachable environment or an unknown age cannot).
    #[must_use]
    pub fn is_decided(&self) -> bool {
        !matches!(self, Self::UnknownAge | Self::Unreachable { .. })
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Safe => f.write_str("safe"),
            Self::TooRecent { days } => write!(f, "too recent ({days} days)"),
            Self::Pending { environments } => write!(f, "pending in: {}", environments.join(", ")),
            Self::UnknownAge => f.write_str("unknown age"),
            Self::Unreachable { environments } => {
                write!(f, "unreachable: {}", environments.join(", "))
            }
            Self::NeededBy { entries } => write!(f, "needed by {}", entries.join(", ")),
        }
    }
}

/// The verdict on one entry from the environments' statuses (`index` is the
/// entry's position) and its age in days (`None`: unknown).
pub(crate) fn decide(
    index: usize,
    environments: &[EnvironmentReport],
    age_days: Option<i64>,
    min_age_days: u32,
) -> Verdict {
    let with = |wanted: fn(&EntryStatus) -> bool| -> Vec<String> {
        environments
            .iter()
            .filter(|environment| environment.statuses.get(index).is_some_and(wanted))
            .map(|environment| environment.name.clone())
            .collect()
    };
    let unreachable = with(|status| matches!(status, EntryStatus::Unreachable));
    if !unreachable.is_empty() {
        return Verdict::Unreachable {
            environments: unreachable,
        };
    }
    let pending = with(|status| matches!(status, EntryStatus::Pending { .. }));
    if !pending.is_empty() {
        return Verdict::Pending {
            environments: pending,
        };
    }
    match age_days {
        None => Verdict::UnknownAge,
        Some(days) if days < i64::from(min_age_days) => Verdict::TooRecent { days },
        Some(_) => Verdict::Safe,
    }
}

/// Downgrades safe entries that something staying names as its replacement,
/// until nothing changes. `entries` are the deleted entries as `(provider,
/// name, replacement)`; `live` the live models (deprecated ones included) in
/// the same form: they always stay, so whatever they name stays too.
pub(crate) fn protect_replacements(
    entries: &[(&str, &str, Option<&str>)],
    live: &[(&str, &str, Option<&str>)],
    verdicts: &mut [Verdict],
) {
    loop {
        let mut changed = false;
        for target in 0..entries.len() {
            if verdicts[target] != Verdict::Safe {
                continue;
            }
            let (provider, name, _) = entries[target];
            let names_target = |(other_provider, _, replacement): &(&str, &str, Option<&str>)| {
                *other_provider == provider && *replacement == Some(name)
            };
            let staying_entries = entries
                .iter()
                .enumerate()
                .filter(|(other, link)| names_target(link) && verdicts[*other] != Verdict::Safe)
                .map(|(_, link)| link);
            let needed_by: Vec<String> = live
                .iter()
                .filter(|link| names_target(link))
                .chain(staying_entries)
                .map(|(other_provider, other_name, _)| format!("{other_provider}/{other_name}"))
                .collect();
            if !needed_by.is_empty() {
                verdicts[target] = Verdict::NeededBy { entries: needed_by };
                changed = true;
            }
        }
        if !changed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replacement_stays_while_an_entry_that_stays_needs_it() {
        let entries = [
            ("openai", "a", None),
            ("openai", "b", Some("a")),
            ("openai", "c", Some("b")),
            ("groq", "a", None),
        ];
        let mut verdicts = vec![
            Verdict::Safe,
            Verdict::Safe,
            Verdict::TooRecent { days: 3 },
            Verdict::Safe,
        ];
        protect_replacements(&entries, &[], &mut verdicts);
        assert_eq!(
            verdicts[1],
            Verdict::NeededBy {
                entries: vec!["openai/c".into()]
            }
        );
        assert_eq!(
            verdicts[0],
            Verdict::NeededBy {
                entries: vec!["openai/b".into()]
            }
        );
        assert_eq!(verdicts[3], Verdict::Safe);
        assert_eq!(verdicts[0].to_string(), "needed by openai/b");
    }

    #[test]
    fn a_live_model_keeps_the_deleted_entry_it_is_replaced_by() {
        // `old` (live, deprecated) → `gone` (deleted) → `m`: `gone` must stay.
        // `older` (deleted) → `gone` can go: nothing names `older` in its provider.
        let entries = [("p", "gone", Some("m")), ("p", "older", Some("gone"))];
        let live = [
            ("p", "m", None),
            ("p", "old", Some("gone")),
            ("q", "x", Some("older")),
        ];
        let mut verdicts = vec![Verdict::Safe, Verdict::Safe];
        protect_replacements(&entries, &live, &mut verdicts);
        assert_eq!(verdicts[0].to_string(), "needed by p/old");
        // Another provider's model naming `older` does not protect it.
        assert_eq!(verdicts[1], Verdict::Safe);
    }
}
