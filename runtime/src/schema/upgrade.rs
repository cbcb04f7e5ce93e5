//! Upgrading a database the previous releases migrated: they recorded the
//! runtime's versions in the host's `__diesel_schema_migrations`, and their
//! 2026-11-26-000001 migration created `llm_provider_models` (now the
//! model-table set's 2026-12-03-000001).
//!
//! [`inspect`] only reads (so a refusal comes before any DDL); [`carry_over`]
//! moves the runtime's rows, in one transaction of its own (a savepoint
//! inside the apply transaction).

use std::collections::BTreeSet;

use super::harness::SchemaConnection;
use super::{
    HOST_MIGRATIONS_TABLE, LEGACY_MODEL_TABLE_VERSION, MODEL_TABLE, MODEL_TABLE_VERSION,
    SCHEMA_MIGRATIONS_TABLE,
};
use crate::db::{Bind, Query};
use crate::error::{Context, Error};

/// What the database records about the runtime's schema, read before
/// anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct State {
    /// The versions in [`SCHEMA_MIGRATIONS_TABLE`].
    pub(crate) tracked: BTreeSet<String>,
    /// The runtime's versions still in the host's `__diesel_schema_migrations`.
    pub(crate) legacy: BTreeSet<String>,
    /// Whether a table named [`MODEL_TABLE`] exists.
    pub(crate) model_table_exists: bool,
}

impl State {
    /// Whether the model-table migration that creates [`MODEL_TABLE`] is to
    /// be recorded as applied without running: a previous release created the
    /// table with its 000001 migration (recorded in the host's table), and the
    /// table is there.
    ///
    /// Only a version still in the host's table proves the old content of
    /// 000001: a database migrated by this release records 000001 in the
    /// runtime's own table whether or not it owns the model table, and a table
    /// of that name there is someone else's.
    pub(crate) fn adopts_model_table(&self) -> bool {
        self.model_table_exists
            && self.legacy.contains(LEGACY_MODEL_TABLE_VERSION)
            && !self.recorded(MODEL_TABLE_VERSION)
    }

    /// Whether `version` is recorded in either table.
    pub(crate) fn recorded(&self, version: &str) -> bool {
        self.tracked.contains(version) || self.legacy.contains(version)
    }

    /// Whether running the model-table set would create [`MODEL_TABLE`] over
    /// a table of that name the runtime did not create.
    pub(crate) fn foreign_model_table(&self) -> bool {
        self.model_table_exists && !self.recorded(MODEL_TABLE_VERSION) && !self.adopts_model_table()
    }

    /// Whether [`carry_over`] has anything to do.
    pub(crate) fn needs_carry_over(&self) -> bool {
        !self.legacy.is_empty()
    }
}

/// Reads the [`State`]; `runtime_versions` are every version the runtime
/// embeds for this engine (core and model-table sets). Writes nothing.
pub(crate) fn inspect<C: SchemaConnection>(
    conn: &mut C,
    table_exists: &str,
    runtime_versions: &[String],
) -> Result<State, Error> {
    let mut exists = |table: &str| {
        conn.count(Query::new(table_exists).bind(Bind::Text(table.to_owned())))
            .map(|n| n > 0)
            .context(|| format!("checking whether table `{table}` exists"))
    };
    let tracked_exists = exists(SCHEMA_MIGRATIONS_TABLE)?;
    let host_exists = exists(HOST_MIGRATIONS_TABLE)?;
    let model_table_exists = exists(MODEL_TABLE)?;
    let tracked = if tracked_exists {
        conn.versions(Query::new(format!(
            "SELECT version FROM {SCHEMA_MIGRATIONS_TABLE}"
        )))
        .context(|| format!("reading {SCHEMA_MIGRATIONS_TABLE}"))?
    } else {
        Vec::new()
    };
    let legacy = if host_exists && !runtime_versions.is_empty() {
        let mut query = Query::new(format!(
            "SELECT version FROM {HOST_MIGRATIONS_TABLE} WHERE version IN ("
        ));
        query
            .push_binds(runtime_versions.iter().cloned().map(Bind::Text))
            .push_sql(")");
        conn.versions(query)
            .context(|| format!("reading the runtime's versions in {HOST_MIGRATIONS_TABLE}"))?
    } else {
        Vec::new()
    };
    Ok(State {
        tracked: tracked.into_iter().collect(),
        legacy: legacy.into_iter().collect(),
        model_table_exists,
    })
}

