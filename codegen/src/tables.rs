//! The data: `static` tables indexed by discriminant, read by the generated
//! methods, and the `CATALOG` static the runtime applies.
//!
//! Tables keep compile time flat as catalogues grow: one array literal per field
//! instead of one `match` arm per model per method.

use llm_lifecycle_catalog::generated_support::{
    FLAG_DEFAULT, FLAG_DEPRECATED, FLAG_TRANSLATION_DEFAULT, packed_date,
};
use llm_lifecycle_catalog::{
    Catalog, CompanionAction, ConstantValue, DeletedModel, ModelTable, NotificationSettings,
    Reference, ReferenceKind,
};

use super::items::{CATALOG_CRATE, DATA, STR, SUPPORT, U8, U16, U32, USIZE};
use super::plan::Plan;
use super::{Options, Out, lit, w};

/// `pub static CATALOG`.
pub(crate) fn catalog_static(out: &mut Out, catalog: &Catalog, options: &Options<'_>) {
    // The oldest constructor that takes every section the catalogue sets, so
    // a catalogue without `[apply]` generates what it always did.
    let (constructor, model_table) = match (&catalog.model_table, catalog.apply.batch_size) {
        (None, None) => ("catalog", String::new()),
        (Some(table), None) => (
            "catalog_with_model_table",
            format!(", {}", model_table(table)),
        ),
        (table, Some(batch_size)) => (
            "catalog_v2",
            format!(
                ", {}, {SUPPORT}::apply({batch_size}u64)",
                table.as_ref().map_or_else(
                    || "::core::option::Option::None".to_owned(),
                    |table| format!("::core::option::Option::Some({})", model_table(table)),
                )
            ),
        ),
    };
    w!(
        out,
        "#[doc = {}]\n\
         pub static CATALOG: {CATALOG_CRATE}::Catalog = {SUPPORT}::{constructor}(\
         &{DATA}::PROVIDERS, &{DATA}::REFERENCES, {}{model_table});\n",
        lit(&format!(
            "The whole catalogue compiled from `{}`: {} providers, their live and deleted \
             models, and {} `[[references]]`.\n\n\
             The deployed binary can only apply the catalogue it was compiled with.",
            options.origin,
            catalog.providers.len(),
            catalog.references.len()
        )),
        notifications(&catalog.notifications)
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
         use {CATALOG_CRATE} as c;\nuse {SUPPORT} as g;\n\
         const NONE: {U16} = g::NO_MODEL;\n\
         pub(super) fn model_at(index: {U16}) -> ::core::option::Option<super::LlmModel> {{\n\
         if index == NONE {{ ::core::option::Option::None }} else {{ all().get(index as {USIZE}).copied() }}\n}}\n"
    );
    all_models(out, plan);
    model_tables(out, plan);
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
        "pub(super) static INDEX: g::ModelIndex = g::model_index(&IDS, &BY_ID, &DELETED_IDS, &DELETED_TO);\n",
    );
    w!(
        out,
        "pub(super) static PROVIDER_MODELS: [({U16}, {U16}); {providers}] = ["
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
            "g::provider({}, {}, MODELS.split_at({}).1.split_at({}).0, &DELETED_{index}),\n",
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
    for (index, reference) in catalog.references.iter().enumerate() {
        reference_literal(out, index, reference);
    }
    out.push("];\n");
    for (index, reference) in catalog.references.iter().enumerate() {
        if reference.companions.is_empty() {
            continue;
        }
        w!(
            out,
            "pub(super) static COMPANIONS_{index}: [c::Companion; {}] = [",
            reference.companions.len()
        );
        for companion in reference.companions.iter() {
            let action = match companion.action {
                CompanionAction::TokenLimit => "TokenLimit",
                CompanionAction::Remove => "Remove",
            };
            w!(
                out,
                "g::companion({}, c::CompanionAction::{action}),",
                lit(&companion.key)
            );
        }
        out.push("];\n");
    }
    if let Some(table) = &catalog.model_table {
        w!(
            out,
            "pub(super) static MODEL_TABLE_VALUES: [c::ColumnConstant; {}] = [",
            table.values.len()
        );
        for constant in table.values.iter() {
            let value = match &constant.value {
                ConstantValue::Text(text) => format!("g::text_constant({})", lit(text)),
                ConstantValue::Integer(n) => format!("c::ConstantValue::Integer({n}i64)"),
                ConstantValue::Bool(b) => format!("c::ConstantValue::Bool({b})"),
            };
            w!(
                out,
                "g::column_constant({}, {value}),",
                lit(&constant.column)
            );
        }
        out.push("];\n");
    }
    out.push("}\n");
}

