//! Team notifications (DESIGN.md step 4 and the notices of step 5).
//!
//! - `affected` computes, at plan time and before
//!   any reference moves, which resources of which team use each deprecated or
//!   deleted model: one `SELECT DISTINCT` per `[[references]]` entry over the
//!   referencing table (joined once to `through.table` when given), filtered by
//!   the entry's `filter`, matched exactly as the repointing `UPDATE` matches
//!   (the same SQL fragment, see `references.rs`). The result is
//!   [`Plan::affected`](crate::Plan::affected): per model, per team, the
//!   number of distinct resources of each kind and a link to each. Teams that
//!   already have the notification are left out by the query (`NOT EXISTS`),
//!   so once everyone was told the step loads nothing. Each `filter` and the
//!   `recipients_query` are prepared at plan time (`LIMIT 0`, in a savepoint
//!   rolled back): an invalid one refuses the plan.
//! - [`texts`] turns one model × team into the exact title, message and links
//!   of DESIGN.md.
//! - `store` writes them into `llm_model_notifications` inside the apply
//!   transaction, one `INSERT … ON CONFLICT DO NOTHING` per model (PostgreSQL:
//!   the teams' columns as arrays expanded by `unnest`; SQLite: a multi-row
//!   `VALUES`, 10,000 teams per statement): the unique `(team_id, slug, model)`
//!   key means a team hears about a deprecated model once across every later
//!   deploy and catalogue, and about a deletion once. Only rows actually
//!   inserted are counted; the journal gets one `notified` row per model with
//!   the number of teams told in `row_count`, and each notice keeps the
//!   `run_id` of the run that wrote it.
//!   With `[notifications] recipients_query`, [`recipients`] fills
//!   `llm_model_notification_recipients` (one row per user per notification).
//! - [`deliver`](crate::notify::deliver()) hands notifications to host sinks
//!   ([`Notifier`]) after commit, remembering per sink what was delivered in
//!   `llm_model_notification_deliveries`: a failure is logged and retried on
//!   the next run, a success is never repeated. The table itself is the
//!   default sink: a platform that reads `llm_model_notifications` needs no
//!   [`Notifier`] at all.
//!
//! Memory: the plan holds one small entry (kind, name, link) per distinct
//! affected resource, never per referencing row (three nodes of one pipeline
//! are one entry); the database does the `DISTINCT` and the matching.
//!
//! Cost: the step scans each referencing table that has a `team_column`
//! once per plan (the deprecated models are looked for on every apply). On
//! PostgreSQL with 1 M JSON pipeline nodes joined to 200 k pipelines, 15 %
//! pointing at 20 deleted models, the scan took about 0.2 s where the
//! repointing `UPDATE` of the same rows took about 1.1 s (2 cores).
//!
//! Conventions: team and resource ids are integers (`BIGINT`); catalogue SQL
//! (`filter`, `recipients_query`) may not contain `?`, which the runtime
//! reserves for bound values.

mod affected;
mod deliver;
pub mod recipients;
pub mod render;
pub(crate) mod store;
pub mod texts;
mod validate;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::plan::ModelId;

pub(crate) use affected::affected;
pub use deliver::{DeliveryReport, apply_and_notify, deliver};

/// Slug of the notice a team gets when a model it uses is deprecated.
pub const SLUG_DEPRECATED: &str = "llm-model-deprecated";
/// Slug of the notice a team gets when a model it used is deleted.
pub const SLUG_DELETED: &str = "llm-model-deleted";
/// Level of every notice.
pub const LEVEL: &str = "warning";
/// The runtime's notifications table.
pub const NOTIFICATIONS_TABLE: &str = "llm_model_notifications";
/// One row per user per notification, when `recipients_query` is set.
pub const RECIPIENTS_TABLE: &str = "llm_model_notification_recipients";
/// What each [`Notifier`] (by name) has been handed.
pub const DELIVERIES_TABLE: &str = "llm_model_notification_deliveries";

/// Why a model's users are told about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelChange {
    /// Still usable, flagged: step 4.
    Deprecated,
    /// Removed, references moved or cleared: step 5.
    Deleted,
}

impl ModelChange {
    /// The notification slug.
    #[must_use]
    pub fn slug(self) -> &'static str {
        match self {
            Self::Deprecated => SLUG_DEPRECATED,
            Self::Deleted => SLUG_DELETED,
        }
    }
}

