//! The plan as data: the full diff between the catalogue and a database
//! ([`Plan`]) and what it is made of, down to the teams each deprecated or
//! deleted model affects. Plain, serializable data and nothing else: a leaf
//! that imports nothing of the crate but [`Backend`], so the planner that
//! computes it, the applier that executes it, the renderers, the notifier
//! and the errors that carry a refused plan all sit above it.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use llm_lifecycle_catalog::ReferenceKind;

use crate::backend::Backend;

mod guard;
mod sunset;
pub use guard::{LedgerRun, PlanWarning};
pub use sunset::Sunset;

/// `1,204`: an integer with thousands separators.
#[must_use]
pub fn thousands(n: impl Into<i128>) -> String {
    let n: i128 = n.into();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 row` / `1,204 rows`.
#[must_use]
pub fn rows(n: u64) -> String {
    if n == 1 {
        "1 row".to_owned()
    } else {
        format!("{} rows", thousands(n))
    }
}

/// A model's full id, `provider/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ModelId {
    /// The provider key.
    pub provider: String,
    /// The provider's model name (may itself contain `/`).
    pub name: String,
}

impl ModelId {
    /// `provider/name`.
    pub fn new(provider: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            provider: provider.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.provider, self.name)
    }
}

/// A value that drifted: what the database holds and what the catalogue says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Change<T> {
    /// In the database.
    pub from: T,
    /// In the catalogue.
    pub to: T,
}

/// Step 1: a live, non-deprecated model missing from the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Create {
    /// The model to create as a global row.
    pub model: ModelId,
    /// Its `max_token_limit`.
    pub token_limit: i64,
}

/// Step 2: a global row whose token limit or deprecated flag drifted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Update {
    /// The row id.
    pub id: i64,
    /// The model.
    pub model: ModelId,
    /// The token limit change, when it drifted.
    pub token_limit: Option<Change<i64>>,
    /// The deprecated flag change, when it drifted.
    pub deprecated: Option<Change<bool>>,
}

/// Step 3: a row that merges into the global row of its model: a team-custom
/// row with the same provider and name as a global row this plan creates, or a
/// duplicate global row of a live model (a host table without a unique rule;
/// the oldest row, lowest id, stays).
/// Its references move to the global row and it is deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Merge {
    /// The merged row's id.
    pub id: i64,
    /// The team that owned it; `None` for a duplicate global row.
    pub team_id: Option<i64>,
    /// The global row it merges into; `None` when this plan creates it.
    pub into: Option<i64>,
    /// The model (same as the created global row).
    pub model: ModelId,
}

/// Step 5: a deleted catalogue entry whose global row is still in the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deletion {
    /// The global row's id.
    pub id: i64,
    /// The deleted model.
    pub model: ModelId,
    /// The end of its replacement chain (a live, non-deprecated model), if any.
    pub replacement: Option<ModelId>,
}

/// Why references move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// A team row or a duplicate global row merges into the model's global row.
    Merge,
    /// A deleted model's references move to its replacement (or are cleared).
    Delete,
    /// A reference written after an earlier run removed its row (by a slow or
    /// old application instance; the column has no foreign key to stop it):
    /// moved where that run moved the others, as its journal says.
    Stale,
}

/// Rows of one referencing column that point at one model and will be
/// repointed (`to` is `Some`) or cleared (`to` is `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferenceUpdate {
    /// Index of the `[[references]]` entry in the catalogue.
    pub reference: usize,
    /// Referencing table.
    pub table: String,
    /// Referencing column.
    pub column: String,
    /// How the column stores the model.
    pub kind: ReferenceKind,
    /// For JSON references, the top-level key.
    pub key: Option<String>,
    /// The model the rows point at now.
    pub from: ModelId,
    /// Its row id (`None` for text references to a model with no row).
    pub from_id: Option<i64>,
    /// For merges: the team whose custom row the rows point at.
    pub from_team: Option<i64>,
    /// The model the rows will point at; `None` clears them.
    pub to: Option<ModelId>,
    /// How many rows.
    pub rows: u64,
    /// Merge or deletion.
    pub reason: Reason,
}

