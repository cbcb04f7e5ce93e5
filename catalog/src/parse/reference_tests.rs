//! `[[references]]` and `[notifications]`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::model::{DEFAULT_PERMISSION, ReferenceKind};
use crate::test_util::{OPENAI, assert_single, errors, valid};

/// The catalogue with one `[[references]]` entry whose body starts at line 7.
fn reference(body: &str) -> String {
    format!("{OPENAI}[[references]]\n{body}")
}

const IDENT_HELP: Option<&str> =
    Some("use ASCII letters, digits and `_`, not starting with a digit, at most 63 bytes");

#[test]
fn a_full_reference_parses() {
    let catalog = valid(&reference(
        "table = \"pipeline_nodes\"\ncolumn = \"params\"\nkind = \"json\"\nkey = \"llm_provider_model_id\"\n\
         resource = \"pipeline\"\nthrough = { table = \"pipelines\", column = \"pipeline_id\" }\n\
         team_column = \"team_id\"\nname_column = \"name\"\nurl = \"/a/{team_id}/pipelines/{id}/\"\n\
         filter = \"is_archived = false\"\n",
    ));
    let r = &catalog.references[0];
    assert_eq!(
        (&*r.table, &*r.column, r.kind),
        ("pipeline_nodes", "params", ReferenceKind::Json)
    );
    assert_eq!(r.key.as_deref(), Some("llm_provider_model_id"));
    assert_eq!(r.resource.as_deref(), Some("pipeline"));
    let through = r.through.as_ref().unwrap();
    assert_eq!(
        (&*through.table, &*through.column),
        ("pipelines", "pipeline_id")
    );
    assert_eq!(r.team_column.as_deref(), Some("team_id"));
    assert_eq!(r.name_column.as_deref(), Some("name"));
    assert_eq!(r.url.as_deref(), Some("/a/{team_id}/pipelines/{id}/"));
    assert_eq!(r.filter.as_deref(), Some("is_archived = false"));
}

#[test]
fn defaults_are_kind_id_and_no_resource() {
    let catalog = valid(&reference(
        "table = \"assistants\"\ncolumn = \"llm_provider_model_id\"\n",
    ));
    let r = &catalog.references[0];
    assert_eq!(r.kind, ReferenceKind::Id);
    assert_eq!(
        (r.key.as_ref(), r.resource.as_ref(), r.through.as_ref()),
        (None, None, None)
    );
    let catalog = valid(&reference(
        "table = \"a\"\ncolumn = \"model\"\nkind = \"text\"\n",
    ));
    assert_eq!(catalog.references[0].kind, ReferenceKind::Text);
}

#[test]
fn table_and_column_are_required() {
    let found = errors(&reference("resource = \"chatbot\"\n"));
    assert_eq!(
        found,
        vec![
            (6, 1, "a `[[references]]` entry has no `column`".to_owned()),
            (6, 1, "a `[[references]]` entry has no `table`".to_owned()),
        ]
    );
}

#[test]
fn identifiers_are_plain_sql() {
    assert_single(
        &reference("table = \"assistants; drop\"\ncolumn = \"c\"\n"),
        7,
        9,
        "`table` must be a plain SQL identifier, found `assistants; drop`: ';' is not allowed",
        IDENT_HELP,
    );
    assert_single(
        &reference("table = \"t\"\ncolumn = \"1c\"\n"),
        8,
        10,
        "`column` must be a plain SQL identifier, found `1c`: it starts with a digit",
        IDENT_HELP,
    );
    let long = "a".repeat(64);
    assert_single(
        &reference(&format!(
            "table = \"t\"\ncolumn = \"c\"\nteam_column = \"{long}\"\n"
        )),
        9,
        15,
        &format!(
            "`team_column` must be a plain SQL identifier, found `{long}`: it is 64 bytes long"
        ),
        IDENT_HELP,
    );
    valid(&reference(&format!(
        "table = \"_T1\"\ncolumn = \"{}\"\n",
        "b".repeat(63)
    )));
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nname_column = \"\"\n"),
        9,
        15,
        "`name_column` must be a plain SQL identifier, found ``: it is empty",
        IDENT_HELP,
    );
    assert_single(
        &reference(
            "table = \"t\"\ncolumn = \"c\"\nthrough = { table = \"p.q\", column = \"p_id\" }\n",
        ),
        9,
        21,
        "`table` must be a plain SQL identifier, found `p.q`: '.' is not allowed",
        IDENT_HELP,
    );
}

