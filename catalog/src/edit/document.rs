//! The `toml_edit` side of an edit: find a provider's table and a model's
//! inline table, change keys and entries, and keep the bytes around them
//! (decor: the whitespace and comments toml_edit keeps with each item).

use toml_edit::{Array, DocumentMut, InlineTable, Item, RawString, Table, TableLike, Value};

use super::EditError;
use crate::model::Date;

/// The document of a text that [`crate::Catalog::parse`] accepted.
pub(super) fn parse(source: &str) -> Result<DocumentMut, EditError> {
    source
        .parse::<DocumentMut>()
        .map_err(|error| EditError::Unsupported {
            what: format!("toml_edit cannot read the file ({})", error.message()),
        })
}

/// The table of `[providers.KEY]`.
pub(super) fn provider<'d>(
    doc: &'d mut DocumentMut,
    key: &str,
) -> Result<&'d mut dyn TableLike, EditError> {
    doc.get_mut("providers")
        .and_then(Item::as_table_like_mut)
        .and_then(|providers| providers.get_mut(key))
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| EditError::Unsupported {
            what: format!("provider `{key}` is not a table"),
        })
}

/// The array `list` (`models` or `deleted`) of a provider table, if present.
pub(super) fn list<'t>(
    table: &'t mut dyn TableLike,
    provider: &str,
    list: &str,
) -> Result<Option<&'t mut Array>, EditError> {
    match table.get_mut(list) {
        None => Ok(None),
        Some(item) => item
            .as_array_mut()
            .map(Some)
            .ok_or_else(|| EditError::Unsupported {
                what: format!("`{list}` of provider `{provider}` is not an inline array"),
            }),
    }
}

/// The `models` array of a provider table.
pub(super) fn models<'t>(
    table: &'t mut dyn TableLike,
    provider: &str,
) -> Result<&'t mut Array, EditError> {
    list(table, provider, "models")?.ok_or_else(|| EditError::Unsupported {
        what: format!("provider `{provider}` has no `models` array"),
    })
}

/// The index of the entry named `name` in `array`.
pub(super) fn position(array: &Array, name: &str) -> Option<usize> {
    array.iter().position(|value| {
        value
            .as_inline_table()
            .and_then(|table| table.get("name"))
            .and_then(Value::as_str)
            == Some(name)
    })
}

/// The inline table of the model `name` in `array`.
pub(super) fn entry<'a>(
    array: &'a mut Array,
    provider: &str,
    name: &str,
) -> Result<&'a mut InlineTable, EditError> {
    let index = position(array, name).ok_or_else(|| EditError::Unsupported {
        what: format!("model `{provider}/{name}` is not an inline table of `models`"),
    })?;
    array
        .get_mut(index)
        .and_then(Value::as_inline_table_mut)
        .ok_or_else(|| EditError::Unsupported {
            what: format!("model `{provider}/{name}` is not an inline table"),
        })
}

/// Whether two values say the same (so an existing one is left as written).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(a), Value::String(b)) => a.value() == b.value(),
        (Value::Integer(a), Value::Integer(b)) => a.value() == b.value(),
        (Value::Boolean(a), Value::Boolean(b)) => a.value() == b.value(),
        (Value::Datetime(a), Value::Datetime(b)) => a.value() == b.value(),
        _ => false,
    }
}

/// Sets `key` of an inline table: an existing value is replaced in place
/// (keeping the spaces around it, and untouched if it already says so); a
/// new key goes last, and the space before `}` stays before `}`.
pub(super) fn set(table: &mut InlineTable, key: &str, mut value: Value) {
    if let Some(existing) = table.get_mut(key) {
        if !same(existing, &value) {
            *value.decor_mut() = existing.decor().clone();
            *existing = value;
        }
        return;
    }
    let closing = table.iter_mut().last().map(|(_, last)| {
        let suffix = last.decor().suffix().cloned();
        last.decor_mut().set_suffix("");
        suffix
    });
    value.decor_mut().set_prefix(" ");
    if let Some(Some(suffix)) = closing {
        value.decor_mut().set_suffix(suffix);
    } else {
        value.decor_mut().set_suffix(" ");
    }
    table.insert(key, value);
}

/// Removes `key` of an inline table; when it was last, the space before `}`
/// moves to the new last value.
pub(super) fn remove(table: &mut InlineTable, key: &str) {
    let was_last = table.iter().last().is_some_and(|(last, _)| last == key);
    let Some(removed) = table.remove(key) else {
        return;
    };
    if was_last && let Some((_, last)) = table.iter_mut().last() {
        let suffix = removed
            .decor()
            .suffix()
            .cloned()
            .unwrap_or_else(|| RawString::from(" "));
        last.decor_mut().set_suffix(suffix);
    }
}

