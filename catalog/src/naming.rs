//! Enum variant names and model ids.
//!
//! Variant names are the UpperCamelCase of the provider key, then of the model
//! name, each split at every non-alphanumeric character. Each part gets its first
//! character uppercased and keeps the rest as written; a `_` separates two
//! adjacent parts when the first ends with a digit and the next starts with one:
//! `openai/gpt-4.1-mini` → `OpenaiGpt4_1Mini`.

/// The `Provider` variant of a provider key: `google_vertex_ai` → `GoogleVertexAi`.
pub fn provider_variant(key: &str) -> String {
    camel_case(parts(key))
}

/// The `LlmModel` variant of a model: `("openai", "gpt-4.1-mini")` → `OpenaiGpt4_1Mini`.
pub fn model_variant(provider_key: &str, model_name: &str) -> String {
    camel_case(parts(provider_key).chain(parts(model_name)))
}

/// Splits a full id `provider/name` at its first `/`:
/// `groq/openai/gpt-oss-20b` → `("groq", "openai/gpt-oss-20b")`.
pub fn split_id(id: &str) -> Option<(&str, &str)> {
    id.split_once('/')
}

/// The full id `provider/name` of a model.
pub fn model_id(provider: &str, name: &str) -> String {
    format!("{provider}/{name}")
}

/// Whether `ident` is a plain Rust identifier usable as an enum variant:
/// `[A-Za-z_][A-Za-z0-9_]*`, not `_` and not a keyword.
pub fn is_valid_ident(ident: &str) -> bool {
    let mut chars = ident.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    starts_well
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && ident != "_"
        && !is_keyword(ident)
}

/// Whether `word` is a Rust keyword (strict or reserved, any edition), which
/// cannot name an enum variant.
pub fn is_keyword(word: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod",
        "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super",
        "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become", "box",
        "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
    ];
    KEYWORDS.contains(&word)
}

fn parts(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
}

fn camel_case<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    let mut previous_ends_with_digit = false;
    for part in parts {
        let mut chars = part.chars();
        let Some(first) = chars.next() else { continue };
        if previous_ends_with_digit && first.is_ascii_digit() {
            out.push('_');
        }
        out.push(first.to_ascii_uppercase());
        out.push_str(chars.as_str());
        previous_ends_with_digit = part.ends_with(|c: char| c.is_ascii_digit());
    }
    out
}

#[cfg(test)]
mod tests;
