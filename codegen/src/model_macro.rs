//! `model!`: a `macro_rules!` macro with one arm per live model id, so a known id
//! costs one literal match; anything else goes to the hidden
//! `__model_fallback!` proc macro, which names the replacement of a deleted id
//! or the closest ids to an unknown one.

use super::plan::Plan;
use super::{Options, Out, lit, w};

/// The name under which the calling crate re-exports the fallback proc macro
/// (so that `model!` works in crates that depend only on the calling crate).
pub(crate) const FALLBACK: &str = "__llm_lifecycle_model_fallback";

/// The `model!` macro and the re-export of its fallback.
pub(crate) fn model_macro(out: &mut Out, plan: &Plan<'_>, options: &Options<'_>) {
    let example = plan
        .providers
        .first()
        .map_or("provider/model", |provider| plan.id(provider.default));
    w!(
        out,
        "#[doc(hidden)]\npub use ::llm_lifecycle_macros::__model_fallback as {FALLBACK};\n\
         #[doc = {}]\n#[macro_export]\nmacro_rules! model {{\n",
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
    for row in &plan.rows {
        w!(
            out,
            "({}) => {{ $crate::LlmModel::{} }};\n",
            lit(&row.id),
            row.variant
        );
    }
    w!(
        out,
        "($($input:tt)*) => {{ $crate::{FALLBACK}!{{ $crate {} {} $($input)* }} }};\n}}\n",
        lit(options.absolute_path),
        lit(options.origin)
    );
}
