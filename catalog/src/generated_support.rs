//! Run-time support for the code that `llm_lifecycle_macros::catalog!` generates.
//!
//! The generated `LlmModel` keeps its data in `static` tables indexed by
//! discriminant; id lookups go through a [`ModelIndex`] over those tables, so the
//! generated code stays small and the logic lives (and is tested) here, once.
//! [`ParseModelError`] is the error of `LlmModel::from_str` and
//! `LlmModel::parse_lenient`.

use std::fmt;

/// The sentinel in generated `u16` tables meaning "no model".
pub const NO_MODEL: u16 = u16::MAX;

/// Why a string is not the id of a live model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseModelError {
    /// No model, live or deleted, has this id.
    Unknown {
        /// The id as given.
        id: String,
        /// The closest known id, when one is close enough to be a likely typo.
        suggestion: Option<&'static str>,
    },
    /// The id names a deleted model.
    Deleted {
        /// The id as given.
        id: String,
        /// The live model that took over its references (the end of its
        /// replacement chain), when it has one.
        replacement: Option<&'static str>,
    },
}

impl ParseModelError {
    /// The id that failed to parse.
    pub fn id(&self) -> &str {
        match self {
            Self::Unknown { id, .. } | Self::Deleted { id, .. } => id,
        }
    }
}

impl fmt::Display for ParseModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown {
                id,
                suggestion: Some(suggestion),
            } => {
                write!(f, "unknown LLM model `{id}`: did you mean `{suggestion}`?")
            }
            Self::Unknown {
                id,
                suggestion: None,
            } => write!(
                f,
                "unknown LLM model `{id}`: use a `provider/name` id declared in models.toml"
            ),
            Self::Deleted {
                id,
                replacement: Some(replacement),
            } => write!(
                f,
                "LLM model `{id}` has been deleted: use `{replacement}` instead"
            ),
            Self::Deleted {
                id,
                replacement: None,
            } => write!(
                f,
                "LLM model `{id}` has been deleted and has no replacement: \
                 choose another model declared in models.toml"
            ),
        }
    }
}

impl std::error::Error for ParseModelError {}

/// The id lookup tables of a generated `LlmModel`, all `'static`.
///
/// Model positions are discriminants: `ids[i]` is the id of the variant whose
/// discriminant is `i`.
#[derive(Debug, Clone, Copy)]
pub struct ModelIndex {
    /// Every live model's id `provider/name`, by discriminant.
    pub ids: &'static [&'static str],
    /// Discriminants sorted by id, for binary search.
    pub by_id: &'static [u16],
    /// Every deleted model's id, sorted.
    pub deleted_ids: &'static [&'static str],
    /// For each entry of `deleted_ids`: the discriminant of the end of its
    /// replacement chain, or [`NO_MODEL`].
    pub deleted_to: &'static [u16],
}

impl ModelIndex {
    /// The discriminant of the live model with this exact id.
    pub fn find(&self, id: &str) -> Option<usize> {
        let position = self
            .by_id
            .binary_search_by(|&index| {
                self.ids
                    .get(usize::from(index))
                    .copied()
                    .unwrap_or_default()
                    .cmp(id)
            })
            .ok()?;
        self.by_id.get(position).map(|&index| usize::from(index))
    }

    /// The discriminant of a live model, or why `id` is not one.
    pub fn parse(&self, id: &str) -> Result<usize, ParseModelError> {
        self.find(id).ok_or_else(|| self.error(id))
    }

    /// Like [`ModelIndex::parse`], but a deleted id with a replacement gives the
    /// end of its replacement chain.
    pub fn parse_lenient(&self, id: &str) -> Result<usize, ParseModelError> {
        if let Some(found) = self.find(id) {
            return Ok(found);
        }
        match self.deleted_target(id) {
            Some(Some(target)) => Ok(target),
            _ => Err(self.error(id)),
        }
    }

    /// `Some(target)` when `id` is deleted: the end of its chain, if any.
    fn deleted_target(&self, id: &str) -> Option<Option<usize>> {
        let position = self.deleted_ids.binary_search(&id).ok()?;
        let target = self.deleted_to.get(position).copied().unwrap_or(NO_MODEL);
        Some((target != NO_MODEL).then_some(usize::from(target)))
    }

    /// Why `id`, which is not a live model's id, does not parse.
    fn error(&self, id: &str) -> ParseModelError {
        match self.deleted_target(id) {
            Some(target) => ParseModelError::Deleted {
                id: id.to_owned(),
                replacement: target.and_then(|index| self.ids.get(index).copied()),
            },
            None => ParseModelError::Unknown {
                id: id.to_owned(),
                suggestion: crate::suggest::closest(id, self.ids.iter().copied(), 1)
                    .first()
                    .copied(),
            },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    static IDS: [&str; 3] = ["openai/gpt-4.1", "openai/gpt-4.1-mini", "anthropic/claude"];
    static BY_ID: [u16; 3] = [2, 0, 1];
    static DELETED_IDS: [&str; 2] = ["openai/gpt-4-turbo", "openai/o1-mini"];
    static DELETED_TO: [u16; 2] = [0, NO_MODEL];
    const INDEX: ModelIndex = ModelIndex {
        ids: &IDS,
        by_id: &BY_ID,
        deleted_ids: &DELETED_IDS,
        deleted_to: &DELETED_TO,
    };

    #[test]
    fn finds_every_live_id() {
        for (index, id) in IDS.iter().enumerate() {
            assert_eq!(INDEX.parse(id), Ok(index));
            assert_eq!(INDEX.parse_lenient(id), Ok(index));
        }
    }

    #[test]
    fn deleted_ids_are_errors_naming_the_replacement() {
        let error = INDEX.parse("openai/gpt-4-turbo").unwrap_err();
        assert_eq!(
            error,
            ParseModelError::Deleted {
                id: "openai/gpt-4-turbo".into(),
                replacement: Some("openai/gpt-4.1")
            }
        );
        assert_eq!(
            error.to_string(),
            "LLM model `openai/gpt-4-turbo` has been deleted: use `openai/gpt-4.1` instead"
        );
    }

    #[test]
    fn lenient_parse_follows_deleted_ids_with_a_replacement() {
        assert_eq!(INDEX.parse_lenient("openai/gpt-4-turbo"), Ok(0));
        let error = INDEX.parse_lenient("openai/o1-mini").unwrap_err();
        assert_eq!(
            error,
            ParseModelError::Deleted {
                id: "openai/o1-mini".into(),
                replacement: None
            }
        );
        assert!(error.to_string().contains("has no replacement"), "{error}");
    }

    #[test]
    fn unknown_ids_suggest_the_closest() {
        let error = INDEX.parse("openai/gpt-4.2").unwrap_err();
        assert_eq!(
            error,
            ParseModelError::Unknown {
                id: "openai/gpt-4.2".into(),
                suggestion: Some("openai/gpt-4.1")
            }
        );
        assert_eq!(
            error.to_string(),
            "unknown LLM model `openai/gpt-4.2`: did you mean `openai/gpt-4.1`?"
        );
        let far = INDEX.parse("mistral/large").unwrap_err();
        assert_eq!(
            far,
            ParseModelError::Unknown {
                id: "mistral/large".into(),
                suggestion: None
            }
        );
        assert!(far.to_string().contains("declared in models.toml"), "{far}");
        assert_eq!(far.id(), "mistral/large");
    }
}
