//! The crate's layers are one-way: a module imports only from its own layer or
//! below, and never two modules of one layer from each other. Checked on the
//! source, so a new `use crate::…` that points upward fails this test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every top-level module and its layer (the order in the crate docs).
const LAYERS: &[(&str, u8)] = &[
    ("backend", 0),
    ("redact", 0),
    ("diff", 0),
    ("hooks", 0),
    ("error", 0),
    ("db", 1),
    ("schema", 2),
    ("introspect", 2),
    ("references", 2),
    ("recipients_sql", 2),
    ("ledger", 2),
    ("model_table", 2),
    ("plan", 3),
    ("apply", 4),
    ("notify", 5),
    ("status", 5),
    ("sunset", 5),
    ("prune", 6),
    ("cli", 7),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, layer)| *layer)
}

/// The top-level modules a source file names through `crate::…` (comments and
/// doc comments left out).
fn imports(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
            rest = after;
        }
        // `use crate::{a, b}` groups.
        if let Some(group) = code.trim().strip_prefix("use crate::{") {
            for name in group.split([',', '}', ';']) {
                let name = name.trim().split("::").next().unwrap_or_default();
                if !name.is_empty() {
                    found.insert(name.to_owned());
                }
            }
        }
    }
    found
}

fn collect(dir: &Path, module: Option<&str>, edges: &mut BTreeMap<String, BTreeSet<String>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let owner = module.map_or_else(|| stem.clone(), ToOwned::to_owned);
        if path.is_dir() {
            collect(&path, Some(&owner), edges);
        } else if path.extension().is_some_and(|ext| ext == "rs")
            && owner != "lib"
            && owner != "layers"
        {
            let source = std::fs::read_to_string(&path).unwrap_or_default();
            let targets = imports(&source);
            edges.entry(owner).or_default().extend(targets);
        }
    }
}

#[test]
fn no_module_imports_one_above_it_and_no_layer_has_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    collect(&src, None, &mut edges);
    assert!(edges.len() >= LAYERS.len(), "read the modules: {edges:?}");
    let mut problems = Vec::new();
    for (module, targets) in &edges {
        let Some(own) = layer(module) else {
            problems.push(format!(
                "module `{module}` has no layer: add it to LAYERS and the crate docs"
            ));
            continue;
        };
        for target in targets.iter().filter(|target| *target != module) {
            match layer(target) {
                None => problems.push(format!(
                    "`{module}` names `crate::{target}`, which is no module with a layer"
                )),
                Some(theirs) if theirs > own => problems.push(format!(
                    "`{module}` (layer {own}) imports `{target}` (layer {theirs}), a layer above it"
                )),
                Some(theirs)
                    if theirs == own
                        && edges.get(target).is_some_and(|back| back.contains(module)) =>
                {
                    problems.push(format!("`{module}` and `{target}` import each other"));
                }
                Some(_) => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_sees_imports_in_every_form() {
    let found = imports(
        "use crate::db::{Bind, Query};\nuse crate::{apply, plan::Plan};\n// crate::cli\nlet x = crate::notify::deliver(); /// crate::prune",
    );
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["apply", "db", "notify", "plan"]
    );
}
