//! A catalogue rendered back to `models.toml` text, in one canonical layout:
//! the same catalogue always renders to the same text, and the text parses
//! back to an equal catalogue. [`Catalog::digest`] hashes it.

use std::fmt::Write as _;

use sha2::{Digest as _, Sha256};

use crate::model::{
    Catalog, ConstantValue, DEFAULT_PERMISSION, DeletedModel, Model, ModelTable, Provider,
    Reference, ReferenceKind,
};

impl Catalog {
    /// The catalogue as canonical `models.toml` text (comments and layout of the
    /// original are not kept; `label` is written only when it differs from the key).
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        for (index, provider) in self.providers.iter().enumerate() {
            if index > 0 {
                out.push('\n');
            }
            render_provider(&mut out, provider);
        }
        for reference in self.references.iter() {
            out.push('\n');
            render_reference(&mut out, reference);
        }
        let notifications = &self.notifications;
        if notifications.permission != DEFAULT_PERMISSION
            || notifications.recipients_query.is_some()
            || notifications.webhook_env.is_some()
            || !notifications.reminders.is_empty()
        {
            out.push_str("\n[notifications]\n");
            let _ = writeln!(out, "permission = {}", quote(&notifications.permission));
            if let Some(query) = &notifications.recipients_query {
                let _ = writeln!(out, "recipients_query = {}", quote(query));
            }
            if let Some(name) = &notifications.webhook_env {
                let _ = writeln!(out, "webhook_env = {}", quote(name));
            }
            if !notifications.reminders.is_empty() {
                let days: Vec<String> =
                    notifications.reminders.iter().map(u32::to_string).collect();
                let _ = writeln!(out, "reminders = [{}]", days.join(", "));
            }
        }
        if let Some(table) = &self.model_table {
            render_model_table(&mut out, table);
        }
        // `[apply]` only when it sets something: a catalogue without it keeps its digest.
        if let Some(size) = self.apply.batch_size {
            out.push_str("\n[apply]\n");
            let _ = writeln!(out, "batch_size = {size}");
        }
        out
    }

    /// Lowercase hex SHA-256 of [`Catalog::to_toml`]: equal catalogues have equal
    /// digests whatever the formatting and comments of their sources.
    pub fn digest(&self) -> String {
        let hash = Sha256::digest(self.to_toml().as_bytes());
        hash.iter()
            .fold(String::with_capacity(64), |mut hex, byte| {
                let _ = write!(hex, "{byte:02x}");
                hex
            })
    }
}

fn render_provider(out: &mut String, provider: &Provider) {
    let _ = writeln!(out, "[providers.{}]", provider.key);
    if provider.label != provider.key {
        let _ = writeln!(out, "label = {}", quote(&provider.label));
    }
    out.push_str("models = [\n");
    for model in provider.models.iter() {
        let _ = writeln!(out, "  {},", model_entry(model));
    }
    out.push_str("]\n");
    if !provider.deleted.is_empty() {
        out.push_str("deleted = [\n");
        for entry in provider.deleted.iter() {
            let _ = writeln!(out, "  {},", deleted_entry(entry));
        }
        out.push_str("]\n");
    }
}

fn model_entry(model: &Model) -> String {
    let mut fields = vec![
        format!("name = {}", quote(&model.name)),
        format!("token_limit = {}", model.token_limit),
    ];
    for (flag, key) in [
        (model.default, "default"),
        (model.translation_default, "translation_default"),
        (model.deprecated, "deprecated"),
    ] {
        if flag {
            fields.push(format!("{key} = true"));
        }
    }
    if let Some(replacement) = &model.replacement {
        fields.push(format!("replacement = {}", quote(replacement)));
    }
    if let Some(sunset) = &model.sunset {
        fields.push(format!("sunset = {sunset}"));
    }
    if let Some(ident) = &model.ident {
        fields.push(format!("ident = {}", quote(ident)));
    }
    format!("{{ {} }}", fields.join(", "))
}

fn deleted_entry(entry: &DeletedModel) -> String {
    let mut fields = vec![format!("name = {}", quote(&entry.name))];
    if let Some(replacement) = &entry.replacement {
        fields.push(format!("replacement = {}", quote(replacement)));
    }
    if let Some(date) = &entry.deleted_on {
        fields.push(format!("deleted_on = {date}"));
    }
    format!("{{ {} }}", fields.join(", "))
}

fn render_reference(out: &mut String, reference: &Reference) {
    out.push_str("[[references]]\n");
    let _ = writeln!(out, "table = {}", quote(&reference.table));
    let _ = writeln!(out, "column = {}", quote(&reference.column));
    let kind = match reference.kind {
        ReferenceKind::Id => None,
        ReferenceKind::Json => Some("json"),
        ReferenceKind::Text => Some("text"),
    };
    if let Some(kind) = kind {
        let _ = writeln!(out, "kind = {}", quote(kind));
    }
    let optional = [
        ("key", &reference.key),
        ("resource", &reference.resource),
        ("team_column", &reference.team_column),
        ("name_column", &reference.name_column),
        ("url", &reference.url),
        ("filter", &reference.filter),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            let _ = writeln!(out, "{key} = {}", quote(value));
        }
    }
    if let Some(through) = &reference.through {
        let _ = writeln!(
            out,
            "through = {{ table = {}, column = {} }}",
            quote(&through.table),
            quote(&through.column)
        );
    }
    if !reference.companions.is_empty() {
        let entries: Vec<String> = reference
            .companions
            .iter()
            .map(|companion| format!("{} = {}", companion.key, quote(companion.action.as_str())))
            .collect();
        let _ = writeln!(out, "companions = {{ {} }}", entries.join(", "));
    }
}

/// `[model_table]`, every column written out (defaults included).
fn render_model_table(out: &mut String, table: &ModelTable) {
    out.push_str("\n[model_table]\n");
    let _ = writeln!(out, "table = {}", quote(&table.table));
    for (key, value) in [
        ("id", Some(&table.id)),
        ("team", table.team.as_ref()),
        ("provider", Some(&table.provider)),
        ("name", Some(&table.name)),
        ("token_limit", Some(&table.token_limit)),
        ("deprecated", Some(&table.deprecated)),
        ("created_at", table.created_at.as_ref()),
        ("updated_at", table.updated_at.as_ref()),
    ] {
        if let Some(value) = value {
            let _ = writeln!(out, "{key} = {}", quote(value));
        }
    }
    if !table.values.is_empty() {
        let entries: Vec<String> = table
            .values
            .iter()
            .map(|constant| {
                let value = match &constant.value {
                    ConstantValue::Text(text) => quote(text),
                    ConstantValue::Integer(n) => n.to_string(),
                    ConstantValue::Bool(b) => b.to_string(),
                };
                format!("{} = {value}", constant.column)
            })
            .collect();
        let _ = writeln!(out, "values = {{ {} }}", entries.join(", "));
    }
}

/// A TOML basic string with every special character escaped.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