/// Splits whitespace-and-comments at its first line break:
/// (the end of the line before, the rest from the line break).
fn split_line(text: &str) -> (&str, &str) {
    text.find('\n')
        .map_or((text, ""), |at| (&text[..at], &text[at..]))
}

fn raw(text: Option<&RawString>) -> String {
    text.and_then(RawString::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Removes entry `index` of a multi-line or one-line array. Comments on
/// their own lines above it stay (they move to the next entry); a comment at
/// the end of its own line goes with it; the end-of-line comment of the entry
/// before stays on that line.
pub(super) fn remove_entry(array: &mut Array, index: usize) -> Value {
    let removed = array.remove(index);
    let prefix = raw(removed.decor().prefix());
    if !prefix.contains('\n') {
        // One-line array: the first entry's (empty) spacing goes to the next.
        if index == 0
            && let Some(next) = array.get_mut(0)
        {
            next.decor_mut().set_prefix(prefix);
        }
        return removed;
    }
    let (before, from_break) = split_line(&prefix);
    let above = &from_break[..from_break.rfind('\n').unwrap_or(0)];
    let join = |following: &str| {
        // `following` starts with the removed line's own end-of-line comment.
        let (_, rest) = split_line(following);
        let rest = if rest.is_empty() { following } else { rest };
        format!("{before}{above}{rest}")
    };
    if let Some(next) = array.get_mut(index) {
        let following = raw(next.decor().prefix());
        next.decor_mut().set_prefix(join(&following));
    } else {
        let following = raw(Some(array.trailing()));
        array.set_trailing(join(&following));
    }
    removed
}

/// Appends `value` to `array` in the array's style: the indentation of its
/// last entry (a one-line array stays on one line); an empty array becomes a
/// multi-line one.
pub(super) fn push_entry(array: &mut Array, mut value: Value) {
    let last = array.iter().last().map(|last| raw(last.decor().prefix()));
    let prefix = match last {
        None => {
            array.set_trailing("\n");
            array.set_trailing_comma(true);
            "\n  ".to_owned()
        }
        Some(prefix) => match prefix.rfind('\n') {
            Some(at) => prefix[at..].to_owned(),
            None => " ".to_owned(),
        },
    };
    value.decor_mut().set_prefix(prefix);
    value.decor_mut().set_suffix("");
    array.push_formatted(value);
}

/// A new multi-line array holding `value`:
/// `[\n  value,\n]`.
pub(super) fn new_list(value: Value) -> Item {
    let mut array = Array::new();
    push_entry(&mut array, value);
    let mut value = Value::Array(array);
    value.decor_mut().set_prefix(" ");
    Item::Value(value)
}

/// A new `[providers.KEY]` table after the last one, a blank line before it,
/// holding `models = [\n  entry,\n]`.
pub(super) fn add_provider(
    doc: &mut DocumentMut,
    key: &str,
    entry: Value,
) -> Result<(), EditError> {
    let providers = doc
        .get_mut("providers")
        .and_then(Item::as_table_mut)
        .ok_or_else(|| EditError::Unsupported {
            what: "`providers` is not a table".to_owned(),
        })?;
    let mut table = Table::new();
    table.decor_mut().set_prefix("\n");
    table.insert("models", new_list(entry));
    providers.insert(key, Item::Table(table));
    Ok(())
}

/// A string value, quoted as toml_edit quotes it.
pub(super) fn string(text: &str) -> Value {
    Value::from(text)
}

/// An integer written with `_` between thousands, like the file: `400_000`.
pub(super) fn integer(number: u32) -> Value {
    let digits = number.to_string();
    let mut text = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            text.push('_');
        }
        text.push(digit);
    }
    text.parse::<Value>()
        .unwrap_or_else(|_| Value::from(i64::from(number)))
}

/// An unquoted date: `2027-01-31`.
pub(super) fn date(date: Date) -> Value {
    date.to_string()
        .parse::<Value>()
        .unwrap_or_else(|_| Value::from(date.to_string()))
}

/// A one-line inline table `{ key = value, … }` of the given pairs.
pub(super) fn inline_table(pairs: &[(&str, Value)]) -> Value {
    let mut table = InlineTable::new();
    for (key, value) in pairs {
        table.insert(*key, value.clone());
    }
    table.fmt();
    Value::InlineTable(table)
}
