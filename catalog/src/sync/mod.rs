//! Compare the catalogue with [models.dev](https://models.dev)'s `api.json`
//! (issue 13 item 4): models deprecated upstream but live here, models here
//! that upstream no longer lists, token limits that differ, and upstream
//! models the catalogue lacks — for the providers the catalogue has.
//!
//! The crate reads no network and no file: the caller fetches `api.json`,
//! [`parse_models_dev`] reads it, [`compare`] builds a [`SyncReport`]
//! (`Serialize` for JSON output, [`SyncReport::render_text`] for a terminal),
//! and [`apply_report`] turns the deprecations and token limits into one
//! [`Edit`] of `models.toml`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::edit::{self, Edit, EditError};
use crate::model::{Catalog, Provider};
use crate::naming::model_id;

/// models.dev's `api.json`: providers by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct ModelsDev {
    /// The providers, by models.dev id (`openai`, `google-vertex`, …).
    pub providers: BTreeMap<String, UpstreamProvider>,
}

/// One provider of `api.json`. Keys this crate does not use are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct UpstreamProvider {
    /// Its id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its models, by model id.
    pub models: BTreeMap<String, UpstreamModel>,
}

/// One model of `api.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct UpstreamModel {
    /// The model id (the key of `models` when absent).
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its limits.
    pub limit: UpstreamLimit,
    /// `"deprecated"` for a deprecated model (also `"alpha"`, `"beta"`).
    pub status: Option<String>,
}

/// `limit` of a model of `api.json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct UpstreamLimit {
    /// The context window in tokens (0 or absent: unknown).
    pub context: u64,
    /// The most output tokens.
    pub output: u64,
}

impl UpstreamModel {
    fn deprecated(&self) -> bool {
        self.status.as_deref() == Some("deprecated")
    }
}

/// Why a comparison could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// `api.json` is not JSON of models.dev's shape.
    #[error("{origin} is not a models.dev api.json: {message}")]
    Json {
        /// The name shown in messages (a URL or a path).
        origin: String,
        /// What serde_json said, with its line and column.
        message: String,
    },
    /// `--provider KEY` names no provider of the catalogue.
    #[error("the catalogue has no provider `{key}`{}", crate::suggest::did_you_mean_any(suggestions).map_or_else(String::new, |h| format!(": {h}")))]
    UnknownProvider {
        /// The key as given.
        key: String,
        /// The closest provider keys.
        suggestions: Vec<String>,
    },
    /// `--provider KEY` names a provider models.dev does not list.
    #[error("models.dev lists no provider `{upstream}` for the catalogue's `{key}`")]
    NotUpstream {
        /// The catalogue's key.
        key: String,
        /// The models.dev id looked for.
        upstream: String,
    },
}

/// Reads models.dev's `api.json`. `origin` names it in messages.
pub fn parse_models_dev(json: &str, origin: &str) -> Result<ModelsDev, SyncError> {
    serde_json::from_str(json).map_err(|error| SyncError::Json {
        origin: origin.to_owned(),
        message: error.to_string(),
    })
}

/// The models.dev id of a catalogue provider key: the key itself, else with
/// `_` as `-`, else a known alias (`google_vertex_ai` → `google-vertex`).
pub fn upstream_id<'u>(upstream: &'u ModelsDev, key: &str) -> Option<&'u str> {
    const ALIASES: &[(&str, &str)] = &[("google_vertex_ai", "google-vertex")];
    let dashed = key.replace('_', "-");
    let alias = ALIASES
        .iter()
        .find(|(catalogue, _)| *catalogue == key)
        .map(|(_, id)| *id);
    [Some(key), Some(dashed.as_str()), alias]
        .into_iter()
        .flatten()
        .find_map(|id| {
            upstream
                .providers
                .get_key_value(id)
                .map(|(id, _)| id.as_str())
        })
}

/// A model of the catalogue named in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelRef {
    /// `provider/name`.
    pub id: String,
    /// The catalogue's provider key.
    pub provider: String,
    /// The model name.
    pub name: String,
}

/// A live model the catalogue has and models.dev no longer lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoneUpstream {
    /// The model.
    #[serde(flatten)]
    pub model: ModelRef,
    /// Whether the catalogue already deprecates it.
    pub deprecated: bool,
}

/// A token limit that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenLimitChange {
    /// The model.
    #[serde(flatten)]
    pub model: ModelRef,
    /// The catalogue's `token_limit`.
    pub catalogue: u32,
    /// models.dev's `limit.context`.
    pub upstream: u64,
}

