//! Where the database lives: a `postgres://` URL or a SQLite file path, with
//! passwords redacted whenever the location is shown.

use std::fmt;

pub use crate::backend::Backend;
use crate::error::Error;
pub use crate::redact::redact;
use crate::redact::{REDACTED, redact_location, secrets};

/// The file used when neither `--database-url` nor `DATABASE_URL` is given.
pub const DEFAULT_SQLITE_FILE: &str = "llm-models.db";

/// Seconds libpq waits for a server before giving up (unless the URL says otherwise).
const PG_CONNECT_TIMEOUT_SECS: u32 = 10;

/// A parsed database location.
///
/// `Display` and `Debug` print the location with any password replaced by
/// `***`, so it is safe to log; [`DatabaseUrl::scrub`] does the same for a
/// driver's message about it.
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
        f.write_str(&redact_location(&self.raw))
    }
}

/// libpq's connection keywords that start a keyword/value string
/// (`host=db user=app password=…`).
const LIBPQ_KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "connect_timeout",
    "options",
    "application_name",
    "sslmode",
    "sslcert",
    "sslkey",
    "sslrootcert",
    "service",
    "target_session_attrs",
];

/// Whether `location` is a libpq keyword/value string: its first word is
/// `KEYWORD=…` (or `KEYWORD = …`) with a libpq keyword.
pub(crate) fn is_keyword_value(location: &str) -> bool {
    location.split_once('=').is_some_and(|(key, _)| {
        let key = key.trim();
        LIBPQ_KEYWORDS
            .iter()
            .any(|keyword| key.eq_ignore_ascii_case(keyword))
    })
}

