//! Reading `[[references]]` entries and the `[notifications]` table.

use std::borrow::Cow;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::raw::{At, RawReference};
use super::reader::{Fields, Reader, Value, entries_in_order, type_with_article};
use crate::model::{
    Companion, CompanionAction, MAX_REMINDER_DAYS, NotificationSettings, Reference, ReferenceKind,
    Through,
};

/// The keys of a `[[references]]` entry.
pub(crate) const REFERENCE_KEYS: &[&str] = &[
    "table",
    "column",
    "kind",
    "key",
    "resource",
    "through",
    "team_column",
    "name_column",
    "url",
    "filter",
    "companions",
];
/// The keys of `through = { ... }`.
pub(crate) const THROUGH_KEYS: &[&str] = &["table", "column"];
/// The keys of `[notifications]`.
pub(crate) const NOTIFICATION_KEYS: &[&str] =
    &["permission", "recipients_query", "webhook_env", "reminders"];
/// The placeholders a `url` template may use.
pub(crate) const URL_PLACEHOLDERS: &[&str] = &["id", "team_id"];
/// The named parameters a `recipients_query` may use.
pub(crate) const RECIPIENTS_PARAMETERS: &[&str] = &["team_id", "permission"];
/// PostgreSQL's identifier length limit, in bytes.
pub(crate) const MAX_IDENTIFIER_BYTES: usize = 63;

/// Reads `references = [...]` (written `[[references]]`).
pub(crate) fn read_references(reader: &mut Reader<'_>, value: &Value<'_>) -> Vec<RawReference> {
    let DeValue::Array(array) = value.get_ref() else {
        reader.error_with_help(
            value.span(),
            format!(
                "`references` must be an array of tables, found {}",
                type_with_article(value.get_ref())
            ),
            Some("declare each entry as `[[references]]`".to_owned()),
        );
        return Vec::new();
    };
    let mut references = Vec::new();
    for item in array.iter() {
        match item.get_ref() {
            DeValue::Table(table) => {
                if let Some(reference) = read_reference(reader, table, item.span()) {
                    references.push(reference);
                }
            }
            other => reader.error_with_help(
                item.span(),
                format!(
                    "each entry of `references` must be a table, found {}",
                    type_with_article(other)
                ),
                Some("declare each entry as `[[references]]`".to_owned()),
            ),
        }
    }
    references
}

fn read_reference(
    reader: &mut Reader<'_>,
    table: &DeTable<'_>,
    span: Range<usize>,
) -> Option<RawReference> {
    let what = "a `[[references]]` entry";
    let before = reader.error_count();
    let fields = reader.fields(table, span.clone(), REFERENCE_KEYS, what);
    let table_name = required_identifier(reader, &fields, "table", what, "the referencing table");
    let column = required_identifier(reader, &fields, "column", what, "the referencing column");
    let kind = read_kind(reader, &fields);
    // The JSON key ends up in JSON paths (`$.key`) on some backends: keep it a
    // plain identifier too.
    let key = optional_identifier(reader, &fields, "key");
    match (&kind, &key) {
        (Some(ReferenceKind::Json), None) if fields.get("key").is_none() => reader.missing(
            &fields,
            "key",
            "a `kind = \"json\"` reference",
            "add `key = \"...\"`: the top-level key of the JSON object that holds the model id",
        ),
        (Some(ReferenceKind::Id | ReferenceKind::Text), Some(key)) => reader.error_with_help(
            key.span.clone(),
            "`key` is only allowed with `kind = \"json\"`",
            Some("remove `key`, or set `kind = \"json\"`".to_owned()),
        ),
        _ => {}
    }
    let resource = reader.string(&fields, "resource");
    if let Some(resource) = &resource
        && !is_resource_noun(&resource.value)
    {
        reader.error_with_help(
            resource.span.clone(),
            format!("invalid `resource` `{}`", resource.value),
            Some(
                "a resource is a lowercase noun for notices (`chatbot`, `pipeline`): a \
                 lowercase ASCII letter followed by lowercase letters, digits, `_` or spaces"
                    .to_owned(),
            ),
        );
    }
    let through = read_through(reader, &fields);
    let team_column = optional_identifier(reader, &fields, "team_column");
    let name_column = optional_identifier(reader, &fields, "name_column");
    let url = reader.string(&fields, "url");
    if let Some(url) = &url {
        check_url(reader, url);
    }
    let companions = read_companions(reader, &fields, kind, key.as_ref());
    let filter = reader.string(&fields, "filter");
    if let Some(filter) = &filter {
        if filter.value.trim().is_empty() {
            reader.error(filter.span.clone(), "`filter` cannot be empty");
        } else if crate::sql::spans(&filter.value)
            .iter()
            .any(|span| span.code && span.text.contains(';'))
        {
            reader.error_with_help(
                filter.span.clone(),
                "`filter` must be a single SQL condition, found a `;`",
                Some("remove the `;`: the condition is embedded in a larger statement".to_owned()),
            );
        } else if let Some(name) = crate::sql::named_parameters(&filter.value).first() {
            reader.error_with_help(
                filter.span.clone(),
                format!("`filter` takes no parameters, found `${name}`"),
                Some("write the value as a literal: the condition runs as written".to_owned()),
            );
        }
    }
    if reader.error_count() > before {
        return None;
    }
    let table_name = table_name?;
    Some(RawReference {
        span: table_name.span.clone(),
        reference: Reference {
            table: Cow::Owned(table_name.value),
            column: Cow::Owned(column?.value),
            kind: kind.unwrap_or_default(),
            key: key.map(|at| Cow::Owned(at.value)),
            resource: resource.map(|at| Cow::Owned(at.value)),
            through,
            team_column: team_column.map(|at| Cow::Owned(at.value)),
            name_column: name_column.map(|at| Cow::Owned(at.value)),
            url: url.map(|at| Cow::Owned(at.value)),
            filter: filter.map(|at| Cow::Owned(at.value)),
            companions: Cow::Owned(companions),
        },
    })
}

