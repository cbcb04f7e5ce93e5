//! Where the database lives: a `postgres://` URL or a SQLite file path, with
//! passwords redacted whenever the location is shown.

use std::fmt;

use crate::error::Error;

/// The file used when neither `--database-url` nor `DATABASE_URL` is given.
pub const DEFAULT_SQLITE_FILE: &str = "llm-models.db";

/// Seconds libpq waits for a server before giving up (unless the URL says otherwise).
const PG_CONNECT_TIMEOUT_SECS: u32 = 10;

/// Which database engine a location names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// PostgreSQL (production).
    Postgres,
    /// SQLite (the embedded default).
    Sqlite,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Postgres => "PostgreSQL",
            Self::Sqlite => "SQLite",
        })
    }
}

/// A parsed database location.
///
/// `Display` prints the location with any password replaced by `***`, so it is
/// safe to log.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    raw: String,
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({:?}, {})", self.backend, self)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.raw))
    }
}

impl DatabaseUrl {
    /// Parses a location: `postgres://…` / `postgresql://…` for PostgreSQL;
    /// `sqlite://PATH`, `file:…` (SQLite URI) or a plain file path for SQLite.
    ///
    /// # Errors
    /// [`Error::BadUrl`] for an empty location or an unsupported scheme such as `mysql://`.
    pub fn parse(location: &str) -> Result<Self, Error> {
        let location = location.trim();
        if location.is_empty() {
            return Err(Error::BadUrl {
                url: String::new(),
                reason: "the database URL is empty; pass a postgres:// URL or a SQLite file path"
                    .into(),
            });
        }
        let lower = location.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(Self {
                backend: Backend::Postgres,
                raw: location.to_owned(),
            });
        }
        if let Some(path) = location.strip_prefix("sqlite://") {
            return Self::sqlite_path(location, path);
        }
        if let Some((scheme, _)) = location.split_once("://") {
            return Err(Error::BadUrl {
                url: redact(location),
                reason: format!(
                    "unsupported scheme `{scheme}://`; use postgres://USER@HOST/DB or a SQLite file path"
                ),
            });
        }
        Self::sqlite_path(location, location)
    }

    fn sqlite_path(location: &str, path: &str) -> Result<Self, Error> {
        if path.is_empty() {
            return Err(Error::BadUrl {
                url: redact(location),
                reason: "no SQLite file path after `sqlite://`".into(),
            });
        }
        Ok(Self {
            backend: Backend::Sqlite,
            raw: path.to_owned(),
        })
    }

    /// The default location: [`DEFAULT_SQLITE_FILE`] in the current directory.
    #[must_use]
    pub fn default_sqlite() -> Self {
        Self {
            backend: Backend::Sqlite,
            raw: DEFAULT_SQLITE_FILE.to_owned(),
        }
    }

    /// The engine this location names.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The location as given, password included: only for handing to the driver.
    pub(crate) fn connect_string(&self) -> String {
        match self.backend {
            Backend::Sqlite => self.raw.clone(),
            Backend::Postgres if self.raw.contains("connect_timeout=") => self.raw.clone(),
            Backend::Postgres => {
                let separator = if self.raw.contains('?') { '&' } else { '?' };
                format!(
                    "{}{separator}connect_timeout={PG_CONNECT_TIMEOUT_SECS}",
                    self.raw
                )
            }
        }
    }
}

/// Replaces the password of a URL (`scheme://user:secret@host`) and any
/// `password=…` parameter with `***`.
#[must_use]
pub fn redact(location: &str) -> String {
    let mut out = location.to_owned();
    if let Some(scheme_end) = out.find("://") {
        let authority_start = scheme_end + 3;
        let rest = &out[authority_start..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@')
            && let Some(colon) = rest[..at].find(':')
        {
            out.replace_range(authority_start + colon + 1..authority_start + at, "***");
        }
    }
    redact_password_parameter(&out)
}

fn redact_password_parameter(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let Some(start) = lower.find("password=") else {
        return text.to_owned();
    };
    let value_start = start + "password=".len();
    let value_end = text[value_start..]
        .find(['&', ' '])
        .map_or(text.len(), |offset| value_start + offset);
    format!(
        "{}***{}",
        &text[..value_start],
        redact_password_parameter(&text[value_end..])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://app:s3cr3t@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact("postgres://app@db/x"), "postgres://app@db/x");
        assert_eq!(
            redact("postgres://db/x?user=a&password=hunter2&sslmode=require"),
            "postgres://db/x?user=a&password=***&sslmode=require"
        );
        assert_eq!(
            redact("host=db password=x user=y"),
            "host=db password=*** user=y"
        );
    }

    #[test]
    fn locations_name_their_backend() -> Result<(), Error> {
        assert_eq!(
            DatabaseUrl::parse("postgres://a@b/c")?.backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("PostgreSQL://a@b/c")?.backend(),
            Backend::Postgres
        );
        assert_eq!(DatabaseUrl::parse("x.db")?.backend(), Backend::Sqlite);
        assert_eq!(
            DatabaseUrl::parse("sqlite://x.db")?.connect_string(),
            "x.db"
        );
        assert_eq!(
            DatabaseUrl::parse("file:x.db?mode=ro")?.backend(),
            Backend::Sqlite
        );
        assert!(DatabaseUrl::parse("mysql://root:pw@h/x").is_err());
        assert!(DatabaseUrl::parse(" ").is_err());
        let shown = DatabaseUrl::parse("postgres://u:pw@h/d")?.to_string();
        assert!(!shown.contains("pw@"), "{shown}");
        Ok(())
    }
}
