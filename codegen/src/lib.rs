//! The code generator behind `llm_lifecycle::catalog!`: a validated
//! [`Catalog`] in, the Rust source of the typed API out ([`expand_parts`],
//! [`expand_source`]).
//!
//! A plain library, so that the proc macro stays a thin shell (read the file,
//! call this, turn errors into `compile_error!`) and the compile-time benchmark
//! writes out the very code the macro expands to.
//!
//! The output is built as text and handed to the compiler's own lexer
//! (`TokenStream::from_str` in the macro), which keeps the macro fast on large
//! catalogues. The generated code is robust to its surroundings and to later
//! versions of the catalog crate:
//!
//! - every path is absolute (`::core::primitive::u32`, `::core::option::Option`),
//!   and llm-lifecycle's own items are named from [`CRATE_ROOT`], which the
//!   macro replaces by `$crate` of `llm_lifecycle::catalog!`
//!   (`$crate::__private::catalog::…`): a user's `type u32 = …;` or
//!   `struct Option;` next to `catalog!` changes nothing, and the code names no
//!   crate but the one the user depends on;
//! - no `#[cfg(feature = …)]`: serde and diesel support are calls of
//!   llm-lifecycle's `__private::serde_impls!`/`diesel_impls!`, which expand to
//!   the impls when llm-lifecycle's feature of that name is on and to nothing
//!   otherwise;
//! - catalogue values are built with the `const fn` constructors of
//!   `llm_lifecycle_catalog::generated_support`, never struct literals, so a
//!   field added to a catalogue type does not break code generated earlier;
//! - the data lives in `static` tables indexed by discriminant (no `match` with
//!   one arm per model), and the live models are built by one `const fn` loop
//!   over one table per field;
//! - no `const` or `static` holds the variants: rustc checks the value of every
//!   `const` and `static` in time quadratic in the number of enum variants it
//!   holds, so `LlmModel::all()` is a slice built on first use from functions
//!   returning chunks of variants, and compile time grows linearly with the
//!   number of models (see the README's Performance section).
//!
//! This crate depends on nothing but `std` and the catalog crate.
#![forbid(unsafe_code)]

mod docs;
mod items;
mod model_macro;
mod plan;
mod tables;

use std::fmt;

use llm_lifecycle_catalog::Catalog;

#[cfg(test)]
mod tests;

pub use items::CRATE_ROOT;
pub(crate) use plan::Plan;

/// How to generate: where the catalogue came from.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The catalogue path as the user wrote it, shown in docs and messages.
    pub origin: &'a str,
    /// The absolute path of the catalogue file: `include_bytes!`-ed so rustc
    /// rebuilds when it changes, and read again by the `model!` error path.
    pub absolute_path: &'a str,
}

/// Why a (validated) catalogue cannot be turned into code: the message, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodegenError(pub String);

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CodegenError {}

/// One piece of the expansion: whole items, lexed on its own by the macro.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The Rust source of the items.
    pub source: String,
    /// What the macro does to its tokens after lexing.
    pub kind: PartKind,
}

/// What the macro does to the tokens of a [`Part`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// Nothing: the part names neither llm-lifecycle nor `$crate`. The
    /// per-model bodies of the enums and of `model!` are such parts, so that
    /// the macro never walks them.
    Plain,
    /// Replace [`CRATE_ROOT`] (which appears only outside `[…]`) by the path
    /// of llm-lifecycle given as `crate = …`.
    Rooted,
    /// Give the `$crate` tokens the hygiene of the caller's own tokens, so
    /// that they name the calling crate: the text is lexed inside the
    /// expansion of `llm_lifecycle::catalog!`, where a `$crate` in a
    /// `macro_rules!` it defines would name llm-lifecycle. A few tokens only.
    Caller,
}

/// The parts that `catalog!` expands to, in order, for a validated catalogue.
///
/// # Errors
/// When the catalogue breaks a rule code generation relies on (validation
/// checks them all, so only for catalogues built by hand): a provider without a
/// default model, variant names that collide or are not identifiers, more
/// models than the `u16` tables hold.
pub fn expand_parts(catalog: &Catalog, options: &Options<'_>) -> Result<Vec<Part>, CodegenError> {
    let plan = Plan::new(catalog)?;
    let models = plan.rows.len();
    let mut enums = Out::with_capacity(2048 + models * 200);
    w!(
        enums,
        "const _: &[u8] = include_bytes!({});\n",
        lit(options.absolute_path)
    );
    items::provider_enum(&mut enums, &plan, options);
    items::model_enum(&mut enums, &plan, options);
    let mut rooted = Out::with_capacity(4096 + models * 400);
    items::provider_impls(&mut rooted, &plan);
    items::model_impls(&mut rooted, &plan);
    items::trait_impls(&mut rooted);
    items::serde_impls(&mut rooted, options);
    items::diesel_impls(&mut rooted);
    tables::catalog_static(&mut rooted, catalog, options);
    tables::data_module(&mut rooted, catalog, &plan);
    model_macro::reexports(&mut rooted);
    let mut model = Out::with_capacity(1024);
    model_macro::model_macro(&mut model, &plan, options);
    let mut arms = Out::with_capacity(1024 + models * 100);
    model_macro::model_arms(&mut arms, &plan, options);
    let part = |out: Out, kind| Part {
        source: out.0,
        kind,
    };
    Ok(vec![
        part(enums, PartKind::Plain),
        part(rooted, PartKind::Rooted),
        part(model, PartKind::Caller),
        part(arms, PartKind::Plain),
    ])
}

