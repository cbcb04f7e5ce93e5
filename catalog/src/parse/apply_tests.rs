//! `[apply]`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::num::NonZeroU64;

use crate::model::{ApplySettings, MAX_BATCH_SIZE};
use crate::test_util::{OPENAI, assert_single, errors, valid};

/// The catalogue with an `[apply]` table whose body starts at line 7.
fn apply(body: &str) -> String {
    format!("{OPENAI}[apply]\n{body}")
}

const ONE_TRANSACTION: &str = "omit the key (or pass --batch-size 0) to apply in one transaction";

fn general_help() -> String {
    format!(
        "give the rows per batch as a whole number from 1 to 100000000, \
         e.g. `batch_size = 10000`, or {ONE_TRANSACTION}"
    )
}

#[test]
fn without_apply_there_is_no_batch_size() {
    assert_eq!(valid(OPENAI).apply, ApplySettings::default());
    assert_eq!(valid(OPENAI).apply.batch_size, None);
    // An empty table is the default too.
    assert_eq!(valid(&apply("")).apply, ApplySettings::default());
}

#[test]
fn batch_size_is_a_number_of_rows() {
    for (value, expected) in [
        ("1", 1),
        ("10_000", 10_000),
        ("0x10", 16),
        ("100000000", MAX_BATCH_SIZE),
    ] {
        let catalog = valid(&apply(&format!("batch_size = {value}\n")));
        assert_eq!(
            catalog.apply.batch_size,
            NonZeroU64::new(expected),
            "{value}"
        );
    }
    // Above the providers, as an inline table, or dotted: the same setting.
    let catalog = valid(&format!("apply = {{ batch_size = 500 }}\n{OPENAI}"));
    assert_eq!(catalog.apply.batch_size, NonZeroU64::new(500));
    let catalog = valid(&format!("apply.batch_size = 500\n{OPENAI}"));
    assert_eq!(catalog.apply.batch_size, NonZeroU64::new(500));
}

#[test]
fn a_batch_size_of_zero_says_how_to_apply_in_one_transaction() {
    let diagnostic = assert_single(
        &apply("batch_size = 0\n"),
        7,
        14,
        "`batch_size` must be between 1 and 100000000, found 0",
        Some(&format!(
            "{ONE_TRANSACTION}; to batch, give the rows per batch, e.g. `batch_size = 10000`"
        )),
    );
    assert!(
        diagnostic
            .to_string()
            .starts_with("models.toml:7:14: `batch_size` must be between 1 and 100000000"),
        "{diagnostic}"
    );
}

#[test]
fn a_batch_size_out_of_range_is_located() {
    assert_single(
        &apply("batch_size = -5\n"),
        7,
        14,
        "`batch_size` must be between 1 and 100000000, found -5",
        Some(&general_help()),
    );
    assert_single(
        &apply("batch_size = 100_000_001\n"),
        7,
        14,
        "`batch_size` must be between 1 and 100000000, found 100000001",
        Some(&format!(
            "write at most `batch_size = 100000000`, or {ONE_TRANSACTION}"
        )),
    );
    assert_single(
        &apply("batch_size = 9223372036854775807\n"),
        7,
        14,
        "`batch_size` must be between 1 and 100000000, found 9223372036854775807",
        Some(&format!(
            "write at most `batch_size = 100000000`, or {ONE_TRANSACTION}"
        )),
    );
}

#[test]
fn a_batch_size_that_is_not_an_integer_is_located() {
    for (value, found) in [
        ("2.5", "a float"),
        ("1e4", "a float"),
        ("true", "a boolean"),
        ("[100]", "an array"),
        ("\"many\"", "a string"),
        ("\"0\"", "a string"),
    ] {
        assert_single(
            &apply(&format!("batch_size = {value}\n")),
            7,
            14,
            &format!("`batch_size` must be an integer, found {found}"),
            Some(&general_help()),
        );
    }
    // A quoted number: the same number without the quotes.
    assert_single(
        &apply("batch_size = \"10000\"\n"),
        7,
        14,
        "`batch_size` must be an integer, found a string",
        Some("write the number without quotes: `batch_size = 10000`"),
    );
}

#[test]
fn apply_rejects_unknown_keys_and_must_be_a_table() {
    assert_single(
        &apply("batch-size = 10\n"),
        7,
        1,
        "unknown key `batch-size` in `[apply]`",
        Some("did you mean `batch_size`?"),
    );
    assert_single(
        &apply("transactions = 1\n"),
        7,
        1,
        "unknown key `transactions` in `[apply]`",
        Some("the keys of `[apply]` are `batch_size`"),
    );
    assert_single(
        &format!("apply = 1000\n{OPENAI}"),
        1,
        9,
        "`apply` must be a table, found an integer",
        None,
    );
    // Written after a provider's header, it belongs to the provider.
    assert_single(
        &format!("{OPENAI}apply = {{ batch_size = 10 }}\n"),
        6,
        1,
        "unknown key `apply` in provider `openai`",
        Some(
            "`apply` is a top-level key, but after a `[providers.…]` header it belongs to that provider: write it as `[apply]` or move it above the first provider",
        ),
    );
    // A misspelt table name is a top-level key with a did-you-mean.
    assert_single(
        &format!("[aply]\nbatch_size = 10\n{OPENAI}"),
        1,
        2,
        "unknown top-level key `aply`",
        Some("did you mean `apply`?"),
    );
}

#[test]
fn every_apply_error_is_reported() {
    let found = errors(&apply("batch_size = 0\nbatch = 1\n"));
    let messages: Vec<&str> = found.iter().map(|(_, _, m)| m.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`batch_size` must be between 1 and 100000000, found 0",
            "unknown key `batch` in `[apply]`",
        ],
        "{found:?}"
    );
}
