//! Team notifications (step 4: deprecated models; and the notices of step 5:
//! deleted ones; the steps are listed in [`mod@crate::plan`]): where
//! each part lives, bottom to top.
//!
//! - The plan computes, before any reference moves, which resources of which
//!   team use each deprecated or deleted model: one `SELECT DISTINCT` per
//!   `[[references]]` entry over the referencing table (joined once to
//!   `through.table` when given), filtered by the entry's `filter`, matched
//!   exactly as the repointing `UPDATE` matches. The result is
//!   [`Plan::affected`](crate::Plan::affected): per model, per team, the
//!   number of distinct resources of each kind and a link to each. Teams that
//!   already have the notification are left out by the query (`NOT EXISTS`),
//!   so once everyone was told the step loads nothing. Each `filter` and the
//!   `recipients_query` are prepared at plan time (`LIMIT 0`, in a savepoint
//!   rolled back): an invalid one refuses the plan.
//! - The applier writes the notices into `llm_model_notifications` inside the
//!   apply transaction, one `INSERT … ON CONFLICT DO NOTHING` per model
//!   (PostgreSQL: the teams' columns as arrays expanded by `unnest`; SQLite: a
//!   multi-row `VALUES`, 10,000 teams per statement), with the exact texts of
//!   the notice titles and messages: the unique `(team_id, slug, model,
//!   reminder_days)` key means a team hears about a deprecated model once
//!   across every later deploy and catalogue, about a deletion once, and with
//!   `[notifications] reminders` once per threshold as the sunset nears
//!   (slug [`SLUG_SUNSET`], `reminder_days` the threshold; 0 on every other
//!   notice). Only rows actually inserted are counted; the
//!   journal gets one `notified` row per model with the number of teams told
//!   in `row_count`, and each notice keeps the `run_id` of the run that wrote
//!   it. With `[notifications] recipients_query` it also fills
//!   `llm_model_notification_recipients` (one row per user per notification).
//! - This module, after commit: [`deliver`](crate::notify::deliver()) hands
//!   notifications to host sinks ([`Notifier`]), remembering per sink what was
//!   delivered in `llm_model_notification_deliveries`: a failure is logged and
//!   retried on the next run, a success is never repeated. The table itself
//!   is the default sink: a platform that reads `llm_model_notifications`
//!   needs no [`Notifier`] at all.
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
//! (`filter`, `recipients_query`) is passed to the engine as written and may
//! not contain the engine's own bind placeholders.

mod deliver;
pub mod webhook;

use std::collections::BTreeMap;

use serde::Serialize;

pub use deliver::{DeliveryReport, apply_and_notify, deliver};

pub use crate::diff::{
    AffectedModel, AffectedTeam, LEVEL, Links, ModelChange, Reminder, ResourceCount, SLUG_DELETED,
    SLUG_DEPRECATED, SLUG_SUNSET,
};
pub use crate::schema::{DELIVERIES_TABLE, NOTIFICATIONS_TABLE, RECIPIENTS_TABLE};
pub use webhook::{Webhook, WebhookError, WebhookFormat};

/// The error a [`Notifier`] returns (boxed) to stop its deliveries for the
/// rest of the run (e.g. its endpoint answered `410 Gone`): this notice's
/// failure is recorded, the sink is handed nothing more until the next run,
/// and the reason is logged once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct SinkDisabled {
    /// Why, in one line.
    pub reason: String,
}

/// A notification as stored in `llm_model_notifications`, handed to sinks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// Row id in `llm_model_notifications`.
    pub id: i64,
    /// The team told.
    pub team_id: i64,
    /// [`SLUG_DEPRECATED`], [`SLUG_DELETED`] or [`SLUG_SUNSET`].
    pub slug: String,
    /// The model, `provider/name`.
    pub model: String,
    /// Always [`LEVEL`].
    pub level: String,
    /// E.g. `LLM Model 'openai/gpt-4' Deprecated`.
    pub title: String,
    /// The message (what the model is, what uses it, what to do).
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
    /// Anything; the notice is retried on the next run. A [`SinkDisabled`]
    /// also stops the deliveries to this sink for the rest of the run.
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
