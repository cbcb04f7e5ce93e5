//! The documentation and deprecation notes written on generated items.

use super::plan::{Plan, Row};

/// `1000000` → `1,000,000`.
pub(crate) fn thousands(value: u32) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The `#[deprecated(note = ...)]` text of a deprecated model:
/// `openai/gpt-4.1-nano is deprecated: use openai/gpt-4.1-mini (sunset 2027-01-31)`.
pub(crate) fn deprecation_note(plan: &Plan<'_>, row: &Row<'_>) -> String {
    let mut note = if row.replacement.is_some() && row.resolved != row.index {
        format!("{} is deprecated: use {}", row.id, plan.id(row.resolved))
    } else {
        format!("{} is deprecated and will be removed", row.id)
    };
    if let Some(sunset) = row.model.sunset {
        note.push_str(&format!(" (sunset {sunset})"));
    }
    note
}

/// The doc comment of a model variant: id, token limit, role, status.
pub(crate) fn variant_doc(plan: &Plan<'_>, row: &Row<'_>) -> String {
    let label = plan
        .providers
        .get(row.provider)
        .map_or("", |provider| &*provider.provider.label);
    let mut doc = format!("`{}`: {} tokens.", row.id, thousands(row.model.token_limit));
    if row.model.default {
        doc.push_str(&format!(" The default model of {label}."));
    }
    if row.model.translation_default {
        doc.push_str(&format!(" The translation default of {label}."));
    }
    if row.model.deprecated {
        doc.push_str("\n\n**Deprecated**: ");
        if row.replacement.is_some() && row.resolved != row.index {
            let end = plan
                .rows
                .get(row.resolved)
                .map_or("", |end| end.variant.as_str());
            doc.push_str(&format!(
                "use [`LlmModel::{end}`] (`{}`) instead",
                plan.id(row.resolved)
            ));
        } else {
            doc.push_str("will be removed; no replacement is declared");
        }
        if let Some(sunset) = row.model.sunset {
            doc.push_str(&format!(", sunset {sunset}"));
        }
        doc.push('.');
    }
    doc
}
