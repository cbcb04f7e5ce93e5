//! Constant-time lookups for bulk work (code generation, planning).
//!
//! [`Catalog::lookup`] and [`Catalog::chain_end`] scan the provider's lists,
//! which is fine for one query; code that queries every model of a large
//! catalogue builds a [`CatalogIndex`] once instead.

use std::collections::HashMap;

use crate::lookup::Lookup;
use crate::model::{Catalog, Model, Provider};
use crate::naming;

/// Where a name points inside its provider.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// `provider.models[model]`, at `position` in [`Catalog::models`] order.
    Live { model: usize, position: usize },
    /// `provider.deleted[entry]`.
    Deleted { entry: usize },
}

/// Hash maps over a catalogue: lookups and chain ends in constant time per step,
/// and each live model's position in [`Catalog::models`] order (the order the
/// generated enum's discriminants follow).
#[derive(Debug, Clone)]
pub struct CatalogIndex<'a> {
    catalog: &'a Catalog,
    providers: HashMap<&'a str, usize>,
    slots: Vec<HashMap<&'a str, Slot>>,
}

impl<'a> CatalogIndex<'a> {
    /// Indexes `catalog` (the first declaration of a name wins, which only
    /// matters for catalogues that skipped validation).
    pub fn new(catalog: &'a Catalog) -> Self {
        let mut providers = HashMap::new();
        let mut slots = Vec::with_capacity(catalog.providers.len());
        let mut position = 0;
        for (index, provider) in catalog.providers.iter().enumerate() {
            providers.entry(&*provider.key).or_insert(index);
            let mut names = HashMap::new();
            for (model, entry) in provider.models.iter().enumerate() {
                names
                    .entry(&*entry.name)
                    .or_insert(Slot::Live { model, position });
                position += 1;
            }
            for (entry, deleted) in provider.deleted.iter().enumerate() {
                names
                    .entry(&*deleted.name)
                    .or_insert(Slot::Deleted { entry });
            }
            slots.push(names);
        }
        Self {
            catalog,
            providers,
            slots,
        }
    }

    /// The catalogue this index was built over.
    pub fn catalog(&self) -> &'a Catalog {
        self.catalog
    }

    /// The provider with this key.
    pub fn provider(&self, key: &str) -> Option<&'a Provider> {
        self.providers
            .get(key)
            .map(|&index| &self.catalog.providers[index])
    }

    /// What the full id `provider/name` denotes.
    pub fn lookup(&self, id: &str) -> Lookup<'a> {
        match naming::split_id(id) {
            Some((provider, name)) => self.get(provider, name),
            None => Lookup::Unknown,
        }
    }

    /// What `name` denotes in provider `provider_key`.
    pub fn get(&self, provider_key: &str, name: &str) -> Lookup<'a> {
        let Some(&index) = self.providers.get(provider_key) else {
            return Lookup::Unknown;
        };
        let provider = &self.catalog.providers[index];
        match self.slots[index].get(name) {
            Some(Slot::Live { model, .. }) => Lookup::Live {
                provider,
                model: &provider.models[*model],
            },
            Some(Slot::Deleted { entry }) => Lookup::Deleted {
                provider,
                entry: &provider.deleted[*entry],
            },
            None => Lookup::Unknown,
        }
    }

    /// The position of a live model in [`Catalog::models`] order.
    pub fn position(&self, provider_key: &str, name: &str) -> Option<usize> {
        let index = *self.providers.get(provider_key)?;
        match self.slots[index].get(name)? {
            Slot::Live { position, .. } => Some(*position),
            Slot::Deleted { .. } => None,
        }
    }

    /// Same as [`Catalog::chain_end`], in constant time per link.
    pub fn chain_end(&self, provider_key: &str, name: &str) -> Option<&'a Model> {
        let index = *self.providers.get(provider_key)?;
        let provider = &self.catalog.providers[index];
        let slots = &self.slots[index];
        let replacement_of = |name: &str| -> Option<&'a str> {
            match slots.get(name)? {
                Slot::Live { model, .. } => provider.models[*model].replacement.as_deref(),
                Slot::Deleted { entry } => provider.deleted[*entry].replacement.as_deref(),
            }
        };
        let mut next = replacement_of(name)?;
        for _ in 0..=slots.len() {
            match slots.get(next) {
                Some(Slot::Live { model, .. }) if !provider.models[*model].deprecated => {
                    return Some(&provider.models[*model]);
                }
                Some(_) => next = replacement_of(next)?,
                None => return None,
            }
        }
        None
    }
}

impl Catalog {
    /// A [`CatalogIndex`] over this catalogue, for many lookups.
    pub fn index(&self) -> CatalogIndex<'_> {
        CatalogIndex::new(self)
    }
}
