//! The data: `static` tables indexed by discriminant, read by the generated
//! methods, and the `CATALOG` static the runtime applies.
//!
//! Tables keep compile time flat as catalogues grow: one array literal per field
//! instead of one `match` arm per model per method.

use llm_lifecycle_catalog::{
    Catalog, DeletedModel, Model, NotificationSettings, Reference, ReferenceKind,
};

use super::items::{CATALOG_CRATE, DATA};
use super::plan::Plan;
use super::{Options, Out, lit, w};

/// `pub static CATALOG`.
pub(crate) fn catalog_static(out: &mut Out, catalog: &Catalog, options: &Options<'_>) {
    w!(
        out,
        "#[doc = {}]\n\
         pub static CATALOG: {CATALOG_CRATE}::Catalog = {CATALOG_CRATE}::Catalog {{\n\
         providers: ::std::borrow::Cow::Borrowed(&{DATA}::PROVIDERS),\n\
         references: ::std::borrow::Cow::Borrowed(&{DATA}::REFERENCES),\n\
         notifications: {},\n}};\n",
        lit(&format!(
            "The whole catalogue compiled from `{}`: {} providers, their live and deleted \
             models, and {} `[[references]]`.\n\n\
             The deployed binary can only apply the catalogue it was compiled with.",
            options.origin,
            catalog.providers.len(),
            catalog.references.len()
        )),
        notifications(
            &catalog.notifications,
            CATALOG_CRATE,
            "::std::borrow::Cow::Borrowed"
        )
    );
}

/// `mod __llm_lifecycle_data`: every table.
pub(crate) fn data_module(out: &mut Out, catalog: &Catalog, plan: &Plan<'_>) {
    let models = plan.rows.len();
    let providers = plan.providers.len();
    let deleted = plan.deleted.len();
    w!(
        out,
        "#[doc(hidden)]\n#[allow(deprecated, clippy::all)]\nmod {DATA} {{\n\
         use {CATALOG_CRATE} as c;\nuse ::std::borrow::Cow::Borrowed as B;\n\
         const NONE: u16 = c::generated_support::NO_MODEL;\n\
         pub(super) fn model_at(index: u16) -> ::core::option::Option<super::LlmModel> {{\n\
         if index == NONE {{ ::core::option::Option::None }} else {{ super::LlmModel::ALL.get(index as usize).copied() }}\n}}\n"
    );
    w!(out, "pub(super) static MODELS: [c::Model; {models}] = [\n");
    for row in &plan.rows {
        model_literal(out, row.model);
    }
    out.push("];\n");
    string_table(
        out,
        "IDS",
        plan.rows.iter().map(|row| row.id.as_str()),
        models,
    );
    string_table(
        out,
        "VARIANTS",
        plan.rows.iter().map(|row| row.variant.as_str()),
        models,
    );
    int_table(
        out,
        "PROVIDER_OF",
        plan.rows.iter().map(|row| Some(row.provider)),
        models,
    );
    int_table(
        out,
        "REPLACEMENT",
        plan.rows.iter().map(|row| row.replacement),
        models,
    );
    int_table(
        out,
        "RESOLVED",
        plan.rows.iter().map(|row| Some(row.resolved)),
        models,
    );
    let mut by_id: Vec<usize> = (0..models).collect();
    by_id.sort_by(|&a, &b| plan.id(a).cmp(plan.id(b)));
    int_table(out, "BY_ID", by_id.into_iter().map(Some), models);
    string_table(
        out,
        "DELETED_IDS",
        plan.deleted.iter().map(|row| row.id.as_str()),
        deleted,
    );
    int_table(
        out,
        "DELETED_TO",
        plan.deleted.iter().map(|row| row.target),
        deleted,
    );
    out.push(
        "pub(super) static INDEX: c::generated_support::ModelIndex = c::generated_support::ModelIndex { \
         ids: &IDS, by_id: &BY_ID, deleted_ids: &DELETED_IDS, deleted_to: &DELETED_TO };\n",
    );
    w!(
        out,
        "pub(super) static PROVIDER_MODELS: [(u16, u16); {providers}] = ["
    );
    for provider in &plan.providers {
        w!(out, "({}, {}),", provider.first, provider.end);
    }
    out.push("];\n");
    int_table(
        out,
        "PROVIDER_DEFAULT",
        plan.providers.iter().map(|p| Some(p.default)),
        providers,
    );
    int_table(
        out,
        "PROVIDER_TRANSLATION",
        plan.providers.iter().map(|p| p.translation_default),
        providers,
    );
    string_table(
        out,
        "PROVIDER_VARIANTS",
        plan.providers.iter().map(|p| p.variant.as_str()),
        providers,
    );
    for (index, provider) in plan.providers.iter().enumerate() {
        let entries = &provider.provider.deleted;
        w!(
            out,
            "static DELETED_{index}: [c::DeletedModel; {}] = [",
            entries.len()
        );
        for entry in entries.iter() {
            deleted_literal(out, entry);
        }
        out.push("];\n");
    }
    w!(
        out,
        "pub(super) static PROVIDERS: [c::Provider; {providers}] = [\n"
    );
    for (index, provider) in plan.providers.iter().enumerate() {
        w!(
            out,
            "c::Provider {{ key: B({}), label: B({}), models: B(MODELS.split_at({}).1.split_at({}).0), deleted: B(&DELETED_{index}) }},\n",
            lit(&provider.provider.key),
            lit(&provider.provider.label),
            provider.first,
            provider.end - provider.first
        );
    }
    out.push("];\n");
    w!(
        out,
        "pub(super) static REFERENCES: [c::Reference; {}] = [\n",
        catalog.references.len()
    );
    for reference in catalog.references.iter() {
        reference_literal(out, reference);
    }
    out.push("];\n}\n");
}

