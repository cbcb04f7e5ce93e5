//! `model!` for anything but the literal id of a live model: a deleted id is an
//! error naming its replacement, an unknown one an error naming the closest ids,
//! a malformed call an error showing the expected form.

use std::path::Path;

use llm_lifecycle_catalog::{Catalog, Lookup, naming, suggest};
use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

/// `$crate "absolute path" "origin" <user tokens>`, as the `model!` fallback arm passes it.
pub(crate) struct FallbackInput {
    krate: Ident,
    absolute_path: LitStr,
    origin: LitStr,
    user: TokenStream,
}

impl Parse for FallbackInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // `$crate` arrives as an identifier that `Ident::parse` rejects.
        let krate = input.call(Ident::parse_any)?;
        let absolute_path = input.parse()?;
        let origin = input.parse()?;
        let user = input.parse()?;
        Ok(Self {
            krate,
            absolute_path,
            origin,
            user,
        })
    }
}

/// The user's tokens: one string literal, optionally followed by a comma.
struct UserInput(LitStr);

impl Parse for UserInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let id = input.parse()?;
        let _comma: Option<Token![,]> = input.parse()?;
        Ok(Self(id))
    }
}

/// Expands the fallback: the variant, or a `compile_error!` at the id.
pub(crate) fn expand(input: FallbackInput) -> TokenStream {
    let user_span = first_span(&input.user);
    let Ok(UserInput(id)) = syn::parse2::<UserInput>(input.user) else {
        return error(
            user_span,
            "model! takes one string literal, the model id `provider/name`: `model!(\"openai/gpt-4.1\")`",
        );
    };
    let origin = input.origin.value();
    let source = match std::fs::read_to_string(Path::new(&input.absolute_path.value())) {
        Ok(source) => source,
        Err(read_error) => {
            return error(
                id.span(),
                &format!("cannot read the model catalogue {origin}: {read_error}"),
            );
        }
    };
    let Ok(catalog) = Catalog::parse(&source, &origin) else {
        return error(
            id.span(),
            &format!("the model catalogue {origin} is invalid: see the errors of `catalog!`"),
        );
    };
    match resolve(&catalog, &id.value(), &origin) {
        Ok(variant) => match syn::parse_str::<Ident>(&variant) {
            Ok(mut variant) => {
                variant.set_span(id.span());
                let krate = input.krate;
                quote_spanned!(id.span()=> #krate::LlmModel::#variant)
            }
            Err(_) => error(
                id.span(),
                &format!("`{variant}` is not a Rust identifier: set `ident`"),
            ),
        },
        Err(message) => error(id.span(), &message),
    }
}

/// The variant name of `id`, or the error message for it.
pub(crate) fn resolve(catalog: &Catalog, id: &str, origin: &str) -> Result<String, String> {
    match catalog.lookup(id) {
        Lookup::Live { provider, model } => Ok(catalog.variant_name(provider, model)),
        Lookup::Deleted { provider, entry } => Err(match provider.chain_end(&entry.name) {
            Some(end) => format!(
                "`{id}` has been deleted from {origin}: use `model!(\"{}\")` instead",
                naming::model_id(&provider.key, &end.name)
            ),
            None => format!(
                "`{id}` has been deleted from {origin} and has no replacement: choose another model"
            ),
        }),
        Lookup::Unknown => {
            let found = suggest::closest_model_ids(catalog, id, 3);
            let hint = suggest::did_you_mean_any(&found)
                .unwrap_or_else(|| format!("use a `provider/name` id declared in {origin}"));
            Err(format!("unknown model `{id}` in {origin}: {hint}"))
        }
    }
}

fn first_span(tokens: &TokenStream) -> Span {
    tokens
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |token| token.span())
}

fn error(span: Span, message: &str) -> TokenStream {
    quote_spanned!(span=> ::core::compile_error!(#message))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"
[providers.openai]
models = [
  { name = "gpt-4.1", token_limit = 1, default = true },
  { name = "gpt-4.1-mini", token_limit = 1 },
  { name = "gpt-4.1-nano", token_limit = 1, deprecated = true, replacement = "gpt-4.1-mini" },
]
deleted = [
  { name = "gpt-4-turbo", replacement = "gpt-4.1-nano" },
  { name = "o1-mini" },
]
"#;

    fn catalog() -> Catalog {
        Catalog::parse(SOURCE, "models.toml").unwrap()
    }

    #[test]
    fn live_ids_give_their_variant() {
        assert_eq!(
            resolve(&catalog(), "openai/gpt-4.1-nano", "models.toml"),
            Ok("OpenaiGpt4_1Nano".into())
        );
    }

    #[test]
    fn deleted_ids_name_the_end_of_their_chain() {
        assert_eq!(
            resolve(&catalog(), "openai/gpt-4-turbo", "models.toml"),
            Err("`openai/gpt-4-turbo` has been deleted from models.toml: use `model!(\"openai/gpt-4.1-mini\")` instead".into())
        );
        assert_eq!(
            resolve(&catalog(), "openai/o1-mini", "models.toml"),
            Err("`openai/o1-mini` has been deleted from models.toml and has no replacement: choose another model".into())
        );
    }

    #[test]
    fn unknown_ids_suggest_the_closest() {
        let error = resolve(&catalog(), "openai/gpt-4.1-mimi", "models.toml").unwrap_err();
        assert!(error.starts_with("unknown model `openai/gpt-4.1-mimi` in models.toml: did you mean `openai/gpt-4.1-mini`"), "{error}");
        let error = resolve(&catalog(), "mistral", "models.toml").unwrap_err();
        assert_eq!(
            error,
            "unknown model `mistral` in models.toml: use a `provider/name` id declared in models.toml"
        );
    }

    #[test]
    fn a_pruned_id_suggests_live_models_before_deprecated_ones() {
        // `gpt-4.1-nano` (deprecated) is the closest id, but not a good choice.
        let error = resolve(&catalog(), "openai/gpt-4.1-nan", "models.toml").unwrap_err();
        assert_eq!(
            error,
            "unknown model `openai/gpt-4.1-nan` in models.toml: did you mean \
             `openai/gpt-4.1-mini`, `openai/gpt-4.1` or `openai/gpt-4.1-nano`?"
        );
    }

    #[test]
    fn malformed_calls_are_errors_not_panics() {
        let input: FallbackInput =
            syn::parse_str(r#"crate "/nonexistent/models.toml" "models.toml" 42"#).unwrap();
        assert!(
            expand(input)
                .to_string()
                .contains("model! takes one string literal")
        );
        let input: FallbackInput =
            syn::parse_str(r#"crate "/nonexistent/models.toml" "models.toml" "openai/gpt-4.1""#)
                .unwrap();
        assert!(
            expand(input)
                .to_string()
                .contains("cannot read the model catalogue models.toml")
        );
    }
}