#[test]
fn kind_is_id_json_or_text() {
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nkind = \"jsonb\"\n"),
        9,
        8,
        "unknown reference kind `jsonb`",
        Some("did you mean `json`?"),
    );
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nkind = \"integer\"\n"),
        9,
        8,
        "unknown reference kind `integer`",
        Some("use `id`, `json` or `text`"),
    );
}

#[test]
fn key_is_required_exactly_for_json() {
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nkind = \"json\"\n"),
        6,
        1,
        "a `kind = \"json\"` reference has no `key`",
        Some("add `key = \"...\"`: the top-level key of the JSON object that holds the model id"),
    );
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nkey = \"k\"\n"),
        9,
        7,
        "`key` is only allowed with `kind = \"json\"`",
        Some("remove `key`, or set `kind = \"json\"`"),
    );
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nkind = \"text\"\nkey = \"k\"\n"),
        10,
        7,
        "`key` is only allowed with `kind = \"json\"`",
        Some("remove `key`, or set `kind = \"json\"`"),
    );
}

#[test]
fn the_json_key_is_a_plain_identifier() {
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nkind = \"json\"\nkey = \"a.b\"\n"),
        10,
        7,
        "`key` must be a plain SQL identifier, found `a.b`: '.' is not allowed",
        IDENT_HELP,
    );
}

#[test]
fn resource_is_a_lowercase_noun() {
    valid(&reference(
        "table = \"t\"\ncolumn = \"c\"\nresource = \"custom action_2\"\n",
    ));
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nresource = \"Chatbot\"\n"),
        9,
        12,
        "invalid `resource` `Chatbot`",
        Some(
            "a resource is a lowercase noun for notices (`chatbot`, `pipeline`): a lowercase ASCII letter followed by lowercase letters, digits, `_` or spaces",
        ),
    );
}

#[test]
fn through_needs_table_and_column_only() {
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nthrough = { table = \"p\" }\n"),
        9,
        11,
        "`through` has no `column`",
        Some(
            "add `column = \"...\"`: the column of the referencing table holding the joined row's id",
        ),
    );
    assert_single(
        &reference(
            "table = \"t\"\ncolumn = \"c\"\nthrough = { table = \"p\", column = \"p_id\", on = \"x\" }\n",
        ),
        9,
        43,
        "unknown key `on` in `through`",
        Some("the keys of `through` are `table`, `column`"),
    );
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nthrough = \"pipelines\"\n"),
        9,
        11,
        "`through` must be a table `{ table = \"...\", column = \"...\" }`, found a string",
        None,
    );
}

#[test]
fn url_placeholders_are_id_and_team_id() {
    valid(&reference(
        "table = \"t\"\ncolumn = \"c\"\nurl = \"/a/{team_id}/x/{id}/\"\n",
    ));
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nurl = \"/a/{team}/x/{id}/\"\n"),
        9,
        7,
        "unknown placeholder `{team}` in `url`",
        Some("did you mean `team_id`?"),
    );
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nurl = \"/a/{slug}/\"\n"),
        9,
        7,
        "unknown placeholder `{slug}` in `url`",
        Some("the placeholders are `{id}` and `{team_id}`"),
    );
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nurl = \"/a/{id\"\n"),
        9,
        7,
        "`url` has a `{` that is never closed",
        Some("placeholders are written `{id}` or `{team_id}`"),
    );
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nurl = \"/a/id}\"\n"),
        9,
        7,
        "`url` has a `}` without a matching `{`",
        Some("placeholders are written `{id}` or `{team_id}`"),
    );
}

#[test]
fn filter_is_one_non_empty_condition() {
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nfilter = \"a = 1; delete from t\"\n"),
        9,
        10,
        "`filter` must be a single SQL condition, found a `;`",
        Some("remove the `;`: the condition is embedded in a larger statement"),
    );
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nfilter = \"  \"\n"),
        9,
        10,
        "`filter` cannot be empty",
        None,
    );
}

