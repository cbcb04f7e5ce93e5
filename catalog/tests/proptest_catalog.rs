//! Property tests: random valid catalogues survive a render → parse round trip,
//! and no input, however broken, makes the parser panic.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::borrow::Cow;
use std::collections::BTreeSet;

use llm_lifecycle_catalog::naming::{is_valid_ident, model_variant, provider_variant};
use llm_lifecycle_catalog::{
    ApplySettings, Catalog, ColumnConstant, Companion, CompanionAction, ConstantValue, Date,
    DeletedModel, MAX_BATCH_SIZE, Model, ModelTable, NotificationSettings, Provider, Reference,
    ReferenceKind, Through,
};
use proptest::collection::{btree_set, vec};
use proptest::option;
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// Random valid catalogues, built from random seeds by rules that keep them valid.

#[derive(Debug, Clone)]
struct ModelSeed {
    token_limit: u32,
    /// Deprecated (unless it is a default).
    deprecated: bool,
    replacement_pick: Option<usize>,
    sunset: Option<Date>,
    ident: bool,
}

#[derive(Debug, Clone)]
struct DeletedSeed {
    replacement_pick: Option<usize>,
    deleted_on: Option<Date>,
}

#[derive(Debug, Clone)]
struct ProviderSeed {
    key: String,
    label: Option<String>,
    names: BTreeSet<String>,
    models: Vec<ModelSeed>,
    deleted: Vec<DeletedSeed>,
    default_pick: usize,
    translation_pick: Option<usize>,
}

fn date() -> impl Strategy<Value = Date> {
    (1970u16..2200, 1u8..=12, 1u8..=28).prop_map(|(year, month, day)| Date { year, month, day })
}

fn model_seed() -> impl Strategy<Value = ModelSeed> {
    (
        1u32..=u32::MAX,
        any::<bool>(),
        option::of(any::<usize>()),
        option::of(date()),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(token_limit, deprecated, replacement_pick, sunset, ident)| ModelSeed {
                token_limit,
                deprecated,
                replacement_pick,
                sunset,
                ident,
            },
        )
}

fn provider_seed() -> impl Strategy<Value = ProviderSeed> {
    (
        "[a-z][a-z0-9_-]{0,8}",
        option::of("[^\u{0}]{0,12}[a-z]"),
        btree_set("[A-Za-z0-9][A-Za-z0-9./:@_-]{0,14}", 1..10),
        vec(model_seed(), 10),
        vec(
            (option::of(any::<usize>()), option::of(date())).prop_map(
                |(replacement_pick, deleted_on)| DeletedSeed {
                    replacement_pick,
                    deleted_on,
                },
            ),
            10,
        ),
        any::<usize>(),
        option::of(any::<usize>()),
    )
        .prop_map(
            |(key, label, names, models, deleted, default_pick, translation_pick)| ProviderSeed {
                key,
                label,
                names,
                models,
                deleted,
                default_pick,
                translation_pick,
            },
        )
}