/// The `ModelTable` value, with full paths (it sits outside the module).
fn model_table(table: &ModelTable) -> String {
    let text = |value: &Option<std::borrow::Cow<'static, str>>| {
        value.as_deref().map_or_else(
            || "::core::option::Option::None".to_owned(),
            |text| format!("::core::option::Option::Some({})", lit(text)),
        )
    };
    format!(
        "{SUPPORT}::model_table({}, {}, {}, {}, {}, {}, {}, {}, {}, &{DATA}::MODEL_TABLE_VALUES)",
        lit(&table.table),
        lit(&table.id),
        text(&table.team),
        lit(&table.provider),
        lit(&table.name),
        lit(&table.token_limit),
        lit(&table.deprecated),
        text(&table.created_at),
        text(&table.updated_at),
    )
}

fn string_table<'a>(out: &mut Out, name: &str, values: impl Iterator<Item = &'a str>, len: usize) {
    w!(out, "pub(super) static {name}: [&'static {STR}; {len}] = [");
    for value in values {
        w!(out, "{},", lit(value));
    }
    out.push("];\n");
}

/// A `u16` table; `None` is written `NONE`.
fn int_table(out: &mut Out, name: &str, values: impl Iterator<Item = Option<usize>>, len: usize) {
    w!(out, "pub(super) static {name}: [{U16}; {len}] = [");
    for value in values {
        match value {
            Some(value) => w!(out, "{value},"),
            None => out.push("NONE,"),
        }
    }
    out.push("];\n");
}

/// `Some("...")` or `None` (the constructors take `Option<&'static str>`).
fn opt_text(text: Option<&str>) -> String {
    text.map_or_else(|| "None".to_owned(), |text| format!("Some({})", lit(text)))
}

fn opt_date(date: Option<llm_lifecycle_catalog::Date>) -> String {
    date.map_or_else(
        || "None".to_owned(),
        |date| format!("Some(g::date({}, {}, {}))", date.year, date.month, date.day),
    )
}

/// Variants per `all_*` chunk.
const ALL_CHUNK: usize = 1_000;

/// `fn all() -> &'static [LlmModel]`, behind `LlmModel::all()`: a slice built
/// on first use from functions returning chunks of [`ALL_CHUNK`] variants.
///
/// rustc checks the value of every `const` and `static` (promoted `&[…]`
/// literals included) by reading each enum value's discriminant, and it finds
/// the variant of a discriminant by walking the variants from the first: time
/// quadratic in the number of variants for any constant holding all of them
/// (8 s of a 15 s build at 40,000 models). Function results are not checked,
/// so no item of the generated code holds the variants as a constant: the
/// chunks are returned by value and copied into a `OnceLock` at run time.
/// (Chunks keep every function body small.)
fn all_models(out: &mut Out, plan: &Plan<'_>) {
    let models = plan.rows.len();
    let mut chunks = Vec::new();
    for (index, chunk) in plan.rows.chunks(ALL_CHUNK).enumerate() {
        w!(
            out,
            "fn all_{index}() -> [super::LlmModel; {}] {{ [",
            chunk.len()
        );
        for row in chunk {
            w!(out, "super::LlmModel::{},", row.variant);
        }
        out.push("] }\n");
        chunks.push(index);
    }
    w!(
        out,
        "pub(super) fn all() -> &'static [super::LlmModel] {{\n\
         static ALL: ::std::sync::OnceLock<::std::boxed::Box<[super::LlmModel]>> = ::std::sync::OnceLock::new();\n\
         ALL.get_or_init(|| {{\n\
         let mut all = ::std::vec::Vec::with_capacity({models});\n"
    );
    for index in chunks {
        w!(out, "all.extend_from_slice(&all_{index}());\n");
    }
    out.push("all.into_boxed_slice()\n})\n}\n");
}