fn string_table<'a>(out: &mut Out, name: &str, values: impl Iterator<Item = &'a str>, len: usize) {
    w!(out, "pub(super) static {name}: [&str; {len}] = [");
    for value in values {
        w!(out, "{},", lit(value));
    }
    out.push("];\n");
}

/// A `u16` table; `None` is written `NONE`.
fn int_table(out: &mut Out, name: &str, values: impl Iterator<Item = Option<usize>>, len: usize) {
    w!(out, "pub(super) static {name}: [u16; {len}] = [");
    for value in values {
        match value {
            Some(value) => w!(out, "{value},"),
            None => out.push("NONE,"),
        }
    }
    out.push("];\n");
}

/// `Some(B("..."))` or `None`.
fn opt_text(text: Option<&str>) -> String {
    text.map_or_else(
        || "None".to_owned(),
        |text| format!("Some(B({}))", lit(text)),
    )
}

fn opt_date(date: Option<llm_lifecycle_catalog::Date>) -> String {
    date.map_or_else(
        || "None".to_owned(),
        |date| {
            format!(
                "Some(c::Date {{ year: {}, month: {}, day: {} }})",
                date.year, date.month, date.day
            )
        },
    )
}

fn model_literal(out: &mut Out, model: &Model) {
    w!(
        out,
        "c::Model {{ name: B({}), token_limit: {}, default: {}, translation_default: {}, deprecated: {}, replacement: {}, sunset: {}, ident: {} }},\n",
        lit(&model.name),
        model.token_limit,
        model.default,
        model.translation_default,
        model.deprecated,
        opt_text(model.replacement.as_deref()),
        opt_date(model.sunset),
        opt_text(model.ident.as_deref())
    );
}

fn deleted_literal(out: &mut Out, entry: &DeletedModel) {
    w!(
        out,
        "c::DeletedModel {{ name: B({}), replacement: {}, deleted_on: {} }},",
        lit(&entry.name),
        opt_text(entry.replacement.as_deref()),
        opt_date(entry.deleted_on)
    );
}

fn reference_literal(out: &mut Out, reference: &Reference) {
    let kind = match reference.kind {
        ReferenceKind::Id => "Id",
        ReferenceKind::Json => "Json",
        ReferenceKind::Text => "Text",
    };
    let through = reference.through.as_ref().map_or_else(
        || "None".to_owned(),
        |through| {
            format!(
                "Some(c::Through {{ table: B({}), column: B({}) }})",
                lit(&through.table),
                lit(&through.column)
            )
        },
    );
    w!(
        out,
        "c::Reference {{ table: B({}), column: B({}), kind: c::ReferenceKind::{kind}, key: {}, resource: {}, through: {through}, team_column: {}, name_column: {}, url: {}, filter: {} }},\n",
        lit(&reference.table),
        lit(&reference.column),
        opt_text(reference.key.as_deref()),
        opt_text(reference.resource.as_deref()),
        opt_text(reference.team_column.as_deref()),
        opt_text(reference.name_column.as_deref()),
        opt_text(reference.url.as_deref()),
        opt_text(reference.filter.as_deref())
    );
}

/// The `NotificationSettings` literal, with full paths (it sits outside the module).
fn notifications(settings: &NotificationSettings, krate: &str, borrowed: &str) -> String {
    let query = settings.recipients_query.as_deref().map_or_else(
        || "::core::option::Option::None".to_owned(),
        |query| format!("::core::option::Option::Some({borrowed}({}))", lit(query)),
    );
    format!(
        "{krate}::NotificationSettings {{ permission: {borrowed}({}), recipients_query: {query} }}",
        lit(&settings.permission)
    )
}
