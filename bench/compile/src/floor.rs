//! The floor: the smallest table-driven enum a hand-written catalogue would be.
//!
//! No docs, no `#[deprecated]`, no `model!`, no `CATALOG`: an enum of one
//! variant per live model (derived `Debug` and comparisons), its `ALL` array, a
//! table of `(id, variant)` sorted by id for lookups, and one static table per
//! field. Whatever rustc spends on this, a generated API of the same size
//! cannot avoid; the benchmark reports `catalog!` against it.

use std::fmt::Write as _;

use llm_lifecycle_catalog::{Catalog, naming};

/// The `lib.rs` of the floor crate for `catalog`.
pub(crate) fn source(catalog: &Catalog) -> String {
    let rows: Vec<(String, String, u32, bool)> = catalog
        .models()
        .map(|(provider, model)| {
            (
                catalog.variant_name(provider, model),
                naming::model_id(&provider.key, &model.name),
                model.token_limit,
                model.deprecated,
            )
        })
        .collect();
    let count = rows.len();
    let mut out = String::with_capacity(200 + count * 200);
    out.push_str(
        "#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]\n\
         #[repr(u16)]\npub enum LlmModel {\n",
    );
    for (variant, ..) in &rows {
        let _ = writeln!(out, "{variant},");
    }
    out.push_str("}\nimpl LlmModel {\npub const ALL: &'static [LlmModel] = &[");
    for (variant, ..) in &rows {
        let _ = write!(out, "LlmModel::{variant},");
    }
    out.push_str(
        "];\n\
         pub fn id(self) -> &'static str { IDS[self as usize] }\n\
         pub fn token_limit(self) -> u32 { TOKEN_LIMITS[self as usize] }\n\
         pub fn is_deprecated(self) -> bool { DEPRECATED[self as usize] }\n\
         pub fn from_id(id: &str) -> Option<LlmModel> {\n\
         BY_ID.binary_search_by(|(key, _)| (*key).cmp(id)).ok().map(|at| BY_ID[at].1)\n}\n}\n",
    );
    let _ = write!(out, "static IDS: [&str; {count}] = [");
    for (_, id, ..) in &rows {
        let _ = write!(out, "{id:?},");
    }
    let _ = write!(out, "];\nstatic TOKEN_LIMITS: [u32; {count}] = [");
    for (_, _, token_limit, _) in &rows {
        let _ = write!(out, "{token_limit},");
    }
    let _ = write!(out, "];\nstatic DEPRECATED: [bool; {count}] = [");
    for (.., deprecated) in &rows {
        let _ = write!(out, "{deprecated},");
    }
    let mut by_id: Vec<&(String, String, u32, bool)> = rows.iter().collect();
    by_id.sort_by(|a, b| a.1.cmp(&b.1));
    let _ = write!(out, "];\nstatic BY_ID: [(&str, LlmModel); {count}] = [");
    for (variant, id, ..) in by_id {
        let _ = write!(out, "({id:?}, LlmModel::{variant}),");
    }
    out.push_str("];\n");
    out
}

#[cfg(test)]
mod tests {
    use llm_lifecycle_catalog::Catalog;

    #[test]
    fn the_floor_has_one_variant_per_model_and_sorted_ids() {
        let catalog = Catalog::parse(&crate::synthetic::catalogue(150), "synthetic.toml");
        let catalog = catalog.map_err(|diagnostics| diagnostics.to_string());
        let source = catalog.map(|catalog| super::source(&catalog));
        let source = source.unwrap_or_default();
        assert!(source.contains("static IDS: [&str; 150]"), "{source}");
        assert!(source.contains("static BY_ID: [(&str, LlmModel); 150]"));
        let by_id = source.split("static BY_ID").nth(1).unwrap_or_default();
        let ids: Vec<&str> = by_id.split('"').skip(1).step_by(2).collect();
        assert_eq!(ids.len(), 150);
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    }
}