fn build_provider(seed: ProviderSeed, variants: &mut BTreeSet<String>) -> Option<Provider> {
    let mut names: Vec<String> = seed.names.into_iter().collect();
    // Split the unique names into live models (at least one) and deleted entries.
    let live_count = (names.len() / 2).max(1);
    let deleted_names = names.split_off(live_count);
    let mut models: Vec<Model> = Vec::new();
    let mut claimed = Vec::new();
    for (index, (name, model_seed)) in names.into_iter().zip(seed.models.iter()).enumerate() {
        let ident = model_seed
            .ident
            .then(|| format!("Ident{index}{}", provider_variant(&seed.key)));
        let variant = ident
            .clone()
            .unwrap_or_else(|| model_variant(&seed.key, &name));
        if !is_valid_ident(&variant) || variants.contains(&variant) || claimed.contains(&variant) {
            continue;
        }
        claimed.push(variant);
        models.push(Model {
            name: Cow::Owned(name),
            token_limit: model_seed.token_limit,
            default: false,
            translation_default: false,
            deprecated: false,
            replacement: None,
            sunset: None,
            ident: ident.map(Cow::Owned),
        });
    }
    if models.is_empty() {
        return None;
    }
    variants.extend(claimed);
    let default = seed.default_pick % models.len();
    models[default].default = true;
    if let Some(pick) = seed.translation_pick {
        let count = models.len();
        models[pick % count].translation_default = true;
    }
    // Deprecate models that are neither default; each deprecated model's
    // replacement is a live model or an earlier deprecated one that has one.
    let mut resolvable: Vec<usize> = Vec::new();
    let seeds: Vec<ModelSeed> = seed.models.clone();
    for (index, model_seed) in seeds.iter().enumerate().take(models.len()) {
        let model = &models[index];
        if model_seed.deprecated && !model.default && !model.translation_default {
            models[index].deprecated = true;
            models[index].sunset = model_seed.sunset;
        }
    }
    let live: Vec<usize> = (0..models.len())
        .filter(|&i| !models[i].deprecated)
        .collect();
    for (index, model_seed) in seeds.iter().enumerate().take(models.len()) {
        if !models[index].deprecated {
            continue;
        }
        if let Some(pick) = model_seed.replacement_pick {
            let targets: Vec<usize> = live.iter().chain(resolvable.iter()).copied().collect();
            let target = targets[pick % targets.len()];
            models[index].replacement = Some(models[target].name.clone());
            resolvable.push(index);
        }
    }
    let mut deleted: Vec<DeletedModel> = Vec::new();
    for (name, deleted_seed) in deleted_names.into_iter().zip(seed.deleted.iter()) {
        let replacement = deleted_seed.replacement_pick.map(|pick| {
            let live_targets = live.len() + resolvable.len();
            let targets = live_targets + deleted.iter().filter(|d| d.replacement.is_some()).count();
            let choice = pick % targets;
            if choice < live.len() {
                models[live[choice]].name.clone()
            } else if choice < live_targets {
                models[resolvable[choice - live.len()]].name.clone()
            } else {
                let earlier: Vec<&DeletedModel> =
                    deleted.iter().filter(|d| d.replacement.is_some()).collect();
                earlier[choice - live_targets].name.clone()
            }
        });
        deleted.push(DeletedModel {
            name: Cow::Owned(name),
            replacement,
            deleted_on: deleted_seed.deleted_on,
        });
    }
    Some(Provider {
        label: Cow::Owned(seed.label.unwrap_or_else(|| seed.key.clone())),
        key: Cow::Owned(seed.key),
        models: Cow::Owned(models),
        deleted: Cow::Owned(deleted),
    })
}

fn identifier() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_]{0,20}"
}

fn reference() -> impl Strategy<Value = Reference> {
    (
        (identifier(), identifier(), 0u8..3, identifier()),
        option::of("[a-z][a-z0-9_ ]{0,10}"),
        option::of((identifier(), identifier())),
        option::of(identifier()),
        option::of(identifier()),
        option::of(vec(
            prop_oneof![
                "[a-z/._-]{0,5}",
                Just("{id}".to_owned()),
                Just("{team_id}".to_owned())
            ],
            0..5,
        )),
        // No `;` and no `$name` parameter: a filter is one condition, run as written.
        (
            option::of("[a-z][^;$\u{0}]{0,20}"),
            vec((identifier(), any::<bool>()), 0..3),
        ),
    )
        .prop_map(
            |(
                (table, column, kind, key),
                resource,
                through,
                team,
                name,
                url,
                (filter, companions),
            )| {
                let kind = [ReferenceKind::Id, ReferenceKind::Json, ReferenceKind::Text]
                    [usize::from(kind)];
                Reference {
                    table: Cow::Owned(table),
                    column: Cow::Owned(column),
                    kind,
                    key: (kind == ReferenceKind::Json).then_some(Cow::Owned(key.clone())),
                    resource: resource.map(Cow::Owned),
                    through: through.map(|(table, column)| Through {
                        table: Cow::Owned(table),
                        column: Cow::Owned(column),
                    }),
                    team_column: team.map(Cow::Owned),
                    name_column: name.map(Cow::Owned),
                    url: url.map(|parts| Cow::Owned(parts.concat())),
                    filter: filter.map(Cow::Owned),
                    companions: Cow::Owned(if kind == ReferenceKind::Json {
                        let mut seen = BTreeSet::from([key.clone()]);
                        companions
                            .into_iter()
                            .filter(|(companion, _)| seen.insert(companion.clone()))
                            .map(|(companion, limit)| Companion {
                                key: Cow::Owned(companion),
                                action: if limit {
                                    CompanionAction::TokenLimit
                                } else {
                                    CompanionAction::Remove
                                },
                            })
                            .collect()
                    } else {
                        Vec::new()
                    }),
                }
            },
        )
}