#[test]
fn unknown_reference_keys_suggest_the_closest() {
    assert_single(
        &reference("table = \"t\"\ncolumn = \"c\"\nteam_colum = \"team_id\"\n"),
        9,
        1,
        "unknown key `team_colum` in a `[[references]]` entry",
        Some("did you mean `team_column`?"),
    );
}

#[test]
fn references_must_be_an_array_of_tables() {
    assert_single(
        &format!("{OPENAI}[references]\ntable = \"t\"\n"),
        6,
        1,
        "`references` must be an array of tables, found a table",
        Some("declare each entry as `[[references]]`"),
    );
}

#[test]
fn references_entries_and_notifications_must_be_tables() {
    assert_single(
        &format!("references = [1]\n{OPENAI}"),
        1,
        15,
        "each entry of `references` must be a table, found an integer",
        Some("declare each entry as `[[references]]`"),
    );
    assert_single(
        &format!("notifications = 1\n{OPENAI}"),
        1,
        17,
        "`notifications` must be a table, found an integer",
        None,
    );
}

#[test]
fn duplicate_references_are_reported_at_the_second() {
    let source =
        reference("table = \"t\"\ncolumn = \"c\"\n[[references]]\ntable = \"t\"\ncolumn = \"c\"\n");
    assert_single(
        &source,
        10,
        9,
        "duplicate reference `t.c`: first declared at line 7",
        Some("remove one of the two `[[references]]` entries"),
    );
    let source = reference(
        "table = \"t\"\ncolumn = \"c\"\nkind = \"json\"\nkey = \"a\"\n[[references]]\ntable = \"t\"\ncolumn = \"c\"\nkind = \"json\"\nkey = \"b\"\n\
         [[references]]\ntable = \"t\"\ncolumn = \"c\"\nkind = \"json\"\nkey = \"a\"\n",
    );
    assert_single(
        &source,
        17,
        9,
        "duplicate reference `t.c` key `a`: first declared at line 7",
        Some("remove one of the two `[[references]]` entries"),
    );
}

#[test]
fn notifications_have_a_default_permission() {
    let catalog = valid(OPENAI);
    assert_eq!(catalog.notifications.permission, DEFAULT_PERMISSION);
    assert_eq!(catalog.notifications.recipients_query, None);
    let catalog = valid(&format!(
        "{OPENAI}[notifications]\npermission = \"llm.manage\"\nrecipients_query = \"select id from users where team = $team_id\"\n"
    ));
    assert_eq!(catalog.notifications.permission, "llm.manage");
    assert_eq!(
        catalog.notifications.recipients_query.as_deref(),
        Some("select id from users where team = $team_id")
    );
}

#[test]
fn notifications_name_the_webhook_url_variable() {
    assert_eq!(valid(OPENAI).notifications.webhook_env, None);
    let catalog = valid(&format!(
        "{OPENAI}[notifications]\nwebhook_env = \"LLM_WEBHOOK_URL\"\n"
    ));
    assert_eq!(
        catalog.notifications.webhook_env.as_deref(),
        Some("LLM_WEBHOOK_URL")
    );
    assert_eq!(catalog.notifications.permission, DEFAULT_PERMISSION);
    let help = Some(
        "name the environment variable that holds the URL (e.g. `webhook_env = \"LLM_WEBHOOK_URL\"`), \
         not the URL itself: a webhook URL is a secret",
    );
    for (value, message) in [
        ("", "`webhook_env` cannot be empty"),
        (
            "https://hooks.example.com/x",
            "`webhook_env` is a URL, not the name of an environment variable",
        ),
        ("1HOOK", "`webhook_env` is not an environment variable name"),
        (
            "HOOK URL",
            "`webhook_env` is not an environment variable name",
        ),
    ] {
        assert_single(
            &format!("{OPENAI}[notifications]\nwebhook_env = \"{value}\"\n"),
            7,
            15,
            message,
            help,
        );
    }
    assert_single(
        &format!("{OPENAI}[notifications]\nwebhook_env = 1\n"),
        7,
        15,
        "`webhook_env` must be a string, found an integer",
        None,
    );
}

