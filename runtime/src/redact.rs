//! Passwords never printed: redaction of free text that may carry a database
//! URL, a `password=` parameter or a libpq keyword/value string (a leaf:
//! imports nothing of the crate, so every layer and every error can use it).

/// What a redacted secret is replaced with.
pub(crate) const REDACTED: &str = "***";

/// Replaces, in free text, the password of every URL (`scheme://user:secret@host`)
/// and the value of every `password=…` parameter (URL query or libpq
/// keyword/value, quoted or not) with `***`. A URL that cannot be parsed shows
/// nothing between `://` and its last `@`.
#[must_use]
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(separator) = rest.find("://") {
        let scheme_start = rest[..separator]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || "+-.".contains(*c))
            .last()
            .map_or(separator, |(index, _)| index);
        let end = rest[separator..]
            .find(char::is_whitespace)
            .map_or(rest.len(), |offset| separator + offset);
        out.push_str(&rest[..scheme_start]);
        out.push_str(&redact_url(&rest[scheme_start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    redact_password_parameters(&out)
}

/// One location (which may contain spaces, unlike a URL in free text), redacted.
pub(crate) fn redact_location(location: &str) -> String {
    if location.contains("://") {
        redact_password_parameters(&redact_url(location))
    } else {
        redact_password_parameters(location)
    }
}

/// Parses `token` (a URL, maybe followed by punctuation) with the `url` crate.
/// `None` when it cannot be parsed, or when it has more than one `@`: then the
/// parser (the last `@` ends the credentials) and libpq (the first does) may
/// disagree on where the password ends.
pub(crate) fn parse_url(token: &str) -> Option<(url::Url, &str)> {
    if token.matches('@').count() > 1 {
        return None;
    }
    let core = token.trim_end_matches(['"', '\'', ')', ']', '>', ',', ';', '.']);
    let parsed = url::Url::parse(core).ok()?;
    let after_authority = [
        parsed.path(),
        parsed.query().unwrap_or(""),
        parsed.fragment().unwrap_or(""),
    ];
    if after_authority
        .iter()
        .any(|part| part.contains('@') || part.contains("%40"))
    {
        return None;
    }
    Some((parsed, &token[core.len()..]))
}

fn redact_url(token: &str) -> String {
    if !token.contains('@') {
        return token.to_owned();
    }
    if let Some((mut parsed, trailing)) = parse_url(token) {
        if parsed.password().is_none() {
            return token.to_owned();
        }
        if parsed.set_password(Some(REDACTED)).is_ok() {
            return format!("{parsed}{trailing}");
        }
    }
    // Unparsable: hide everything between `://` and the last `@`.
    match (token.find("://"), token.rfind('@')) {
        (Some(separator), Some(at)) if at > separator + 3 => {
            format!("{}{REDACTED}{}", &token[..separator + 3], &token[at..])
        }
        _ => token.to_owned(),
    }
}

/// The byte ranges of the values of `password=` parameters in `text`.
fn password_values(text: &str) -> Vec<std::ops::Range<usize>> {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(offset) = lower[from..].find("password") {
        let key_start = from + offset;
        let mut cursor = key_start + "password".len();
        from = cursor;
        let at_boundary = key_start == 0
            || !(bytes[key_start - 1].is_ascii_alphanumeric() || bytes[key_start - 1] == b'_');
        if !at_boundary {
            continue;
        }
        while bytes.get(cursor).is_some_and(|b| *b == b' ' || *b == b'\t') {
            cursor += 1;
        }
        if bytes.get(cursor) != Some(&b'=') {
            continue;
        }
        cursor += 1;
        while bytes.get(cursor).is_some_and(|b| *b == b' ' || *b == b'\t') {
            cursor += 1;
        }
        let value_start = cursor;
        let value_end = if bytes.get(cursor) == Some(&b'\'') {
            // libpq: a single-quoted value, `\'` and `\\` escaped.
            cursor += 1;
            while let Some(b) = bytes.get(cursor) {
                match b {
                    b'\\' => cursor += 2,
                    b'\'' => {
                        cursor += 1;
                        break;
                    }
                    _ => cursor += 1,
                }
            }
            cursor.min(text.len())
        } else {
            text[cursor..]
                .find(|c: char| c == '&' || c.is_whitespace())
                .map_or(text.len(), |offset| cursor + offset)
        };
        if value_end > value_start {
            ranges.push(value_start..value_end);
        }
        from = value_end.max(from);
    }
    ranges
}

fn redact_password_parameters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for range in password_values(text) {
        out.push_str(&text[copied..range.start]);
        out.push_str(REDACTED);
        copied = range.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Everything in `raw` that is, or may be, a password: the URL's password (as
/// written and percent-decoded; for a URL that cannot be parsed, everything
/// between the first `:` after `://` and the last `@`, and its pieces between
/// URL delimiters), and every `password=` value.
pub(crate) fn secrets(raw: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    let mut add = |secret: &str, split: bool| {
        let secret = secret.trim_matches('\'');
        let decoded = percent_encoding::percent_decode_str(secret)
            .decode_utf8_lossy()
            .into_owned();
        for candidate in [secret.to_owned(), decoded] {
            if split {
                secrets.extend(
                    candidate
                        .split(['/', '?', '#', '@', ':', '&', '='])
                        .filter(|piece| piece.chars().count() >= 3)
                        .map(str::to_owned),
                );
            }
            if !candidate.is_empty() {
                secrets.push(candidate);
            }
        }
    };
    if let Some(separator) = raw.find("://") {
        let authority_start = separator + 3;
        // When the URL parses, its only `@` is the one ending the credentials;
        // when it does not, libpq may split the text anywhere: add the pieces too.
        let unparsable = parse_url(raw).is_none();
        if let Some(at) = raw.rfind('@').filter(|at| *at > authority_start) {
            let userinfo = &raw[authority_start..at];
            // libpq: `user:password`, split at the first `:`.
            if let Some((_, password)) = userinfo.split_once(':') {
                add(password, unparsable);
            }
        }
    }
    for range in password_values(raw) {
        add(&raw[range], false);
    }
    secrets
}
