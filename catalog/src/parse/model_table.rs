//! Reading `[model_table]`: the host table of model rows and its column names.

use std::borrow::Cow;

use toml::de::DeValue;

use super::raw::At;
use super::reader::{Reader, Value, entries_in_order, type_with_article};
use super::references::{check_identifier, optional_identifier};
use crate::model::{ColumnConstant, ConstantValue, ModelTable};

/// The keys of `[model_table]`.
pub(crate) const MODEL_TABLE_KEYS: &[&str] = &[
    "table",
    "id",
    "team",
    "provider",
    "name",
    "token_limit",
    "deprecated",
    "created_at",
    "updated_at",
    "values",
];

/// Tables the runtime owns besides the model table: a host model table
/// cannot be one of them.
pub(crate) const RUNTIME_TABLES: &[&str] = &[
    "llm_lifecycle_runs",
    "llm_lifecycle_events",
    "llm_model_notifications",
    "llm_model_notification_recipients",
    "llm_model_notification_deliveries",
    "llm_lifecycle_schema_migrations",
    "llm_lifecycle_written",
    "llm_lifecycle_affected",
    "__diesel_schema_migrations",
];

/// A role (`provider`, …), the column given for it, and its default column.
type Role<'a> = (&'a str, Option<At<String>>, Option<&'a str>);

/// Reads `[model_table]`; `None` (with diagnostics) when it cannot be used.
pub(crate) fn read_model_table(reader: &mut Reader<'_>, value: &Value<'_>) -> Option<ModelTable> {
    let DeValue::Table(table) = value.get_ref() else {
        reader.wrong_type("model_table", "a table", value);
        return None;
    };
    let before = reader.error_count();
    let what = "`[model_table]`";
    let fields = reader.fields(table, value.span(), MODEL_TABLE_KEYS, what);
    if fields.get("table").is_none() {
        reader.missing(
            &fields,
            "table",
            what,
            "add `table = \"...\"`: the host table that holds the model rows",
        );
    }
    let mut column = |key: &str| optional_identifier(reader, &fields, key);
    let table_name = column("table");
    // Each role, its column (given or default) and where it was given.
    let mut roles: Vec<Role<'_>> = Vec::new();
    for (role, default) in [
        ("id", Some("id")),
        ("team", None),
        ("provider", Some("provider")),
        ("name", Some("name")),
        ("token_limit", Some("max_token_limit")),
        ("deprecated", Some("deprecated")),
        ("created_at", None),
        ("updated_at", None),
    ] {
        roles.push((role, column(role), default));
    }
    if let Some(name) = &table_name
        && RUNTIME_TABLES.contains(&name.value.as_str())
    {
        reader.error_with_help(
            name.span.clone(),
            format!("`{}` is one of llm-lifecycle's own tables", name.value),
            Some(
                "name your platform's model table; without [model_table] the runtime \
                 keeps its own llm_provider_models"
                    .to_owned(),
            ),
        );
    }

    // Two roles may not share a column.
    let mut seen: Vec<(String, &str)> = Vec::new();
    for (role, given, default) in &roles {
        let name = match (given, default) {
            (Some(at), _) => at.value.clone(),
            (None, Some(default)) => (*default).to_owned(),
            (None, None) => continue,
        };
        if let Some((_, first)) = seen.iter().find(|(column, _)| *column == name) {
            let span = given
                .as_ref()
                .map_or(fields.span.clone(), |at| at.span.clone());
            reader.error_with_help(
                span,
                format!("`{role}` and `{first}` both name the column `{name}`"),
                Some(format!(
                    "each column holds one thing: point `{role}` or `{first}` at another column"
                )),
            );
        } else {
            seen.push((name, role));
        }
    }
    let values = read_values(reader, fields.get("values"), &seen);
    if reader.error_count() > before {
        return None;
    }
    let column_of = |role: &str| -> Option<Cow<'static, str>> {
        roles
            .iter()
            .find(|(name, _, _)| *name == role)
            .and_then(|(_, given, default)| match (given, default) {
                (Some(at), _) => Some(Cow::Owned(at.value.clone())),
                (None, Some(default)) => Some(Cow::Owned((*default).to_owned())),
                (None, None) => None,
            })
    };
    let required = |role: &str| column_of(role).unwrap_or_default();
    Some(ModelTable {
        table: Cow::Owned(table_name?.value),
        id: required("id"),
        team: column_of("team"),
        provider: required("provider"),
        name: required("name"),
        token_limit: required("token_limit"),
        deprecated: required("deprecated"),
        created_at: column_of("created_at"),
        updated_at: column_of("updated_at"),
        values: Cow::Owned(values),
    })
}

/// `values = { column = constant, … }`; `mapped` are the columns the roles name.
fn read_values(
    reader: &mut Reader<'_>,
    value: Option<&Value<'_>>,
    mapped: &[(String, &str)],
) -> Vec<ColumnConstant> {
    let Some(value) = value else {
        return Vec::new();
    };
    let DeValue::Table(table) = value.get_ref() else {
        reader.wrong_type(
            "values",
            "a table of constants `{ column = value, … }`",
            value,
        );
        return Vec::new();
    };
    let mut constants = Vec::new();
    for (key, item) in entries_in_order(table) {
        let column = key.get_ref().to_string();
        if let Err(problem) = check_identifier(&column) {
            reader.error_with_help(
                key.span(),
                format!(
                    "`values` names `{column}`, which is not a plain SQL identifier: {problem}"
                ),
                Some("use the column's name: ASCII letters, digits and `_`".to_owned()),
            );
            continue;
        }
        if let Some((_, role)) = mapped.iter().find(|(name, _)| *name == column) {
            reader.error_with_help(
                key.span(),
                format!("`values` sets `{column}`, which is the model table's `{role}` column"),
                Some(format!(
                    "the runtime sets `{column}` itself: remove it from `values`"
                )),
            );
            continue;
        }
        let value = match item.get_ref() {
            DeValue::String(text) => ConstantValue::Text(Cow::Owned(text.to_string())),
            DeValue::Boolean(flag) => ConstantValue::Bool(*flag),
            DeValue::Integer(integer) => {
                match i128::from_str_radix(integer.as_str(), integer.radix())
                    .ok()
                    .and_then(|n| i64::try_from(n).ok())
                {
                    Some(n) => ConstantValue::Integer(n),
                    None => {
                        reader.error(
                            item.span(),
                            format!("`values.{column}` does not fit in 64 bits"),
                        );
                        continue;
                    }
                }
            }
            other => {
                reader.error_with_help(
                    item.span(),
                    format!(
                        "`values.{column}` must be a string, an integer or a boolean, found {}",
                        type_with_article(other)
                    ),
                    Some("write the constant every created row gets".to_owned()),
                );
                continue;
            }
        };
        constants.push(ColumnConstant {
            column: Cow::Owned(column),
            value,
        });
    }
    constants
}
