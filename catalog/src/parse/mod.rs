//! From `models.toml` text to a validated [`Catalog`]: TOML syntax, then the
//! shape of every table (unknown keys, types), then the cross-entry rules of
//! [`crate::validate`]. Every error is collected; none stops the others.

use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

pub(crate) mod apply;
pub(crate) mod model_table;
pub(crate) mod providers;
pub(crate) mod raw;
pub(crate) mod reader;
pub(crate) mod references;
mod syntax;

use crate::diagnostic::{Diagnostics, SourceMap};
use crate::model::Catalog;
use raw::RawCatalog;
use reader::{Reader, entries_in_order};

/// The top-level keys of `models.toml`.
pub(crate) const TOP_LEVEL_KEYS: &[&str] = &[
    "providers",
    "references",
    "notifications",
    "model_table",
    "apply",
];

/// Why [`Catalog::load`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read (it is missing, unreadable, a directory, …).
    #[error("cannot read the model catalogue {}: {source}", path.display())]
    Io {
        /// The path as given.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid catalogue, or not UTF-8 (see
    /// [`Catalog::parse_bytes`]).
    #[error(transparent)]
    Invalid(#[from] Diagnostics),
}

impl Catalog {
    /// Parses and validates a catalogue. `origin` is the file name shown in
    /// messages (e.g. `models.toml`). Every problem is reported, in source order.
    /// A leading byte order mark (which TOML allows) is skipped: it is not
    /// counted as a column of line 1.
    pub fn parse(source: &str, origin: &str) -> Result<Catalog, Diagnostics> {
        let mut reader = Reader::new(source, origin);
        let (document, syntax_errors) = DeTable::parse_recoverable(source);
        if !syntax_errors.is_empty() {
            // Semantic checks on a document that does not parse would only
            // pile up behind the syntax error: report the syntax error alone.
            let map = SourceMap::new(source, origin);
            return Err(Diagnostics::new(syntax::diagnostics(&map, &syntax_errors)));
        }
        let raw = read_document(&mut reader, document.get_ref());
        crate::validate::check(&raw, &mut reader);
        if reader.diagnostics.is_empty() {
            Ok(raw.into_catalog())
        } else {
            Err(Diagnostics::new(reader.diagnostics))
        }
    }

    /// Parses and validates a catalogue from the bytes of its file, as
    /// [`Catalog::parse`] does, and reports a file that is not UTF-8 as one
    /// diagnostic like any other: at the first invalid byte, with the line
    /// shown as far as it decodes.
    ///
    /// ```text
    /// models.toml:25:20: the file is not valid UTF-8 (byte 0xE9 at offset 926)
    ///    |
    /// 25 |   { name = "claude-
    ///    |                    ^
    ///    = help: save the file as UTF-8 (TOML allows no other encoding), or remove the bytes at the caret
    /// ```
    ///
    /// [`Catalog::load`], the `catalog!` macro and the build script of
    /// `llm-lifecycle` all read the file with this, so they say the same.
    pub fn parse_bytes(bytes: &[u8], origin: &str) -> Result<Catalog, Diagnostics> {
        match std::str::from_utf8(bytes) {
            Ok(source) => Catalog::parse(source, origin),
            Err(error) => Err(Diagnostics::new(vec![crate::diagnostic::not_utf8(
                bytes, error, origin,
            )])),
        }
    }

    /// Reads and validates the catalogue at `path` (with
    /// [`Catalog::parse_bytes`]); messages name the path as given.
    pub fn load(path: &Path) -> Result<Catalog, LoadError> {
        let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
            path: path.to_owned(),
            source,
        })?;
        let origin = path.display().to_string();
        Ok(Catalog::parse_bytes(&bytes, &origin)?)
    }
}

fn read_document(reader: &mut Reader<'_>, document: &DeTable<'_>) -> RawCatalog {
    let mut catalog = RawCatalog::default();
    let mut saw_providers = false;
    for (key, value) in entries_in_order(document) {
        match key.get_ref().as_ref() {
            "providers" => {
                saw_providers = true;
                catalog.providers = providers::read_providers(reader, value);
            }
            "references" => catalog.references = references::read_references(reader, value),
            "notifications" => {
                catalog.notifications = references::read_notifications(reader, value);
            }
            "model_table" => catalog.model_table = model_table::read_model_table(reader, value),
            "apply" => catalog.apply = apply::read_apply(reader, value),
            other => {
                let help = crate::suggest::did_you_mean(other, TOP_LEVEL_KEYS.iter().copied())
                    .or_else(|| Some(top_level_help(value.get_ref())));
                reader.error_with_help(
                    key.span(),
                    format!("unknown top-level key `{other}`"),
                    help,
                );
            }
        }
    }
    if !saw_providers {
        reader.error_with_help(
            0..0,
            "the catalogue declares no providers",
            Some("add a `[providers.KEY]` table with `models = [...]`".to_owned()),
        );
    }
    catalog
}

fn top_level_help(value: &DeValue<'_>) -> String {
    let hint = "models.toml has `[providers.KEY]` tables, `[[references]]` entries and \
                optional `[notifications]`, `[model_table]` and `[apply]` tables";
    match value {
        DeValue::Table(_) => format!("{hint}; a provider is declared as `[providers.KEY]`"),
        _ => hint.to_owned(),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod reference_tests;

#[cfg(test)]
mod model_table_tests;

#[cfg(test)]
mod apply_tests;