/// A deprecated or deleted model and the teams that use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AffectedModel {
    /// The model.
    pub model: ModelId,
    /// Deprecated or deleted.
    pub change: ModelChange,
    /// Its global row's id, when it has one (what `id` and `json` references hold).
    pub row_id: Option<i64>,
    /// Deprecated: the end of its replacement chain (what to update to).
    /// Deleted: the model references are moved to; `None` when they are cleared.
    pub replacement: Option<ModelId>,
    /// Deprecated: the catalogue's `sunset` date (`2027-01-31`), when it gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sunset: Option<String>,
    /// The teams with at least one affected resource and no notification
    /// about this model yet, by team id.
    pub teams: Vec<AffectedTeam>,
}

/// One team's resources that use a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AffectedTeam {
    /// The team id (from the reference's `team_column`).
    pub team_id: i64,
    /// Distinct resources per kind, only non-empty kinds, in the order the
    /// `[[references]]` entries first declare each `resource` noun.
    pub resources: Vec<ResourceCount>,
    /// Each affected resource's display name (qualified `name (kind)` when
    /// two kinds share it) → where it lives (the `url` template, else `table#id`).
    pub links: Links,
}

/// Resource name → where it lives, sorted by name, serialized as a JSON
/// object (`{"Support": "/a/1/chatbots/1/"}`).
///
/// A sorted vector rather than a map: a plan holds one per affected team, and
/// a `BTreeMap` allocates a whole node (over 500 bytes) for a single link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links(Vec<(String, String)>);

impl Links {
    /// Where the resource called `name` lives.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(key, _)| key.as_str().cmp(name))
            .ok()
            .and_then(|index| self.0.get(index))
            .map(|(_, location)| location.as_str())
    }

    /// `(name, location)` pairs, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(name, at)| (name.as_str(), at.as_str()))
    }

    /// How many links.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No link at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Sorted by name; of two links with one name the last is kept (as a map would).
impl FromIterator<(String, String)> for Links {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(links: I) -> Self {
        let mut links: Vec<(String, String)> = links.into_iter().collect();
        links.sort_by(|a, b| a.0.cmp(&b.0));
        links.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(later, kept);
            }
            same
        });
        Self(links)
    }
}

impl PartialEq<BTreeMap<String, String>> for Links {
    fn eq(&self, other: &BTreeMap<String, String>) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other)
                .all(|((name, at), (other_name, other_at))| name == other_name && at == other_at)
    }
}

impl Serialize for Links {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// How many distinct resources of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceCount {
    /// The noun (`chatbot`, `pipeline`; the table name when none is declared).
    pub resource: String,
    /// Distinct resources (rows of the owning table).
    pub count: u64,
}

impl AffectedTeam {
    /// All resources of every kind.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.resources.iter().map(|r| r.count).sum()
    }
}

/// A notification as stored in `llm_model_notifications`, handed to sinks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// Row id in `llm_model_notifications`.
    pub id: i64,
    /// The team told.
    pub team_id: i64,
    /// [`SLUG_DEPRECATED`] or [`SLUG_DELETED`].
    pub slug: String,
    /// The model, `provider/name`.
    pub model: String,
    /// Always [`LEVEL`].
    pub level: String,
    /// E.g. `LLM Model 'openai/gpt-4' Deprecated`.
    pub title: String,
    /// The message of DESIGN.md.
    pub message: String,
    /// Resource name → URL.
    pub links: BTreeMap<String, String>,
    /// The permission recipients need (`[notifications] permission`).
    pub permission: String,
    /// When it was written (database clock, as text).
    pub created_at: String,
    /// User ids from `recipients_query` (empty without one).
    pub recipients: Vec<i64>,
}

