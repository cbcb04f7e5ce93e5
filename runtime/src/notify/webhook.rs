//! The webhook sink: each notice POSTed as JSON to one URL, after commit,
//! following the Standard Webhooks specification (`webhook-id`,
//! `webhook-timestamp`, and with a secret `webhook-signature`), or as a Slack
//! incoming-webhook message.
//!
//! It is a [`Notifier`] named [`SINK`]: what it delivered is recorded in
//! `llm_model_notification_deliveries` like any sink's, under the delivery
//! lock, so a notice it delivered once is never posted again, even by two
//! deploys delivering at once, and one that failed is retried on the next
//! run. Within a run each notice gets a few attempts with backoff (3: after
//! 200 ms, then 400 ms); a 2xx is a success, anything else (another status,
//! a refused or closed connection, a timeout) a failure. A `410 Gone` disables
//! the endpoint for the rest of the run ([`SinkDisabled`]): no more attempts.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit as _, Mac as _};
use llm_lifecycle_catalog::Catalog;
use sha2::Sha256;

use super::{Notice, Notifier, SinkDisabled};

/// The sink name of the webhook in `llm_model_notification_deliveries`.
pub const SINK: &str = "webhook";

/// The environment variable holding the signing secret (`whsec_` + base64).
pub const SECRET_ENV: &str = "LLM_LIFECYCLE_WEBHOOK_SECRET";

/// How long one request may take, connecting included, by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The waits between attempts by default: 3 attempts.
pub const DEFAULT_BACKOFF: [Duration; 2] = [Duration::from_millis(200), Duration::from_millis(400)];

/// The body a [`Webhook`] posts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum WebhookFormat {
    /// The notice as a JSON object (`id`, `team_id`, `slug`, `model`, `level`,
    /// `title`, `message`, `links`, `permission`, `created_at`, `recipients`).
    #[default]
    Standard,
    /// Slack's incoming-webhook message: `{"text": "*title*\nmessage\n<url|name> · …"}`.
    Slack,
}

/// A webhook that cannot be set up (reported before anything is applied).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The URL is not an absolute `http://` or `https://` URL.
    #[error("the webhook URL{source_name} is not an http:// or https:// URL ({reason})")]
    Url {
        /// ` in NAME` when it came from an environment variable, else empty.
        source_name: String,
        /// What is wrong with it (never the URL itself: it may hold a token).
        reason: String,
    },
    /// [`SECRET_ENV`] does not hold `whsec_` followed by base64.
    #[error(
        "{SECRET_ENV} is not a Standard Webhooks secret: expected `whsec_` followed by base64 \
         (e.g. `whsec_` and the output of `openssl rand -base64 32`)"
    )]
    Secret,
}

/// A [`Notifier`] posting each notice to one URL; see [the module](self).
pub struct Webhook {
    url: String,
    shown: String,
    format: WebhookFormat,
    secret: Option<Vec<u8>>,
    timeout: Duration,
    backoff: Vec<Duration>,
    agent: ureq::Agent,
    disabled: Mutex<Option<String>>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither the URL's path (Slack: the token) nor the secret.
        f.debug_struct("Webhook")
            .field("endpoint", &self.shown)
            .field("format", &self.format)
            .field("signed", &self.secret.is_some())
            .field("timeout", &self.timeout)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}

impl Webhook {
    /// A webhook posting to `url` in the standard format, unsigned, with the
    /// default timeout and backoff.
    ///
    /// # Errors
    /// [`WebhookError::Url`] unless `url` is an absolute `http(s)://` URL.
    pub fn new(url: &str) -> Result<Self, WebhookError> {
        Self::parse(url, "")
    }

    fn parse(url: &str, source_name: &str) -> Result<Self, WebhookError> {
        let invalid = |reason: &str| WebhookError::Url {
            source_name: source_name.to_owned(),
            reason: reason.to_owned(),
        };
        let parsed = url::Url::parse(url.trim()).map_err(|error| invalid(&error.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid(&format!("its scheme is {}", parsed.scheme())));
        }
        let Some(host) = parsed.host_str() else {
            return Err(invalid("it has no host"));
        };
        let shown = match parsed.port() {
            Some(port) => format!("{}://{host}:{port}", parsed.scheme()),
            None => format!("{}://{host}", parsed.scheme()),
        };
        Ok(Self {
            url: parsed.to_string(),
            shown,
            format: WebhookFormat::Standard,
            secret: None,
            timeout: DEFAULT_TIMEOUT,
            backoff: DEFAULT_BACKOFF.to_vec(),
            agent: agent(DEFAULT_TIMEOUT),
            disabled: Mutex::new(None),
        })
    }

