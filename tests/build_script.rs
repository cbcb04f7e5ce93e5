//! The build script's validation: what `cargo build` prints for a bad catalogue.

#[allow(dead_code)]
#[path = "../build.rs"]
mod build_script;

use build_script::error_directives;

#[test]
fn the_real_catalogue_is_valid() -> std::io::Result<()> {
    let source = std::fs::read_to_string("models.toml")?;
    assert_eq!(
        error_directives(&source, "models.toml"),
        Vec::<String>::new()
    );
    Ok(())
}

#[test]
fn a_replacement_pointing_nowhere_fails_at_its_line_and_column() -> std::io::Result<()> {
    let source = std::fs::read_to_string("tests/fixtures/replacement_missing.toml")?;
    assert_eq!(
        error_directives(&source, "models.toml"),
        [
            "cargo::error=models.toml:5:86: replacement `gpt-5` of `openai/gpt-4.1-nano` is not \
             a model of provider `openai`",
            "cargo::error=  help: name a model declared in `[providers.openai]`, or add `gpt-5` there",
        ]
    );
    Ok(())
}

#[test]
fn every_problem_is_reported() -> std::io::Result<()> {
    let source = std::fs::read_to_string("tests/fixtures/many_errors.toml")?;
    let lines = error_directives(&source, "models.toml");
    let headlines: Vec<&String> = lines
        .iter()
        .filter(|line| !line.starts_with("cargo::error=  help:"))
        .collect();
    assert_eq!(headlines.len(), 4, "{lines:#?}");
    assert!(lines.iter().all(|line| line.starts_with("cargo::error=")));
    Ok(())
}