/// Values of a JSON reference column that are not a JSON object (empty, not
/// JSON, an array or a scalar): they cannot hold a model id, so they are
/// skipped, never rewritten, and reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedValues {
    /// Referencing table.
    pub table: String,
    /// Referencing column.
    pub column: String,
    /// How many rows (NULLs are not counted).
    pub rows: u64,
}

/// How `apply --batch-size N` moves a plan's references: batch by batch,
/// each committed on its own before the final locked transaction, which
/// moves what is left and deletes the model rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Batching {
    /// At most this many rows per batch.
    pub batch_size: u64,
    /// Each reference column with rows to move.
    pub columns: Vec<BatchedColumn>,
}

/// One reference column under [`Batching`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchedColumn {
    /// Referencing table.
    pub table: String,
    /// Referencing column.
    pub column: String,
    /// The integer key the batches walk the table by; `None` when the table
    /// has none (no primary key of one integer column): then every row of
    /// the column moves in the final transaction.
    pub key: Option<String>,
    /// Rows that move in batches (to a model row that already exists, or
    /// cleared).
    pub rows: u64,
    /// Rows left to the final transaction: those moving to a model row this
    /// apply creates, or every row when there is no key.
    pub final_rows: u64,
}

impl BatchedColumn {
    /// How many batches [`rows`](Self::rows) take at `batch_size` at the
    /// fewest (at least one when there are rows): the batches of a table
    /// start at [`FEWEST_ROWS`] (or `batch_size`, when it is smaller) and
    /// at most double per batch up to `batch_size`, when each takes under
    /// [`BATCH_TARGET`]; batches that take longer are more.
    #[must_use]
    pub fn batches(&self, batch_size: u64) -> u64 {
        if self.key.is_none() {
            return 0;
        }
        let most = batch_size.max(1);
        let (mut left, mut next, mut batches) = (self.rows, most.min(FEWEST_ROWS), 0);
        while left > 0 {
            if next == most {
                return batches + left.div_ceil(most);
            }
            left = left.saturating_sub(next);
            batches += 1;
            next = next.saturating_mul(2).min(most);
        }
        batches
    }
}

/// How long one batch of `apply --batch-size` should take, from its `BEGIN`
/// to its `COMMIT`: the batches of a table size each next one from the last
/// one's rate so that it takes about this long (it holds its rows' locks
/// until its COMMIT).
pub const BATCH_TARGET: std::time::Duration = std::time::Duration::from_millis(100);

/// The rows of a table's first batch, and the fewest a batch shrinks to
/// (the batch size, when it is smaller).
pub const FEWEST_ROWS: u64 = 1_000;

/// Step 6: a global row the catalogue neither declares nor deletes. Left alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unmanaged {
    /// The row id.
    pub id: i64,
    /// The model it names.
    pub model: ModelId,
}

/// A problem that stops the plan before any write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Refusal {
    /// A real foreign key to the model table that `[[references]]` does not declare.
    UndeclaredForeignKey {
        /// The model table it points at.
        model_table: String,
        /// Referencing table.
        table: String,
        /// Referencing column.
        column: String,
        /// The referencing table's `team_id` column, when it has one (for the
        /// suggested entry's `team_column`).
        #[serde(skip_serializing_if = "Option::is_none")]
        team_column: Option<String>,
        /// The referencing table's `name` column, when it has one (for the
        /// suggested entry's `name_column`).
        #[serde(skip_serializing_if = "Option::is_none")]
        name_column: Option<String>,
    },
    /// A declared table that does not exist.
    MissingTable {
        /// The table.
        table: String,
        /// Which `[[references]]` entry names it (`table.column`).
        declared_by: String,
    },
    /// A declared column that does not exist.
    MissingColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Which `[[references]]` entry names it (`table.column`).
        declared_by: String,
    },
    /// Rows would be cleared but the column is `NOT NULL`.
    NotNullClear {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// How many rows point at the model.
        rows: u64,
        /// The deleted model without replacement.
        model: ModelId,
    },
    /// A `[[references]]` `filter` the database rejects.
    InvalidFilter {
        /// The referencing table.
        table: String,
        /// The referencing column.
        column: String,
        /// The filter as written.
        filter: String,
        /// The database's complaint.
        reason: String,
    },
    /// The plan would re-create a model an earlier run deleted: the
    /// catalogue being applied predates that deletion (a rolled-back deploy,
    /// the old half of a blue/green overlap). `--allow-restore` lifts it.
    RestoresDeleted {
        /// The model.
        model: ModelId,
        /// The run that deleted it.
        deleted_by: LedgerRun,
    },
    /// The model table (`[model_table]`, or the runtime's own) cannot be
    /// used as it is.
    ModelTable {
        /// The table.
        table: String,
        /// Whether it is the runtime's own `llm_provider_models` (no
        /// `[model_table]` in the catalogue).
        owned: bool,
        /// What is wrong.
        issue: ModelTableProblem,
    },
    /// `[notifications] recipients_query` cannot run for a team.
    InvalidRecipientsQuery {
        /// The query as written.
        query: String,
        /// The database's complaint.
        reason: String,
    },
}