/// The Rust source that `catalog!` expands to, for a validated catalogue: the
/// [`expand_parts`] one after the other, paths into llm-lifecycle still rooted
/// at [`CRATE_ROOT`]. To compile it as it is, bind that name at the root of
/// the crate: `extern crate llm_lifecycle as __llm_lifecycle_crate;`.
///
/// # Errors
/// As [`expand_parts`].
pub fn expand_source(catalog: &Catalog, options: &Options<'_>) -> Result<String, CodegenError> {
    let parts = expand_parts(catalog, options)?;
    let mut source = String::with_capacity(parts.iter().map(|part| part.source.len()).sum());
    for part in &parts {
        source.push_str(&part.source);
    }
    Ok(source)
}

/// A string being written; `w!` appends formatted text to it.
pub(crate) struct Out(pub(crate) String);

impl Out {
    fn with_capacity(capacity: usize) -> Self {
        Self(String::with_capacity(capacity))
    }

    /// Appends formatted text (writing to a `String` cannot fail).
    pub(crate) fn put(&mut self, args: fmt::Arguments<'_>) {
        let _infallible = fmt::Write::write_fmt(&mut self.0, args);
    }

    /// Appends text as is.
    pub(crate) fn push(&mut self, text: &str) {
        self.0.push_str(text);
    }
}

/// Appends `format!`-style text to an [`Out`].
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {
        $out.put(format_args!($($arg)*))
    };
}
pub(crate) use w;

/// A Rust string literal for `text` (`str`'s `Debug` escapes exactly what a
/// literal needs).
pub(crate) fn lit(text: &str) -> String {
    format!("{text:?}")
}

/// What the expansion may not name: the calling crate compiles it, with its
/// own dependencies and features.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod host_tests {
    use llm_lifecycle_catalog::Catalog;

    use super::{CRATE_ROOT, Options, PartKind, expand_parts, expand_source};

    const SOURCE: &str = r#"
[providers.openai]
models = [
  { name = "gpt-4.1", token_limit = 1, default = true },
  { name = "gpt-4.1-nano", token_limit = 1, deprecated = true, replacement = "gpt-4.1" },
]
deleted = [{ name = "gpt-4-turbo", replacement = "gpt-4.1" }]

[[references]]
table = "assistants"
column = "llm_provider_model_id"
"#;

    const OPTIONS: Options<'static> = Options {
        origin: "models.toml",
        absolute_path: "/abs/models.toml",
    };

    #[test]
    fn the_expansion_names_no_crate_and_no_feature_of_the_caller() {
        let catalog = Catalog::parse(SOURCE, "models.toml").unwrap();
        let source = expand_source(&catalog, &OPTIONS).unwrap();
        for forbidden in [
            "cfg(feature",
            "cfg_attr(feature",
            "::llm_lifecycle_catalog",
            "::llm_lifecycle_macros",
            "::serde::",
            "::diesel::",
        ] {
            assert!(!source.contains(forbidden), "{forbidden}:\n{source}");
        }
        assert!(source.contains(&format!("{CRATE_ROOT}::__private::serde_impls!")));
        assert!(source.contains(&format!("{CRATE_ROOT}::__private::diesel_impls!")));
    }

    #[test]
    fn only_rooted_parts_name_the_root_and_the_source_is_the_parts_in_order() {
        let catalog = Catalog::parse(SOURCE, "models.toml").unwrap();
        let parts = expand_parts(&catalog, &OPTIONS).unwrap();
        for part in &parts {
            assert_eq!(
                part.source.contains(CRATE_ROOT),
                part.kind == PartKind::Rooted,
                "{:?}:\n{}",
                part.kind,
                part.source
            );
        }
        let joined: String = parts.iter().map(|part| part.source.as_str()).collect();
        assert_eq!(joined, expand_source(&catalog, &OPTIONS).unwrap());
    }
}