/// Moves the runtime's rows out of the host's `__diesel_schema_migrations`
/// into [`SCHEMA_MIGRATIONS_TABLE`] (which must exist), keeping their
/// `run_on`, and records the model-table migration as applied when the state
/// [adopts](State::adopts_model_table) the table (with the `run_on` of the
/// 000001 that created it). Nothing is run and no other row of the host's
/// table is touched. One transaction: a failure leaves both tables as they were.
pub(crate) fn carry_over<C: SchemaConnection>(conn: &mut C, state: &State) -> Result<(), Error> {
    if !state.needs_carry_over() {
        return Ok(());
    }
    let adopt = state.adopts_model_table();
    conn.transaction(|conn| -> Result<(), Error> {
        let copy = |version: &str, from: &str| {
            Query::new(format!(
                "INSERT INTO {SCHEMA_MIGRATIONS_TABLE} (version, run_on) SELECT "
            ))
            .bind(Bind::Text(version.to_owned()))
            .sql(&format!(
                ", run_on FROM {HOST_MIGRATIONS_TABLE} WHERE version = "
            ))
            .bind(Bind::Text(from.to_owned()))
        };
        for version in state.legacy.difference(&state.tracked) {
            conn.run(copy(version, version))
                .context(|| format!("moving version {version} to {SCHEMA_MIGRATIONS_TABLE}"))?;
            tracing::info!(
                version,
                "schema migration moved from {HOST_MIGRATIONS_TABLE} to {SCHEMA_MIGRATIONS_TABLE}"
            );
        }
        if adopt {
            conn.run(copy(MODEL_TABLE_VERSION, LEGACY_MODEL_TABLE_VERSION))
                .context(|| format!("recording version {MODEL_TABLE_VERSION}"))?;
            tracing::info!(
                version = MODEL_TABLE_VERSION,
                "schema migration recorded as applied: {MODEL_TABLE} was created by \
                 {LEGACY_MODEL_TABLE_VERSION}"
            );
        }
        let mut delete = Query::new(format!(
            "DELETE FROM {HOST_MIGRATIONS_TABLE} WHERE version IN ("
        ));
        delete
            .push_binds(state.legacy.iter().cloned().map(Bind::Text))
            .push_sql(")");
        conn.run(delete)
            .context(|| format!("removing the runtime's versions from {HOST_MIGRATIONS_TABLE}"))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(tracked: &[&str], legacy: &[&str], model_table_exists: bool) -> State {
        let set = |versions: &[&str]| versions.iter().map(|v| (*v).to_owned()).collect();
        State {
            tracked: set(tracked),
            legacy: set(legacy),
            model_table_exists,
        }
    }

    /// The three cases of an existing `llm_provider_models`.
    #[test]
    fn a_model_table_is_adopted_only_after_a_previous_release_created_it() {
        // A previous release: 000001 in the host's table created it.
        let previous = state(&[], &[LEGACY_MODEL_TABLE_VERSION], true);
        assert!(previous.adopts_model_table());
        assert!(!previous.foreign_model_table());
        // This release created it: recorded, neither adopted nor foreign.
        let ours = state(
            &[LEGACY_MODEL_TABLE_VERSION, MODEL_TABLE_VERSION],
            &[],
            true,
        );
        assert!(!ours.adopts_model_table());
        assert!(!ours.foreign_model_table());
        // 000001 of this release (no model table of ours) and a table of that
        // name: someone else's.
        let foreign = state(&[LEGACY_MODEL_TABLE_VERSION], &[], true);
        assert!(!foreign.adopts_model_table());
        assert!(foreign.foreign_model_table());
        assert!(state(&[], &[], true).foreign_model_table());
        // No table: nothing to adopt, nothing foreign.
        let dropped = state(&[], &[LEGACY_MODEL_TABLE_VERSION], false);
        assert!(!dropped.adopts_model_table());
        assert!(!dropped.foreign_model_table());
    }
}
