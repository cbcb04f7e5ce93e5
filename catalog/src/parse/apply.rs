//! Reading `[apply]`: the defaults `apply-models` applies the catalogue with.

use std::num::NonZeroU64;

use toml::de::DeValue;

use super::reader::{Reader, Value, type_with_article};
use crate::model::{ApplySettings, MAX_BATCH_SIZE};

/// The keys of `[apply]`.
pub(crate) const APPLY_KEYS: &[&str] = &["batch_size"];

/// How to say "no batches" instead of a `batch_size`.
const ONE_TRANSACTION: &str = "omit the key (or pass --batch-size 0) to apply in one transaction";

/// Reads `[apply]`.
pub(crate) fn read_apply(reader: &mut Reader<'_>, value: &Value<'_>) -> ApplySettings {
    let mut settings = ApplySettings::default();
    let DeValue::Table(table) = value.get_ref() else {
        reader.wrong_type("apply", "a table", value);
        return settings;
    };
    let fields = reader.fields(table, value.span(), APPLY_KEYS, "`[apply]`");
    if let Some(value) = fields.get("batch_size") {
        settings.batch_size = batch_size(reader, value);
    }
    settings
}

/// `batch_size = N`: rows per batch, in `1..=MAX_BATCH_SIZE`.
fn batch_size(reader: &mut Reader<'_>, value: &Value<'_>) -> Option<NonZeroU64> {
    let general = || {
        format!(
            "give the rows per batch as a whole number from 1 to {MAX_BATCH_SIZE}, \
             e.g. `batch_size = 10000`, or {ONE_TRANSACTION}"
        )
    };
    let integer = match value.get_ref() {
        DeValue::Integer(integer) => integer,
        DeValue::String(text) => {
            let help = match text.trim().parse::<u64>() {
                Ok(n) if (1..=MAX_BATCH_SIZE).contains(&n) => {
                    format!("write the number without quotes: `batch_size = {n}`")
                }
                _ => general(),
            };
            reader.error_with_help(
                value.span(),
                "`batch_size` must be an integer, found a string",
                Some(help),
            );
            return None;
        }
        other => {
            let found = type_with_article(other);
            reader.error_with_help(
                value.span(),
                format!("`batch_size` must be an integer, found {found}"),
                Some(general()),
            );
            return None;
        }
    };
    let parsed = i128::from_str_radix(integer.as_str(), integer.radix()).ok();
    let accepted = parsed
        .and_then(|n| u64::try_from(n).ok())
        .filter(|n| *n <= MAX_BATCH_SIZE)
        .and_then(NonZeroU64::new);
    if accepted.is_none() {
        let help = match parsed {
            Some(0) => format!(
                "{ONE_TRANSACTION}; to batch, give the rows per batch, e.g. `batch_size = 10000`"
            ),
            Some(n) if n > 0 => {
                format!("write at most `batch_size = {MAX_BATCH_SIZE}`, or {ONE_TRANSACTION}")
            }
            _ => general(),
        };
        reader.error_with_help(
            value.span(),
            format!("`batch_size` must be between 1 and {MAX_BATCH_SIZE}, found {integer}"),
            Some(help),
        );
    }
    accepted
}
