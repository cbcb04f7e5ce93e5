//! The validated catalogue: what `models.toml` declares once every rule holds.
//!
//! Every type here can be built in a `const` context (strings and slices are
//! [`Cow::Borrowed`]), so the proc macro emits the whole catalogue as a `static`
//! that the runtime takes, and the parser builds the same types with owned data.

use std::borrow::Cow;
use std::fmt;

/// A string that is `&'static str` in generated code and `String` when parsed.
pub type Text = Cow<'static, str>;
/// A list that is `&'static [T]` in generated code and `Vec<T>` when parsed.
pub type List<T> = Cow<'static, [T]>;

/// The whole catalogue: providers with their live and deleted models, the host
/// tables that reference model rows, and notification settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// Providers in declaration order.
    pub providers: List<Provider>,
    /// `[[references]]`: the host columns that point at model rows.
    pub references: List<Reference>,
    /// `[notifications]`: who is told about deprecations and deletions.
    pub notifications: NotificationSettings,
}

/// One `[providers.KEY]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// The provider key, `[a-z][a-z0-9_-]*` (e.g. `openai`, `google_vertex_ai`).
    pub key: Text,
    /// Display label; the key when none is declared.
    pub label: Text,
    /// Live models (deprecated ones included), in declaration order.
    pub models: List<Model>,
    /// Deleted models, in declaration order.
    pub deleted: List<DeletedModel>,
}

/// A live model of a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    /// The provider's model id, e.g. `gpt-4.1-mini` or `openai/gpt-oss-20b`.
    pub name: Text,
    /// Context window in tokens, `1..=u32::MAX`.
    pub token_limit: u32,
    /// The provider's default model (exactly one per provider).
    pub default: bool,
    /// The provider's default model for translation (at most one per provider).
    pub translation_default: bool,
    /// Still usable, but flagged: users are told to move to `replacement`.
    pub deprecated: bool,
    /// For a deprecated model: the model of the same provider to use instead.
    pub replacement: Option<Text>,
    /// For a deprecated model: the date it is planned to be deleted.
    pub sunset: Option<Date>,
    /// Overrides the generated enum variant name.
    pub ident: Option<Text>,
}

/// A model that has been removed: references to it are migrated to `replacement`
/// (or cleared when there is none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedModel {
    /// The provider's model id.
    pub name: Text,
    /// A model of the same provider that takes over its references.
    pub replacement: Option<Text>,
    /// When the deletion was decided (used by `prune` when git history is missing).
    pub deleted_on: Option<Date>,
}

/// A calendar date (`2027-01-31`), as TOML local dates write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year, e.g. 2027.
    pub year: u16,
    /// Month, 1..=12.
    pub month: u8,
    /// Day of the month, 1..=31.
    pub day: u8,
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// How a referencing column stores the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReferenceKind {
    /// An integer foreign key to `llm_provider_models.id` (the default).
    #[default]
    Id,
    /// The top-level `key` of a JSON object column holds the id, as a number or a string.
    Json,
    /// A text column holding the `provider/name` id.
    Text,
}

/// One `[[references]]` entry: a host column that points at a model.
///
/// Every identifier is a plain SQL identifier (`[A-Za-z_][A-Za-z0-9_]*`),
/// checked by validation; the runtime still quotes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The referencing table.
    pub table: Text,
    /// The referencing column.
    pub column: Text,
    /// How the column stores the model.
    pub kind: ReferenceKind,
    /// For `kind = "json"`: the top-level key of the JSON object.
    pub key: Option<Text>,
    /// Noun for notices (`chatbot`, `pipeline`); defaults to the table name.
    pub resource: Option<Text>,
    /// A join to the table that owns team and name, when the row itself does not.
    pub through: Option<Through>,
    /// Column holding the owning team's id (on `through.table` when given).
    pub team_column: Option<Text>,
    /// Column holding the resource's display name (on `through.table` when given).
    pub name_column: Option<Text>,
    /// Where a resource lives, e.g. `/a/{team_id}/chatbots/{id}/`.
    pub url: Option<Text>,
    /// An SQL condition on the referencing table (`table`, never `through.table`)
    /// restricting which rows count as affected resources in notices
    /// (repointing still covers every row).
    pub filter: Option<Text>,
}

/// `through = { table = "pipelines", column = "pipeline_id" }`:
/// `<reference.table>.<column> = <table>.id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Through {
    /// The joined table (its primary key is `id`).
    pub table: Text,
    /// The column of the referencing table that holds the joined row's id.
    pub column: Text,
}

/// The optional `[notifications]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationSettings {
    /// The permission recipients need; default [`DEFAULT_PERMISSION`].
    pub permission: Text,
    /// An SQL query returning user ids, with `$team_id` and `$permission` bound.
    pub recipients_query: Option<Text>,
}

/// The permission notices are addressed to unless `[notifications]` says otherwise.
pub const DEFAULT_PERMISSION: &str = "service_providers.change_llmprovidermodel";

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            permission: Cow::Borrowed(DEFAULT_PERMISSION),
            recipients_query: None,
        }
    }
}
