//! The notices' texts: titles, messages and links (the exact wording is
//! pinned by this module's tests).
//!
//! ```text
//! LLM Model 'openai/gpt-4' Deprecated
//! The model 'openai/gpt-4' has been deprecated and will be removed on 2027-01-31.
//!   1 chatbot(s), 2 pipeline(s) are still using it. Please update to 'openai/gpt-4o' before it is removed.
//! LLM Model 'openai/gpt-4' Removed
//! The model 'openai/gpt-4' has been removed from the platform. 2 chatbot(s) were affected.
//!   References have been automatically updated to use 'openai/gpt-4o'.
//! ```
//!
//!
//! A sunset reminder (`[notifications] reminders`):
//!
//! ```text
//! LLM Model 'openai/gpt-4' Retires on 2027-01-31
//! The model 'openai/gpt-4' retires on 2027-01-31, in 7 days. 1 chatbot(s), 2 pipeline(s)
//!   are still using it. Please update to 'openai/gpt-4o' before then.
//! ```
//!
//! Every model, the replacement included, is named by its full id
//! `provider/name`, as in the title. A deprecated model without a `sunset` date
//! "will be removed soon".

use std::collections::HashMap;

use super::{AffectedModel, Links, ModelChange, ResourceCount};

/// `LLM Model 'openai/gpt-4' Deprecated` / `… Removed`.
#[must_use]
pub(crate) fn title(model: &AffectedModel) -> String {
    match model.change {
        ModelChange::Deprecated => format!("LLM Model '{}' Deprecated", model.model),
        ModelChange::Deleted => format!("LLM Model '{}' Removed", model.model),
        ModelChange::Sunset => format!(
            "LLM Model '{}' Retires on {}",
            model.model,
            model.sunset.as_deref().unwrap_or("its sunset")
        ),
    }
}

/// `in 7 days`, `in 1 day`, `today`.
#[must_use]
pub(crate) fn days_left(days: u32) -> String {
    match days {
        0 => "today".to_owned(),
        1 => "in 1 day".to_owned(),
        n => format!("in {n} days"),
    }
}

/// `1 chatbot(s), 2 pipeline(s)`: the non-empty kinds, in declaration order.
#[must_use]
pub(crate) fn counts(resources: &[ResourceCount]) -> String {
    resources
        .iter()
        .filter(|r| r.count > 0)
        .map(|r| format!("{} {}(s)", r.count, r.resource))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The message for one team (the apply builds it in SQL from [`message_parts`]).
#[cfg(test)]
#[must_use]
pub(crate) fn message(model: &AffectedModel, team: &super::AffectedTeam) -> String {
    message_with(model, &counts(&team.resources))
}

/// The message of every team told about `model`, split around the team's
/// [`counts`]: what comes before them and what follows (the apply builds each
/// team's message in SQL as `before || counts || after`).
#[must_use]
pub(crate) fn message_parts(model: &AffectedModel) -> (String, String) {
    // No catalogue text holds a NUL: the marker cannot be part of the rest.
    const MARKER: &str = "\u{0}";
    let message = message_with(model, MARKER);
    match message.split_once(MARKER) {
        Some((before, after)) => (before.to_owned(), after.to_owned()),
        None => (message, String::new()),
    }
}

/// The team's counts back from its message (`1 chatbot(s), 2 pipeline(s)`
/// between the model's [`message_parts`]), read against the catalogue's
/// `nouns`; `None` when the message is not one of this model's.
pub(crate) fn counts_in(
    message: &str,
    (before, after): (&str, &str),
    nouns: &[String],
) -> Option<Vec<ResourceCount>> {
    let mut rest = message.strip_prefix(before)?.strip_suffix(after)?;
    let mut resources = Vec::new();
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let count: u64 = rest.get(..digits)?.parse().ok()?;
        let named = rest.get(digits..)?.strip_prefix(' ')?;
        let (noun, tail) = nouns.iter().find_map(|noun| {
            let tail = named.strip_prefix(noun.as_str())?.strip_prefix("(s)")?;
            (tail.is_empty() || tail.starts_with(", ")).then_some((noun, tail))
        })?;
        resources.push(ResourceCount {
            resource: noun.clone(),
            count,
        });
        rest = tail.strip_prefix(", ").unwrap_or(tail);
    }
    Some(resources)
}

