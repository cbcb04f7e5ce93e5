//! `model!`: a `macro_rules!` macro with one arm per live model id, so a known id
//! costs one literal match; anything else goes to the hidden
//! `__model_fallback!` proc macro, which names the replacement of a deleted id
//! or the closest ids to an unknown one.
//!
//! It is two macros. `model!` itself is one arm that passes the calling crate's
//! `$crate` on to the hidden `__llm_lifecycle_model_arms!`, which holds the arms
//! and names the calling crate only through that token. The reason is hygiene:
//! the expansion is lexed inside the expansion of `llm_lifecycle::catalog!`, so a
//! `$crate` written in the text would name llm-lifecycle. The macro gives the
//! `$crate` of the small `model!` part the hygiene of the caller's own tokens
//! ([`crate::PartKind::Caller`]); the arms, one per model, are lexed as they are.

use super::items::PRIVATE;
use super::plan::Plan;
use super::{Options, Out, lit, w};

/// The name under which the calling crate re-exports the fallback proc macro
/// (so that `model!` works in crates that depend only on the calling crate).
pub(crate) const FALLBACK: &str = "__llm_lifecycle_model_fallback";
/// The `macro_rules!` holding the arms.
const ARMS: &str = "__llm_lifecycle_model_arms";
/// The name `model!` calls the arms by: a re-export, since a `macro_export`
/// macro defined by a macro expansion cannot be named by a path in its own
/// crate (`$crate::__llm_lifecycle_model_arms!` would be refused there), and
/// `model!` must work in the calling crate as in the crates depending on it.
const ARMS_EXPORT: &str = "__llm_lifecycle_model";

/// The re-exports of the fallback (from llm-lifecycle's `__private` module: a
/// rooted part, naming [`super::items::CRATE_ROOT`]) and of the arms.
pub(crate) fn reexports(out: &mut Out) {
    w!(
        out,
        "#[doc(hidden)]\npub use {PRIVATE}::model_fallback as {FALLBACK};\n\
         #[doc(hidden)]\npub use {ARMS} as {ARMS_EXPORT};\n"
    );
}

/// `model!`: one arm, whose `$crate` must name the calling crate (a
/// [`crate::PartKind::Caller`] part).
pub(crate) fn model_macro(out: &mut Out, plan: &Plan<'_>, options: &Options<'_>) {
    let example = plan
        .providers
        .first()
        .map_or("provider/model", |provider| plan.id(provider.default));
    w!(
        out,
        "#[doc = {}]\n#[macro_export]\nmacro_rules! model {{\n\
         ($($input:tt)*) => {{ $crate::{ARMS_EXPORT}!{{ $crate $($input)* }} }};\n}}\n",
        lit(&format!(
            "The [`LlmModel`] with this id, checked at compile time: `model!({})`.\n\n\
             - a live model gives its variant;\n\
             - a deprecated one also warns (lint `deprecated`), naming its replacement;\n\
             - a deleted id is a compile error naming its replacement;\n\
             - an unknown id is a compile error naming the closest ids in `{}`.",
            lit(example),
            options.origin
        ))
    );
}

/// `__llm_lifecycle_model_arms!`: `$krate "provider/name"` to the variant, one
/// arm per live model, then the fallback (a plain part: it names the calling
/// crate only as the `$krate` that `model!` passes).
pub(crate) fn model_arms(out: &mut Out, plan: &Plan<'_>, options: &Options<'_>) {
    w!(
        out,
        "#[doc(hidden)]\n#[macro_export]\nmacro_rules! {ARMS} {{\n"
    );
    for row in &plan.rows {
        w!(
            out,
            "($krate:tt {}) => {{ $krate::LlmModel::{} }};\n",
            lit(&row.id),
            row.variant
        );
    }
    w!(
        out,
        "($krate:tt $($input:tt)*) => {{ $krate::{FALLBACK}!{{ $krate {} {} $($input)* }} }};\n}}\n",
        lit(options.absolute_path),
        lit(options.origin)
    );
}