/// `companions = { key = "token_limit" | "remove", … }` (JSON references only).
fn read_companions(
    reader: &mut Reader<'_>,
    fields: &Fields<'_, '_>,
    kind: Option<ReferenceKind>,
    id_key: Option<&At<String>>,
) -> Vec<Companion> {
    let Some(value) = fields.get("companions") else {
        return Vec::new();
    };
    if kind != Some(ReferenceKind::Json) {
        if kind.is_some() {
            reader.error_with_help(
                value.span(),
                "`companions` is only allowed with `kind = \"json\"`",
                Some(
                    "companion keys live in the JSON object beside the id: remove `companions`, \
                     or set `kind = \"json\"`"
                        .to_owned(),
                ),
            );
        }
        return Vec::new();
    }
    let DeValue::Table(table) = value.get_ref() else {
        reader.wrong_type(
            "companions",
            "a table `{ key = \"token_limit\" | \"remove\", … }`",
            value,
        );
        return Vec::new();
    };
    let mut companions = Vec::new();
    for (key, item) in entries_in_order(table) {
        let name = key.get_ref().to_string();
        if let Err(problem) = check_identifier(&name) {
            reader.error_with_help(
                key.span(),
                format!("companion key `{name}` must be a plain identifier: {problem}"),
                Some("use ASCII letters, digits and `_`, not starting with a digit".to_owned()),
            );
            continue;
        }
        if id_key.is_some_and(|id| id.value == name) {
            reader.error_with_help(
                key.span(),
                format!("`{name}` is the reference's own `key`, not a companion"),
                Some("list only the other keys that go with the id".to_owned()),
            );
            continue;
        }
        let action = match item.get_ref() {
            DeValue::String(text) if text.as_ref() == "token_limit" => CompanionAction::TokenLimit,
            DeValue::String(text) if text.as_ref() == "remove" => CompanionAction::Remove,
            other => {
                let found = match other {
                    DeValue::String(text) => format!("`\"{text}\"`"),
                    other => type_with_article(other).to_owned(),
                };
                let help = match other {
                    DeValue::String(text) => {
                        crate::suggest::did_you_mean(text, ["token_limit", "remove"])
                    }
                    _ => None,
                };
                reader.error_with_help(
                    item.span(),
                    format!("companion `{name}` must be \"token_limit\" or \"remove\", found {found}"),
                    Some(help.unwrap_or_else(|| {
                        "\"token_limit\" sets it to the new model's token limit; \"remove\" drops it"
                            .to_owned()
                    })),
                );
                continue;
            }
        };
        companions.push(Companion {
            key: Cow::Owned(name),
            action,
        });
    }
    companions
}