    /// The webhook of the command line: `--notify-webhook URL`, else the URL
    /// in the environment variable `[notifications] webhook_env` names (none
    /// when that variable is unset or empty), signed when [`SECRET_ENV`] is set.
    ///
    /// # Errors
    /// A URL that is not `http(s)://`, or a [`SECRET_ENV`] that is not a secret.
    pub fn configured(
        flag: Option<&str>,
        format: WebhookFormat,
        catalog: &Catalog,
    ) -> Result<Option<Self>, WebhookError> {
        let webhook = match (flag, catalog.notifications.webhook_env.as_deref()) {
            (Some(url), _) => Self::parse(url, "")?,
            (None, Some(name)) => match std::env::var(name) {
                Ok(url) if !url.trim().is_empty() => Self::parse(&url, &format!(" in {name}"))?,
                _ => {
                    tracing::info!(
                        variable = name,
                        "no webhook: the variable [notifications] webhook_env names is not set"
                    );
                    return Ok(None);
                }
            },
            (None, None) => return Ok(None),
        };
        let webhook = webhook.format(format);
        match std::env::var(SECRET_ENV) {
            Ok(secret) if !secret.is_empty() => webhook.secret(&secret).map(Some),
            _ => Ok(Some(webhook)),
        }
    }

    /// Posts `format` bodies.
    #[must_use]
    pub fn format(mut self, format: WebhookFormat) -> Self {
        self.format = format;
        self
    }

    /// Signs each request with `secret` (`whsec_` followed by base64).
    ///
    /// # Errors
    /// [`WebhookError::Secret`] when it is not of that form.
    pub fn secret(mut self, secret: &str) -> Result<Self, WebhookError> {
        self.secret = Some(decode_secret(secret)?);
        Ok(self)
    }

    /// How long one request may take, connecting included.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self.agent = agent(timeout);
        self
    }

    /// The waits between attempts: one attempt more than there are waits.
    #[must_use]
    pub fn backoff(mut self, waits: &[Duration]) -> Self {
        self.backoff = waits.to_vec();
        self
    }

    /// `scheme://host[:port]` of the URL: what messages show of it.
    pub fn endpoint(&self) -> &str {
        &self.shown
    }

    /// Why the endpoint was disabled for the rest of the run (it answered
    /// `410 Gone`), or `None`.
    pub fn disabled(&self) -> Option<String> {
        self.disabled.lock().ok().and_then(|reason| reason.clone())
    }

    /// The body posted for `notice`.
    pub fn body(&self, notice: &Notice) -> String {
        let value = match self.format {
            WebhookFormat::Standard => serde_json::to_value(notice),
            WebhookFormat::Slack => Ok(serde_json::json!({ "text": slack_text(notice) })),
        };
        value.map_or_else(|_| String::from("{}"), |value| value.to_string())
    }

    /// One POST of `body`; `Ok(status)` for any answer.
    fn post(&self, id: &str, body: &str) -> Result<(u16, String), String> {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs())
            .to_string();
        let mut request = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", &timestamp);
        if let Some(secret) = &self.secret {
            request = request.header("webhook-signature", sign(secret, id, &timestamp, body));
        }
        match request.send(body) {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let text = response
                    .body_mut()
                    .with_config()
                    .limit(4096)
                    .read_to_vec()
                    .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                    .unwrap_or_default();
                Ok((status, text))
            }
            Err(ureq::Error::Timeout(_)) => Err(format!("no answer within {:?}", self.timeout)),
            Err(ureq::Error::Io(error)) => Err(error.to_string()),
            Err(error) => Err(error.to_string()),
        }
    }
}

impl Notifier for Webhook {
    fn name(&self) -> &str {
        SINK
    }

    fn deliver(&self, notice: &Notice) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if let Some(reason) = self.disabled() {
            return Err(Box::new(SinkDisabled { reason }));
        }
        let id = notice.id.to_string();
        let body = self.body(notice);
        let attempts = self.backoff.len() + 1;
        let mut last = String::new();
        for attempt in 1..=attempts {
            match self.post(&id, &body) {
                Ok((status, _)) if (200..300).contains(&status) => return Ok(()),
                Ok((410, _)) => {
                    let reason = format!(
                        "the webhook {} answered 410 Gone: no more deliveries to it in this run",
                        self.shown
                    );
                    if let Ok(mut disabled) = self.disabled.lock() {
                        *disabled = Some(reason.clone());
                    }
                    return Err(Box::new(SinkDisabled { reason }));
                }
                Ok((status, text)) => {
                    let text = crate::error::one_line(text.trim());
                    let text: String = text.chars().take(200).collect();
                    last = if text.is_empty() {
                        format!("HTTP {status}")
                    } else {
                        format!("HTTP {status}: {text}")
                    };
                }
                Err(error) => last = error,
            }
            tracing::debug!(
                notification = notice.id,
                attempt,
                error = %last,
                "webhook attempt failed"
            );
            if let Some(wait) = self.backoff.get(attempt - 1) {
                std::thread::sleep(*wait);
            }
        }
        Err(format!(
            "the webhook {} failed {attempts} time(s), the last: {last}",
            self.shown
        )
        .into())
    }
}

