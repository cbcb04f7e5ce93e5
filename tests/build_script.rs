//! The build script's validation: what `cargo build` prints for a bad catalogue.

#[allow(dead_code)]
#[path = "../build.rs"]
mod build_script;

use build_script::report;

fn fixture(name: &str) -> std::io::Result<String> {
    std::fs::read_to_string(format!("tests/fixtures/{name}"))
}

#[test]
fn a_valid_catalogue_has_no_report() -> std::io::Result<()> {
    let source = fixture("valid.toml")?;
    assert!(report(&source, "models.toml").is_none());
    Ok(())
}

#[test]
fn a_problem_is_rendered_with_its_line_and_caret_like_the_macro() -> std::io::Result<()> {
    let source = fixture("replacement_missing.toml")?;
    let Some(report) = report(&source, "models.toml") else {
        panic!("the fixture is invalid");
    };
    insta::assert_snapshot!(report.rendered);
    Ok(())
}

#[test]
fn the_only_directive_is_one_summary_line_that_repeats_no_problem() -> std::io::Result<()> {
    let source = fixture("many_errors.toml")?;
    let Some(report) = report(&source, "models.toml") else {
        panic!("the fixture is invalid");
    };
    assert_eq!(
        report.directive,
        "cargo::error=models.toml is not a valid model catalogue: 4 problems, shown under \
         `--- stderr` below"
    );
    // Each problem once, each with its snippet and caret.
    assert_eq!(report.rendered.matches("error: models.toml:").count(), 4);
    assert!(report.rendered.matches('^').count() >= 4);
    assert!(!report.rendered.contains("cargo::"));
    insta::assert_snapshot!(report.rendered);
    Ok(())
}

#[test]
fn a_syntax_error_is_reported_once() -> std::io::Result<()> {
    let source = fixture("invalid_toml.toml")?;
    let Some(report) = report(&source, "models.toml") else {
        panic!("the fixture is invalid");
    };
    assert!(
        report
            .directive
            .ends_with(": 1 problem, shown under `--- stderr` below")
    );
    insta::assert_snapshot!(report.rendered);
    Ok(())
}
