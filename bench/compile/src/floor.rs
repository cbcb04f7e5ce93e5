//! The floor: the smallest table-driven enum a hand-written catalogue would be.
//!
//! No docs, no `#[deprecated]`, no `model!`, no `CATALOG`: an enum of one
//! variant per live model (derived comparisons and hash, which go through the
//! discriminant), its `ALL` array, `Debug` writing the name from a table, the
//! discriminants sorted by id for lookups, and one static table per field.
//! Whatever rustc spends on this, a generated API of the same size cannot
//! avoid; the benchmark reports `catalog!` against it.
//!
//! Two constructs of the naive hand-written enum are left out because they are
//! not a floor: a derived `Debug` (one `match` arm per variant) does not compile
//! at 40,000 variants on a 24 GiB machine (rustc killed at 23.5 GiB resident),
//! and a sorted `(id, variant)` table would be a second array of 40,000 enum
//! values, which rustc validates in time quadratic in the number of variants
//! (see the README's Performance section). The floor keeps the one such array
//! a hand-written enum would have, `ALL`, as the naive baseline; the generated
//! code has none (`LlmModel::all()` is built at run time), which is why it
//! overtakes the floor as catalogues grow.

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
        "#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\n\
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
         let at = BY_ID.binary_search_by(|&index| IDS[index as usize].cmp(id)).ok()?;\n\
         Some(LlmModel::ALL[BY_ID[at] as usize])\n}\n}\n\
         impl std::fmt::Debug for LlmModel {\n\
         fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(NAMES[*self as usize]) }\n}\n",
    );
    let _ = write!(out, "static IDS: [&str; {count}] = [");
    for (_, id, ..) in &rows {
        let _ = write!(out, "{id:?},");
    }
    let _ = write!(out, "];\nstatic NAMES: [&str; {count}] = [");
    for (variant, ..) in &rows {
        let _ = write!(out, "{variant:?},");
    }
    let _ = write!(out, "];\nstatic TOKEN_LIMITS: [u32; {count}] = [");
    for (_, _, token_limit, _) in &rows {
        let _ = write!(out, "{token_limit},");
    }
    let _ = write!(out, "];\nstatic DEPRECATED: [bool; {count}] = [");
    for (.., deprecated) in &rows {
        let _ = write!(out, "{deprecated},");
    }
    let mut by_id: Vec<usize> = (0..count).collect();
    by_id.sort_by(|&a, &b| {
        rows.get(a)
            .map(|row| &row.1)
            .cmp(&rows.get(b).map(|row| &row.1))
    });
    let _ = write!(out, "];\nstatic BY_ID: [u16; {count}] = [");
    for index in by_id {
        let _ = write!(out, "{index},");
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
        // The text between `= [` and `]` of a table.
        let table = |name: &str| {
            let rest = source.split(name).nth(1).unwrap_or_default();
            let values = rest.split("= [").nth(1).unwrap_or_default();
            values.split(']').next().unwrap_or_default().to_owned()
        };
        let ids_table = table("static IDS");
        let ids: Vec<&str> = ids_table.split('"').skip(1).step_by(2).collect();
        let by_id_table = table("static BY_ID");
        let by_id: Vec<usize> = by_id_table
            .split(',')
            .filter_map(|index| index.trim().parse().ok())
            .collect();
        assert_eq!((ids.len(), by_id.len()), (150, 150));
        let sorted: Vec<&str> = by_id
            .iter()
            .filter_map(|&index| ids.get(index).copied())
            .collect();
        assert!(
            sorted.windows(2).all(|pair| pair[0] < pair[1]),
            "{sorted:?}"
        );
    }
}