/// An agent whose requests give up after `timeout`, following no redirect
/// (a 3xx is a failure) and reading the status itself.
fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(concat!("llm-lifecycle/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// The key of a `whsec_…` secret.
fn decode_secret(secret: &str) -> Result<Vec<u8>, WebhookError> {
    let encoded = secret
        .trim()
        .strip_prefix("whsec_")
        .ok_or(WebhookError::Secret)?;
    match BASE64.decode(encoded) {
        Ok(key) if !key.is_empty() => Ok(key),
        _ => Err(WebhookError::Secret),
    }
}

/// The `webhook-signature` value: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` under `key`.
pub fn sign(key: &[u8], id: &str, timestamp: &str, body: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        // HMAC takes keys of any length.
        return String::new();
    };
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// Slack's `mrkdwn` of a notice: the title in bold, the message, the links.
fn slack_text(notice: &Notice) -> String {
    let mut text = format!(
        "*{}*\n{}",
        slack_escape(&notice.title),
        slack_escape(&notice.message)
    );
    if !notice.links.is_empty() {
        let links: Vec<String> = notice
            .links
            .iter()
            .map(|(name, url)| {
                let url = url
                    .replace('|', "%7C")
                    .replace('<', "%3C")
                    .replace('>', "%3E");
                format!("<{url}|{}>", slack_escape(name))
            })
            .collect();
        text.push('\n');
        text.push_str(&links.join(" · "));
    }
    text
}

/// The three characters Slack's text reserves.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn notice() -> Notice {
        Notice {
            id: 7,
            team_id: 1,
            slug: "llm-model-deleted".to_owned(),
            model: "openai/gpt-4".to_owned(),
            level: "warning".to_owned(),
            title: "LLM Model 'openai/gpt-4' Removed".to_owned(),
            message: "1 chatbot(s) <affected> & updated".to_owned(),
            links: [
                ("A/B".to_owned(), "/a/1/x|y/".to_owned()),
                ("Support".to_owned(), "/a/1/chatbots/1/".to_owned()),
            ]
            .into(),
            permission: "p".to_owned(),
            created_at: "2026-12-01 09:30:00".to_owned(),
            recipients: vec![10, 11],
        }
    }

    #[test]
    fn the_signature_is_the_standard_webhooks_one() {
        // The example of the Standard Webhooks specification's reference libraries.
        let key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            sign(
                &key,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                "1614265330",
                r#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        for bad in ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_!!!"] {
            assert_eq!(decode_secret(bad), Err(WebhookError::Secret), "{bad}");
        }
    }

    #[test]
    fn urls_must_be_http_and_are_shown_without_their_path() {
        let webhook = Webhook::new("https://hooks.slack.com/services/T0/B0/secret").unwrap();
        assert_eq!(webhook.endpoint(), "https://hooks.slack.com");
        assert!(!format!("{webhook:?}").contains("secret"));
        assert_eq!(
            Webhook::new("http://127.0.0.1:8080/x").unwrap().endpoint(),
            "http://127.0.0.1:8080"
        );
        for bad in ["ftp://example.com/", "hooks.example.com/x", ""] {
            let error = Webhook::new(bad).unwrap_err().to_string();
            assert!(
                error.starts_with("the webhook URL is not an http:// or https:// URL ("),
                "{error}"
            );
        }
    }

    #[test]
    fn bodies_are_the_notice_or_a_slack_message() {
        let webhook = Webhook::new("http://127.0.0.1:1/").unwrap();
        let body: serde_json::Value = serde_json::from_str(&webhook.body(&notice())).unwrap();
        assert_eq!(body["id"], 7);
        assert_eq!(body["team_id"], 1);
        assert_eq!(body["links"]["Support"], "/a/1/chatbots/1/");
        assert_eq!(body["recipients"], serde_json::json!([10, 11]));
        let slack = webhook.format(WebhookFormat::Slack);
        let body: serde_json::Value = serde_json::from_str(&slack.body(&notice())).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "text": "*LLM Model 'openai/gpt-4' Removed*\n1 chatbot(s) &lt;affected&gt; &amp; updated\n\
                         </a/1/x%7Cy/|A/B> · </a/1/chatbots/1/|Support>"
            })
        );
    }
}