/// A model models.dev lists (not deprecated) that the catalogue lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewUpstream {
    /// The id it would have here.
    #[serde(flatten)]
    pub model: ModelRef,
    /// models.dev's display name.
    pub label: String,
    /// models.dev's `limit.context` (0: unknown).
    pub context: u64,
}

/// A catalogue provider and the models.dev provider it was compared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderMatch {
    /// The catalogue's key.
    pub key: String,
    /// The models.dev id; `None` when models.dev does not list it.
    pub upstream: Option<String>,
}

/// What differs between the catalogue and models.dev.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SyncReport {
    /// The providers compared (and those models.dev does not list), in
    /// catalogue order.
    pub providers: Vec<ProviderMatch>,
    /// Deprecated upstream, live and not deprecated here.
    pub deprecated_upstream: Vec<ModelRef>,
    /// Live here, not listed upstream.
    pub gone_upstream: Vec<GoneUpstream>,
    /// `token_limit` here differs from `limit.context` upstream.
    pub token_limits: Vec<TokenLimitChange>,
    /// Listed upstream (not deprecated), neither live nor deleted here.
    pub new_upstream: Vec<NewUpstream>,
}

impl SyncReport {
    /// Whether nothing differs.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.deprecated_upstream.is_empty()
            && self.gone_upstream.is_empty()
            && self.token_limits.is_empty()
            && self.new_upstream.is_empty()
    }

    /// The report for a terminal: one section per kind of difference, one
    /// line per model, and what [`apply_report`] would change.
    #[must_use]
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let compared: Vec<String> = self
            .providers
            .iter()
            .map(|p| match &p.upstream {
                Some(id) if *id == p.key => p.key.clone(),
                Some(id) => format!("{} (models.dev `{id}`)", p.key),
                None => format!("{} (not on models.dev)", p.key),
            })
            .collect();
        let _ = writeln!(out, "Compared with models.dev: {}", compared.join(", "));
        if self.is_empty() {
            out.push_str("The catalogue agrees with models.dev.\n");
            return out;
        }
        if !self.deprecated_upstream.is_empty() {
            let _ = writeln!(
                out,
                "\nDeprecated on models.dev, live here ({}):",
                self.deprecated_upstream.len()
            );
            for model in &self.deprecated_upstream {
                let _ = writeln!(out, "  {}", model.id);
            }
        }
        if !self.token_limits.is_empty() {
            let _ = writeln!(
                out,
                "\nToken limits that differ ({}):",
                self.token_limits.len()
            );
            for change in &self.token_limits {
                let _ = writeln!(
                    out,
                    "  {}: {} here, {} on models.dev",
                    change.model.id, change.catalogue, change.upstream
                );
            }
        }
        if !self.gone_upstream.is_empty() {
            let _ = writeln!(
                out,
                "\nNot on models.dev any more ({}):",
                self.gone_upstream.len()
            );
            for gone in &self.gone_upstream {
                let note = if gone.deprecated {
                    " (deprecated here: a candidate for deletion)"
                } else {
                    ""
                };
                let _ = writeln!(out, "  {}{note}", gone.model.id);
            }
        }
        if !self.new_upstream.is_empty() {
            let _ = writeln!(
                out,
                "\nOn models.dev, not in the catalogue ({}):",
                self.new_upstream.len()
            );
            for new in &self.new_upstream {
                let context = if new.context == 0 {
                    "token limit unknown".to_owned()
                } else {
                    format!("context {}", new.context)
                };
                let _ = writeln!(out, "  {} \"{}\", {context}", new.model.id, new.label);
            }
        }
        let applicable = self.deprecated_upstream.len() + self.token_limits.len();
        if applicable > 0 {
            let _ = writeln!(
                out,
                "\napply would deprecate {} and change {} token limit{}; models gone upstream are \
                 deleted and new ones added by hand.",
                self.deprecated_upstream.len(),
                self.token_limits.len(),
                if self.token_limits.len() == 1 {
                    ""
                } else {
                    "s"
                }
            );
        }
        out
    }
}

fn model_ref(provider: &str, name: &str) -> ModelRef {
    ModelRef {
        id: model_id(provider, name),
        provider: provider.to_owned(),
        name: name.to_owned(),
    }
}