/// A `[model_table]`: a table, optional team and timestamp columns, constants.
fn model_table() -> impl Strategy<Value = ModelTable> {
    (
        identifier(),
        any::<(bool, bool, bool)>(),
        vec((identifier(), 0u8..3, any::<i64>(), "[ -~]{0,8}"), 0..3),
    )
        .prop_map(|(table, (team, created, updated), values)| {
            let mut seen = BTreeSet::new();
            ModelTable {
                table: Cow::Owned(format!("t_{table}")),
                team: team.then_some(Cow::Borrowed("team_ref")),
                created_at: created.then_some(Cow::Borrowed("made_at")),
                updated_at: updated.then_some(Cow::Borrowed("changed_at")),
                values: Cow::Owned(
                    values
                        .into_iter()
                        .filter(|(column, ..)| seen.insert(column.clone()))
                        .map(|(column, kind, n, text)| ColumnConstant {
                            column: Cow::Owned(format!("v_{column}")),
                            value: match kind {
                                0 => ConstantValue::Integer(n),
                                1 => ConstantValue::Bool(n % 2 == 0),
                                _ => ConstantValue::Text(Cow::Owned(text)),
                            },
                        })
                        .collect(),
                ),
                ..ModelTable::owned()
            }
        })
}

fn catalog() -> impl Strategy<Value = Catalog> {
    (
        option::of(model_table()),
        vec(provider_seed(), 1..5),
        vec(reference(), 0..4),
        option::of("[a-z][a-z._]{0,30}"),
        // A recipients query restricted to the team (`$team_id`, in code).
        option::of("[a-z][a-z0-9 ,.=()<>]{0,40}".prop_map(|q| format!("{q} = $team_id"))),
        option::of(1..=MAX_BATCH_SIZE),
    )
        .prop_filter_map(
            "no usable provider",
            |(model_table, seeds, references, permission, query, batch_size)| {
                let mut provider_variants = BTreeSet::new();
                let mut model_variants = BTreeSet::new();
                let mut providers = Vec::new();
                for seed in seeds {
                    let variant = provider_variant(&seed.key);
                    if !is_valid_ident(&variant) || provider_variants.contains(&variant) {
                        continue;
                    }
                    if let Some(provider) = build_provider(seed, &mut model_variants) {
                        provider_variants.insert(variant);
                        providers.push(provider);
                    }
                }
                if providers.is_empty() {
                    return None;
                }
                let mut seen = BTreeSet::new();
                let references: Vec<Reference> = references
                    .into_iter()
                    .filter(|r| seen.insert((r.table.clone(), r.column.clone(), r.key.clone())))
                    .collect();
                let mut notifications = NotificationSettings::default();
                if let Some(permission) = permission {
                    notifications.permission = Cow::Owned(permission);
                }
                notifications.recipients_query =
                    query.filter(|q| !q.trim().is_empty()).map(Cow::Owned);
                Some(Catalog {
                    providers: Cow::Owned(providers),
                    references: Cow::Owned(references),
                    notifications,
                    model_table,
                    apply: ApplySettings {
                        batch_size: batch_size.and_then(std::num::NonZeroU64::new),
                    },
                })
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn valid_catalogues_round_trip(catalog in catalog()) {
        let text = catalog.to_toml();
        let parsed = match Catalog::parse(&text, "generated.toml") {
            Ok(parsed) => parsed,
            Err(diagnostics) => panic!("a valid catalogue was rejected:\n{diagnostics}\n---\n{text}"),
        };
        prop_assert_eq!(&parsed, &catalog);
        prop_assert_eq!(parsed.digest(), catalog.digest());
        let index = catalog.index();
        for (position, (provider, model)) in catalog.models().enumerate() {
            prop_assert_eq!(index.position(&provider.key, &model.name), Some(position));
            prop_assert_eq!(
                index.chain_end(&provider.key, &model.name),
                catalog.chain_end(&provider.key, &model.name)
            );
            let id = format!("{}/{}", provider.key, model.name);
            let found = matches!(catalog.lookup(&id), llm_lifecycle_catalog::Lookup::Live { .. });
            prop_assert!(found, "{}", id);
            if model.deprecated && model.replacement.is_some() {
                let end = catalog.chain_end(&provider.key, &model.name);
                prop_assert!(end.is_some_and(|end| !end.deprecated), "{}", id);
            }
        }
        for (provider, entry) in catalog.deleted() {
            let end = index.chain_end(&provider.key, &entry.name);
            prop_assert_eq!(end, catalog.chain_end(&provider.key, &entry.name));
            prop_assert_eq!(end.is_some(), entry.replacement.is_some());
        }
    }
}

// ---------------------------------------------------------------------------
// Nothing panics.

const REAL: &str = include_str!("../../models.toml");

/// Checks every diagnostic points inside the source and renders.
fn parse_and_render(source: &str) {
    match Catalog::parse(source, "models.toml") {
        Ok(catalog) => {
            let again = Catalog::parse(&catalog.to_toml(), "models.toml");
            assert_eq!(again.as_ref().ok(), Some(&catalog));
        }
        Err(diagnostics) => {
            assert!(!diagnostics.is_empty());
            let line_count = source.split('\n').count();
            for diagnostic in diagnostics.iter() {
                assert!(
                    diagnostic.line >= 1 && diagnostic.line <= line_count,
                    "{diagnostic:?}"
                );
                assert!(diagnostic.column >= 1);
                assert!(diagnostic.span.end <= source.len());
                assert!(diagnostic.to_string().starts_with(&diagnostic.headline()));
            }
            let _ = diagnostics.to_string();
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: String },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (
            any::<usize>(),
            prop_oneof![
                "[\\[\\]{}=,\"'#.\n 0-9a-z_-]{1,8}".boxed(),
                Just("deprecated = true, ".to_owned()).boxed(),
                Just("replacement = \"gpt-4.1\", ".to_owned()).boxed(),
                Just("default = true, ".to_owned()).boxed(),
                Just("sunset = 2027-01-01, ".to_owned()).boxed(),
                Just("\n[[references]]\ntable = \"t\"\n".to_owned()).boxed(),
                any::<String>().boxed(),
            ]
        )
            .prop_map(|(at, text)| Mutation::Insert { at, text }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
    ]
}

fn apply(source: &str, mutation: &Mutation) -> String {
    let chars: Vec<char> = source.chars().collect();
    let lines: Vec<&str> = source.split('\n').collect();
    match mutation {
        Mutation::Delete { at, len } => {
            let start = at % (chars.len() + 1);
            let end = (start + len).min(chars.len());
            chars[..start].iter().chain(&chars[end..]).collect()
        }
        Mutation::Insert { at, text } => {
            let at = at % (chars.len() + 1);
            let mut out: String = chars[..at].iter().collect();
            out.push_str(text);
            out.extend(&chars[at..]);
            out
        }
        Mutation::DuplicateLine { line } => {
            let line = line % lines.len();
            let mut out = lines.clone();
            out.insert(line, lines[line]);
            out.join("\n")
        }
        Mutation::SwapLines { a, b } => {
            let mut out = lines.clone();
            out.swap(a % lines.len(), b % lines.len());
            out.join("\n")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(source in any::<String>()) {
        parse_and_render(&source);
    }

    #[test]
    fn toml_like_strings_never_panic(source in "[\\[\\]{}=,\"'#.\n a-z0-9_-]{0,200}") {
        parse_and_render(&source);
    }

    #[test]
    fn mutations_of_the_real_catalogue_never_panic(mutations in vec(mutation(), 1..6)) {
        let mut source = REAL.to_owned();
        for mutation in &mutations {
            source = apply(&source, mutation);
        }
        parse_and_render(&source);
    }
}
