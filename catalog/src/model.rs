//! The validated catalogue: what `models.toml` declares once every rule holds.
//!
//! Every type here can be built in a `const` context (strings and slices are
//! [`Cow::Borrowed`]), so the proc macro emits the whole catalogue as a `static`
//! that the runtime takes, and the parser builds the same types with owned data.

use std::borrow::Cow;
use std::fmt;
use std::num::NonZeroU64;

/// A string that is `&'static str` in generated code and `String` when parsed.
pub type Text = Cow<'static, str>;
/// A list that is `&'static [T]` in generated code and `Vec<T>` when parsed.
pub type List<T> = Cow<'static, [T]>;

/// The whole catalogue: providers with their live and deleted models, the host
/// tables that reference model rows, notification settings and apply settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// Providers in declaration order.
    pub providers: List<Provider>,
    /// `[[references]]`: the host columns that point at model rows.
    pub references: List<Reference>,
    /// `[notifications]`: who is told about deprecations and deletions.
    pub notifications: NotificationSettings,
    /// `[model_table]`: the host table of model rows the catalogue governs;
    /// `None`: the runtime's own `llm_provider_models` ([`ModelTable::owned`]).
    pub model_table: Option<ModelTable>,
    /// `[apply]`: how `apply-models` applies the catalogue by default.
    pub apply: ApplySettings,
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

impl Date {
    /// Days since 1970-01-01 (negative before it), proleptic Gregorian
    /// (Howard Hinnant's `days_from_civil`).
    #[must_use]
    pub fn day_number(self) -> i64 {
        let (month, day) = (i64::from(self.month), i64::from(self.day));
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let shifted_month = if month > 2 { month - 3 } else { month + 9 };
        let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date of a day number (the inverse of [`Date::day_number`]);
    /// `None` outside the years 0..=65535.
    #[must_use]
    pub fn from_day_number(days: i64) -> Option<Self> {
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Some(Self {
            year: u16::try_from(year).ok()?,
            month: u8::try_from(month).ok()?,
            day: u8::try_from(day).ok()?,
        })
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    #[must_use]
    pub fn days_until(self, later: Self) -> i64 {
        later.day_number() - self.day_number()
    }
}

/// Why a text is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a date: write YYYY-MM-DD, e.g. 2027-01-31")]
pub struct ParseDateError(String);

impl std::str::FromStr for Date {
    type Err = ParseDateError;

    /// `2027-01-31`: a real calendar day.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParseDateError(text.to_owned());
        let mut parts = text.split('-');
        let (Some(year), Some(month), Some(day), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(error());
        };
        if year.len() != 4 || month.len() != 2 || day.len() != 2 {
            return Err(error());
        }
        let date = Self {
            year: year.parse().map_err(|_| error())?,
            month: month.parse().map_err(|_| error())?,
            day: day.parse().map_err(|_| error())?,
        };
        // A real day: it survives the round trip through its day number.
        if date.month == 0
            || date.day == 0
            || Self::from_day_number(date.day_number()) != Some(date)
        {
            return Err(error());
        }
        Ok(date)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::panic)]
mod date_tests {
    use super::Date;

    fn date(text: &str) -> Date {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn day_numbers_round_trip_and_count_days() {
        assert_eq!(date("1970-01-01").day_number(), 0);
        assert_eq!(date("2000-03-01").day_number(), 11_017);
        for days in [-1, 0, 59, 60, 11_016, 20_000, 30_000, 2_000_000] {
            let back = Date::from_day_number(days).map(Date::day_number);
            assert_eq!(back, Some(days));
        }
        assert_eq!(date("2026-12-03").days_until(date("2027-01-31")), 59);
        assert_eq!(date("2027-01-31").days_until(date("2026-12-03")), -59);
        assert_eq!(date("2028-02-28").days_until(date("2028-03-01")), 2);
    }

    #[test]
    fn only_real_days_parse() {
        assert_eq!(date("2027-01-31").to_string(), "2027-01-31");
        for bad in [
            "2027-02-30",
            "2027-13-01",
            "2027-00-10",
            "27-01-31",
            "2027-1-31",
            "tomorrow",
            "2027-01-31-1",
            "",
        ] {
            let error = bad.parse::<Date>().expect_err(bad);
            assert_eq!(
                error.to_string(),
                format!("`{bad}` is not a date: write YYYY-MM-DD, e.g. 2027-01-31")
            );
        }
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
    /// For `kind = "json"`: other top-level keys of the object that go with
    /// the id (`companions = { user_max_token_limit = "token_limit" }`), in
    /// declaration order.
    pub companions: List<Companion>,
}

/// A key of a JSON reference's object that depends on the model its id names.
///
/// When the id is repointed, a [`CompanionAction::TokenLimit`] key is set to
/// the new model's token limit and a [`CompanionAction::Remove`] key is
/// dropped; when the id is cleared, both are dropped. Other keys are never touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Companion {
    /// The top-level key (a plain identifier, like the reference's `key`).
    pub key: Text,
    /// What happens to it when the id moves.
    pub action: CompanionAction,
}

/// What happens to a [`Companion`] key when the id is repointed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompanionAction {
    /// `"token_limit"`: set to the new model's token limit.
    TokenLimit,
    /// `"remove"`: dropped (model-specific settings the new model may reject).
    Remove,
}

impl CompanionAction {
    /// The value as written in `models.toml`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenLimit => "token_limit",
            Self::Remove => "remove",
        }
    }
}