#[test]
fn notifications_list_sunset_reminders_largest_first() {
    assert!(valid(OPENAI).notifications.reminders.is_empty());
    let catalog = valid(&format!(
        "{OPENAI}[notifications]\nreminders = [7, 30, 1]\n"
    ));
    assert_eq!(catalog.notifications.reminders.as_ref(), &[30, 7, 1]);
    // Rendering keeps them, and the text parses back to the same catalogue.
    let rendered = catalog.to_toml();
    assert!(rendered.contains("reminders = [30, 7, 1]\n"), "{rendered}");
    assert_eq!(valid(&rendered), catalog);

    let help = Some(
        "list the days before a model's `sunset` at which its users are reminded, \
         e.g. `reminders = [30, 7, 1]`",
    );
    for (value, column, message) in [
        (
            "[30, 0]",
            18,
            "a `reminders` entry must be a whole number of days from 1 to 3650, found 0",
        ),
        (
            "[-7]",
            14,
            "a `reminders` entry must be a whole number of days from 1 to 3650, found -7",
        ),
        (
            "[3651]",
            14,
            "a `reminders` entry must be a whole number of days from 1 to 3650, found 3651",
        ),
        (
            "[\"7\"]",
            14,
            "a `reminders` entry must be a whole number of days from 1 to 3650, found a string",
        ),
        (
            "30",
            13,
            "`reminders` must be an array of days, found an integer",
        ),
    ] {
        assert_single(
            &format!("{OPENAI}[notifications]\nreminders = {value}\n"),
            7,
            column,
            message,
            help,
        );
    }
    assert_single(
        &format!("{OPENAI}[notifications]\nreminders = [7, 1, 7]\n"),
        7,
        20,
        "`reminders` lists 7 more than once",
        None,
    );
}

#[test]
fn notifications_reject_unknown_and_empty_keys() {
    assert_single(
        &format!("{OPENAI}[notifications]\npermision = \"x\"\n"),
        7,
        1,
        "unknown key `permision` in `[notifications]`",
        Some("did you mean `permission`?"),
    );
    assert_single(
        &format!("{OPENAI}[notifications]\npermission = \"\"\n"),
        7,
        14,
        "`permission` cannot be empty",
        None,
    );
    assert_single(
        &format!("{OPENAI}[notifications]\nrecipients_query = \" \"\n"),
        7,
        20,
        "`recipients_query` cannot be empty",
        None,
    );
    assert_single(
        &format!("{OPENAI}notifications = 1\n"),
        6,
        1,
        "unknown key `notifications` in provider `openai`",
        Some(
            "`notifications` is a top-level key, but after a `[providers.…]` header it belongs to that provider: write it as `[notifications]` or move it above the first provider",
        ),
    );
    assert_single(
        &format!("{OPENAI}references = []\n"),
        6,
        1,
        "unknown key `references` in provider `openai`",
        Some(
            "`references` is a top-level key, but after a `[providers.…]` header it belongs to that provider: write it as `[[references]]` or move it above the first provider",
        ),
    );
}

#[test]
fn catalogue_sql_parameters_are_checked_at_build_time() {
    assert_single(
        &format!(
            "{OPENAI}[notifications]\nrecipients_query = \"select id from m where team = $team_id and p = $permision\"\n"
        ),
        7,
        20,
        "`recipients_query` has the unknown parameter `$permision`",
        Some("did you mean `$permission`? the parameters are `$team_id` and `$permission`"),
    );
    assert_single(
        &format!(
            "{OPENAI}[notifications]\nrecipients_query = \"select id from m where p = $permission\"\n"
        ),
        7,
        20,
        "`recipients_query` does not use `$team_id`, so every team would get the same recipients",
        Some("restrict it to one team: `… WHERE team_id = $team_id`"),
    );
    // In literals and comments nothing is a parameter or a statement end.
    valid(&format!(
        "{OPENAI}[notifications]\nrecipients_query = \"select id from m where team = $team_id and note <> '$x;' -- $y\"\n\n[[references]]\ntable = \"t\"\ncolumn = \"c\"\nfilter = \"name <> ';' /* $z; */\"\n"
    ));
    assert_single(
        &format!(
            "{OPENAI}[[references]]\ntable = \"t\"\ncolumn = \"c\"\nfilter = \"owner = $team\"\n"
        ),
        9,
        10,
        "`filter` takes no parameters, found `$team`",
        Some("write the value as a literal: the condition runs as written"),
    );
}