/// `static MODELS`, built by `g::models` from one table per field (`M_*`):
/// rustc checks and evaluates plain `&str` and integer tables in linear time,
/// where one struct literal (or call) per model grows quadratically.
fn model_tables(out: &mut Out, plan: &Plan<'_>) {
    let models = plan.rows.len();
    let text = |text: Option<&str>| text.unwrap_or("").to_owned();
    let column = |name: &str, ty: &str, values: Vec<String>, out: &mut Out| {
        w!(out, "static {name}: [{ty}; {models}] = [");
        for value in values {
            w!(out, "{value},");
        }
        out.push("];\n");
    };
    let rows = || plan.rows.iter().map(|row| row.model);
    let strings = |values: Vec<String>| values.iter().map(|value| lit(value)).collect();
    let str_ty = format!("&'static {STR}");
    column(
        "M_NAMES",
        &str_ty,
        strings(rows().map(|model| model.name.to_string()).collect()),
        out,
    );
    column(
        "M_TOKEN_LIMITS",
        U32,
        rows().map(|model| model.token_limit.to_string()).collect(),
        out,
    );
    column(
        "M_FLAGS",
        U8,
        rows()
            .map(|model| {
                let flag = |set: bool, bit: u8| if set { bit } else { 0 };
                (flag(model.default, FLAG_DEFAULT)
                    | flag(model.translation_default, FLAG_TRANSLATION_DEFAULT)
                    | flag(model.deprecated, FLAG_DEPRECATED))
                .to_string()
            })
            .collect(),
        out,
    );
    column(
        "M_REPLACEMENTS",
        &str_ty,
        strings(
            rows()
                .map(|model| text(model.replacement.as_deref()))
                .collect(),
        ),
        out,
    );
    column(
        "M_SUNSETS",
        U32,
        rows()
            .map(|model| packed_date(model.sunset).to_string())
            .collect(),
        out,
    );
    column(
        "M_IDENTS",
        &str_ty,
        strings(rows().map(|model| text(model.ident.as_deref())).collect()),
        out,
    );
    w!(
        out,
        "pub(super) static MODELS: [c::Model; {models}] = \
         g::models(&M_NAMES, &M_TOKEN_LIMITS, &M_FLAGS, &M_REPLACEMENTS, &M_SUNSETS, &M_IDENTS);\n"
    );
}

fn deleted_literal(out: &mut Out, entry: &DeletedModel) {
    w!(
        out,
        "g::deleted({}, {}, {}),",
        lit(&entry.name),
        opt_text(entry.replacement.as_deref()),
        opt_date(entry.deleted_on)
    );
}

fn reference_literal(out: &mut Out, index: usize, reference: &Reference) {
    let kind = match reference.kind {
        ReferenceKind::Id => "Id",
        ReferenceKind::Json => "Json",
        ReferenceKind::Text => "Text",
    };
    let through = reference.through.as_ref().map_or_else(
        || "None".to_owned(),
        |through| {
            format!(
                "Some(g::through({}, {}))",
                lit(&through.table),
                lit(&through.column)
            )
        },
    );
    let (constructor, companions) = if reference.companions.is_empty() {
        ("reference", String::new())
    } else {
        ("json_reference", format!(", &COMPANIONS_{index}"))
    };
    w!(
        out,
        "g::{constructor}({}, {}, c::ReferenceKind::{kind}, {}, {}, {through}, {}, {}, {}, {}{companions}),\n",
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

/// The `NotificationSettings` value, with full paths (it sits outside the module).
fn notifications(settings: &NotificationSettings) -> String {
    let option = |value: Option<&str>| {
        value.map_or_else(
            || "::core::option::Option::None".to_owned(),
            |value| format!("::core::option::Option::Some({})", lit(value)),
        )
    };
    format!(
        "{SUPPORT}::notifications({}, {}, {}, &[{}])",
        lit(&settings.permission),
        option(settings.recipients_query.as_deref()),
        option(settings.webhook_env.as_deref()),
        settings
            .reminders
            .iter()
            .map(|days| format!("{days}u32"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
