//! The scratch workspace the benchmark builds: per size, one crate invoking
//! `llm_lifecycle::catalog!`, one holding the macro's expansion written out as
//! plain Rust (with `CRATE_ROOT` bound to llm-lifecycle) and
//! one holding the floor (a minimal hand-written table-driven enum, see
//! [`crate::floor`]); plus the real catalogue against an empty crate with the
//! same dependencies.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use llm_lifecycle_catalog::Catalog;

use crate::floor;
use llm_lifecycle_codegen as codegen;

/// One crate of the scratch workspace.
#[derive(Debug, Clone)]
pub(crate) struct Crate {
    /// The package name (`n1000-macro`).
    pub(crate) name: String,
    /// Its `src/lib.rs`, rewritten before each timed build.
    pub(crate) lib_rs: PathBuf,
}

/// Writes the workspace under `root`, reusing its target directory.
pub(crate) struct Workspace {
    root: PathBuf,
    repo: PathBuf,
    members: Vec<String>,
}

impl Workspace {
    /// A workspace at `root` whose crates depend on the llm-lifecycle crates in `repo`.
    pub(crate) fn new(root: &Path, repo: &Path) -> Self {
        Self {
            root: root.to_owned(),
            repo: repo.to_owned(),
            members: Vec::new(),
        }
    }

    /// The workspace directory.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `<dir>/models.toml` and returns its absolute path.
    pub(crate) fn write_catalogue(&self, dir: &str, text: &str) -> Result<PathBuf> {
        let dir = self.root.join(dir);
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("models.toml");
        write_if_changed(&path, text)?;
        Ok(path)
    }

    /// The crates for a catalogue already written to `<dir>/models.toml`:
    /// `catalog!`, its expansion by hand, and the floor.
    pub(crate) fn trio(&mut self, dir: &str) -> Result<[Crate; 3]> {
        let relative = format!("../{dir}/models.toml");
        let absolute = self.root.join(dir).join("models.toml");
        let source = fs::read_to_string(&absolute)?;
        let catalog = match Catalog::parse(&source, &relative) {
            Ok(catalog) => catalog,
            Err(diagnostics) => bail!("the catalogue {dir} is invalid:\n{diagnostics}"),
        };
        let absolute = fs::canonicalize(&absolute)?.display().to_string();
        let options = codegen::Options {
            origin: &relative,
            absolute_path: &absolute,
        };
        let expansion = codegen::expand_source(&catalog, &options)
            .map_err(|error| anyhow::anyhow!("codegen failed for {dir}: {error}"))?;
        let with_macro = self.add_crate(&format!("{dir}-macro"), &catalog_call(&relative))?;
        // The expansion names llm-lifecycle's items from `codegen::CRATE_ROOT`,
        // which the macro replaces by `$crate`: bound here to the dependency.
        let by_hand = self.add_crate(
            &format!("{dir}-hand"),
            &format!(
                "extern crate llm_lifecycle as {};\n{expansion}",
                codegen::CRATE_ROOT
            ),
        )?;
        let floor = self.add_crate(&format!("{dir}-floor"), &floor::source(&catalog))?;
        Ok([with_macro, by_hand, floor])
    }

    /// A crate with the given `lib.rs` and the dependencies every crate has.
    pub(crate) fn add_crate(&mut self, name: &str, lib_rs: &str) -> Result<Crate> {
        let dir = self.root.join(name);
        fs::create_dir_all(dir.join("src"))?;
        // As a user's crate: llm-lifecycle only, without its runtime (no
        // diesel, no database drivers) nor serde and diesel support.
        let manifest = format!(
            "[package]\nname = {name:?}\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nllm-lifecycle = {{ path = {:?}, default-features = false }}\n",
            self.repo.display().to_string(),
        );
        write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
        let lib_path = dir.join("src").join("lib.rs");
        write_if_changed(&lib_path, lib_rs)?;
        self.members.push(name.to_owned());
        Ok(Crate {
            name: name.to_owned(),
            lib_rs: lib_path,
        })
    }

    /// Writes the workspace manifest and the repository's lock file (same versions).
    pub(crate) fn finish(&self) -> Result<()> {
        let members: Vec<String> = self
            .members
            .iter()
            .map(|member| format!("{member:?}"))
            .collect();
        let manifest = format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n",
            members.join(", ")
        );
        write_if_changed(&self.root.join("Cargo.toml"), &manifest)?;
        let lock = self.repo.join("Cargo.lock");
        if lock.is_file() && !self.root.join("Cargo.lock").is_file() {
            fs::copy(&lock, self.root.join("Cargo.lock"))?;
        }
        Ok(())
    }
}

/// The `lib.rs` of a crate compiling the catalogue at `path` (relative to the
/// crate's directory) the way a user does.
pub(crate) fn catalog_call(path: &str) -> String {
    format!("llm_lifecycle::catalog!({path:?});\n")
}

/// Writes `text` unless the file already holds it (keeps builds fresh between runs).
fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    if fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
