//! Removing entries from a catalogue of production size keeps every other byte:
//! each entry alone, all of them at once, and end to end through `apply-models
//! prune --write`. On `tests/fixtures/production_2026_08.toml`, a frozen copy of
//! the root `models.toml` of August 2026 that the tests own, so a routine change
//! of the real catalogue changes nothing here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::prune_support::{TestRepo, apply_models};
use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::plan::ModelId;
use llm_lifecycle_runtime::prune::remove_entries;
use llm_lifecycle_test_support::TestDb;

fn frozen_catalog() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/production_2026_08.toml");
    std::fs::read_to_string(path).unwrap()
}

/// The deleted entries of the catalogue, with the line each sits on,
/// found by reading the file line by line (independently of toml_edit).
fn deleted_lines(text: &str) -> Vec<(ModelId, usize)> {
    let mut found = Vec::new();
    let mut provider = String::new();
    let mut in_deleted = false;
    for (number, line) in text.lines().enumerate() {
        if let Some(key) = line
            .strip_prefix("[providers.")
            .and_then(|rest| rest.strip_suffix(']'))
        {
            provider = key.to_owned();
        } else if line.starts_with("deleted = [") {
            in_deleted = true;
        } else if line.starts_with(']') {
            in_deleted = false;
        } else if in_deleted && !line.trim_start().starts_with('#') {
            let name = line.split('"').nth(1).unwrap();
            found.push((ModelId::new(provider.clone(), name), number));
        }
    }
    found
}

fn without_line_numbers(text: &str, numbers: &[usize]) -> String {
    text.split_inclusive('\n')
        .enumerate()
        .filter(|(number, _)| !numbers.contains(number))
        .map(|(_, line)| line)
        .collect()
}

#[test]
fn each_entry_goes_with_its_line_and_nothing_else() {
    let text = frozen_catalog();
    let entries = deleted_lines(&text);
    assert_eq!(
        entries.len(),
        37,
        "the frozen catalogue has 37 deleted entries"
    );
    for (entry, line) in &entries {
        let edited = remove_entries(&text, std::slice::from_ref(entry)).unwrap();
        assert_eq!(
            edited,
            without_line_numbers(&text, &[*line]),
            "removing {entry}"
        );
        Catalog::parse(&edited, "models.toml").unwrap();
    }
}

#[test]
fn removing_every_entry_keeps_the_rest_byte_for_byte() {
    let text = frozen_catalog();
    let entries = deleted_lines(&text);
    let ids: Vec<ModelId> = entries.iter().map(|(id, _)| id.clone()).collect();
    let lines: Vec<usize> = entries.iter().map(|(_, line)| *line).collect();
    let edited = remove_entries(&text, &ids).unwrap();
    assert_eq!(edited, without_line_numbers(&text, &lines));
    let catalog = Catalog::parse(&edited, "models.toml").unwrap();
    assert_eq!(catalog.deleted().count(), 0);
    // Every other section, comments included, is still there in order.
    assert!(edited.starts_with("# A frozen copy of the production models.toml"));
    assert!(edited.contains("deleted = [\n]\n\n[providers.anthropic]"));
}

/// The catalogue with a comment line above every `deleted` list's first
/// entry and a trailing comment on every deleted entry.
fn commented(text: &str) -> String {
    let mut out = String::new();
    let mut in_deleted = false;
    for (number, line) in text.split_inclusive('\n').enumerate() {
        if in_deleted && line.starts_with("  {") {
            out.push_str(&line.replace("},\n", &format!("}},  # note {number}, with a comma\n")));
        } else {
            out.push_str(line);
        }
        if line.starts_with("deleted = [") {
            in_deleted = true;
            out.push_str("  # Removed by the provider; see the changelog.\n");
        } else if line.starts_with(']') {
            in_deleted = false;
        }
    }
    out
}

#[test]
fn trailing_comments_go_with_their_entry_and_comment_lines_stay() {
    let text = commented(&frozen_catalog());
    assert_eq!(text.matches("# note").count(), 37);
    let entries = deleted_lines(&text);
    assert_eq!(entries.len(), 37);
    // Every other entry, then every entry, then one at a time.
    let every_other: Vec<&(ModelId, usize)> = entries.iter().step_by(2).collect();
    let ids: Vec<ModelId> = every_other.iter().map(|(id, _)| id.clone()).collect();
    let lines: Vec<usize> = every_other.iter().map(|(_, line)| *line).collect();
    let edited = remove_entries(&text, &ids).unwrap();
    assert_eq!(edited, without_line_numbers(&text, &lines));
    Catalog::parse(&edited, "models.toml").unwrap();
    let all: Vec<ModelId> = entries.iter().map(|(id, _)| id.clone()).collect();
    let edited = remove_entries(&text, &all).unwrap();
    assert_eq!(edited.matches("# note").count(), 0);
    assert_eq!(edited.matches("# Removed by the provider").count(), 7);
    for (entry, line) in &entries {
        let edited = remove_entries(&text, std::slice::from_ref(entry)).unwrap();
        assert_eq!(
            edited,
            without_line_numbers(&text, &[*line]),
            "removing {entry}"
        );
    }
}

#[test]
fn prune_write_on_the_frozen_catalogue_removes_all_applied_old_entries() {
    let text = frozen_catalog();
    let repo = TestRepo::new();
    repo.commit(&text, 60, "the frozen catalogue");
    let env = TestDb::sqlite();
    common::apply(&env, &common::catalog(&text)).unwrap();
    let catalog = repo.catalog().to_string_lossy().into_owned();
    let env_arg = format!("staging={}", env.url());
    let outcome = apply_models(&["prune", "--catalog", &catalog, "--env", &env_arg, "--write"]);
    assert_eq!(outcome.code, 0, "{}\n{}", outcome.out, outcome.err);
    assert!(outcome.out.contains("37 safe to remove"), "{}", outcome.out);
    let lines: Vec<usize> = deleted_lines(&text).iter().map(|(_, l)| *l).collect();
    assert_eq!(
        std::fs::read_to_string(repo.catalog()).unwrap(),
        without_line_numbers(&text, &lines)
    );
}