/// What is wrong with the model table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelTableProblem {
    /// The table does not exist.
    MissingTable,
    /// A mapped column does not exist.
    MissingColumn {
        /// The `[model_table]` key that names it (`provider`, `values`, …).
        role: String,
        /// The column.
        column: String,
    },
    /// A mapped column holds another kind of value.
    IncompatibleType {
        /// The `[model_table]` key that names it.
        role: String,
        /// The column.
        column: String,
        /// Its declared type.
        found: String,
        /// What it must hold (`an integer`, `a text`, …).
        expected: String,
    },
    /// A `NOT NULL` column without a default that an insert would leave unset.
    UnsetColumn {
        /// The column.
        column: String,
    },
    /// The id column has no default (identity, serial, auto-increment), so
    /// the runtime cannot insert rows.
    IdWithoutDefault {
        /// The column.
        column: String,
    },
}

impl Merge {
    /// `team 7's custom openai/gpt-4 (row 12)` or `duplicate global openai/gpt-4 (row 12)`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self.team_id {
            Some(team) => format!("team {team}'s custom {} (row {})", self.model, self.id),
            None => format!("duplicate global {} (row {})", self.model, self.id),
        }
    }

    /// `the new global row` or `the oldest global row (row 3)`.
    #[must_use]
    pub fn target(&self) -> String {
        match (self.into, self.team_id) {
            (None, _) => "the new global row".to_owned(),
            (Some(id), _) => format!("the oldest global row (row {id})"),
        }
    }
}

impl Refusal {
    /// The refusal for the undeclared foreign key `table.column`, given which
    /// columns the table has (so the entry to add can name its `team_id` and
    /// `name` columns).
    pub(crate) fn undeclared_foreign_key(
        model_table: String,
        table: String,
        column: String,
        has_column: impl Fn(&str) -> bool,
    ) -> Self {
        let has = |name: &str| has_column(name);
        let team_column = ["team_id"].into_iter().find(|name| has(name));
        let name_column = ["name", "title"].into_iter().find(|name| has(name));
        Self::UndeclaredForeignKey {
            model_table,
            team_column: team_column.map(str::to_owned),
            name_column: name_column.map(str::to_owned),
            table,
            column,
        }
    }

    /// For an undeclared foreign key, the `[[references]]` entry to add to
    /// `models.toml`, as TOML that the catalogue accepts as printed.
    #[must_use]
    pub fn toml_to_add(&self) -> Option<String> {
        match self {
            Self::UndeclaredForeignKey {
                table,
                column,
                team_column,
                name_column,
                ..
            } => {
                let mut toml = format!(
                    "[[references]]\ntable = {}\ncolumn = {}\nresource = {}",
                    toml_string(table),
                    toml_string(column),
                    toml_string(&resource_noun(table))
                );
                for (key, value) in [("team_column", team_column), ("name_column", name_column)] {
                    if let Some(value) = value {
                        toml.push_str(&format!("\n{key} = {}", toml_string(value)));
                    }
                }
                Some(toml)
            }
            _ => None,
        }
    }
}