/// A host-side sink for notices (email, chat…), called after commit.
///
/// Each notification is handed to a sink until one call succeeds; a failure is
/// logged and retried on the next apply; a success is recorded (per
/// [`name`](Notifier::name)) and never repeated. Renaming a sink makes it a new
/// sink that receives every notification again.
///
/// # The default sink: the database table
///
/// Without any `Notifier`, every notice is a row of `llm_model_notifications`
/// (`team_id`, `slug`, `model`, `level`, `title`, `message`, `links` as a JSON
/// object name → URL, `permission`, `run_id`, `created_at`), written in the
/// apply transaction, once per team and model, and with `[notifications]
/// recipients_query` one `llm_model_notification_recipients` row per user. A
/// platform shows them the way it shows its own notifications: its web app
/// reads the table (for the teams, or the users, it serves), and keeps its own
/// read/dismissed state next to it. The runtime never sends anything by itself
/// and never deletes a row. A `Notifier` is for pushing the same notices out
/// as well (email, chat), after commit.
///
/// # Example: a chat sink
///
/// A host binary wraps `apply-models` and hands each notice to its team's chat
/// channel; [`Notice::links`] become the message's links.
///
/// ```
/// use llm_lifecycle_runtime::notify::{Notice, Notifier};
///
/// /// Posts every notice to the team's chat channel (here: any `Fn` sending a message).
/// struct Chat<F: Fn(i64, &str) -> std::io::Result<()>> {
///     post: F,
/// }
///
/// impl<F: Fn(i64, &str) -> std::io::Result<()>> Notifier for Chat<F> {
///     fn name(&self) -> &str {
///         "chat" // the key of the delivery state: keep it stable
///     }
///
///     fn deliver(&self, notice: &Notice) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
///         let links: Vec<String> =
///             notice.links.iter().map(|(name, url)| format!("<{url}|{name}>")).collect();
///         let text = format!("*{}*\n{}\n{}", notice.title, notice.message, links.join(" · "));
///         (self.post)(notice.team_id, &text)?; // an error: retried on the next run
///         Ok(())
///     }
/// }
///
/// // The host's `apply-models` binary (instead of `cli::main`):
/// fn main_with_chat(catalog: &llm_lifecycle_catalog::Catalog) -> std::process::ExitCode {
///     let chat = Chat { post: |team, text| {
///         // e.g. an HTTP POST to the team's webhook
///         println!("team {team}: {text}");
///         Ok(())
///     } };
///     llm_lifecycle_runtime::cli::main_with_notifiers(catalog, &[&chat])
/// }
/// # let _ = main_with_chat;
///
/// // What one delivery posts:
/// let sent = std::cell::RefCell::new(Vec::new());
/// let chat = Chat { post: |team, text: &str| {
///     sent.borrow_mut().push((team, text.to_owned()));
///     Ok(())
/// } };
/// let notice = Notice {
///     id: 1,
///     team_id: 7,
///     slug: "llm-model-deleted".to_owned(),
///     model: "openai/gpt-4".to_owned(),
///     level: "warning".to_owned(),
///     title: "LLM Model 'openai/gpt-4' Removed".to_owned(),
///     message: "The model 'openai/gpt-4' has been removed from the platform. 1 chatbot(s) were \
///               affected. References have been automatically updated to use 'openai/gpt-4o'."
///         .to_owned(),
///     links: [("Support".to_owned(), "/a/7/chatbots/3/".to_owned())].into(),
///     permission: "service_providers.change_llmprovidermodel".to_owned(),
///     created_at: "2026-12-01T09:30:00Z".to_owned(),
///     recipients: Vec::new(),
/// };
/// chat.deliver(&notice).map_err(|error| error.to_string())?;
/// assert_eq!(sent.borrow()[0].0, 7);
/// assert!(sent.borrow()[0].1.starts_with("*LLM Model 'openai/gpt-4' Removed*\n"));
/// assert!(sent.borrow()[0].1.ends_with("\n</a/7/chatbots/3/|Support>"));
/// # Ok::<(), String>(())
/// ```
pub trait Notifier {
    /// A stable name, the key of the delivery state (e.g. `"email"`).
    fn name(&self) -> &str;
    /// Delivers one notice.
    ///
    /// # Errors
    /// Anything; the notice is retried on the next run.
    fn deliver(&self, notice: &Notice) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_sorted_by_name_and_serialize_as_an_object() {
        let links: Links = [("b", "2"), ("a", "1"), ("b", "3")]
            .into_iter()
            .map(|(name, at)| (name.to_owned(), at.to_owned()))
            .collect();
        assert_eq!(links.len(), 2);
        assert_eq!(links.get("a"), Some("1"));
        assert_eq!(links.get("b"), Some("3"), "the last of two homonyms wins");
        assert_eq!(links.get("c"), None);
        assert_eq!(
            serde_json::to_string(&links).ok().as_deref(),
            Some(r#"{"a":"1","b":"3"}"#)
        );
        let map: BTreeMap<String, String> = [("a", "1"), ("b", "3")]
            .into_iter()
            .map(|(name, at)| (name.to_owned(), at.to_owned()))
            .collect();
        assert_eq!(links, map);
        assert!(Links::default().is_empty());
    }
}
