//! Removing deleted entries from `models.toml` with toml_edit, keeping every
//! other byte: comments, ordering, blank lines, the layout of multi-line
//! arrays and the trailing comments of the entries that stay.
//!
//! An entry on a line of its own goes with its whole line (indentation,
//! trailing comma and trailing comment); comment lines above it stay. An entry
//! sharing a line with others goes with one separating comma.

use toml_edit::{Array, DocumentMut, Item, RawString, Value};

use crate::plan::ModelId;

/// `text` without `entries` (each a `deleted` element of its provider).
///
/// # Errors
/// When the text is not TOML, toml_edit would not reproduce it byte for byte,
/// or an entry is not found.
pub(crate) fn remove_entries(text: &str, entries: &[ModelId]) -> Result<String, String> {
    let mut document: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.message().to_owned())?;
    if document.to_string() != text {
        return Err(
            "toml_edit does not reproduce this file byte for byte, so it is left untouched; \
             remove the entries by hand"
                .into(),
        );
    }
    for entry in entries {
        remove_entry(&mut document, entry)?;
    }
    Ok(document.to_string())
}

fn remove_entry(document: &mut DocumentMut, entry: &ModelId) -> Result<(), String> {
    let not_found = || format!("deleted entry {entry} not found in the file");
    let deleted = document
        .get_mut("providers")
        .and_then(Item::as_table_like_mut)
        .and_then(|providers| providers.get_mut(&entry.provider))
        .and_then(Item::as_table_like_mut)
        .and_then(|provider| provider.get_mut("deleted"))
        .ok_or_else(not_found)?;
    if let Some(array) = deleted.as_array_mut() {
        let index = array
            .iter()
            .position(|value| {
                value
                    .as_inline_table()
                    .and_then(|table| table.get("name"))
                    .and_then(Value::as_str)
                    == Some(entry.name.as_str())
            })
            .ok_or_else(not_found)?;
        remove_element(array, index);
        return Ok(());
    }
    if let Some(tables) = deleted.as_array_of_tables_mut() {
        let index = tables
            .iter()
            .position(|table| table.get("name").and_then(Item::as_str) == Some(entry.name.as_str()))
            .ok_or_else(not_found)?;
        tables.remove(index);
        return Ok(());
    }
    Err(not_found())
}

fn raw(raw: Option<&RawString>, default: &str) -> String {
    raw.and_then(RawString::as_str)
        .unwrap_or(default)
        .to_owned()
}

fn prefix(array: &Array, index: usize) -> String {
    let default = if index == 0 { "" } else { " " };
    array
        .get(index)
        .map(|value| raw(value.decor().prefix(), default))
        .unwrap_or_default()
}

fn suffix(array: &Array, index: usize) -> String {
    array
        .get(index)
        .map(|value| raw(value.decor().suffix(), ""))
        .unwrap_or_default()
}

/// `before` up to and including its last newline.
fn through_last_newline(before: &str) -> &str {
    before.rfind('\n').map_or("", |at| &before[..=at])
}

/// `after` past its first newline.
fn past_first_newline(after: &str) -> &str {
    after.find('\n').map_or("", |at| &after[at + 1..])
}