/// A TOML basic string (identifiers need no escapes, but stay safe).
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The noun for a table's rows in notices: the singular of its name, words
/// separated by spaces (`assistants` → `assistant`, `pipeline_nodes` →
/// `pipeline node`, `categories` → `category`).
pub(crate) fn resource_noun(table: &str) -> String {
    let lower = table.to_ascii_lowercase();
    let singular = if let Some(stem) = lower.strip_suffix("ies") {
        format!("{stem}y")
    } else if lower.ends_with("sses") || lower.ends_with("xes") || lower.ends_with("ches") {
        lower[..lower.len() - 2].to_owned()
    } else if lower.ends_with('s') && !lower.ends_with("ss") && !lower.ends_with("us") {
        lower[..lower.len() - 1].to_owned()
    } else {
        lower
    };
    let noun: String = singular
        .chars()
        .map(|c| if c == '_' { ' ' } else { c })
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == ' ')
        .collect::<String>()
        .trim()
        .to_owned();
    if noun.starts_with(|c: char| c.is_ascii_lowercase()) {
        noun
    } else {
        "resource".to_owned()
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UndeclaredForeignKey {
                model_table,
                table,
                column,
                ..
            } => write!(
                f,
                "{table}.{column} is a foreign key to {model_table} that models.toml does not declare; \
                 add a [[references]] entry for it (table = \"{table}\", column = \"{column}\") so its rows are migrated"
            ),
            Self::MissingTable { table, declared_by } => write!(
                f,
                "table `{table}` (declared by the [[references]] entry {declared_by}) does not exist; \
                 fix the entry in models.toml or create the table"
            ),
            Self::MissingColumn {
                table,
                column,
                declared_by,
            } => write!(
                f,
                "column `{table}.{column}` (declared by the [[references]] entry {declared_by}) does not exist; \
                 fix the entry in models.toml"
            ),
            Self::NotNullClear {
                table,
                column,
                rows,
                model,
            } => write!(
                f,
                "{} in {table}.{column} point at {model}, which is deleted without replacement, \
                 but {table}.{column} is NOT NULL; give {model} a replacement in models.toml \
                 or make the column nullable",
                self::rows(*rows)
            ),
            Self::InvalidFilter {
                table,
                column,
                filter,
                reason,
            } => write!(
                f,
                "the filter `{filter}` of the [[references]] entry {table}.{column} is not a valid \
                 SQL condition on {table}: {reason}; fix it in models.toml"
            ),
            Self::RestoresDeleted { model, deleted_by } => write!(
                f,
                "{model} was deleted by {deleted_by}, and this catalogue would create it again: \
                 this build predates that deletion; deploy the newer build, or pass \
                 --allow-restore {model} if the model really is coming back"
            ),
            Self::ModelTable {
                table,
                owned,
                issue,
            } => {
                model_table_problem(f, table, issue)?;
                if *owned {
                    write!(
                        f,
                        " (models.toml has no [model_table], so llm-lifecycle expects its own \
                         {table}: if this table is your platform's, describe it in [model_table] \
                         with its column names; otherwise rename it)"
                    )?;
                }
                Ok(())
            }
            Self::InvalidRecipientsQuery { query, reason } => write!(
                f,
                "[notifications] recipients_query `{query}` cannot run: {reason}; it must return \
                 one column of user ids, using $team_id and $permission for the values; fix it in models.toml"
            ),
        }
    }
}

fn model_table_problem(
    f: &mut fmt::Formatter<'_>,
    table: &str,
    problem: &ModelTableProblem,
) -> fmt::Result {
    match problem {
        ModelTableProblem::MissingTable => write!(
            f,
            "the model table `{table}` does not exist; create it with your application's \
             migrations, or fix `table` in [model_table] in models.toml"
        ),
        ModelTableProblem::MissingColumn { role, column } if role == "values" => write!(
            f,
            "column `{table}.{column}` (named in [model_table] values) does not exist; \
             fix or remove it in models.toml"
        ),
        ModelTableProblem::MissingColumn { role, column } => write!(
            f,
            "column `{table}.{column}` (the model table's `{role}` column) does not exist; \
             set `{role} = \"…\"` in [model_table] in models.toml to the column that holds it"
        ),
        ModelTableProblem::IncompatibleType {
            role,
            column,
            found,
            expected,
        } => write!(
            f,
            "column `{table}.{column}` (the model table's `{role}` column) is `{found}`, \
             but it must hold {expected} value; point `{role}` in [model_table] at the right \
             column in models.toml"
        ),
        ModelTableProblem::UnsetColumn { column } => write!(
            f,
            "column `{table}.{column}` is NOT NULL without a default, and creating a model \
             row would leave it unset; give it a value in [model_table] in models.toml \
             (`values = {{ {column} = … }}`) or a default in the database"
        ),
        ModelTableProblem::IdWithoutDefault { column } => write!(
            f,
            "the id column `{table}.{column}` has no default (identity, serial or \
             auto-increment), so model rows cannot be created; give it one in the database, \
             or point `id` in [model_table] at the column that has one"
        ),
    }
}

