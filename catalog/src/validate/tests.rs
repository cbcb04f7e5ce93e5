#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::Catalog;

fn errors(source: &str) -> Vec<String> {
    match Catalog::parse(source, "models.toml") {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics.iter().map(|d| d.headline()).collect(),
    }
}

#[test]
fn unknown_model_key_is_reported_with_a_hint() {
    let source = "[providers.openai]\nmodels = [\n  { name = \"a\", token_limit = 1, default = true, deprecate = true },\n]\n";
    let diagnostics = Catalog::parse(source, "models.toml").unwrap_err();
    assert_eq!(diagnostics.len(), 1);
    let d = diagnostics.iter().next().unwrap();
    assert_eq!(
        d.headline(),
        "models.toml:3:50: unknown key `deprecate` in model `openai/a`"
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `deprecated`?"));
    assert_eq!(
        errors(
            "[providers.openai]\nmodels = [{ name = \"a\", token_limit = 1, default = true }]\n"
        ),
        Vec::<String>::new()
    );
}
