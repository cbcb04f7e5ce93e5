//! Replacement rules: a replacement names another entry of the same provider,
//! only deprecated or deleted entries have one, and every chain ends at a live
//! model that is not deprecated (no dead ends, no cycles).

use super::{Entry, ProviderIndex};
use crate::parse::reader::Reader;
use crate::suggest;

/// Checks the `replacement` of every entry of one provider.
pub(super) fn check(index: &ProviderIndex<'_>, all: &[ProviderIndex<'_>], reader: &mut Reader<'_>) {
    let provider = index.provider;
    let mut entries: Vec<Entry<'_>> = provider.models.iter().map(Entry::Live).collect();
    entries.extend(provider.deleted.iter().map(Entry::Deleted));
    entries.sort_by_key(|entry| entry.name().span.start);
    for entry in entries {
        let Some(replacement) = entry.replacement() else {
            continue;
        };
        let name = &entry.name().value;
        let id = format!("{}/{name}", provider.key.value);
        if let Entry::Live(model) = entry
            && !model.is_deprecated()
            && !model.tainted
        {
            reader.error_with_help(
                replacement.span.clone(),
                format!("`{id}` has a `replacement` but is not deprecated"),
                Some("add `deprecated = true`, or remove `replacement`".to_owned()),
            );
        }
        if replacement.value == *name {
            reader.error_with_help(
                replacement.span.clone(),
                format!("`{id}` cannot be its own replacement"),
                Some(format!(
                    "point `replacement` at another model of `{}`, or remove it",
                    provider.key.value
                )),
            );
            continue;
        }
        if index.get(&replacement.value).is_none() {
            report_missing(
                index,
                all,
                &id,
                &replacement.value,
                replacement.span.clone(),
                reader,
            );
            continue;
        }
        follow_chain(index, entry, reader);
    }
}

fn report_missing(
    index: &ProviderIndex<'_>,
    all: &[ProviderIndex<'_>],
    id: &str,
    wanted: &str,
    span: std::ops::Range<usize>,
    reader: &mut Reader<'_>,
) {
    let key = &index.provider.key.value;
    let elsewhere: Vec<&str> = all
        .iter()
        .filter(|other| other.provider.key.value != *key && other.get(wanted).is_some())
        .map(|other| other.provider.key.value.as_str())
        .collect();
    let help = if let Some(other) = elsewhere.first() {
        format!(
            "`{wanted}` is a model of provider `{other}`; a replacement must be a model of the \
             same provider (`{key}`)"
        )
    } else {
        // The entry itself is never a valid replacement: don't suggest it.
        let own_name = id.split_once('/').map_or(id, |(_, name)| name);
        let mut names: Vec<(usize, &str)> = index
            .entries
            .values()
            .map(|entry| (entry.name().span.start, entry.name().value.as_str()))
            .filter(|&(_, name)| name != own_name)
            .collect();
        names.sort_unstable();
        suggest::did_you_mean(wanted, names.into_iter().map(|(_, name)| name)).unwrap_or_else(
            || format!("name a model declared in `[providers.{key}]`, or add `{wanted}` there"),
        )
    };
    reader.error_with_help(
        span,
        format!("replacement `{wanted}` of `{id}` is not a model of provider `{key}`"),
        Some(help),
    );
}

/// Walks the chain starting at `start`'s replacement and reports a dead end
/// or a cycle (a cycle only once, at its first member in the source).
fn follow_chain(index: &ProviderIndex<'_>, start: Entry<'_>, reader: &mut Reader<'_>) {
    let key = &index.provider.key.value;
    let start_name = start.name().value.as_str();
    let mut path: Vec<Entry<'_>> = vec![start];
    let Some(mut current) = start.replacement().and_then(|r| index.get(&r.value)) else {
        return;
    };
    loop {
        let current_name = current.name().value.as_str();
        if let Some(position) = path.iter().position(|e| e.name().value == current_name) {
            let cycle = &path[position..];
            let first_in_source = cycle.iter().map(|e| e.name().span.start).min();
            if position == 0 && first_in_source == Some(start.name().span.start) {
                let mut names: Vec<String> = cycle
                    .iter()
                    .map(|e| format!("`{}`", e.name().value))
                    .collect();
                names.push(format!("`{start_name}`"));
                let span = start
                    .replacement()
                    .map_or(start.name().span.clone(), |r| r.span.clone());
                reader.error_with_help(
                    span,
                    format!(
                        "replacement cycle in provider `{key}`: {}",
                        names.join(" → ")
                    ),
                    Some("end the chain at a live model that is not deprecated".to_owned()),
                );
            }
            return;
        }
        path.push(current);
        let state = match current {
            Entry::Live(model) if model.tainted => return,
            Entry::Live(model) if !model.is_deprecated() => return,
            Entry::Live(_) => "deprecated",
            Entry::Deleted(_) => "deleted",
        };
        match current.replacement() {
            Some(next) => match index.get(&next.value) {
                // A broken link further on is reported at its own entry.
                None => return,
                Some(next) => current = next,
            },
            None => {
                let chain = if path.len() > 2 {
                    let names: Vec<String> = path
                        .iter()
                        .map(|e| format!("`{}`", e.name().value))
                        .collect();
                    format!(" ({})", names.join(" → "))
                } else {
                    String::new()
                };
                let span = start
                    .replacement()
                    .map_or(start.name().span.clone(), |r| r.span.clone());
                reader.error_with_help(
                    span,
                    format!(
                        "the replacement chain of `{key}/{start_name}` dead-ends at \
                         `{current_name}`, which is {state} and has no replacement{chain}"
                    ),
                    Some(format!(
                        "point `replacement` at a live model that is not deprecated, or give \
                         `{current_name}` a replacement"
                    )),
                );
                return;
            }
        }
    }
}