/// The full diff between the catalogue and a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The engine the plan was computed on.
    pub backend: Backend,
    /// The catalogue's digest (recorded in the ledger).
    pub catalog_digest: String,
    /// Whether the runtime's schema exists yet (`false` before the first apply or migrate).
    pub schema_present: bool,
    /// Step 1.
    pub creates: Vec<Create>,
    /// Step 2.
    pub updates: Vec<Update>,
    /// Step 3.
    pub merges: Vec<Merge>,
    /// Step 5: rows to delete.
    pub deletions: Vec<Deletion>,
    /// Steps 3 and 5: references to repoint or clear, per column and model.
    pub reference_updates: Vec<ReferenceUpdate>,
    /// Step 6.
    pub unmanaged: Vec<Unmanaged>,
    /// JSON reference values skipped because they are not a JSON object
    /// (counted by `plan`; the apply skips them the same way).
    pub skipped: Vec<SkippedValues>,
    /// Steps 4 and 5: per deprecated or deleted model, the teams whose
    /// resources use it (counted before any reference moves) and that have not
    /// been notified about it yet: those the apply notifies.
    pub affected: Vec<AffectedModel>,
    /// Problems that stop the plan; nothing is written while any remain.
    pub refusals: Vec<Refusal>,
    /// Odd things that stop nothing (an un-deprecation an earlier run's
    /// deprecation contradicts, a restored model, a rollback): `!` lines.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<PlanWarning>,
    /// Every deprecated model with a `sunset`, soonest first, with the days
    /// left as of the plan's today (`--today`); past-due ones are negative.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sunsets: Vec<Sunset>,
    /// With a batch size ([`PlanOptions::batch_size`](crate::PlanOptions::batch_size)):
    /// which references the apply moves in batches before its final transaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batching: Option<Batching>,
}

impl Plan {
    /// A plan of nothing to do yet for `backend`, the catalogue of digest
    /// `catalog_digest` and a schema that is there or not.
    pub(crate) fn empty(backend: Backend, catalog_digest: String, schema_present: bool) -> Self {
        Self {
            backend,
            catalog_digest,
            schema_present,
            creates: Vec::new(),
            updates: Vec::new(),
            merges: Vec::new(),
            deletions: Vec::new(),
            reference_updates: Vec::new(),
            unmanaged: Vec::new(),
            skipped: Vec::new(),
            affected: Vec::new(),
            refusals: Vec::new(),
            warnings: Vec::new(),
            sunsets: Vec::new(),
            batching: None,
        }
    }

    /// `true` when applying would change nothing (unmanaged rows are only
    /// reported); a team notification still to write is a change.
    #[must_use]
    pub fn is_noop(&self) -> bool {
        self.creates.is_empty()
            && self.updates.is_empty()
            && self.merges.is_empty()
            && self.deletions.is_empty()
            && self.reference_updates.is_empty()
            && self.affected.is_empty()
    }

    /// Team notifications the apply will write (one per model and team).
    #[must_use]
    pub fn notifications(&self) -> usize {
        self.affected.iter().map(AffectedModel::team_count).sum()
    }

    /// `true` when the plan has problems and will not be applied.
    #[must_use]
    pub fn is_refused(&self) -> bool {
        !self.refusals.is_empty()
    }