/// The runtime's own model table, used when `models.toml` has no `[model_table]`.
pub const OWNED_MODEL_TABLE: &str = "llm_provider_models";

/// `[model_table]`: the table of model rows the catalogue governs and the
/// names of its columns. The runtime never creates or alters a host table: it
/// checks it before every plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelTable {
    /// The table.
    pub table: Text,
    /// Its integer primary key, with a database default (`id`).
    pub id: Text,
    /// The owning team's id, NULL on global rows; without it every row is
    /// global and there are no team-custom rows.
    pub team: Option<Text>,
    /// The provider key (`provider`).
    pub provider: Text,
    /// The model name (`name`).
    pub name: Text,
    /// The token limit (`max_token_limit`).
    pub token_limit: Text,
    /// The deprecated flag (`deprecated`).
    pub deprecated: Text,
    /// Set to the current time when a row is created.
    pub created_at: Option<Text>,
    /// Set to the current time when a row is created or updated.
    pub updated_at: Option<Text>,
    /// Constants for other columns (NOT NULL without a database default), set
    /// when a row is created, in declaration order.
    pub values: List<ColumnConstant>,
}

/// One entry of `[model_table] values`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnConstant {
    /// The column.
    pub column: Text,
    /// Its value on created rows.
    pub value: ConstantValue,
}

/// A constant of `[model_table] values`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConstantValue {
    /// A string.
    Text(Text),
    /// An integer.
    Integer(i64),
    /// A boolean.
    Bool(bool),
}

impl ModelTable {
    /// The runtime's own `llm_provider_models`: `id`, `team_id`, `provider`,
    /// `name`, `max_token_limit`, `deprecated`, `created_at`, `updated_at`.
    #[must_use]
    pub const fn owned() -> Self {
        Self {
            table: Cow::Borrowed(OWNED_MODEL_TABLE),
            id: Cow::Borrowed("id"),
            team: Some(Cow::Borrowed("team_id")),
            provider: Cow::Borrowed("provider"),
            name: Cow::Borrowed("name"),
            token_limit: Cow::Borrowed("max_token_limit"),
            deprecated: Cow::Borrowed("deprecated"),
            created_at: Some(Cow::Borrowed("created_at")),
            updated_at: Some(Cow::Borrowed("updated_at")),
            values: Cow::Borrowed(&[]),
        }
    }
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
    /// `webhook_env`: the name of the environment variable that holds the URL
    /// `apply-models` POSTs each notice to (none: no webhook unless `--notify-webhook`).
    pub webhook_env: Option<Text>,
    /// `reminders = [30, 7, 1]`: days before a deprecated model's `sunset` at
    /// which each team still using it is reminded once, largest first (empty:
    /// no reminders).
    pub reminders: Cow<'static, [u32]>,
}

/// The largest `reminders` entry accepted: ten years of days.
pub const MAX_REMINDER_DAYS: u32 = 3650;

/// The permission notices are addressed to unless `[notifications]` says otherwise.
pub const DEFAULT_PERMISSION: &str = "service_providers.change_llmprovidermodel";

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            permission: Cow::Borrowed(DEFAULT_PERMISSION),
            recipients_query: None,
            webhook_env: None,
            reminders: Cow::Borrowed(&[]),
        }
    }
}

/// The optional `[apply]` section: defaults for `apply-models` that the
/// command line overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplySettings {
    /// `batch_size = N`: the default of `--batch-size N` (references to deleted
    /// models move in batches of at most N rows, each committed on its own,
    /// before the final transaction), `1..=`[`MAX_BATCH_SIZE`]; `None`: one
    /// transaction. `--batch-size` wins, `--batch-size 0` turns it off.
    pub batch_size: Option<NonZeroU64>,
}

/// The largest `[apply] batch_size` accepted: a hundred million rows.
pub const MAX_BATCH_SIZE: u64 = 100_000_000;
