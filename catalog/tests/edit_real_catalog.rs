//! Edits of the real catalogue at the repository root (and of the frozen copy):
//! whatever it lists (these tests pick their models from it and name none),
//! an edit changes only the lines it must, and every other byte stays.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use llm_lifecycle_catalog::{Catalog, Date, edit, model_id};
use proptest::prelude::*;

const TODAY: Date = Date {
    year: 2026,
    month: 8,
    day: 14,
};

fn source(relative: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)).unwrap()
}

fn catalogues() -> [String; 2] {
    [
        source("../models.toml"),
        source("../tests/fixtures/production_2026_08.toml"),
    ]
}

/// The old and new lines that differ, by a line-by-line comparison after
/// dropping the lines `removed` (1-based, of `before`) and `added` (of `after`).
fn assert_only_lines(before: &str, after: &str, removed: &[usize], added: &[usize]) {
    let old: Vec<&str> = before
        .split_inclusive('\n')
        .enumerate()
        .filter(|(index, _)| !removed.contains(&(index + 1)))
        .map(|(_, line)| line)
        .collect();
    let new: Vec<&str> = after
        .split_inclusive('\n')
        .enumerate()
        .filter(|(index, _)| !added.contains(&(index + 1)))
        .map(|(_, line)| line)
        .collect();
    assert_eq!(old, new, "lines other than {removed:?} / {added:?} changed");
}

/// The 1-based line of the entry `name` in the `models` of `[providers.KEY]`.
fn line_of(source: &str, provider: &str, name: &str) -> usize {
    let header = format!("[providers.{provider}]");
    let start = source
        .lines()
        .position(|line| line.trim() == header)
        .unwrap();
    let needle = format!("{{ name = \"{name}\",");
    start
        + 1
        + source
            .lines()
            .skip(start)
            .position(|line| line.contains(&needle))
            .unwrap()
}

/// Every model that can be deprecated without a replacement: not a default,
/// not a replacement target, not yet deprecated.
fn plain_models(catalog: &Catalog) -> Vec<(String, String)> {
    catalog
        .models()
        .filter(|(provider, model)| {
            !model.default
                && !model.translation_default
                && !model.deprecated
                && !provider
                    .models
                    .iter()
                    .any(|other| other.replacement.as_deref() == Some(&*model.name))
                && !provider
                    .deleted
                    .iter()
                    .any(|other| other.replacement.as_deref() == Some(&*model.name))
        })
        .map(|(provider, model)| (provider.key.to_string(), model.name.to_string()))
        .collect()
}

#[test]
fn an_unchanged_document_is_byte_for_byte_the_file() {
    for source in catalogues() {
        let edit = edit::set_token_limit(&source, "models.toml", &first_id(&source), {
            let catalog = Catalog::parse(&source, "models.toml").unwrap();
            catalog.models().next().unwrap().1.token_limit
        })
        .unwrap();
        assert!(edit.is_noop());
        assert_eq!(edit.text, source);
    }
}

fn first_id(source: &str) -> String {
    let catalog = Catalog::parse(source, "models.toml").unwrap();
    let (provider, model) = catalog.models().next().unwrap();
    model_id(&provider.key, &model.name)
}

#[test]
fn deprecating_any_model_changes_its_line_only() {
    for source in catalogues() {
        let catalog = Catalog::parse(&source, "models.toml").unwrap();
        let candidates = plain_models(&catalog);
        assert!(!candidates.is_empty());
        for (provider, name) in candidates {
            let id = model_id(&provider, &name);
            let edit = edit::deprecate(&source, "models.toml", &id, None, None).unwrap();
            let line = line_of(&source, &provider, &name);
            assert_only_lines(&source, &edit.text, &[line], &[line]);
            let new_line = edit.text.lines().nth(line - 1).unwrap();
            let old_line = source.lines().nth(line - 1).unwrap();
            let at = old_line.rfind('}').unwrap();
            assert_eq!(
                new_line,
                format!(
                    "{}, deprecated = true {}",
                    old_line[..at].trim_end(),
                    &old_line[at..]
                )
            );
            assert!(
                edit.diff
                    .starts_with(&format!("models.toml:{line} [providers.{provider}]\n"))
            );
        }
    }
}

