//! Proc macros generating the typed `LlmModel` enum from `models.toml`.
//!
//! Not for direct use: depend on `llm-lifecycle` and call
//! `llm_lifecycle::catalog!("models.toml")`, which invokes [`catalog!`] with its
//! own path (`crate = $crate, "models.toml"`) so that the generated code names
//! `$crate::__private::…` (the catalog crate, serde and diesel support, the
//! `model!` fallback) and no crate the caller did not add. Without that
//! argument, [`catalog!`] expands to a `compile_error!` saying so.
//!
//! The code generator itself is the plain library `llm-lifecycle-codegen`; this
//! crate parses the macro input, loads the file, roots the generated paths at
//! the given crate path and turns errors into `compile_error!`.
#![forbid(unsafe_code)]

mod fallback;
mod load;
mod root;

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote_spanned;
use syn::LitStr;

/// Generates the typed API of a model catalogue; called as
/// `llm_lifecycle::catalog!("models.toml")`, which passes
/// `crate = $crate, "models.toml"`.
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
/// - `serde` and `diesel` (`Text`) support when llm-lifecycle's features of
///   those names are on (the generated code calls llm-lifecycle's helpers, so
///   the calling crate declares no feature);
/// - `static CATALOG: llm_lifecycle::catalog::Catalog`, the whole catalogue;
/// - `model!("provider/name")`, the variant checked at compile time.
///
/// An invalid catalogue is one compile error per problem, each rendered
/// `models.toml:LINE:COL: message` with the offending line and a fix hint.
#[proc_macro]
pub fn catalog(input: TokenStream) -> TokenStream {
    let (krate, input) = match root::split_crate(input.into()) {
        Ok(split) => split,
        Err(root::NotRooted(path)) => return direct_use_error(path.as_deref()).into(),
    };
    let path = match syn::parse2::<LitStr>(input) {
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
    let parts = match llm_lifecycle_codegen::expand_parts(&loaded.catalog, &options) {
        Ok(parts) => parts,
        Err(error) => return compile_errors(path.span(), &[format!("{origin}: {error}")]).into(),
    };
    match root::lex(&parts, &krate, path.span()) {
        Ok(tokens) => tokens.into(),
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

/// The one error of `llm_lifecycle_macros::catalog!("…")` called directly.
fn direct_use_error(path: Option<&str>) -> TokenStream2 {
    compile_errors(Span::call_site(), &[direct_use_message(path)])
}

/// See [`direct_use_error`].
fn direct_use_message(path: Option<&str>) -> String {
    let version = concat!(
        env!("CARGO_PKG_VERSION_MAJOR"),
        ".",
        env!("CARGO_PKG_VERSION_MINOR")
    );
    let path = format!("{:?}", path.unwrap_or("models.toml"));
    format!(
        "`llm_lifecycle_macros::catalog!` is not called directly: depend on llm-lifecycle \
         alone (`llm-lifecycle = {{ version = \"{version}\", default-features = false }}` under \
         `[dependencies]` in Cargo.toml) and call `llm_lifecycle::catalog!({path})` at the root \
         of your crate"
    )
}

/// One `compile_error!` per message, all at `span`.
fn compile_errors(span: Span, messages: &[String]) -> TokenStream2 {
    messages
        .iter()
        .map(|message| quote_spanned!(span=> ::core::compile_error!(#message);))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_direct_use_error_gives_the_dependency_line_and_the_call() {
        assert_eq!(
            direct_use_message(Some("models/llm.toml")),
            "`llm_lifecycle_macros::catalog!` is not called directly: depend on llm-lifecycle \
             alone (`llm-lifecycle = { version = \"0.1\", default-features = false }` under \
             `[dependencies]` in Cargo.toml) and call `llm_lifecycle::catalog!(\"models/llm.toml\")` \
             at the root of your crate"
        );
        assert!(direct_use_message(None).contains("`llm_lifecycle::catalog!(\"models.toml\")`"));
    }
}