/// The message for one team, its [`counts`] given as text.
fn message_with(model: &AffectedModel, counts: &str) -> String {
    let id = &model.model;
    let when = model
        .sunset
        .as_ref()
        .map_or_else(|| "soon".to_owned(), |date| format!("on {date}"));
    match (model.change, &model.replacement) {
        (ModelChange::Deprecated, Some(to)) => format!(
            "The model '{id}' has been deprecated and will be removed {when}. {counts} are still \
             using it. Please update to '{to}' before it is removed."
        ),
        (ModelChange::Deprecated, None) => format!(
            "The model '{id}' has been deprecated and will be removed {when}. {counts} are still \
             using it."
        ),
        (ModelChange::Deleted, Some(to)) => format!(
            "The model '{id}' has been removed from the platform. {counts} were affected. \
             References have been automatically updated to use '{to}'."
        ),
        (ModelChange::Deleted, None) => format!(
            "The model '{id}' has been removed from the platform. {counts} were affected. \
             References have been cleared and will need to be updated manually."
        ),
        (ModelChange::Sunset, replacement) => {
            let date = model.sunset.as_deref().unwrap_or("its sunset");
            let left = model.reminder.map_or_else(
                || "soon".to_owned(),
                |reminder| days_left(reminder.days_left),
            );
            let what = match replacement {
                Some(to) => format!("Please update to '{to}' before then."),
                None => "Please move them to another model before then.".to_owned(),
            };
            format!(
                "The model '{id}' retires on {date}, {left}. {counts} are still using it. {what}"
            )
        }
    }
}

/// One affected resource, before its link key is decided. The kind, table
/// and URL template are borrowed from the catalogue: a plan that finds
/// hundreds of thousands of resources allocates only their names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resource<'a> {
    /// The kind (noun).
    pub(crate) kind: &'a str,
    /// Its `name_column` value, if any.
    pub(crate) name: Option<String>,
    /// The owning table (`through.table` when given).
    pub(crate) table: &'a str,
    /// Its id in that table.
    pub(crate) id: i64,
    /// The reference's `url` template, if any.
    pub(crate) url: Option<&'a str>,
}

impl Resource<'_> {
    fn display_name(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => self.fallback(),
        }
    }

    fn fallback(&self) -> String {
        format!("{}#{}", self.table, self.id)
    }

    /// The URL template with `{id}` and `{team_id}` filled in, else `table#id`.
    fn location(&self, team_id: i64) -> String {
        match self.url {
            Some(template) => template
                .replace("{id}", &self.id.to_string())
                .replace("{team_id}", &team_id.to_string()),
            None => self.fallback(),
        }
    }
}

