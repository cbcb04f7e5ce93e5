//! Code generation: a validated [`Catalog`] in, the Rust source of the typed API out.
//!
//! The output is built as text and handed to the compiler's own lexer
//! (`TokenStream::from_str`), which keeps the macro fast on large catalogues: the
//! same text, written to a file, is what the compile-time benchmark compares
//! against. This module depends on nothing but `std` and the catalog crate.

mod docs;
mod items;
mod model_macro;
mod plan;
mod tables;

use std::fmt;

use llm_lifecycle_catalog::Catalog;

pub(crate) use plan::Plan;

/// How to generate: where the catalogue came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options<'a> {
    /// The catalogue path as the user wrote it, shown in docs and messages.
    pub(crate) origin: &'a str,
    /// The absolute path of the catalogue file: `include_bytes!`-ed so rustc
    /// rebuilds when it changes, and read again by the `model!` error path.
    pub(crate) absolute_path: &'a str,
}

/// Why a (validated) catalogue cannot be turned into code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CodegenError(pub(crate) String);

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Rust source that `catalog!` expands to.
pub(crate) fn expand_source(
    catalog: &Catalog,
    options: &Options<'_>,
) -> Result<String, CodegenError> {
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
