//! The plan: the full diff between the catalogue and the database, computed and
//! validated before anything is written. The steps, as the applier runs them:
//!
//! 1. create the global rows of live, non-deprecated models that are missing;
//! 2. update drifted token limits and deprecated flags;
//! 3. merge team-custom rows into the global rows step 1 creates (their
//!    references move to the global row);
//! 4. tell each team using a deprecated model, once;
//! 5. repoint (or clear) every reference to a deleted model, tell its teams,
//!    delete its row;
//! 6. report global rows the catalogue does not know, and leave them alone.
//!
//! A [`Plan`] is plain data: the planner (`build`) computes it from a
//! connection, the applier executes it, [`render`] prints it like a diff and
//! `serde` gives `--format json`.

mod affected;
pub(crate) mod batching;
mod build;
mod guard;
pub mod markdown;
mod model_table;
pub(crate) mod notices;
pub mod render;
mod resource_rows;
pub(crate) mod resources;
pub(crate) mod texts;
mod validate;

pub use crate::diff::{
    AffectedModel, AffectedTeam, BATCH_TARGET, BatchedColumn, Batching, Change, Create, Deletion,
    FEWEST_ROWS, LedgerRun, Links, Merge, ModelChange, ModelId, ModelTableProblem, Plan,
    PlanWarning, Reason, ReferenceUpdate, Refusal, Reminder, ResourceCount, SkippedValues, Sunset,
    Unmanaged, Update,
};
pub(crate) use affected::nouns;
pub(crate) use build::{Audience, Counting, MappingEntry, Planned, build};
pub(crate) use model_table::usable as model_table_usable;

use std::num::NonZeroU64;

use llm_lifecycle_catalog::{Catalog, Date};

use crate::db::Database;
use crate::error::Error;

/// What a plan takes besides the catalogue: what the stale-catalogue guard
/// needs to know ([`ApplyOptions`](crate::ApplyOptions) carries the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// The environment deploys record (`--environment`): a catalogue applied
    /// here before a different one was is reported as a rollback.
    pub environment: String,
    /// Models an earlier run deleted that this catalogue may create again
    /// (`--allow-restore provider/name`); any other is refused.
    pub allow_restore: Vec<ModelId>,
    /// The day sunsets are counted from (`--today`); `None`: today, UTC.
    pub today: Option<Date>,
    /// The apply's batch size ([`ApplyOptions::batch_size`](crate::ApplyOptions::batch_size)):
    /// the plan says which reference columns would move in batches.
    pub batch_size: Option<NonZeroU64>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            environment: "default".to_owned(),
            allow_restore: Vec::new(),
            today: None,
            batch_size: None,
        }
    }
}

/// Computes the plan for `catalog` against `db` without writing anything (not
/// even the schema: on a database never applied to, the plan creates everything),
/// with the default [`PlanOptions`].
///
/// # Errors
/// [`Error::Database`] when the database cannot be read.
pub fn plan(db: &mut Database<'_>, catalog: &Catalog) -> Result<Plan, Error> {
    plan_with(db, catalog, &PlanOptions::default())
}

/// Today's date in UTC (what sunsets count from without `--today`).
#[must_use]
pub fn today_utc() -> Date {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        });
    Date::from_day_number(seconds.div_euclid(86_400)).unwrap_or(Date {
        year: 1970,
        month: 1,
        day: 1,
    })
}

/// Every deprecated model of `catalog` with a sunset, soonest first, counted
/// from `today`.
pub(crate) fn sunsets(catalog: &Catalog, today: Date) -> Vec<Sunset> {
    let mut sunsets: Vec<Sunset> = catalog
        .models()
        .filter(|(_, model)| model.deprecated)
        .filter_map(|(provider, model)| {
            let date = model.sunset?;
            Some(Sunset {
                model: ModelId::new(provider.key.as_ref(), model.name.as_ref()),
                sunset: date.to_string(),
                days_left: today.days_until(date),
                replacement: catalog
                    .chain_end(&provider.key, &model.name)
                    .map(|to| ModelId::new(provider.key.as_ref(), to.name.as_ref())),
            })
        })
        .collect();
    sunsets.sort_by(|a, b| (a.days_left, &a.model).cmp(&(b.days_left, &b.model)));
    sunsets
}

/// [`plan`] with `options`: the environment and the models allowed back.
///
/// # Errors
/// [`Error::Database`] when the database cannot be read.
pub fn plan_with(
    db: &mut Database<'_>,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Result<Plan, Error> {
    db.read_transaction(|conn| {
        build(conn, catalog, Counting::All, options, Audience::Unnotified)
            .map(|planned| planned.plan)
    })
}

/// [`plan_with`], with [`Plan::affected`] listing every team that uses each
/// model, told before or not (what `apply-models check` reports).
pub(crate) fn in_use(
    db: &mut Database<'_>,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Result<Plan, Error> {
    db.read_transaction(|conn| {
        build(conn, catalog, Counting::All, options, Audience::Everyone).map(|planned| planned.plan)
    })
}
