//! Typed access to the keys of a TOML table, collecting an error for every
//! unknown key, missing key and wrong type instead of stopping at the first.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::raw::At;
use crate::diagnostic::{Diagnostic, SourceMap};
use crate::model::Date;
use crate::suggest;

/// A spanned TOML value from the parsed document.
pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

/// Collects diagnostics while the document is read.
pub(crate) struct Reader<'s> {
    pub(crate) map: SourceMap<'s>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// The known keys of one table, in source order, once unknown keys were reported.
pub(crate) struct Fields<'t, 'i> {
    /// The table's span (where "missing key" errors point).
    pub(crate) span: Range<usize>,
    entries: Vec<(&'t str, Range<usize>, &'t Value<'i>)>,
}

impl<'t, 'i> Fields<'t, 'i> {
    /// The value of `key`, if present.
    pub(crate) fn get(&self, key: &str) -> Option<&'t Value<'i>> {
        self.entries
            .iter()
            .find(|(name, _, _)| *name == key)
            .map(|(_, _, value)| *value)
    }
}

/// The entries of a table in source order (the parser stores them sorted by key).
pub(crate) fn entries_in_order<'t, 'i>(
    table: &'t DeTable<'i>,
) -> Vec<(&'t Spanned<std::borrow::Cow<'i, str>>, &'t Value<'i>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

/// `a string`, `an integer`, … for "found …" messages.
pub(crate) fn type_with_article(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl<'s> Reader<'s> {
    pub(crate) fn new(source: &'s str, origin: &'s str) -> Self {
        Self {
            map: SourceMap::new(source, origin),
            diagnostics: Vec::new(),
        }
    }

    /// Records an error at `span`.
    pub(crate) fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let diagnostic = self.map.error(span, message);
        self.diagnostics.push(diagnostic);
    }

    /// Records an error with a fix hint.
    pub(crate) fn error_with_help(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let mut diagnostic = self.map.error(span, message);
        diagnostic.help = help;
        self.diagnostics.push(diagnostic);
    }

    /// How many errors were recorded so far (compare to see if a step added any).
    pub(crate) fn error_count(&self) -> usize {
        self.diagnostics.len()
    }

    /// Reports every key of `table` not in `allowed` (with a did-you-mean hint)
    /// and returns the known ones. `what` names the table in messages (`a model`).
    pub(crate) fn fields<'t, 'i>(
        &mut self,
        table: &'t DeTable<'i>,
        span: Range<usize>,
        allowed: &[&str],
        what: &str,
    ) -> Fields<'t, 'i> {
        let mut entries = Vec::new();
        for (key, value) in entries_in_order(table) {
            let name: &'t str = key.get_ref();
            if allowed.contains(&name) {
                entries.push((name, key.span(), value));
            } else if let Some(help) = misplaced_hint(name, what) {
                self.error_with_help(
                    key.span(),
                    format!("unknown key `{name}` in {what}"),
                    Some(help),
                );
            } else {
                let help = suggest::did_you_mean(name, allowed.iter().copied()).or_else(|| {
                    let list: Vec<String> = allowed.iter().map(|k| format!("`{k}`")).collect();
                    Some(format!("the keys of {what} are {}", list.join(", ")))
                });
                self.error_with_help(key.span(), format!("unknown key `{name}` in {what}"), help);
            }
        }
        Fields { span, entries }
    }

    /// Reports a value of the wrong type.
    pub(crate) fn wrong_type(&mut self, key: &str, expected: &str, value: &Value<'_>) {
        let found = type_with_article(value.get_ref());
        self.error(
            value.span(),
            format!("`{key}` must be {expected}, found {found}"),
        );
    }

    /// Reports a required key that is absent.
    pub(crate) fn missing(&mut self, fields: &Fields<'_, '_>, key: &str, what: &str, help: &str) {
        self.error_with_help(
            fields.span.clone(),
            format!("{what} has no `{key}`"),
            Some(help.to_owned()),
        );
    }

    /// A string key.
    pub(crate) fn string(&mut self, fields: &Fields<'_, '_>, key: &str) -> Option<At<String>> {
        let value = fields.get(key)?;
        match value.get_ref() {
            DeValue::String(text) => Some(At::new(text.to_string(), value.span())),
            _ => {
                self.wrong_type(key, "a string", value);
                None
            }
        }
    }

    /// A boolean key.
    pub(crate) fn boolean(&mut self, fields: &Fields<'_, '_>, key: &str) -> Option<At<bool>> {
        let value = fields.get(key)?;
        match value.get_ref() {
            DeValue::Boolean(flag) => Some(At::new(*flag, value.span())),
            _ => {
                self.wrong_type(key, "`true` or `false`", value);
                None
            }
        }
    }

    /// An integer key in `1..=u32::MAX`.
    pub(crate) fn positive_u32(&mut self, fields: &Fields<'_, '_>, key: &str) -> Option<At<u32>> {
        let value = fields.get(key)?;
        let DeValue::Integer(integer) = value.get_ref() else {
            self.wrong_type(key, "an integer", value);
            return None;
        };
        let parsed = i128::from_str_radix(integer.as_str(), integer.radix()).ok();
        match parsed
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n >= 1)
        {
            Some(n) => Some(At::new(n, value.span())),
            None => {
                self.error(
                    value.span(),
                    format!(
                        "`{key}` must be between 1 and {}, found {integer}",
                        u32::MAX
                    ),
                );
                None
            }
        }
    }

    /// A TOML local date key (`2027-01-31`, unquoted).
    pub(crate) fn date(&mut self, fields: &Fields<'_, '_>, key: &str) -> Option<At<Date>> {
        let value = fields.get(key)?;
        match value.get_ref() {
            DeValue::Datetime(datetime) => match (datetime.date, datetime.time, datetime.offset) {
                (Some(date), None, None) => Some(At::new(
                    Date {
                        year: date.year,
                        month: date.month,
                        day: date.day,
                    },
                    value.span(),
                )),
                (Some(date), _, _) => {
                    let help = format!("write just the date: `{key} = {date}`");
                    self.error_with_help(
                        value.span(),
                        format!("`{key}` must be a date, found a date with a time"),
                        Some(help),
                    );
                    None
                }
                (None, _, _) => {
                    self.error_with_help(
                        value.span(),
                        format!("`{key}` must be a date, found a time of day"),
                        Some(format!("write a date: `{key} = 2027-01-31`")),
                    );
                    None
                }
            },
            DeValue::String(text) => {
                let help = if looks_like_date(text) {
                    format!("write the date without quotes: `{key} = {text}`")
                } else {
                    format!("write the date without quotes: `{key} = 2027-01-31`")
                };
                self.error_with_help(
                    value.span(),
                    format!("`{key}` must be a date, found a string"),
                    Some(help),
                );
                None
            }
            _ => {
                self.wrong_type(key, "a date (`2027-01-31`)", value);
                None
            }
        }
    }
}

fn looks_like_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            4 | 7 => *byte == b'-',
            _ => byte.is_ascii_digit(),
        })
}

/// A top-level key written after a `[providers.KEY]` header lands in that
/// provider's table: say so.
fn misplaced_hint(name: &str, what: &str) -> Option<String> {
    let top_level = ["references", "notifications", "apply"];
    (what.starts_with("provider `") && top_level.contains(&name)).then(|| {
        format!(
            "`{name}` is a top-level key, but after a `[providers.…]` header it belongs to \
             that provider: write it as `[{}{name}{}]` or move it above the first provider",
            if name == "references" { "[" } else { "" },
            if name == "references" { "]" } else { "" },
        )
    })
}