    /// Rows that will be repointed to another model.
    #[must_use]
    pub fn repointed_rows(&self) -> u64 {
        self.reference_updates
            .iter()
            .filter(|u| u.to.is_some())
            .map(|u| u.rows)
            .sum()
    }

    /// Rows whose reference will be cleared.
    #[must_use]
    pub fn cleared_rows(&self) -> u64 {
        self.reference_updates
            .iter()
            .filter(|u| u.to.is_none())
            .map(|u| u.rows)
            .sum()
    }
}

#[cfg(test)]
mod resource_noun_tests {
    use super::resource_noun;

    #[test]
    fn the_noun_is_the_singular_of_the_table_name() {
        for (table, noun) in [
            ("assistants", "assistant"),
            ("pipeline_nodes", "pipeline node"),
            ("categories", "category"),
            ("boxes", "box"),
            ("classes", "class"),
            ("status", "status"),
            ("chatbot", "chatbot"),
            ("Experiments", "experiment"),
            ("_42", "resource"),
        ] {
            assert_eq!(resource_noun(table), noun, "{table}");
        }
    }
}

/// Slug of the notice a team gets when a model it uses is deprecated.
pub const SLUG_DEPRECATED: &str = "llm-model-deprecated";
/// Slug of the notice a team gets when a model it used is deleted.
pub const SLUG_DELETED: &str = "llm-model-deleted";
/// Slug of the reminder a team gets as the sunset of a deprecated model it
/// still uses nears (`[notifications] reminders`).
pub const SLUG_SUNSET: &str = "llm-model-sunset";
/// Level of every notice.
pub const LEVEL: &str = "warning";

/// Why a model's users are told about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelChange {
    /// Still usable, flagged: step 4.
    Deprecated,
    /// Removed, references moved or cleared: step 5.
    Deleted,
    /// Deprecated, and its sunset is within one of the `[notifications]
    /// reminders` thresholds: step 4's reminder ([`AffectedModel::reminder`]
    /// says which).
    Sunset,
}

impl ModelChange {
    /// The notification slug.
    #[must_use]
    pub fn slug(self) -> &'static str {
        match self {
            Self::Deprecated => SLUG_DEPRECATED,
            Self::Deleted => SLUG_DELETED,
            Self::Sunset => SLUG_SUNSET,
        }
    }
}

/// Which sunset reminder a [`ModelChange::Sunset`] notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reminder {
    /// The threshold crossed: the smallest `[notifications] reminders` entry
    /// at or above [`Reminder::days_left`]. A team gets each threshold's
    /// reminder once; a deploy that first runs inside the 7-day threshold
    /// sends that one, not the 30-day reminder it missed.
    pub days_before: u32,
    /// Days from today (`--today`) to the sunset; 0 on the day itself.
    pub days_left: u32,
}

impl Reminder {
    /// The reminder due `days_left` days before a sunset, given the
    /// `reminders` thresholds (any order); `None` outside every threshold and
    /// once the sunset has passed (`apply-models check` reports those).
    #[must_use]
    pub fn due(reminders: &[u32], days_left: i64) -> Option<Self> {
        let days_left = u32::try_from(days_left).ok()?;
        let days_before = reminders
            .iter()
            .copied()
            .filter(|threshold| days_left <= *threshold)
            .min()?;
        Some(Self {
            days_before,
            days_left,
        })
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
    /// [`ModelChange::Sunset`]: which reminder this is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reminder: Option<Reminder>,
    /// The teams with at least one affected resource and no notification
    /// about this model yet, by team id. In an apply's report, only the first
    /// [`AffectedModel::LISTED`] teams told (the notices were written by the
    /// database, and are read back); the others are counted in `more_teams`.
    pub teams: Vec<AffectedTeam>,
    /// Teams told that `teams` does not list (0 in a plan, which lists every team).
    #[serde(skip_serializing_if = "is_zero")]
    pub more_teams: usize,
}

impl AffectedModel {
    /// How many teams an apply's report lists per model (as many as a plan line shows).
    pub const LISTED: usize = 20;

    /// Every team told (or to tell) about the model: listed or not.
    #[must_use]
    pub fn team_count(&self) -> usize {
        self.teams.len() + self.more_teams
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &usize) -> bool {
    *n == 0
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