/// Compares `catalog` with models.dev for every catalogue provider that
/// models.dev lists, or only for `provider` (a catalogue key). Upstream
/// models are matched by their key in `models` or their `id`; a limit of 0
/// (unknown) is not compared; upstream models the catalogue deleted are not
/// new.
pub fn compare(
    catalog: &Catalog,
    upstream: &ModelsDev,
    provider: Option<&str>,
) -> Result<SyncReport, SyncError> {
    let providers: Vec<&Provider> = match provider {
        None => catalog.providers.iter().collect(),
        Some(key) => {
            let Some(found) = catalog.provider(key) else {
                let keys = catalog.providers.iter().map(|p| &*p.key);
                return Err(SyncError::UnknownProvider {
                    key: key.to_owned(),
                    suggestions: crate::suggest::closest(key, keys, 3)
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                });
            };
            if upstream_id(upstream, key).is_none() {
                return Err(SyncError::NotUpstream {
                    key: key.to_owned(),
                    upstream: key.replace('_', "-"),
                });
            }
            vec![found]
        }
    };
    let mut report = SyncReport::default();
    for provider in providers {
        let key = &*provider.key;
        let id = upstream_id(upstream, key);
        report.providers.push(ProviderMatch {
            key: key.to_owned(),
            upstream: id.map(str::to_owned),
        });
        let Some(theirs) = id.and_then(|id| upstream.providers.get(id)) else {
            continue;
        };
        let find = |name: &str| {
            theirs
                .models
                .get(name)
                .or_else(|| theirs.models.values().find(|model| model.id == name))
        };
        for model in provider.models.iter() {
            let Some(up) = find(&model.name) else {
                report.gone_upstream.push(GoneUpstream {
                    model: model_ref(key, &model.name),
                    deprecated: model.deprecated,
                });
                continue;
            };
            if up.deprecated() && !model.deprecated {
                report.deprecated_upstream.push(model_ref(key, &model.name));
            }
            if up.limit.context != 0 && up.limit.context != u64::from(model.token_limit) {
                report.token_limits.push(TokenLimitChange {
                    model: model_ref(key, &model.name),
                    catalogue: model.token_limit,
                    upstream: up.limit.context,
                });
            }
        }
        for (map_key, up) in &theirs.models {
            let name = if up.id.is_empty() { map_key } else { &up.id };
            let known = provider.model(name).is_some()
                || provider.model(map_key).is_some()
                || provider.deleted_entry(name).is_some()
                || provider.deleted_entry(map_key).is_some();
            if !known && !up.deprecated() {
                report.new_upstream.push(NewUpstream {
                    model: model_ref(key, name),
                    label: up.name.clone(),
                    context: up.limit.context,
                });
            }
        }
    }
    Ok(report)
}

/// Applies a report to `source` (the text of `models.toml`): deprecates
/// the models deprecated upstream (without a replacement: choose one with
/// [`edit::deprecate`] afterwards) and sets the token limits models.dev gives,
/// as one [`Edit`]. An item that cannot be applied — a provider's default, a
/// model others name as their replacement, a limit above `u32::MAX` — is
/// skipped with a note in [`Edit::notes`]; the result is validated as a whole.
pub fn apply_report(source: &str, origin: &str, report: &SyncReport) -> Result<Edit, EditError> {
    edit::parse_before(source, origin)?;
    let mut text = source.to_owned();
    let mut notes = Vec::new();
    for model in &report.deprecated_upstream {
        match edit::deprecate(&text, origin, &model.id, None, None) {
            Ok(done) => text = done.text,
            Err(error) => notes.push(format!("not deprecated {}: {}", model.id, short(&error))),
        }
    }
    for change in &report.token_limits {
        let Ok(limit) = u32::try_from(change.upstream) else {
            notes.push(format!(
                "token limit of {} not changed: {} is above the largest token_limit, {}",
                change.model.id,
                change.upstream,
                u32::MAX
            ));
            continue;
        };
        match edit::set_token_limit(&text, origin, &change.model.id, limit) {
            Ok(done) => text = done.text,
            Err(error) => notes.push(format!(
                "token limit of {} not changed: {}",
                change.model.id,
                short(&error)
            )),
        }
    }
    if text != source {
        edit::validate_after(&text, origin)?;
    }
    Ok(Edit::new(origin, source, text, notes))
}

/// One line for a note: the refusal, or the first diagnostic of an invalid result.
fn short(error: &EditError) -> String {
    match error {
        EditError::Invalid { diagnostics, .. } => diagnostics.iter().next().map_or_else(
            || error.to_string(),
            |first| format!("the result would be invalid: {}", first.headline()),
        ),
        other => other
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}

#[cfg(test)]
mod tests;
