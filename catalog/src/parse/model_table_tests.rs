//! `[model_table]` and the `companions` of JSON references.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::borrow::Cow;

use crate::model::{ColumnConstant, CompanionAction, ConstantValue, ModelTable};
use crate::test_util::{OPENAI, assert_single, errors, valid};

/// The catalogue with a `[model_table]` whose body starts at line 7.
fn table(body: &str) -> String {
    format!("{OPENAI}[model_table]\n{body}")
}

/// The catalogue with one JSON `[[references]]` entry; `extra` is its line 11.
fn json_reference(extra: &str) -> String {
    format!(
        "{OPENAI}[[references]]\ntable = \"nodes\"\ncolumn = \"params\"\nkind = \"json\"\n\
         key = \"llm_provider_model_id\"\n{extra}\n"
    )
}

#[test]
fn the_reference_platform_table_parses_with_defaults_for_the_rest() {
    let catalog = valid(&table(
        "table = \"service_providers_llmprovidermodel\"\nprovider = \"type\"\n\
         token_limit = \"max_token_limit\"\nteam = \"team_id\"\ncreated_at = \"created_at\"\n\
         updated_at = \"updated_at\"\nvalues = { is_enabled = true, source = \"catalogue\", rank = -3 }\n",
    ));
    let table = catalog.model_table.unwrap();
    assert_eq!(
        table,
        ModelTable {
            table: Cow::Borrowed("service_providers_llmprovidermodel"),
            provider: Cow::Borrowed("type"),
            values: Cow::Owned(vec![
                ColumnConstant {
                    column: "is_enabled".into(),
                    value: ConstantValue::Bool(true)
                },
                ColumnConstant {
                    column: "source".into(),
                    value: ConstantValue::Text("catalogue".into())
                },
                ColumnConstant {
                    column: "rank".into(),
                    value: ConstantValue::Integer(-3)
                },
            ]),
            ..ModelTable::owned()
        }
    );
}

#[test]
fn without_the_section_the_runtime_keeps_its_own_table() {
    assert_eq!(valid(OPENAI).model_table, None);
    let owned = ModelTable::owned();
    assert_eq!(
        (&*owned.table, owned.team.as_deref(), &*owned.token_limit),
        ("llm_provider_models", Some("team_id"), "max_token_limit")
    );
}

#[test]
fn only_the_table_is_required_and_team_and_timestamps_are_optional() {
    let table = valid(&table("table = \"models\"\n")).model_table.unwrap();
    assert_eq!(table.team, None);
    assert_eq!((table.created_at, table.updated_at), (None, None));
    assert_eq!(&*table.id, "id");
    assert_eq!(&*table.deprecated, "deprecated");
}

#[test]
fn the_table_is_required() {
    assert_single(
        &table("provider = \"type\"\n"),
        6,
        1,
        "`[model_table]` has no `table`",
        Some("add `table = \"...\"`: the host table that holds the model rows"),
    );
}

#[test]
fn an_unknown_key_is_named_with_a_suggestion() {
    let errors = errors(&table("table = \"models\"\ntoken_limt = \"max\"\n"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].0, errors[0].1), (8, 1));
    assert!(errors[0].2.contains("token_limt"), "{errors:?}");
}

#[test]
fn columns_are_plain_identifiers() {
    assert_single(
        &table("table = \"models\"\nname = \"model name\"\n"),
        8,
        8,
        "`name` must be a plain SQL identifier, found `model name`: ' ' is not allowed",
        Some("use ASCII letters, digits and `_`, not starting with a digit, at most 63 bytes"),
    );
}

#[test]
fn two_roles_may_not_share_a_column() {
    assert_single(
        &table("table = \"models\"\nprovider = \"type\"\nname = \"type\"\n"),
        9,
        8,
        "`name` and `provider` both name the column `type`",
        Some("each column holds one thing: point `name` or `provider` at another column"),
    );
    // A default counts: `name` is `name` unless given.
    assert_single(
        &table("table = \"models\"\nprovider = \"name\"\n"),
        6,
        1,
        "`name` and `provider` both name the column `name`",
        Some("each column holds one thing: point `name` or `provider` at another column"),
    );
}