/// Removes element `index`, adjusting the whitespace around it so that only
/// its line (or its comma-separated slot) disappears.
fn remove_element(array: &mut Array, index: usize) {
    let last = index + 1 == array.len();
    let own_prefix = prefix(array, index);
    let own_suffix = suffix(array, index);
    let starts_line = own_prefix.contains('\n');
    if !last {
        let next_prefix = prefix(array, index + 1);
        let new_next_prefix =
            if starts_line && next_prefix.contains('\n') && !own_suffix.contains('\n') {
                // Its own line: keep what precedes the line, drop through the end of the line.
                format!(
                    "{}{}",
                    through_last_newline(&own_prefix),
                    past_first_newline(&next_prefix)
                )
            } else if index > 0 && !starts_line {
                // Shares a line with the previous element: drop `, element`.
                next_prefix
            } else if next_prefix.contains('\n') {
                // First on the `[` line, followed by a line break: the next line stays as it is.
                next_prefix
            } else {
                // `[a, b]`: the next element takes this one's place.
                own_prefix
            };
        array.remove(index);
        if let Some(next) = array.get_mut(index) {
            next.decor_mut().set_prefix(new_next_prefix);
        }
        return;
    }
    let after = if array.trailing_comma() {
        raw(Some(array.trailing()), "")
    } else {
        format!("{own_suffix}{}", raw(Some(array.trailing()), ""))
    };
    if starts_line && after.contains('\n') {
        let trailing = format!(
            "{}{}",
            through_last_newline(&own_prefix),
            past_first_newline(&after)
        );
        array.remove(index);
        array.set_trailing(trailing);
    } else {
        // `[a, b]` or `[b]`: drop `, b` (or `b`); what follows it stays.
        array.remove(index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remove(text: &str, ids: &[&str]) -> String {
        let ids: Vec<ModelId> = ids
            .iter()
            .map(|id| {
                let (provider, name) = id.split_once('/').unwrap_or_default();
                ModelId::new(provider, name)
            })
            .collect();
        match remove_entries(text, &ids) {
            Ok(text) => text,
            Err(error) => format!("ERROR: {error}"),
        }
    }

    #[test]
    fn a_line_goes_with_its_trailing_comment_and_comments_above_stay() {
        let text = "[providers.p]\ndeleted = [\n  # spring\n  { name = \"a\" },  # gone in March\n  { name = \"b\" }, # keep me\n  { name = \"c\" },\n]\n";
        assert_eq!(
            remove(text, &["p/a"]),
            "[providers.p]\ndeleted = [\n  # spring\n  { name = \"b\" }, # keep me\n  { name = \"c\" },\n]\n"
        );
        assert_eq!(
            remove(text, &["p/c"]),
            "[providers.p]\ndeleted = [\n  # spring\n  { name = \"a\" },  # gone in March\n  { name = \"b\" }, # keep me\n]\n"
        );
        assert_eq!(
            remove(text, &["p/c", "p/b", "p/a"]),
            "[providers.p]\ndeleted = [\n  # spring\n]\n"
        );
    }

    #[test]
    fn single_line_arrays_lose_one_slot() {
        let text = "[providers.p]\ndeleted = [{ name = \"a\" }, { name = \"b\" }, { name = \"c\" }]  # x\n";
        assert_eq!(
            remove(text, &["p/a"]),
            "[providers.p]\ndeleted = [{ name = \"b\" }, { name = \"c\" }]  # x\n"
        );
        assert_eq!(
            remove(text, &["p/b"]),
            "[providers.p]\ndeleted = [{ name = \"a\" }, { name = \"c\" }]  # x\n"
        );
        assert_eq!(
            remove(text, &["p/c"]),
            "[providers.p]\ndeleted = [{ name = \"a\" }, { name = \"b\" }]  # x\n"
        );
        assert_eq!(
            remove(text, &["p/a", "p/b", "p/c"]),
            "[providers.p]\ndeleted = []  # x\n"
        );
    }

    #[test]
    fn last_element_without_trailing_comma_and_mixed_lines() {
        let text = "[providers.p]\ndeleted = [\n  { name = \"a\" },\n  { name = \"b\" }  # b\n]\n";
        assert_eq!(
            remove(text, &["p/b"]),
            "[providers.p]\ndeleted = [\n  { name = \"a\" }\n]\n"
        );
        let mixed = "[providers.p]\ndeleted = [ { name = \"a\" },\n  { name = \"b\" }, { name = \"c\" },\n]\n";
        assert_eq!(
            remove(mixed, &["p/a"]),
            "[providers.p]\ndeleted = [\n  { name = \"b\" }, { name = \"c\" },\n]\n"
        );
        assert_eq!(
            remove(mixed, &["p/c"]),
            "[providers.p]\ndeleted = [ { name = \"a\" },\n  { name = \"b\" },\n]\n"
        );
    }

    #[test]
    fn arrays_of_tables_and_missing_entries() {
        let text = "[providers.p]\nmodels = []\n\n[[providers.p.deleted]]\nname = \"a\"\n\n[[providers.p.deleted]]\nname = \"b\"\n";
        assert_eq!(
            remove(text, &["p/a"]),
            "[providers.p]\nmodels = []\n\n[[providers.p.deleted]]\nname = \"b\"\n"
        );
        assert!(remove(text, &["p/zzz"]).starts_with("ERROR: deleted entry p/zzz not found"));
        assert!(remove(text, &["q/a"]).starts_with("ERROR"));
    }
}