/// Name → location for one team's resources. A name two kinds share becomes
/// `name (kind)`; two resources of one kind with the same name (two chatbots
/// called "Support") keep both links as `name #id`.
pub(crate) fn links(team_id: i64, resources: &[&Resource<'_>]) -> Links {
    let mut kinds_by_name: HashMap<String, Vec<&str>> = HashMap::new();
    for resource in resources {
        let kinds = kinds_by_name.entry(resource.display_name()).or_default();
        if !kinds.contains(&resource.kind) {
            kinds.push(resource.kind);
        }
    }
    let keyed: Vec<(String, &Resource<'_>)> = resources
        .iter()
        .copied()
        .map(|resource| {
            let name = resource.display_name();
            let shared = kinds_by_name
                .get(&name)
                .is_some_and(|kinds| kinds.len() > 1);
            let key = if shared {
                format!("{name} ({})", resource.kind)
            } else {
                name
            };
            (key, resource)
        })
        .collect();
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for (key, _) in &keyed {
        *uses.entry(key.as_str()).or_default() += 1;
    }
    keyed
        .iter()
        .map(|(key, resource)| {
            let key = if uses.get(key.as_str()).is_some_and(|n| *n > 1) {
                format!("{key} #{}", resource.id)
            } else {
                key.clone()
            };
            (key, resource.location(team_id))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::plan::AffectedTeam;
    use crate::plan::ModelId;

    fn model(change: ModelChange, replacement: Option<&str>) -> AffectedModel {
        AffectedModel {
            model: ModelId::new("openai", "gpt-4"),
            change,
            row_id: None,
            replacement: replacement.map(|name| ModelId::new("openai", name)),
            sunset: None,
            reminder: None,
            teams: Vec::new(),
            more_teams: 0,
        }
    }

    fn team(counts: &[(&str, u64)]) -> AffectedTeam {
        AffectedTeam {
            team_id: 1,
            resources: counts
                .iter()
                .map(|(resource, count)| ResourceCount {
                    resource: (*resource).to_owned(),
                    count: *count,
                })
                .collect(),
            links: Links::default(),
        }
    }

    #[test]
    fn the_texts_of_the_design() {
        let deprecated = model(ModelChange::Deprecated, Some("gpt-4o"));
        let team = team(&[("chatbot", 1), ("assistant", 0), ("pipeline", 2)]);
        assert_eq!(title(&deprecated), "LLM Model 'openai/gpt-4' Deprecated");
        assert_eq!(
            message(&deprecated, &team),
            "The model 'openai/gpt-4' has been deprecated and will be removed soon. \
             1 chatbot(s), 2 pipeline(s) are still using it. Please update to 'openai/gpt-4o' before it is removed."
        );
        assert_eq!(
            message(&model(ModelChange::Deprecated, None), &team),
            "The model 'openai/gpt-4' has been deprecated and will be removed soon. \
             1 chatbot(s), 2 pipeline(s) are still using it."
        );
        let mut dated = model(ModelChange::Deprecated, Some("gpt-4o"));
        dated.sunset = Some("2027-01-31".to_owned());
        assert_eq!(title(&dated), "LLM Model 'openai/gpt-4' Deprecated");
        assert_eq!(
            message(&dated, &team),
            "The model 'openai/gpt-4' has been deprecated and will be removed on 2027-01-31. \
             1 chatbot(s), 2 pipeline(s) are still using it. Please update to 'openai/gpt-4o' before it is removed."
        );
        assert_eq!(
            crate::plan::notices::change(&dated),
            "deprecated, use openai/gpt-4o, sunset 2027-01-31"
        );
        let deleted = model(ModelChange::Deleted, Some("gpt-4o"));
        let chatbots = super::tests::team(&[("chatbot", 2)]);
        assert_eq!(title(&deleted), "LLM Model 'openai/gpt-4' Removed");
        assert_eq!(
            message(&deleted, &chatbots),
            "The model 'openai/gpt-4' has been removed from the platform. 2 chatbot(s) were affected. \
             References have been automatically updated to use 'openai/gpt-4o'."
        );
        assert_eq!(
            message(&model(ModelChange::Deleted, None), &chatbots),
            "The model 'openai/gpt-4' has been removed from the platform. 2 chatbot(s) were affected. \
             References have been cleared and will need to be updated manually."
        );
    }

    #[test]
    fn the_texts_of_a_sunset_reminder() {
        let mut reminder = model(ModelChange::Sunset, Some("gpt-4o"));
        reminder.sunset = Some("2027-01-31".to_owned());
        reminder.reminder = crate::plan::Reminder::due(&[30, 7, 1], 7);
        let team = team(&[("chatbot", 1), ("pipeline", 2)]);
        assert_eq!(
            title(&reminder),
            "LLM Model 'openai/gpt-4' Retires on 2027-01-31"
        );
        assert_eq!(
            message(&reminder, &team),
            "The model 'openai/gpt-4' retires on 2027-01-31, in 7 days. \
             1 chatbot(s), 2 pipeline(s) are still using it. Please update to 'openai/gpt-4o' before then."
        );
        assert_eq!(
            crate::plan::notices::change(&reminder),
            "retires on 2027-01-31, in 7 days: the 7-day reminder, use openai/gpt-4o"
        );
        reminder.replacement = None;
        reminder.reminder = crate::plan::Reminder::due(&[30, 7, 1], 0);
        assert_eq!(
            message(&reminder, &team),
            "The model 'openai/gpt-4' retires on 2027-01-31, today. \
             1 chatbot(s), 2 pipeline(s) are still using it. Please move them to another model before then."
        );
        assert_eq!(
            crate::plan::notices::change(&reminder),
            "retires on 2027-01-31, today: the 1-day reminder, no replacement"
        );
        reminder.reminder = crate::plan::Reminder::due(&[30, 7, 1], 1);
        assert!(message(&reminder, &team).contains(", in 1 day. "));
    }

    #[test]
    fn the_reminder_due_is_the_tightest_threshold_reached() {
        use crate::plan::Reminder;
        let due = |days_left| Reminder::due(&[30, 7, 1], days_left).map(|r| r.days_before);
        assert_eq!(due(31), None);
        assert_eq!(due(30), Some(30));
        assert_eq!(due(8), Some(30));
        assert_eq!(due(7), Some(7));
        assert_eq!(due(2), Some(7));
        assert_eq!(due(1), Some(1));
        assert_eq!(due(0), Some(1));
        // Past due: `apply-models check` fails instead.
        assert_eq!(due(-1), None);
        assert_eq!(Reminder::due(&[], 3), None);
        // Any order.
        assert_eq!(
            Reminder::due(&[1, 30, 7], 5).map(|r| r.days_before),
            Some(7)
        );
        assert_eq!(Reminder::due(&[7], 5).map(|r| r.days_left), Some(5));
    }

    fn resource<'a>(
        kind: &'a str,
        table: &'a str,
        name: Option<&str>,
        id: i64,
        url: Option<&'a str>,
    ) -> Resource<'a> {
        Resource {
            kind,
            name: name.map(ToOwned::to_owned),
            table,
            id,
            url,
        }
    }

    #[test]
    fn links_qualify_shared_names_and_keep_homonyms_apart() {
        let resources = [
            resource(
                "chatbot",
                "chatbots",
                Some("Support"),
                1,
                Some("/a/{team_id}/chatbots/{id}/"),
            ),
            resource("pipeline", "pipelines", Some("Support"), 2, None),
            resource("chatbot", "chatbots", Some("Sales"), 3, None),
            resource("chatbot", "chatbots", Some("Sales"), 4, None),
            resource("chatbot", "chatbots", None, 5, None),
        ];
        let links = links(7, &resources.iter().collect::<Vec<_>>());
        let expected: BTreeMap<String, String> = [
            ("Support (chatbot)", "/a/7/chatbots/1/"),
            ("Support (pipeline)", "pipelines#2"),
            ("Sales #3", "chatbots#3"),
            ("Sales #4", "chatbots#4"),
            ("chatbots#5", "chatbots#5"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(links, expected);
    }

    #[test]
    fn every_message_is_its_parts_around_the_counts_and_the_counts_read_back() {
        let nouns = ["chatbot".to_owned(), "pipeline, old".to_owned()];
        let teams = [
            team(&[("chatbot", 1)]),
            team(&[("chatbot", 2), ("pipeline, old", 12)]),
            team(&[("pipeline, old", 3)]),
        ];
        for change in [ModelChange::Deprecated, ModelChange::Deleted] {
            for replacement in [Some("gpt-4o"), None] {
                let model = model(change, replacement);
                let (before, after) = message_parts(&model);
                for team in &teams {
                    let message = message(&model, team);
                    let counts = counts(&team.resources);
                    assert_eq!(message, format!("{before}{counts}{after}"));
                    assert_eq!(
                        counts_in(&message, (&before, &after), &nouns),
                        Some(team.resources.clone()),
                        "{message}"
                    );
                }
            }
        }
        let model = model(ModelChange::Deleted, None);
        let (before, after) = message_parts(&model);
        // Not this model's message, or counts of a noun the catalogue lacks.
        assert_eq!(counts_in("Another text.", (&before, &after), &nouns), None);
        let unknown = format!("{before}1 robot(s){after}");
        assert_eq!(counts_in(&unknown, (&before, &after), &nouns), None);
    }
}
