//! Queries over a validated [`Catalog`]: find a model by id, follow replacement
//! chains, iterate models, name enum variants.

use crate::model::{Catalog, DeletedModel, Model, Provider};
use crate::naming;

/// What an id `provider/name` denotes in a catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// A live model (possibly deprecated).
    Live {
        /// Its provider.
        provider: &'a Provider,
        /// The model.
        model: &'a Model,
    },
    /// A deleted entry.
    Deleted {
        /// Its provider.
        provider: &'a Provider,
        /// The deleted entry.
        entry: &'a DeletedModel,
    },
    /// Neither: no such provider, or no such model in it.
    Unknown,
}

impl Catalog {
    /// The provider with this key.
    pub fn provider(&self, key: &str) -> Option<&Provider> {
        self.providers.iter().find(|provider| provider.key == key)
    }

    /// What the full id `provider/name` denotes (split at the first `/`).
    pub fn lookup(&self, id: &str) -> Lookup<'_> {
        let Some((provider_key, name)) = naming::split_id(id) else {
            return Lookup::Unknown;
        };
        let Some(provider) = self.provider(provider_key) else {
            return Lookup::Unknown;
        };
        if let Some(model) = provider.model(name) {
            Lookup::Live { provider, model }
        } else if let Some(entry) = provider.deleted_entry(name) {
            Lookup::Deleted { provider, entry }
        } else {
            Lookup::Unknown
        }
    }

    /// Follows `replacement` links from the named live or deleted entry to the end
    /// of its chain, a live model that is not deprecated.
    ///
    /// `None` when the entry is unknown or has no replacement, or (only possible
    /// in a catalogue built by hand, never in a validated one) when the chain
    /// breaks, loops or dead-ends.
    pub fn chain_end(&self, provider_key: &str, name: &str) -> Option<&Model> {
        let provider = self.provider(provider_key)?;
        provider.chain_end(name)
    }

    /// Every live model with its provider, in declaration order.
    pub fn models(&self) -> impl Iterator<Item = (&Provider, &Model)> + '_ {
        self.providers
            .iter()
            .flat_map(|provider| provider.models.iter().map(move |model| (provider, model)))
    }

    /// Every deleted entry with its provider, in declaration order.
    pub fn deleted(&self) -> impl Iterator<Item = (&Provider, &DeletedModel)> + '_ {
        self.providers
            .iter()
            .flat_map(|provider| provider.deleted.iter().map(move |entry| (provider, entry)))
    }

    /// Every live model's full id `provider/name`, in declaration order.
    pub fn model_ids(&self) -> impl Iterator<Item = String> + '_ {
        self.models()
            .map(|(provider, model)| naming::model_id(&provider.key, &model.name))
    }

    /// The `LlmModel` variant name of a model: its `ident` when set, else
    /// [`naming::model_variant`].
    pub fn variant_name(&self, provider: &Provider, model: &Model) -> String {
        model.variant_name(&provider.key)
    }
}

impl Provider {
    /// The live model with this name.
    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|model| model.name == name)
    }

    /// The deleted entry with this name.
    pub fn deleted_entry(&self, name: &str) -> Option<&DeletedModel> {
        self.deleted.iter().find(|entry| entry.name == name)
    }

    /// The provider's default model (validation guarantees exactly one).
    pub fn default_model(&self) -> Option<&Model> {
        self.models.iter().find(|model| model.default)
    }

    /// The provider's default model for translation, if any.
    pub fn translation_default(&self) -> Option<&Model> {
        self.models.iter().find(|model| model.translation_default)
    }

    /// The `Provider` variant name of this provider.
    pub fn variant_name(&self) -> String {
        naming::provider_variant(&self.key)
    }

    /// See [`Catalog::chain_end`].
    pub fn chain_end(&self, name: &str) -> Option<&Model> {
        let mut next = self.replacement_of(name)?;
        // A chain visits each entry at most once; anything longer loops.
        for _ in 0..=self.models.len() + self.deleted.len() {
            match self.model(next) {
                Some(model) if !model.deprecated => return Some(model),
                _ => next = self.replacement_of(next)?,
            }
        }
        None
    }

    /// The `replacement` of the live or deleted entry `name`.
    fn replacement_of(&self, name: &str) -> Option<&str> {
        match self.model(name) {
            Some(model) => model.replacement.as_deref(),
            None => self.deleted_entry(name)?.replacement.as_deref(),
        }
    }
}

impl Model {
    /// The `LlmModel` variant name: `ident` when set, else
    /// [`naming::model_variant`] of the provider key and the name.
    pub fn variant_name(&self, provider_key: &str) -> String {
        match &self.ident {
            Some(ident) => ident.to_string(),
            None => naming::model_variant(provider_key, &self.name),
        }
    }
}

#[cfg(test)]
mod tests;
