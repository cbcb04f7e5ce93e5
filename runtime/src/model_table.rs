//! The table of model rows the catalogue governs: the runtime's own
//! `llm_provider_models`, or a host table named in `[model_table]`, with the
//! names of its columns.
//!
//! Every statement that reads or writes model rows is written from a
//! [`ModelTable`], so the planner and the applier read the same for both. A
//! host table is never created or altered: the planner introspects it
//! (`plan::model_table`) and refuses before any write when a column is
//! missing, has an incompatible type, or is `NOT NULL` without a default and
//! would be left unset by an insert.

use llm_lifecycle_catalog::{Catalog, ConstantValue};

use crate::db::{Bind, quote_ident};

/// The model table and its column names, from the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModelTable {
    /// The table.
    pub(crate) table: String,
    /// Its integer primary key.
    pub(crate) id: String,
    /// The owning team's id, NULL on global rows; `None`: every row is global.
    pub(crate) team: Option<String>,
    /// The provider key.
    pub(crate) provider: String,
    /// The model name.
    pub(crate) name: String,
    /// The token limit.
    pub(crate) token_limit: String,
    /// The deprecated flag.
    pub(crate) deprecated: String,
    /// Set on insert when given.
    pub(crate) created_at: Option<String>,
    /// Set on insert and update when given.
    pub(crate) updated_at: Option<String>,
    /// Constants for other columns, set on insert.
    pub(crate) values: Vec<(String, Bind)>,
    /// Whether this is the runtime's own table (created by its migrations).
    pub(crate) owned: bool,
}

impl ModelTable {
    /// The runtime's own `llm_provider_models`.
    pub(crate) fn owned() -> Self {
        Self::from_catalog(&llm_lifecycle_catalog::ModelTable::owned(), true)
    }

    /// The table `catalog` governs: its `[model_table]`, else the runtime's own.
    pub(crate) fn of(catalog: &Catalog) -> Self {
        match &catalog.model_table {
            Some(table) => Self::from_catalog(table, false),
            None => Self::owned(),
        }
    }

    fn from_catalog(table: &llm_lifecycle_catalog::ModelTable, owned: bool) -> Self {
        Self {
            table: table.table.to_string(),
            id: table.id.to_string(),
            team: table.team.as_ref().map(ToString::to_string),
            provider: table.provider.to_string(),
            name: table.name.to_string(),
            token_limit: table.token_limit.to_string(),
            deprecated: table.deprecated.to_string(),
            created_at: table.created_at.as_ref().map(ToString::to_string),
            updated_at: table.updated_at.as_ref().map(ToString::to_string),
            values: table
                .values
                .iter()
                .map(|constant| {
                    let value = match &constant.value {
                        ConstantValue::Text(text) => Bind::Text(text.to_string()),
                        ConstantValue::Integer(n) => Bind::BigInt(*n),
                        ConstantValue::Bool(b) => Bind::NullableBool(Some(*b)),
                    };
                    (constant.column.to_string(), value)
                })
                .collect(),
            owned,
        }
    }

    /// The quoted table name.
    pub(crate) fn quoted(&self) -> String {
        quote_ident(&self.table)
    }

    /// `alias.column` (or the bare column without an alias), quoted.
    pub(crate) fn col(alias: Option<&str>, column: &str) -> String {
        match alias {
            Some(alias) => format!("{alias}.{}", quote_ident(column)),
            None => quote_ident(column),
        }
    }

    /// The condition selecting global rows (of `alias`).
    pub(crate) fn global(&self, alias: Option<&str>) -> String {
        match &self.team {
            Some(team) => format!("{} IS NULL", Self::col(alias, team)),
            None => "1 = 1".to_owned(),
        }
    }

    /// The condition selecting team rows (of `alias`); `None` when the table
    /// has no team column.
    pub(crate) fn team_rows(&self, alias: Option<&str>) -> Option<String> {
        self.team
            .as_ref()
            .map(|team| format!("{} IS NOT NULL", Self::col(alias, team)))
    }

    /// The columns an insert sets (besides the id, which the table assigns).
    pub(crate) fn inserted_columns(&self) -> Vec<&str> {
        let mut columns = vec![
            self.provider.as_str(),
            self.name.as_str(),
            self.token_limit.as_str(),
            self.deprecated.as_str(),
        ];
        columns.extend(self.team.as_deref());
        columns.extend(self.created_at.as_deref());
        columns.extend(self.updated_at.as_deref());
        columns.extend(self.values.iter().map(|(column, _)| column.as_str()));
        columns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_team_column_every_row_is_global() {
        let mut table = ModelTable::owned();
        assert_eq!(table.global(Some("p")), "p.\"team_id\" IS NULL");
        assert_eq!(
            table.team_rows(None).as_deref(),
            Some("\"team_id\" IS NOT NULL")
        );
        table.team = None;
        assert_eq!(table.global(Some("p")), "1 = 1");
        assert_eq!(table.team_rows(None), None);
    }
}
