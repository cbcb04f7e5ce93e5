//! The code generator behind `llm_lifecycle_macros::catalog!`: a validated
//! [`Catalog`] in, the Rust source of the typed API out ([`expand_source`]).
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
//! - every path is absolute (`::core::primitive::u32`, `::core::option::Option`,
//!   `::llm_lifecycle_catalog::…`), so a user's `type u32 = …;` or
//!   `struct Option;` next to `catalog!` changes nothing;
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

/// The Rust source that `catalog!` expands to, for a validated catalogue.
///
/// # Errors
/// When the catalogue breaks a rule code generation relies on (validation
/// checks them all, so only for catalogues built by hand): a provider without a
/// default model, variant names that collide or are not identifiers, more
/// models than the `u16` tables hold.
pub fn expand_source(catalog: &Catalog, options: &Options<'_>) -> Result<String, CodegenError> {
    let plan = Plan::new(catalog)?;
    let mut out = Out::with_capacity(4096 + plan.rows.len() * 700);
    w!(
        out,
        "const _: &[u8] = include_bytes!({});\n",
        lit(options.absolute_path)
    );
    items::provider_enum(&mut out, &plan, options);
    items::model_enum(&mut out, &plan, options);
    items::provider_impls(&mut out, &plan);
    items::model_impls(&mut out, &plan);
    items::trait_impls(&mut out);
    items::serde_impls(&mut out);
    items::diesel_impls(&mut out);
    tables::catalog_static(&mut out, catalog, options);
    tables::data_module(&mut out, catalog, &plan);
    model_macro::model_macro(&mut out, &plan, options);
    Ok(out.0)
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