fn read_kind(reader: &mut Reader<'_>, fields: &Fields<'_, '_>) -> Option<ReferenceKind> {
    let Some(kind) = reader.string(fields, "kind") else {
        return fields.get("kind").is_none().then_some(ReferenceKind::Id);
    };
    match kind.value.as_str() {
        "id" => Some(ReferenceKind::Id),
        "json" => Some(ReferenceKind::Json),
        "text" => Some(ReferenceKind::Text),
        other => {
            let help = crate::suggest::did_you_mean(other, ["id", "json", "text"])
                .unwrap_or_else(|| "use `id`, `json` or `text`".to_owned());
            reader.error_with_help(
                kind.span,
                format!("unknown reference kind `{other}`"),
                Some(help),
            );
            None
        }
    }
}

fn read_through(reader: &mut Reader<'_>, fields: &Fields<'_, '_>) -> Option<Through> {
    let value = fields.get("through")?;
    let DeValue::Table(table) = value.get_ref() else {
        reader.wrong_type(
            "through",
            "a table `{ table = \"...\", column = \"...\" }`",
            value,
        );
        return None;
    };
    let what = "`through`";
    let through = reader.fields(table, value.span(), THROUGH_KEYS, what);
    let table = required_identifier(reader, &through, "table", what, "the joined table");
    let column = required_identifier(
        reader,
        &through,
        "column",
        what,
        "the column of the referencing table holding the joined row's id",
    );
    Some(Through {
        table: Cow::Owned(table?.value),
        column: Cow::Owned(column?.value),
    })
}

fn required_identifier(
    reader: &mut Reader<'_>,
    fields: &Fields<'_, '_>,
    key: &str,
    what: &str,
    meaning: &str,
) -> Option<At<String>> {
    if fields.get(key).is_none() {
        reader.missing(
            fields,
            key,
            what,
            &format!("add `{key} = \"...\"`: {meaning}"),
        );
        return None;
    }
    optional_identifier(reader, fields, key)
}

pub(crate) fn optional_identifier(
    reader: &mut Reader<'_>,
    fields: &Fields<'_, '_>,
    key: &str,
) -> Option<At<String>> {
    let value = reader.string(fields, key)?;
    if let Err(problem) = check_identifier(&value.value) {
        reader.error_with_help(
            value.span.clone(),
            format!(
                "`{key}` must be a plain SQL identifier, found `{}`: {problem}",
                value.value
            ),
            Some(format!(
                "use ASCII letters, digits and `_`, not starting with a digit, at most \
                 {MAX_IDENTIFIER_BYTES} bytes"
            )),
        );
        return None;
    }
    Some(value)
}

/// Checks `[A-Za-z_][A-Za-z0-9_]*` of at most 63 bytes; the error says what is wrong.
pub(crate) fn check_identifier(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Err("it is empty".to_owned()),
        Some(c) if c.is_ascii_digit() => return Err("it starts with a digit".to_owned()),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => {
            return Err(format!("{c:?} is not allowed"));
        }
        Some(_) => {}
    }
    if let Some(c) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        return Err(format!("{c:?} is not allowed"));
    }
    if name.len() > MAX_IDENTIFIER_BYTES {
        return Err(format!("it is {} bytes long", name.len()));
    }
    Ok(())
}

/// Whether `noun` matches `[a-z][a-z0-9_ ]*`.
pub(crate) fn is_resource_noun(noun: &str) -> bool {
    let mut chars = noun.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ' ')
}

fn check_url(reader: &mut Reader<'_>, url: &At<String>) {
    let mut rest = url.value.as_str();
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            reader.error_with_help(
                url.span.clone(),
                "`url` has a `}` without a matching `{`",
                Some("placeholders are written `{id}` or `{team_id}`".to_owned()),
            );
            return;
        }
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            reader.error_with_help(
                url.span.clone(),
                "`url` has a `{` that is never closed",
                Some("placeholders are written `{id}` or `{team_id}`".to_owned()),
            );
            return;
        };
        let name = &after[..close];
        if !URL_PLACEHOLDERS.contains(&name) {
            let help = crate::suggest::did_you_mean(name, URL_PLACEHOLDERS.iter().copied())
                .unwrap_or_else(|| "the placeholders are `{id}` and `{team_id}`".to_owned());
            reader.error_with_help(
                url.span.clone(),
                format!("unknown placeholder `{{{name}}}` in `url`"),
                Some(help),
            );
        }
        rest = &after[close + 1..];
    }
}

