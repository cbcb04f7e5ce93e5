//! The `crate = PATH,` argument of `catalog!` and the rooting of the generated
//! paths at it.
//!
//! The generated source names llm-lifecycle's items from the placeholder
//! [`CRATE_ROOT`] (`__llm_lifecycle_crate::__private::…`). Text cannot hold
//! `$crate`, so the placeholder is replaced after lexing, token by token, by the
//! path `llm_lifecycle::catalog!` passes (`$crate`, which resolves to
//! llm-lifecycle wherever the expansion sits, under whatever name the user's
//! Cargo.toml gives it). Only the parts marked `rooted` are walked, and not
//! inside `[…]` (the per-model tables): the walk costs the same at 40,000
//! models as at 10.
//!
//! Lexed text has the hygiene of the macro call, which sits in the expansion
//! of `llm_lifecycle::catalog!`: a `$crate` in a `macro_rules!` defined by such
//! text names llm-lifecycle. So the one small part whose `$crate` must name the
//! calling crate (`model!`) gets the hygiene of the caller's own tokens (the
//! catalogue path they wrote), as if they had written it.

use llm_lifecycle_codegen::{CRATE_ROOT, Part, PartKind};
use proc_macro2::{Delimiter, Group, LexError, Span, TokenStream, TokenTree};

/// The input did not start with `crate = PATH,`: a direct call. Holds the
/// catalogue path when the input is a single string literal, for the message.
#[derive(Debug)]
pub(crate) struct NotRooted(pub(crate) Option<String>);

/// Splits `crate = PATH, REST` into `PATH` and `REST`.
pub(crate) fn split_crate(input: TokenStream) -> Result<(TokenStream, TokenStream), NotRooted> {
    let mut tokens = input.clone().into_iter();
    let keyword = matches!(tokens.next(), Some(TokenTree::Ident(ident)) if ident == "crate");
    let equals = matches!(tokens.next(), Some(TokenTree::Punct(punct)) if punct.as_char() == '=');
    if !(keyword && equals) {
        let path = syn::parse2::<syn::LitStr>(input)
            .ok()
            .map(|path| path.value());
        return Err(NotRooted(path));
    }
    let mut krate = Vec::new();
    for token in tokens.by_ref() {
        match token {
            TokenTree::Punct(punct) if punct.as_char() == ',' => {
                return Ok((krate.into_iter().collect(), tokens.collect()));
            }
            other => krate.push(other),
        }
    }
    // `crate = PATH` without a path after it: as good as a direct call.
    Err(NotRooted(None))
}

/// Lexes the parts, roots the rooted ones at `krate` and resolves the caller
/// parts at `caller` (a span of the caller's own tokens).
pub(crate) fn lex(
    parts: &[Part],
    krate: &TokenStream,
    caller: Span,
) -> Result<TokenStream, LexError> {
    let mut out = TokenStream::new();
    for part in parts {
        let tokens: TokenStream = part.source.parse()?;
        match part.kind {
            PartKind::Rooted => out.extend(root(tokens, krate)),
            PartKind::Caller => out.extend(resolved_at(tokens, caller)),
            PartKind::Plain => out.extend(tokens),
        }
    }
    Ok(out)
}

/// `tokens` with the hygiene of `caller` (their locations kept).
pub(crate) fn resolved_at(tokens: TokenStream, caller: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let TokenTree::Group(group) = &tree {
                let mut resolved =
                    Group::new(group.delimiter(), resolved_at(group.stream(), caller));
                resolved.set_span(group.span().resolved_at(caller));
                tree = TokenTree::Group(resolved);
            } else {
                tree.set_span(tree.span().resolved_at(caller));
            }
            tree
        })
        .collect()
}

/// Replaces every [`CRATE_ROOT`] identifier by `krate`, outside `[…]`.
pub(crate) fn root(tokens: TokenStream, krate: &TokenStream) -> TokenStream {
    let mut out: Vec<TokenTree> = Vec::new();
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) if ident == CRATE_ROOT => out.extend(krate.clone()),
            TokenTree::Group(group) if group.delimiter() != Delimiter::Bracket => {
                let mut rooted = Group::new(group.delimiter(), root(group.stream(), krate));
                rooted.set_span(group.span());
                out.push(TokenTree::Group(rooted));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::path::Path;

    use llm_lifecycle_catalog::Catalog;
    use llm_lifecycle_codegen::{Options, expand_parts};

    use super::*;

    /// Whether `tokens` name the placeholder anywhere, brackets included.
    fn names_the_placeholder(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|tree| match tree {
            TokenTree::Ident(ident) => ident == CRATE_ROOT,
            TokenTree::Group(group) => names_the_placeholder(group.stream()),
            _ => false,
        })
    }

    fn parts(file: &str) -> Vec<Part> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(file);
        let source = std::fs::read_to_string(&path).unwrap();
        let catalog = Catalog::parse(&source, file).unwrap();
        let options = Options {
            origin: file,
            absolute_path: "/abs/models.toml",
        };
        expand_parts(&catalog, &options).unwrap()
    }

    #[test]
    fn every_placeholder_is_rooted_and_plain_parts_name_none() {
        for file in [
            "models.toml",
            "tests/fixtures/valid.toml",
            "tests/fixtures/production_2026_08.toml",
        ] {
            let parts = parts(file);
            assert!(
                parts.iter().any(|part| part.kind == PartKind::Rooted),
                "{file}"
            );
            for part in &parts {
                let tokens: TokenStream = part.source.parse().unwrap();
                if part.kind == PartKind::Rooted {
                    assert!(names_the_placeholder(tokens.clone()), "{file}");
                    let rooted = root(tokens, &"crate".parse().unwrap());
                    assert!(
                        !names_the_placeholder(rooted.clone()),
                        "{file}: a placeholder inside `[…]` is not rooted"
                    );
                    let text = rooted.to_string();
                    assert!(
                        text.contains("crate :: __private :: catalog :: Catalog"),
                        "{file}"
                    );
                } else {
                    assert!(
                        !names_the_placeholder(tokens),
                        "{file}: a plain part names it"
                    );
                }
            }
        }
    }

    #[test]
    fn the_crate_argument_is_split_off() {
        let (krate, rest) =
            split_crate(r#"crate = ::llm_lifecycle, "models.toml""#.parse().unwrap()).unwrap();
        assert_eq!(krate.to_string(), ":: llm_lifecycle");
        assert_eq!(rest.to_string(), r#""models.toml""#);
        let (krate, rest) = split_crate("crate = crate, models".parse().unwrap()).unwrap();
        assert_eq!(
            (krate.to_string(), rest.to_string()),
            ("crate".into(), "models".into())
        );
    }

    #[test]
    fn a_direct_call_is_not_rooted() {
        let direct = split_crate(r#""models/llm.toml""#.parse().unwrap()).unwrap_err();
        assert_eq!(direct.0.as_deref(), Some("models/llm.toml"));
        assert!(
            split_crate("models".parse().unwrap())
                .unwrap_err()
                .0
                .is_none()
        );
        assert!(split_crate("crate = crate".parse().unwrap()).is_err());
        assert!(split_crate("".parse().unwrap()).is_err());
    }
}
