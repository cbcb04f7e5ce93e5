//! Proc macros generating the typed `LlmModel` enum from `models.toml`.
//!
//! [`catalog!`] reads and validates a catalogue with `llm-lifecycle-catalog` and
//! expands to the `Provider` and `LlmModel` enums, their metadata methods, the
//! `CATALOG` static and the `model!` macro. Most users want the `llm-lifecycle`
//! crate, which invokes it on its `models.toml`; call it yourself to compile your
//! own catalogue (your crate then needs `llm-lifecycle-catalog` and
//! `llm-lifecycle-macros` as dependencies, and gets the same API).
//!
//! The code generator itself is the plain library `llm-lifecycle-codegen`; this
//! crate parses the macro input, loads the file and turns errors into
//! `compile_error!`.
#![forbid(unsafe_code)]

mod fallback;
mod load;

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote_spanned;
use syn::LitStr;

/// Generates the typed API of a model catalogue: `catalog!("models.toml")`.
///
/// The path is relative to the calling crate's `CARGO_MANIFEST_DIR`. Invoke it
/// once, at the root of a crate: it defines
///
/// - `enum Provider` and `enum LlmModel` (`Copy, Eq, Ord, Hash, Debug`), with
///   `LlmModel::all()` and `Provider::ALL` and metadata methods (`id()`, `name()`, `provider()`,
///   `token_limit()`, `is_deprecated()`, `replacement()`, `resolve()`,
///   `sunset()`, `is_default()`, `is_translation_default()`; `key()`, `label()`,
///   `models()`, `default_model()`, `translation_default()`);
/// - `Display` (the id `provider/name`), `FromStr` (an unknown id suggests the
///   closest one, a deleted one names its replacement) and `LlmModel::parse_lenient`;
/// - deprecated variants marked `#[deprecated]` with a note naming the replacement
///   and sunset date;
/// - `serde` and `diesel` (`Text`) support when the calling crate enables features
///   of those names;
/// - `static CATALOG: llm_lifecycle_catalog::Catalog`, the whole catalogue;
/// - `model!("provider/name")`, the variant checked at compile time.
///
/// `serde` and `diesel` support is gated on the calling crate's features of
/// those names: declare them (`[features] serde = ["dep:serde"]`, or empty) to
/// avoid `unexpected_cfgs` warnings.
///
/// An invalid catalogue is one compile error per problem, each rendered
/// `models.toml:LINE:COL: message` with the offending line and a fix hint.
#[proc_macro]
pub fn catalog(input: TokenStream) -> TokenStream {
    let path = match syn::parse::<LitStr>(input) {
        Ok(path) => path,
        Err(error) => {
            return compile_errors(
                error.span(),
                &[format!(
                    "catalog! takes the path of the catalogue as a string literal: \
                     `catalog!(\"models.toml\")` ({error})"
                )],
            )
            .into();
        }
    };
    let calling_file = proc_macro::Span::call_site().local_file();
    let loaded = match load::load(&path.value(), calling_file) {
        Ok(loaded) => loaded,
        Err(failure) => return compile_errors(path.span(), &failure.0).into(),
    };
    let absolute_path = loaded.absolute_path.display().to_string();
    let origin = path.value();
    let options = llm_lifecycle_codegen::Options {
        origin: &origin,
        absolute_path: &absolute_path,
    };
    let source = match llm_lifecycle_codegen::expand_source(&loaded.catalog, &options) {
        Ok(source) => source,
        Err(error) => return compile_errors(path.span(), &[format!("{origin}: {error}")]).into(),
    };
    match source.parse::<TokenStream>() {
        Ok(tokens) => tokens,
        Err(error) => compile_errors(
            path.span(),
            &[format!("internal error in catalog!: the generated code does not lex ({error}); please report it")],
        )
        .into(),
    }
}

/// The error path of `model!`; not for direct use.
#[doc(hidden)]
#[proc_macro]
pub fn __model_fallback(input: TokenStream) -> TokenStream {
    match syn::parse::<fallback::FallbackInput>(input) {
        Ok(input) => fallback::expand(input).into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// One `compile_error!` per message, all at `span`.
fn compile_errors(span: Span, messages: &[String]) -> TokenStream2 {
    messages
        .iter()
        .map(|message| quote_spanned!(span=> ::core::compile_error!(#message);))
        .collect()
}