/// Reads `[notifications]`.
pub(crate) fn read_notifications(
    reader: &mut Reader<'_>,
    value: &Value<'_>,
) -> NotificationSettings {
    let mut settings = NotificationSettings::default();
    let DeValue::Table(table) = value.get_ref() else {
        reader.wrong_type("notifications", "a table", value);
        return settings;
    };
    let fields = reader.fields(table, value.span(), NOTIFICATION_KEYS, "`[notifications]`");
    if let Some(permission) = reader.string(&fields, "permission") {
        if permission.value.trim().is_empty() {
            reader.error(permission.span, "`permission` cannot be empty");
        } else {
            settings.permission = Cow::Owned(permission.value);
        }
    }
    if let Some(query) = reader.string(&fields, "recipients_query") {
        let parameters = crate::sql::named_parameters(&query.value);
        let unknown = parameters
            .iter()
            .find(|name| !RECIPIENTS_PARAMETERS.contains(name));
        if query.value.trim().is_empty() {
            reader.error(query.span, "`recipients_query` cannot be empty");
        } else if let Some(name) = unknown {
            let closest = crate::suggest::closest(name, RECIPIENTS_PARAMETERS.iter().copied(), 1)
                .first()
                .copied();
            reader.error_with_help(
                query.span,
                format!("`recipients_query` has the unknown parameter `${name}`"),
                Some(match closest {
                    Some(closest) => format!(
                        "did you mean `${closest}`? the parameters are `$team_id` and `$permission`"
                    ),
                    None => "the parameters are `$team_id` and `$permission`".to_owned(),
                }),
            );
        } else if !parameters.contains(&"team_id") {
            reader.error_with_help(
                query.span,
                "`recipients_query` does not use `$team_id`, so every team would get the same recipients",
                Some("restrict it to one team: `… WHERE team_id = $team_id`".to_owned()),
            );
        } else {
            settings.recipients_query = Some(Cow::Owned(query.value));
        }
    }
    if let Some(name) = reader.string(&fields, "webhook_env") {
        if let Some(problem) = env_name_problem(&name.value) {
            reader.error_with_help(
                name.span,
                format!("`webhook_env` {problem}"),
                Some(
                    "name the environment variable that holds the URL (e.g. `webhook_env = \"LLM_WEBHOOK_URL\"`), \
                     not the URL itself: a webhook URL is a secret"
                        .to_owned(),
                ),
            );
        } else {
            settings.webhook_env = Some(Cow::Owned(name.value));
        }
    }
    if let Some(value) = fields.get("reminders") {
        settings.reminders = Cow::Owned(reminders(reader, value));
    }
    settings
}

/// `reminders = [30, 7, 1]`: whole days before the sunset, each in
/// `1..=MAX_REMINDER_DAYS` and listed once; returned largest first.
fn reminders(reader: &mut Reader<'_>, value: &Value<'_>) -> Vec<u32> {
    const HELP: &str = "list the days before a model's `sunset` at which its users are reminded, \
                        e.g. `reminders = [30, 7, 1]`";
    let DeValue::Array(items) = value.get_ref() else {
        reader.error_with_help(
            value.span(),
            format!(
                "`reminders` must be an array of days, found {}",
                type_with_article(value.get_ref())
            ),
            Some(HELP.to_owned()),
        );
        return Vec::new();
    };
    let mut days: Vec<u32> = Vec::with_capacity(items.len());
    for item in items.iter() {
        let parsed = match item.get_ref() {
            DeValue::Integer(integer) => {
                i128::from_str_radix(integer.as_str(), integer.radix()).ok()
            }
            _ => None,
        };
        match parsed
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| (1..=MAX_REMINDER_DAYS).contains(n))
        {
            Some(n) if days.contains(&n) => {
                reader.error(item.span(), format!("`reminders` lists {n} more than once"));
            }
            Some(n) => days.push(n),
            None => {
                let found = match item.get_ref() {
                    DeValue::Integer(integer) => integer.to_string(),
                    other => type_with_article(other).to_owned(),
                };
                reader.error_with_help(
                    item.span(),
                    format!(
                        "a `reminders` entry must be a whole number of days from 1 to \
                         {MAX_REMINDER_DAYS}, found {found}"
                    ),
                    Some(HELP.to_owned()),
                );
            }
        }
    }
    days.sort_unstable_by(|a, b| b.cmp(a));
    days
}

/// Why `name` is not a portable environment variable name (ASCII letters,
/// digits and `_`, not starting with a digit), or `None`.
fn env_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("cannot be empty")
    } else if name.contains("://") {
        Some("is a URL, not the name of an environment variable")
    } else if name.starts_with(|c: char| c.is_ascii_digit())
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        Some("is not an environment variable name")
    } else {
        None
    }
}
