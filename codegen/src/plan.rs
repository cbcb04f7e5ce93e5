//! The catalogue laid out for code generation: one row per live model in
//! discriminant order (provider by provider, in declaration order), with every
//! cross-reference turned into a discriminant.

use std::collections::HashMap;

use llm_lifecycle_catalog::{Catalog, Model, Provider, naming};

use super::CodegenError;

/// One live model: the variant whose discriminant is its position in [`Plan::rows`].
#[derive(Debug)]
pub(crate) struct Row<'c> {
    /// Its discriminant.
    pub(crate) index: usize,
    /// Position of its provider in [`Plan::providers`].
    pub(crate) provider: usize,
    /// The catalogue entry.
    pub(crate) model: &'c Model,
    /// The `LlmModel` variant name.
    pub(crate) variant: String,
    /// `provider/name`.
    pub(crate) id: String,
    /// The declared replacement's discriminant.
    pub(crate) replacement: Option<usize>,
    /// The end of its replacement chain (itself when it has none).
    pub(crate) resolved: usize,
}

/// One provider.
#[derive(Debug)]
pub(crate) struct ProviderRow<'c> {
    /// The catalogue entry.
    pub(crate) provider: &'c Provider,
    /// The `Provider` variant name.
    pub(crate) variant: String,
    /// Discriminants of its models: `first..end`.
    pub(crate) first: usize,
    /// One past its last model's discriminant.
    pub(crate) end: usize,
    /// Its default model's discriminant.
    pub(crate) default: usize,
    /// Its translation default's discriminant.
    pub(crate) translation_default: Option<usize>,
}

/// A deleted entry.
#[derive(Debug)]
pub(crate) struct DeletedRow {
    /// `provider/name`.
    pub(crate) id: String,
    /// The end of its replacement chain.
    pub(crate) target: Option<usize>,
}

/// The whole layout.
#[derive(Debug)]
pub(crate) struct Plan<'c> {
    /// Live models by discriminant.
    pub(crate) rows: Vec<Row<'c>>,
    /// Providers by discriminant.
    pub(crate) providers: Vec<ProviderRow<'c>>,
    /// Deleted entries, sorted by id.
    pub(crate) deleted: Vec<DeletedRow>,
}

/// Discriminants are `u16`, and `u16::MAX` means "none" in the tables.
const MAX_MODELS: usize = u16::MAX as usize;

impl<'c> Plan<'c> {
    /// Lays out `catalog`, which must be valid: broken links are reported as errors.
    pub(crate) fn new(catalog: &'c Catalog) -> Result<Self, CodegenError> {
        let mut rows = Vec::new();
        let mut providers = Vec::new();
        let mut by_name: HashMap<(usize, &str), usize> = HashMap::new();
        for (provider_index, provider) in catalog.providers.iter().enumerate() {
            let first = rows.len();
            for model in provider.models.iter() {
                by_name.insert((provider_index, &model.name), rows.len());
                rows.push(Row {
                    index: rows.len(),
                    provider: provider_index,
                    model,
                    variant: catalog.variant_name(provider, model),
                    id: naming::model_id(&provider.key, &model.name),
                    replacement: None,
                    resolved: rows.len(),
                });
            }
            let find = |model: Option<&Model>| {
                model.and_then(|model| by_name.get(&(provider_index, &*model.name)).copied())
            };
            let default = find(provider.default_model()).ok_or_else(|| {
                CodegenError(format!(
                    "provider `{}` has no default model: mark one model `default = true`",
                    provider.key
                ))
            })?;
            providers.push(ProviderRow {
                provider,
                variant: provider.variant_name(),
                first,
                end: rows.len(),
                default,
                translation_default: find(provider.translation_default()),
            });
        }
        if rows.len() >= MAX_MODELS || providers.len() >= MAX_MODELS {
            return Err(CodegenError(format!(
                "the catalogue declares {} models: at most {} fit the generated `u16` tables",
                rows.len(),
                MAX_MODELS - 1
            )));
        }
        let plan_rows = resolve_links(catalog, &by_name, rows)?;
        let mut deleted = Vec::new();
        for (provider_index, provider) in catalog.providers.iter().enumerate() {
            for entry in provider.deleted.iter() {
                let target = provider
                    .chain_end(&entry.name)
                    .and_then(|model| by_name.get(&(provider_index, &*model.name)).copied());
                deleted.push(DeletedRow {
                    id: naming::model_id(&provider.key, &entry.name),
                    target,
                });
            }
        }
        deleted.sort_by(|a, b| a.id.cmp(&b.id));
        let plan = Self {
            rows: plan_rows,
            providers,
            deleted,
        };
        plan.check_names()?;
        Ok(plan)
    }

    /// Variant names must be identifiers and unique (validation checks this
    /// too; codegen refuses rather than emit code that cannot compile).
    fn check_names(&self) -> Result<(), CodegenError> {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for row in &self.rows {
            if !naming::is_valid_ident(&row.variant) {
                return Err(CodegenError(format!(
                    "`{}` gives the variant name `{}`, which is not a Rust identifier: set `ident`",
                    row.id, row.variant
                )));
            }
            if let Some(other) = seen.insert(&row.variant, &row.id) {
                return Err(CodegenError(format!(
                    "`{other}` and `{}` both give the variant `{}`: set `ident` on one of them",
                    row.id, row.variant
                )));
            }
        }
        for provider in &self.providers {
            if !naming::is_valid_ident(&provider.variant) {
                return Err(CodegenError(format!(
                    "provider `{}` gives the variant name `{}`, which is not a Rust identifier",
                    provider.provider.key, provider.variant
                )));
            }
        }
        Ok(())
    }

    /// The id of the model with this discriminant.
    pub(crate) fn id(&self, index: usize) -> &str {
        self.rows.get(index).map_or("", |row| &row.id)
    }
}

/// Fills in `replacement` and `resolved` of every row.
fn resolve_links<'c>(
    catalog: &'c Catalog,
    by_name: &HashMap<(usize, &str), usize>,
    mut rows: Vec<Row<'c>>,
) -> Result<Vec<Row<'c>>, CodegenError> {
    for row in &mut rows {
        let provider = catalog
            .providers
            .get(row.provider)
            .ok_or_else(|| CodegenError(format!("model `{}` has no provider", row.id)))?;
        if let Some(end) = provider.chain_end(&row.model.name)
            && let Some(&index) = by_name.get(&(row.provider, &*end.name))
        {
            row.resolved = index;
        }
        // The declared replacement when it is live; else (a chain through a
        // deleted entry) the end of the chain.
        row.replacement = row
            .model
            .replacement
            .as_deref()
            .and_then(|replacement| by_name.get(&(row.provider, replacement)).copied());
        if row.model.replacement.is_some() && row.replacement.is_none() && row.resolved != row.index
        {
            row.replacement = Some(row.resolved);
        }
    }
    Ok(rows)
}
