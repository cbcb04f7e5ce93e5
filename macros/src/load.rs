//! Finding, reading and validating the catalogue file named in `catalog!`.

use std::path::{Path, PathBuf};

use llm_lifecycle_catalog::Catalog;

/// A catalogue read and validated, with where it came from.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// The validated catalogue.
    pub(crate) catalog: Catalog,
    /// The absolute path of the file.
    pub(crate) absolute_path: PathBuf,
}

/// Why the catalogue could not be loaded: each message is one `compile_error!`.
#[derive(Debug)]
pub(crate) struct LoadFailure(pub(crate) Vec<String>);

/// Finds `relative` (as written in `catalog!`) and loads it.
///
/// The path is relative to the calling crate's `CARGO_MANIFEST_DIR`. When no file
/// is there (scratch crates such as trybuild's, whose manifest lives elsewhere),
/// the directory of the invoking source file and its ancestors are tried too.
pub(crate) fn load(relative: &str, calling_file: Option<PathBuf>) -> Result<Loaded, LoadFailure> {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let candidates = candidates(
        Path::new(relative),
        manifest_dir.as_deref(),
        calling_file.as_deref(),
    );
    let Some(found) = candidates.iter().find(|path| path.is_file()) else {
        return Err(LoadFailure(vec![format!(
            "cannot find the model catalogue `{relative}`: the path is relative to the directory \
             of the crate's Cargo.toml (CARGO_MANIFEST_DIR); check the file exists there"
        )]));
    };
    let absolute_path = std::fs::canonicalize(found).unwrap_or_else(|_| found.clone());
    let bytes = std::fs::read(&absolute_path).map_err(|error| {
        LoadFailure(vec![format!(
            "cannot read the model catalogue {}: {error}",
            absolute_path.display()
        )])
    })?;
    // A file that is not UTF-8 is a located diagnostic too, worded as the
    // build script words it.
    match Catalog::parse_bytes(&bytes, relative) {
        Ok(catalog) => Ok(Loaded {
            catalog,
            absolute_path,
        }),
        Err(diagnostics) => Err(LoadFailure(
            diagnostics.iter().map(ToString::to_string).collect(),
        )),
    }
}

fn candidates(
    relative: &Path,
    manifest_dir: Option<&Path>,
    calling_file: Option<&Path>,
) -> Vec<PathBuf> {
    if relative.is_absolute() {
        return vec![relative.to_owned()];
    }
    let mut out = Vec::new();
    if let Some(dir) = manifest_dir {
        out.push(dir.join(relative));
    }
    if let Some(file) = calling_file {
        for dir in file.ancestors().skip(1) {
            let candidate = dir.join(relative);
            if !out.contains(&candidate) {
                out.push(candidate);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_dir_comes_first_then_the_calling_files_ancestors() {
        let found = candidates(
            Path::new("tests/fixtures/a.toml"),
            Some(Path::new("/scratch/crate")),
            Some(Path::new("/repo/tests/ui/a.rs")),
        );
        let shown: Vec<String> = found
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        assert_eq!(
            shown,
            [
                "/scratch/crate/tests/fixtures/a.toml",
                "/repo/tests/ui/tests/fixtures/a.toml",
                "/repo/tests/tests/fixtures/a.toml",
                "/repo/tests/fixtures/a.toml",
                "/tests/fixtures/a.toml",
            ]
        );
    }

    #[test]
    fn a_file_that_is_not_utf8_is_one_located_diagnostic() -> std::io::Result<()> {
        let dir = std::env::temp_dir().join(format!("llm-lifecycle-macro-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("models.toml");
        std::fs::write(&path, b"[providers.openai]\nlabel = \"caf\xE9\"\n")?;
        let loaded = load(&path.display().to_string(), None);
        let _ = std::fs::remove_dir_all(&dir);
        let Err(LoadFailure(messages)) = loaded else {
            panic!("loaded a file that is not UTF-8");
        };
        assert_eq!(
            messages,
            [format!(
                "{}:2:13: the file is not valid UTF-8 (byte 0xE9 at offset 31)\n  |\n2 | label = \
                 \"caf\n  |             ^\n  = help: save the file as UTF-8 (TOML allows no \
                 other encoding), or remove the bytes at the caret",
                path.display()
            )]
        );
        Ok(())
    }

    #[test]
    fn absolute_paths_are_taken_as_they_are() {
        assert_eq!(
            candidates(Path::new("/x/models.toml"), Some(Path::new("/m")), None),
            [PathBuf::from("/x/models.toml")]
        );
    }
}