#[test]
fn deleting_a_model_changes_two_lines() {
    for source in catalogues() {
        let catalog = Catalog::parse(&source, "models.toml").unwrap();
        for (provider, name) in plain_models(&catalog) {
            let has_deleted = !catalog.provider(&provider).unwrap().deleted.is_empty();
            if !has_deleted {
                continue;
            }
            let id = model_id(&provider, &name);
            let edit = edit::delete(&source, "models.toml", &id, None, TODAY).unwrap();
            let line = line_of(&source, &provider, &name);
            // The new entry closes the provider's `deleted` list: the line
            // before its `]` in the new text.
            let header = format!("[providers.{provider}]");
            let new_lines: Vec<&str> = edit.text.lines().collect();
            let start = new_lines.iter().position(|l| l.trim() == header).unwrap();
            let deleted_at = start
                + new_lines[start..]
                    .iter()
                    .position(|l| l.starts_with("deleted = ["))
                    .unwrap();
            let close = deleted_at
                + new_lines[deleted_at..]
                    .iter()
                    .position(|l| *l == "]")
                    .unwrap();
            assert_eq!(
                new_lines[close - 1],
                format!("  {{ name = \"{name}\", deleted_on = 2026-08-14 }},")
            );
            assert_only_lines(&source, &edit.text, &[line], &[close]);
        }
    }
}

#[test]
fn adding_a_model_adds_one_line() {
    for source in catalogues() {
        let catalog = Catalog::parse(&source, "models.toml").unwrap();
        for provider in catalog.providers.iter() {
            let id = model_id(&provider.key, "edit-test-model");
            let edit = edit::add(&source, "models.toml", &id, 123_456, false).unwrap();
            let last = provider.models.last().unwrap();
            let line = line_of(&source, &provider.key, &last.name) + 1;
            assert_eq!(
                edit.text.lines().nth(line - 1).unwrap(),
                "  { name = \"edit-test-model\", token_limit = 123_456 },"
            );
            assert_only_lines(&source, &edit.text, &[], &[line]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Deprecate any plain model of the real catalogue with any sunset and
    /// any other plain model's replacement: the result parses to the same
    /// catalogue with just that model changed.
    #[test]
    fn deprecate_then_parse_round_trips(pick in any::<prop::sample::Index>(), with in any::<prop::sample::Index>(), sunset in proptest::option::of((2026u16..2100, 1u8..=12, 1u8..=28))) {
        let source = source("../tests/fixtures/production_2026_08.toml");
        let catalog = Catalog::parse(&source, "models.toml").unwrap();
        let candidates = plain_models(&catalog);
        let (provider, name) = pick.get(&candidates).clone();
        let live: Vec<String> = catalog
            .provider(&provider)
            .unwrap()
            .models
            .iter()
            .filter(|model| !model.deprecated && model.name != name)
            .map(|model| model.name.to_string())
            .collect();
        let replacement = with.get(&live).clone();
        let sunset = sunset.map(|(year, month, day)| Date { year, month, day });
        let id = model_id(&provider, &name);
        let edit = edit::deprecate(&source, "models.toml", &id, Some(&replacement), sunset).unwrap();
        let after = Catalog::parse(&edit.text, "models.toml").unwrap();
        let mut expected = catalog.clone();
        let providers = expected.providers.to_mut();
        let changed = providers.iter_mut().find(|p| p.key == provider).unwrap();
        let model = changed.models.to_mut().iter_mut().find(|m| m.name == name).unwrap();
        model.deprecated = true;
        model.replacement = Some(replacement.into());
        model.sunset = sunset;
        prop_assert_eq!(after, expected);
        // Deprecating again with the same arguments changes nothing.
        let again = edit::deprecate(&edit.text, "models.toml", &id, None, None).unwrap();
        prop_assert!(again.is_noop());
    }
}