impl DatabaseUrl {
    /// Parses a location: `postgres://…` / `postgresql://…` or a libpq
    /// keyword/value string (`host=db dbname=app …`) for PostgreSQL;
    /// `sqlite://PATH`, `file:…` (SQLite URI) or a plain file path for SQLite.
    ///
    /// # Errors
    /// [`Error::BadUrl`] for an empty location or an unsupported scheme such as `mysql://`.
    pub fn parse(location: &str) -> Result<Self, Error> {
        let location = location.trim();
        if location.is_empty() {
            return Err(Error::BadUrl {
                url: String::new(),
                reason: "the database URL is empty; pass a postgres:// or mysql:// URL or a SQLite file path"
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
        if lower.starts_with("mysql://") || lower.starts_with("mariadb://") {
            return Ok(Self {
                backend: Backend::Mysql,
                raw: location.to_owned(),
            });
        }
        if let Some(path) = location.strip_prefix("sqlite://") {
            return Self::sqlite_path(location, path);
        }
        // Before the scheme check: a keyword/value string may quote a `://`.
        if is_keyword_value(location) {
            return Ok(Self {
                backend: Backend::Postgres,
                raw: location.to_owned(),
            });
        }
        if let Some((scheme, _)) = location.split_once("://") {
            return Err(Error::BadUrl {
                url: redact_location(location),
                reason: format!(
                    "unsupported scheme `{}://`; use postgres://USER@HOST/DB, mysql://USER@HOST/DB or a SQLite file path",
                    // Before `://` only when it is a plain scheme: never a password.
                    if scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                    {
                        scheme
                    } else {
                        "…"
                    }
                ),
            });
        }
        Self::sqlite_path(location, location)
    }

    fn sqlite_path(location: &str, path: &str) -> Result<Self, Error> {
        if path.is_empty() {
            return Err(Error::BadUrl {
                url: redact_location(location),
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

    /// A SQLite database that lives in memory only (nothing on disk).
    #[must_use]
    pub fn sqlite_in_memory() -> Self {
        Self {
            backend: Backend::Sqlite,
            raw: ":memory:".to_owned(),
        }
    }

    /// The engine this location names.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// `message` (a driver's error about this location) with this location's
    /// password removed wherever it appears — whole, percent-decoded, or in
    /// pieces of 3 characters or more as libpq quotes them when it splits a URL
    /// it cannot parse — and then [`redact`]ed.
    #[must_use]
    pub fn scrub(&self, message: &str) -> String {
        let mut secrets = secrets(&self.raw);
        secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        secrets.dedup();
        let mut scrubbed = message.to_owned();
        for secret in &secrets {
            scrubbed = scrubbed.replace(secret.as_str(), REDACTED);
        }
        redact(&scrubbed)
    }

    /// The location as given, password included: only for handing to the driver.
    pub(crate) fn connect_string(&self) -> String {
        match self.backend {
            Backend::Sqlite => self.raw.clone(),
            Backend::Mysql => mysql_location(&self.raw).first,
            Backend::Postgres if self.raw.contains("connect_timeout") => self.raw.clone(),
            Backend::Postgres if !self.raw.contains("://") => {
                format!("{} connect_timeout={PG_CONNECT_TIMEOUT_SECS}", self.raw)
            }
            Backend::Postgres => {
                let separator = if split_query(&self.raw).1.is_some() {
                    '&'
                } else {
                    '?'
                };
                format!(
                    "{}{separator}connect_timeout={PG_CONNECT_TIMEOUT_SECS}",
                    self.raw
                )
            }
        }
    }

    /// A MySQL location as the driver takes it (see [`MysqlLocation`]).
    /// Unused in a build without the `mysql` feature but by the tests.
    #[cfg_attr(not(feature = "mysql"), allow(dead_code))]
    pub(crate) fn mysql_location(&self) -> MysqlLocation {
        mysql_location(&self.raw)
    }

    /// The SQLite file this location names, when it is a plain path (not a
    /// `file:` URI, not `:memory:`).
    pub(crate) fn sqlite_file(&self) -> Option<&std::path::Path> {
        (self.backend == Backend::Sqlite
            && !self.raw.starts_with("file:")
            && self.raw != ":memory:")
            .then(|| std::path::Path::new(&self.raw))
    }

    /// What to hand SQLite to open this location without ever creating or
    /// writing it: a `file:` URI with `mode=ro` (a URI's own `mode` replaced,
    /// unless it is `memory`).
    pub(crate) fn sqlite_read_only_string(&self) -> String {
        if self.raw == ":memory:" {
            return self.raw.clone();
        }
        let Some(uri) = self.raw.strip_prefix("file:") else {
            // Characters with a meaning in a SQLite URI path are escaped.
            const URI_PATH: &percent_encoding::AsciiSet =
                &percent_encoding::CONTROLS.add(b'%').add(b'?').add(b'#');
            // An absolute path gets an empty authority, so `//x` is never taken for a host.
            let authority = if self.raw.starts_with('/') { "//" } else { "" };
            return format!(
                "file:{authority}{}?mode=ro",
                percent_encoding::utf8_percent_encode(&self.raw, URI_PATH)
            );
        };
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let mut parameters: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
        if parameters
            .iter()
            .any(|p| p.eq_ignore_ascii_case("mode=memory"))
        {
            return self.raw.clone();
        }
        parameters.retain(|p| !p.to_ascii_lowercase().starts_with("mode="));
        parameters.push("mode=ro");
        format!("file:{path}?{}", parameters.join("&"))
    }
}

/// A URL split at the `?` that starts its query: the part before and the
/// query, if any. A `?` in the password (before the last `@`) does not start it.
pub(crate) fn split_query(url: &str) -> (&str, Option<&str>) {
    let from = url.rfind('@').unwrap_or(0);
    match url[from..].find('?') {
        Some(at) => (&url[..from + at], Some(&url[from + at + 1..])),
        None => (url, None),
    }
}

/// mysql_async's options for TLS without checking the certificate (the MySQL
/// client's `REQUIRED`).
const MYSQL_TLS_UNCHECKED: [&str; 3] = [
    "require_ssl=true",
    "verify_ca=false",
    "verify_identity=false",
];

/// mysql_async's options for `VERIFY_CA`: the chain checked, not the name.
const MYSQL_VERIFY_CA: [&str; 3] = [
    "require_ssl=true",
    "verify_ca=true",
    "verify_identity=false",
];

/// A `mysql://` / `mariadb://` location as mysql_async reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MysqlLocation {
    /// The URL to try first.
    pub(crate) first: String,
    /// `PREFERRED`: the URL without TLS, for a server that offers none.
    pub(crate) plain: Option<String>,
    /// `ssl-ca=FILE`: the CA the server's certificate is checked against,
    /// instead of the Mozilla roots.
    pub(crate) ca_file: Option<std::path::PathBuf>,
}

/// A `mysql://` / `mariadb://` location as mysql_async reads it: the scheme
/// `mysql://`, and the MySQL client's `ssl-mode` (`DISABLED`, `PREFERRED`,
/// `REQUIRED`, `VERIFY_CA`, `VERIFY_IDENTITY`) turned into mysql_async's
/// `require_ssl` / `verify_ca` / `verify_identity`.
///
/// `PREFERRED` (the MySQL client's default, also when no `ssl-mode`, no
/// `ssl-ca` and no `require_ssl` is given) answers two locations: TLS without
/// checking the certificate, then, for a server that offers no TLS at all,
/// the plain one (mysql_async has no opportunistic mode, so the caller tries
/// both). `ssl-ca=FILE` (percent-decoded) names the CA to check the
/// certificate against; without a `ssl-mode` (or with `PREFERRED`) it means
/// `VERIFY_CA`, so a CA given is never silently left unchecked.
fn mysql_location(raw: &str) -> MysqlLocation {
    let rest = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    let (base, query) = split_query(rest);
    let mut params: Vec<String> = Vec::new();
    let mut prefer = true;
    let mut ca_file = None;
    for param in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        if key.eq_ignore_ascii_case("ssl-ca") || key.eq_ignore_ascii_case("ssl_ca") {
            let path = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
            ca_file = Some(std::path::PathBuf::from(path.into_owned()));
        } else if key.eq_ignore_ascii_case("ssl-mode") || key.eq_ignore_ascii_case("ssl_mode") {
            let tls: &[&str] = match value.to_ascii_uppercase().as_str() {
                "REQUIRED" => &MYSQL_TLS_UNCHECKED,
                "VERIFY_CA" => &MYSQL_VERIFY_CA,
                "VERIFY_IDENTITY" => {
                    &["require_ssl=true", "verify_ca=true", "verify_identity=true"]
                }
                "PREFERRED" => &[],
                "DISABLED" => {
                    prefer = false;
                    &[]
                }
                // Anything else reaches the driver, which names the bad value.
                _ => {
                    prefer = false;
                    params.push(param.to_owned());
                    continue;
                }
            };
            prefer &= tls.is_empty();
            params.extend(tls.iter().map(|p| (*p).to_owned()));
        } else {
            // The driver's own TLS options, given as they are.
            prefer &= !["require_ssl", "verify_ca", "verify_identity"]
                .iter()
                .any(|tls| key.eq_ignore_ascii_case(tls));
            params.push(param.to_owned());
        }
    }
    let location = |params: &[String]| {
        if params.is_empty() {
            format!("mysql://{base}")
        } else {
            format!("mysql://{base}?{}", params.join("&"))
        }
    };
    let with = |options: &[&str], params: Vec<String>| {
        let mut all: Vec<String> = options.iter().map(|p| (*p).to_owned()).collect();
        all.extend(params);
        location(&all)
    };
    match (prefer, &ca_file) {
        (true, Some(_)) => MysqlLocation {
            first: with(&MYSQL_VERIFY_CA, params),
            plain: None,
            ca_file,
        },
        (true, None) => MysqlLocation {
            plain: Some(location(&params)),
            first: with(&MYSQL_TLS_UNCHECKED, params),
            ca_file,
        },
        (false, _) => MysqlLocation {
            first: location(&params),
            plain: None,
            ca_file,
        },
    }
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

    /// Each kind of location whose password was once printed, shown by `Display` and by [`redact`].
    #[test]
    fn awkward_passwords_are_never_shown() -> Result<(), Error> {
        let cases = [
            // `?`, `/`, `@` and `#` in the password: no URL parser agrees with libpq.
            (
                "postgres://app:pa?ss1@db:5432/x",
                "pa?ss1",
                "postgres://***@db:5432/x",
            ),
            (
                "postgres://app:pa/ss1@db/x",
                "pa/ss1",
                "postgres://***@db/x",
            ),
            (
                "postgres://app:pa@ss1@db/x",
                "pa@ss1",
                "postgres://***@db/x",
            ),
            (
                "postgres://app:12/ss1@db/x",
                "12/ss1",
                "postgres://***@db/x",
            ),
            (
                "postgres://app:pa#ss1@db/x",
                "pa#ss1",
                "postgres://***@db/x",
            ),
            // An invalid percent escape parses, and is redacted like any password.
            (
                "postgres://app:pa%zzss@db/x",
                "pa%zzss",
                "postgres://app:***@db/x",
            ),
            (
                "postgres://app:p%40ss@db/x",
                "p%40ss",
                "postgres://app:***@db/x",
            ),
            (
                "postgresql://app@db/x?sslmode=disable&password=hunter2",
                "hunter2",
                "postgresql://app@db/x?sslmode=disable&password=***",
            ),
            (
                "host=db user=app password='hun ter2' dbname=x",
                "hun ter2",
                "host=db user=app password=*** dbname=x",
            ),
            (
                "host=db password = hunter2",
                "hunter2",
                "host=db password = ***",
            ),
        ];
        for (location, password, shown) in cases {
            let url = DatabaseUrl::parse(location)?;
            assert_eq!(url.backend(), Backend::Postgres, "{location}");
            assert_eq!(url.to_string(), shown, "{location}");
            assert!(!format!("{url:?}").contains(password), "{location}");
            let in_text = redact(&format!("cannot use \"{location}\": refused"));
            assert!(!in_text.contains(password), "{location}: {in_text}");
        }
        Ok(())
    }

    /// libpq quotes the pieces of a URL it split differently from the `url`
    /// crate: `scrub` removes them from its messages.
    #[test]
    fn driver_messages_lose_the_password_and_its_pieces() -> Result<(), Error> {
        let cases = [
            (
                "postgres://app:hunter/two@127.0.0.1:1/app",
                "invalid integer value \"hunter\" for connection option \"port\"",
                "invalid integer value \"***\" for connection option \"port\"",
            ),
            (
                "postgres://app:pa%zzss@127.0.0.1:1/app",
                "invalid percent-encoded token: \"pa%zzss\"",
                "invalid percent-encoded token: \"***\"",
            ),
            (
                "postgres://app:hun@ter2@127.0.0.1:1/app",
                "could not translate host name \"ter2@127.0.0.1\" to address",
                "could not translate host name \"***@127.0.0.1\" to address",
            ),
            (
                "postgres://app:p%C3%A4ss@db/app",
                "password authentication failed (tried päss)",
                "password authentication failed (tried ***)",
            ),
            (
                "postgres://app:hunter2@db/app",
                "could not connect to postgres://app:hunter2@db/app?connect_timeout=10",
                "could not connect to postgres://app:***@db/app?connect_timeout=10",
            ),
            (
                "host=db password='hunter2' port=1",
                "bad option in host=db password='hunter2' port=1: hunter2",
                "bad option in host=db password=*** port=1: ***",
            ),
        ];
        for (location, message, scrubbed) in cases {
            assert_eq!(DatabaseUrl::parse(location)?.scrub(message), scrubbed);
        }
        Ok(())
    }

    #[test]
    fn urls_in_free_text_are_redacted_one_by_one() {
        assert_eq!(
            redact("from postgres://a:one@h1/x to 'postgres://b:two@h2/y', then sqlite://z.db"),
            "from postgres://a:***@h1/x to 'postgres://b:***@h2/y', then sqlite://z.db"
        );
        assert_eq!(redact("a Password=x&b"), "a Password=***&b");
        assert_eq!(
            redact("passwords=x, no_password=y"),
            "passwords=x, no_password=y"
        );
        // Redacting twice changes nothing more.
        let once = redact("postgres://app:pa?ss@db/x password=z");
        assert_eq!(redact(&once), once);
    }

    #[test]
    fn the_connect_timeout_joins_the_real_query() -> Result<(), Error> {
        assert_eq!(
            DatabaseUrl::parse("postgres://app:pa?ss@db/x")?.connect_string(),
            "postgres://app:pa?ss@db/x?connect_timeout=10"
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://app@db/x?sslmode=disable")?.connect_string(),
            "postgres://app@db/x?sslmode=disable&connect_timeout=10"
        );
        assert_eq!(
            DatabaseUrl::parse("host=db dbname=x")?.connect_string(),
            "host=db dbname=x connect_timeout=10"
        );
        Ok(())
    }

    #[test]
    fn sqlite_opens_read_only_through_a_uri() -> Result<(), Error> {
        assert_eq!(
            DatabaseUrl::parse("/tmp/a?b#c%d.db")?.sqlite_read_only_string(),
            "file:///tmp/a%3Fb%23c%25d.db?mode=ro"
        );
        assert_eq!(
            DatabaseUrl::parse("//tmp/x.db")?.sqlite_read_only_string(),
            "file:////tmp/x.db?mode=ro"
        );
        assert_eq!(
            DatabaseUrl::parse("x.db")?.sqlite_read_only_string(),
            "file:x.db?mode=ro"
        );
        assert_eq!(
            DatabaseUrl::parse("file:x.db?cache=shared&mode=rwc")?.sqlite_read_only_string(),
            "file:x.db?cache=shared&mode=ro"
        );
        assert_eq!(
            DatabaseUrl::parse("file:mem?mode=memory")?.sqlite_read_only_string(),
            "file:mem?mode=memory"
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://x.db")?.sqlite_file(),
            Some(std::path::Path::new("x.db"))
        );
        assert_eq!(DatabaseUrl::parse("file:x.db")?.sqlite_file(), None);
        Ok(())
    }

    #[test]
    fn mysql_locations_are_handed_to_the_driver_with_its_tls_names() -> Result<(), Error> {
        let unchecked = "require_ssl=true&verify_ca=false&verify_identity=false";
        let url = DatabaseUrl::parse("mariadb://root:p%3Fw?d@db:3306/app?ssl-mode=REQUIRED")?;
        assert_eq!(url.backend(), Backend::Mysql);
        assert_eq!(
            url.connect_string(),
            format!("mysql://root:p%3Fw?d@db:3306/app?{unchecked}")
        );
        assert_eq!(url.mysql_location().plain, None);
        let url = DatabaseUrl::parse("mysql://u@h/d?ssl-mode=verify_identity&x=1")?;
        assert_eq!(
            url.connect_string(),
            "mysql://u@h/d?require_ssl=true&verify_ca=true&verify_identity=true&x=1"
        );
        assert_eq!(url.mysql_location().plain, None);
        let url = DatabaseUrl::parse("mysql://u@h/d?ssl-mode=disabled")?;
        assert_eq!(url.connect_string(), "mysql://u@h/d");
        assert_eq!(url.mysql_location().plain, None);
        // The driver's own option is taken as it is.
        let url = DatabaseUrl::parse("mysql://u@h/d?require_ssl=false")?;
        assert_eq!(url.connect_string(), "mysql://u@h/d?require_ssl=false");
        assert_eq!(url.mysql_location().plain, None);
        Ok(())
    }

    /// `ssl-ca=FILE` leaves the driver's URL (mysql_async takes no such
    /// option) for the CA file, percent-decoded; alone it means `VERIFY_CA`.
    #[test]
    fn mysql_ssl_ca_is_a_file_and_alone_means_verify_ca() -> Result<(), Error> {
        let url = DatabaseUrl::parse("mysql://u@h/d?ssl-ca=/etc/ssl/rds%20ca.pem&x=1")?;
        let location = url.mysql_location();
        assert_eq!(
            location.first,
            "mysql://u@h/d?require_ssl=true&verify_ca=true&verify_identity=false&x=1"
        );
        assert_eq!(location.plain, None);
        assert_eq!(
            location.ca_file.as_deref(),
            Some(std::path::Path::new("/etc/ssl/rds ca.pem"))
        );
        let url = DatabaseUrl::parse("mysql://u@h/d?ssl-mode=VERIFY_IDENTITY&ssl_ca=ca.pem")?;
        let location = url.mysql_location();
        assert_eq!(
            location.first,
            "mysql://u@h/d?require_ssl=true&verify_ca=true&verify_identity=true"
        );
        assert_eq!(
            location.ca_file.as_deref(),
            Some(std::path::Path::new("ca.pem"))
        );
        // An explicit mode is kept: REQUIRED encrypts without checking.
        let url = DatabaseUrl::parse("mysql://u@h/d?ssl-mode=REQUIRED&ssl-ca=ca.pem")?;
        assert_eq!(
            url.mysql_location().first,
            "mysql://u@h/d?require_ssl=true&verify_ca=false&verify_identity=false"
        );
        Ok(())
    }

    /// `PREFERRED`, said or not: TLS first, then the plain location.
    #[test]
    fn mysql_prefers_tls_and_falls_back_to_the_plain_location() -> Result<(), Error> {
        let unchecked = "require_ssl=true&verify_ca=false&verify_identity=false";
        for (given, first, plain) in [
            (
                "mysql://root@127.0.0.1/test",
                format!("mysql://root@127.0.0.1/test?{unchecked}"),
                "mysql://root@127.0.0.1/test",
            ),
            (
                "MySQL://u@h/d?ssl-mode=PREFERRED",
                format!("mysql://u@h/d?{unchecked}"),
                "mysql://u@h/d",
            ),
            (
                "mariadb://u@h/d?x=1&ssl_mode=preferred",
                format!("mysql://u@h/d?{unchecked}&x=1"),
                "mysql://u@h/d?x=1",
            ),
        ] {
            let url = DatabaseUrl::parse(given)?;
            assert_eq!(url.connect_string(), first, "{given}");
            assert_eq!(
                url.mysql_location().plain.as_deref(),
                Some(plain),
                "{given}"
            );
        }
        Ok(())
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
        assert_eq!(
            DatabaseUrl::parse("mysql://root:pw@h/x")?.backend(),
            Backend::Mysql
        );
        assert!(DatabaseUrl::parse("oracle://root:pw@h/x").is_err());
        let shown = DatabaseUrl::parse("mariadb://u:pw@h/d")?.to_string();
        assert!(!shown.contains("pw@"), "{shown}");
        assert_eq!(
            DatabaseUrl::parse("host=db options='-c search_path=x://y'")?.backend(),
            Backend::Postgres
        );
        assert!(DatabaseUrl::parse(" ").is_err());
        let shown = DatabaseUrl::parse("postgres://u:pw@h/d")?.to_string();
        assert!(!shown.contains("pw@"), "{shown}");
        Ok(())
    }
}