#[test]
fn values_may_not_set_a_mapped_column() {
    assert_single(
        &table("table = \"models\"\nvalues = { deprecated = false }\n"),
        8,
        12,
        "`values` sets `deprecated`, which is the model table's `deprecated` column",
        Some("the runtime sets `deprecated` itself: remove it from `values`"),
    );
}

#[test]
fn values_are_strings_integers_or_booleans() {
    assert_single(
        &table("table = \"models\"\nvalues = { weight = 0.5 }\n"),
        8,
        21,
        "`values.weight` must be a string, an integer or a boolean, found a float",
        Some("write the constant every created row gets"),
    );
}

#[test]
fn the_runtime_s_own_tables_are_refused() {
    assert_single(
        &table("table = \"llm_lifecycle_runs\"\n"),
        7,
        9,
        "`llm_lifecycle_runs` is one of llm-lifecycle's own tables",
        Some(
            "name your platform's model table; without [model_table] the runtime keeps its \
             own llm_provider_models",
        ),
    );
    // A host table may be called llm_provider_models.
    valid(&table(
        "table = \"llm_provider_models\"\nprovider = \"kind\"\n",
    ));
}

#[test]
fn the_section_is_a_table() {
    let errors = errors(&format!("{OPENAI}model_table = \"models\"\n"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].2.contains("model_table"), "{errors:?}");
}

#[test]
fn companions_parse_in_declaration_order() {
    let catalog = valid(&json_reference(
        "companions = { user_max_token_limit = \"token_limit\", llm_model_parameters = \"remove\" }",
    ));
    let companions: Vec<(&str, CompanionAction)> = catalog.references[0]
        .companions
        .iter()
        .map(|companion| (&*companion.key, companion.action))
        .collect();
    assert_eq!(
        companions,
        [
            ("user_max_token_limit", CompanionAction::TokenLimit),
            ("llm_model_parameters", CompanionAction::Remove)
        ]
    );
}

#[test]
fn companions_are_for_json_references_only() {
    assert_single(
        &format!(
            "{OPENAI}[[references]]\ntable = \"a\"\ncolumn = \"model_id\"\n\
             companions = {{ limit = \"token_limit\" }}\n"
        ),
        9,
        14,
        "`companions` is only allowed with `kind = \"json\"`",
        Some(
            "companion keys live in the JSON object beside the id: remove `companions`, or set \
             `kind = \"json\"`",
        ),
    );
}

#[test]
fn a_companion_action_is_token_limit_or_remove() {
    assert_single(
        &json_reference("companions = { limit = \"token-limit\" }"),
        11,
        24,
        "companion `limit` must be \"token_limit\" or \"remove\", found `\"token-limit\"`",
        Some("did you mean `token_limit`?"),
    );
}

#[test]
fn the_id_key_is_not_its_own_companion() {
    assert_single(
        &json_reference("companions = { llm_provider_model_id = \"remove\" }"),
        11,
        16,
        "`llm_provider_model_id` is the reference's own `key`, not a companion",
        Some("list only the other keys that go with the id"),
    );
}

#[test]
fn the_digest_of_a_catalogue_without_the_new_sections_is_unchanged() {
    // Pinned before `[model_table]` and `companions` existed: ledgers keep
    // comparing digests across releases.
    let catalog = valid(OPENAI);
    assert!(!catalog.to_toml().contains("model_table"));
    assert!(!catalog.to_toml().contains("companions"));
    let with_table = valid(&table("table = \"models\"\n"));
    assert_ne!(with_table.digest(), catalog.digest());
    assert!(
        with_table
            .to_toml()
            .contains("[model_table]\ntable = \"models\"\n")
    );
}
