//! The webhook sink against a local HTTP server started by each test: retries
//! within a run (a closed connection, a timeout, a 500), the deliveries table
//! after each run, the next run retrying only what failed, a stable
//! `webhook-id`, a signature verified independently (HMAC-SHA256 of
//! `{id}.{timestamp}.{body}` as the Standard Webhooks specification says),
//! `410 Gone`, the Slack format, two deliverers at once, and `apply-models
//! --notify-webhook`. Every scenario runs on each backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{KeyInit as _, Mac as _};
use llm_lifecycle_runtime::Notifier;
use llm_lifecycle_runtime::notify::{Webhook, WebhookFormat, deliver};
use llm_lifecycle_test_support::TestDb;

use crate::common::{apply, connect, count};
use crate::notifications_support::*;

/// The signing key; [`secret`] is its `whsec_` form.
const KEY: &[u8] = b"a known test key of 32 bytes...!";

/// `whsec_` and the base64 of [`KEY`].
fn secret() -> String {
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(KEY)
    )
}

/// What the server does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Reads the request and closes the connection without answering.
    Close,
    /// Answers 200 after this long (past the client's timeout: a timeout).
    Slow(Duration),
    /// Answers with this status.
    Status(u16),
}

/// One request the server read.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: Option<String>,
    content_type: String,
    body: String,
    at: Instant,
    answer: Answer,
}

/// A local HTTP server: answers each request with the next scripted
/// [`Answer`], then with `then`; one thread per connection.
struct Server {
    url: String,
    script: Arc<Mutex<VecDeque<Answer>>>,
    then: Arc<Mutex<Answer>>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Server {
    fn start(script: &[Answer], then: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/hooks/llm?token=t0p",
            listener.local_addr().unwrap()
        );
        let server = Self {
            url,
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            then: Arc::new(Mutex::new(then)),
            received: Arc::new(Mutex::new(Vec::new())),
        };
        let (script, then, received) = (
            server.script.clone(),
            server.then.clone(),
            server.received.clone(),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let answer = script
                    .lock()
                    .unwrap()
                    .pop_front()
                    .unwrap_or(*then.lock().unwrap());
                let received = received.clone();
                std::thread::spawn(move || serve(stream, answer, &received));
            }
        });
        server
    }

    /// Scripts the next answers, and the one after them.
    fn script(&self, answers: &[Answer], then: Answer) {
        *self.script.lock().unwrap() = answers.iter().copied().collect();
        *self.then.lock().unwrap() = then;
    }

    /// The requests read so far, emptied.
    fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.received.lock().unwrap())
    }
}

fn serve(stream: TcpStream, answer: Answer, received: &Mutex<Vec<Received>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(
        line.starts_with("POST /hooks/llm?token=t0p HTTP/1.1"),
        "{line}"
    );
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap();
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let length: usize = header("content-length").unwrap().parse().unwrap();
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    received.lock().unwrap().push(Received {
        id: header("webhook-id").unwrap(),
        timestamp: header("webhook-timestamp").unwrap(),
        signature: header("webhook-signature"),
        content_type: header("content-type").unwrap(),
        body: String::from_utf8(body).unwrap(),
        at: Instant::now(),
        answer,
    });
    let status = match answer {
        Answer::Close => return,
        Answer::Slow(wait) => {
            std::thread::sleep(wait);
            200
        }
        Answer::Status(status) => status,
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} Scripted\r\ncontent-length: 7\r\nconnection: close\r\n\r\nanswer!"
    );
}

/// A fast webhook to `server`: 500 ms per request, 50 ms then 100 ms between attempts.
fn webhook(server: &Server) -> Webhook {
    Webhook::new(&server.url)
        .unwrap()
        .timeout(Duration::from_millis(500))
        .backoff(&[Duration::from_millis(50), Duration::from_millis(100)])
}

/// The ids of the notifications, oldest first.
fn notification_ids(db: &TestDb) -> Vec<String> {
    db.strings(&format!(
        "SELECT {} AS v FROM llm_model_notifications ORDER BY id",
        db.text_cast("id")
    ))
    .into_iter()
    .map(Option::unwrap)
    .collect()
}

/// `id attempts delivered|pending` of every webhook delivery row, by id.
fn deliveries(db: &TestDb) -> Vec<String> {
    db.strings(&format!(
        "SELECT {} AS v FROM llm_model_notification_deliveries WHERE sink = 'webhook' \
         ORDER BY notification_id",
        db.concat(&[
            &db.text_cast("notification_id"),
            "' '",
            &db.text_cast("attempts"),
            "' '",
            "CASE WHEN delivered_at IS NULL THEN 'pending' ELSE 'delivered' END",
        ])
    ))
    .into_iter()
    .map(Option::unwrap)
    .collect()
}

fn last_error(db: &TestDb, id: &str) -> String {
    db.string(&format!(
        "SELECT last_error AS v FROM llm_model_notification_deliveries \
         WHERE sink = 'webhook' AND notification_id = {id}"
    ))
}

/// Checks the Standard Webhooks headers of `request`: a recent timestamp and
/// `v1,` + base64(HMAC-SHA256(KEY, "{id}.{timestamp}.{body}")).
fn assert_signed(request: &Received) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let timestamp: u64 = request.timestamp.parse().unwrap();
    assert!(now.abs_diff(timestamp) < 60, "{request:?}");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(KEY).unwrap();
    mac.update(format!("{}.{}.{}", request.id, request.timestamp, request.body).as_bytes());
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(
        request.signature.as_deref(),
        Some(&*expected),
        "{request:?}"
    );
    assert_eq!(request.content_type, "application/json");
}

/// A closed connection, a timeout and a 500 fail the first notice three
/// times; two 500s then a 200 deliver the second; the third goes through.
/// The next run posts only the first again; the one after posts nothing.
fn failures_are_retried_in_the_run_and_on_the_next_one_and_deliveries_never_repeat(db: &TestDb) {
    prepared(db);
    apply(db, &full(MODELS, RECIPIENTS)).unwrap();
    let ids = notification_ids(db);
    assert_eq!(ids.len(), 3);
    let server = Server::start(
        &[
            Answer::Close,
            Answer::Slow(Duration::from_secs(2)),
            Answer::Status(500),
            Answer::Status(500),
            Answer::Status(503),
        ],
        Answer::Status(204),
    );
    let webhook = webhook(&server).secret(&secret()).unwrap();

    let started = Instant::now();
    let first = deliver(&mut connect(db), &[&webhook]).unwrap();
    assert_eq!((first.delivered, first.failed, first.disabled), (2, 1, 0));
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "the timeout was waited for"
    );
    let requests = server.take();
    let sent: Vec<(&str, Answer)> = requests.iter().map(|r| (&*r.id, r.answer)).collect();
    assert_eq!(
        sent,
        [
            (&*ids[0], Answer::Close),
            (&*ids[0], Answer::Slow(Duration::from_secs(2))),
            (&*ids[0], Answer::Status(500)),
            (&*ids[1], Answer::Status(500)),
            (&*ids[1], Answer::Status(503)),
            (&*ids[1], Answer::Status(204)),
            (&*ids[2], Answer::Status(204)),
        ],
        "3 attempts each at most, the webhook-id stable across them"
    );
    // The backoff: 50 ms then 100 ms between the attempts at one notice.
    assert!(requests[4].at - requests[3].at >= Duration::from_millis(50));
    assert!(requests[5].at - requests[4].at >= Duration::from_millis(100));
    for request in &requests {
        assert_signed(request);
    }
    // The body is the notice: the same on every attempt.
    assert_eq!(requests[0].body, requests[2].body);
    let body: serde_json::Value = serde_json::from_str(&requests[0].body).unwrap();
    assert_eq!(body["id"].to_string(), ids[0]);
    for key in ["team_id", "slug", "model", "level", "title", "message"] {
        assert!(!body[key].is_null(), "{key} in {body}");
    }
    assert!(
        body["links"].is_object() && body["recipients"].is_array(),
        "{body}"
    );
    assert_eq!(
        deliveries(db),
        [
            format!("{} 1 pending", ids[0]),
            format!("{} 1 delivered", ids[1]),
            format!("{} 1 delivered", ids[2]),
        ]
    );
    assert_eq!(
        last_error(db, &ids[0]),
        format!(
            "the webhook {} failed 3 time(s), the last: HTTP 500: answer!",
            server.url.split("/hooks").next().unwrap()
        )
    );

    let second = deliver(&mut connect(db), &[&webhook]).unwrap();
    assert_eq!((second.delivered, second.failed), (1, 0));
    let requests = server.take();
    assert_eq!(
        requests.len(),
        1,
        "only the failed notice again: {requests:?}"
    );
    assert_eq!(
        requests[0].id, ids[0],
        "the same webhook-id as in the first run"
    );
    assert_signed(&requests[0]);
    assert_eq!(
        deliveries(db),
        [
            format!("{} 2 delivered", ids[0]),
            format!("{} 1 delivered", ids[1]),
            format!("{} 1 delivered", ids[2]),
        ]
    );

    let third = deliver(&mut connect(db), &[&webhook]).unwrap();
    assert_eq!((third.delivered, third.failed), (0, 0));
    assert!(
        server.take().is_empty(),
        "a delivered notice is never sent again"
    );
}

/// A refused connection is a failure like any other, retried on the next run.
fn a_refused_connection_is_retried_on_the_next_run(db: &TestDb) {
    prepared(db);
    apply(db, &full(MODELS, "")).unwrap();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let webhook = Webhook::new(&url)
        .unwrap()
        .timeout(Duration::from_millis(500))
        .backoff(&[Duration::from_millis(10), Duration::from_millis(10)]);
    let report = deliver(&mut connect(db), &[&webhook]).unwrap();
    assert_eq!((report.delivered, report.failed), (0, 3));
    assert_eq!(
        count(
            db,
            "llm_model_notification_deliveries WHERE delivered_at IS NULL"
        ),
        3
    );
    let ids = notification_ids(db);
    let error = last_error(db, &ids[0]);
    assert!(error.contains("failed 3 time(s), the last: "), "{error}");
}

/// A `410 Gone` is asked once: the webhook is disabled for the rest of the
/// run, the other notices wait for the next run, which delivers them all.
fn a_gone_endpoint_is_disabled_for_the_run(db: &TestDb) {
    prepared(db);
    apply(db, &full(MODELS, "")).unwrap();
    let ids = notification_ids(db);
    let server = Server::start(&[], Answer::Status(410));
    let gone = webhook(&server);
    let report = deliver(&mut connect(db), &[&gone]).unwrap();
    assert_eq!(
        (report.delivered, report.failed, report.disabled),
        (0, 1, 1)
    );
    assert_eq!(server.take().len(), 1, "no retry after a 410");
    assert_eq!(deliveries(db), [format!("{} 1 pending", ids[0])]);
    let reason = gone.disabled().unwrap();
    assert!(
        reason.ends_with("answered 410 Gone: no more deliveries to it in this run"),
        "{reason}"
    );
    assert_eq!(last_error(db, &ids[0]), reason);
    // The same webhook sends nothing more in this run.
    let again = deliver(&mut connect(db), &[&gone]).unwrap();
    assert_eq!((again.delivered, again.failed), (0, 1));
    assert!(server.take().is_empty());

    server.script(&[], Answer::Status(200));
    let next = deliver(&mut connect(db), &[&webhook(&server)]).unwrap();
    assert_eq!((next.delivered, next.failed), (3, 0));
    let sent: Vec<String> = server.take().into_iter().map(|r| r.id).collect();
    assert_eq!(sent, ids);
}

/// `--webhook-format slack`'s body: `{"text": "*title*\nmessage\n<url|name> · …"}`.
fn the_slack_format_posts_a_message(db: &TestDb) {
    prepared(db);
    apply(db, &full(MODELS, "")).unwrap();
    let server = Server::start(&[], Answer::Status(200));
    let slack = webhook(&server).format(WebhookFormat::Slack);
    assert_eq!(deliver(&mut connect(db), &[&slack]).unwrap().delivered, 3);
    let requests = server.take();
    let gpt4 = db.string(&format!(
        "SELECT {} AS v FROM llm_model_notifications WHERE team_id = 1 AND model = 'openai/gpt-4'",
        db.text_cast("id")
    ));
    let request = requests.iter().find(|r| r.id == gpt4).unwrap();
    assert!(request.signature.is_none(), "no secret, no signature");
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    let (title, message) = notifications(db)
        .into_iter()
        .find(|n| n.0 == 1 && n.2 == "openai/gpt-4")
        .map(|n| (n.3, n.4))
        .unwrap();
    let links: Vec<String> = links(db, 1, "openai/gpt-4")
        .iter()
        .map(|(name, url)| format!("<{url}|{name}>"))
        .collect();
    assert!(!links.is_empty());
    assert_eq!(
        body,
        serde_json::json!({ "text": format!("*{title}*\n{message}\n{}", links.join(" · ")) })
    );
}

/// Two deliverers at the same moment, each with its own webhook to one
/// endpoint: each notice is posted once.
fn two_concurrent_deliverers_post_each_notice_once(db: &TestDb) {
    prepared(db);
    apply(db, &full(MODELS, RECIPIENTS)).unwrap();
    let server = Server::start(&[], Answer::Slow(Duration::from_millis(50)));
    let reports: Vec<_> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let server = &server;
                scope.spawn(move || {
                    let webhook = webhook(server);
                    deliver(&mut connect(db), &[&webhook as &dyn Notifier]).unwrap()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut sent: Vec<String> = server.take().into_iter().map(|r| r.id).collect();
    sent.sort();
    let mut ids = notification_ids(db);
    ids.sort();
    assert_eq!(sent, ids, "each notice posted once");
    assert_eq!(reports.iter().map(|r| r.delivered).sum::<u64>(), 3);
    assert!(reports.iter().all(|r| r.failed == 0));
}

/// `apply-models --notify-webhook`: a 410 is one warning, failures keep exit
/// 0 and are retried on the next apply; a bad URL is a usage error, and
/// `[notifications] webhook_env` names the variable that holds the URL.
fn apply_models_notify_webhook(db: &TestDb) {
    prepared(db);
    let catalog = full(MODELS, "");
    let server = Server::start(&[], Answer::Status(410));
    let run = |args: &[&str]| {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let mut argv = vec!["apply-models", "--database-url", db.url(), "--quiet"];
        argv.extend_from_slice(args);
        let code = llm_lifecycle_runtime::cli::run(&catalog, argv, &mut out, &mut err);
        (code, String::from_utf8(err).unwrap())
    };
    let endpoint = server.url.split("/hooks").next().unwrap();

    let (code, err) = run(&["apply", "--notify-webhook", "ftp://example.com/x"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: the webhook URL is not an http:// or https:// URL ("),
        "{err}"
    );
    assert_eq!(count(db, "llm_model_notifications"), 0, "nothing applied");

    let (code, err) = run(&["apply", "--notify-webhook", &server.url]);
    assert_eq!(code, 0, "a failed delivery does not fail the apply: {err}");
    assert!(
        err.contains(&format!(
            "warning: the webhook {endpoint} answered 410 Gone: no more deliveries to it in this \
             run; its notices are retried on the next run\n"
        )),
        "{err}"
    );
    assert_eq!(server.take().len(), 1);

    server.script(&[], Answer::Status(500));
    let (code, err) = run(&["apply", "--notify-webhook", &server.url]);
    assert_eq!(code, 0);
    assert!(
        err.contains("3 notification deliveries failed; they are retried on the next run"),
        "{err}"
    );
    assert_eq!(server.take().len(), 9, "3 attempts at each of 3 notices");

    server.script(&[], Answer::Status(200));
    let (code, err) = run(&["--notify-webhook", &server.url, "--webhook-format", "slack"]);
    assert_eq!((code, &*err), (0, ""));
    let requests = server.take();
    assert_eq!(requests.len(), 3);
    assert!(
        requests
            .iter()
            .all(|r| r.body.starts_with(r#"{"text":"*LLM Model '"#))
    );
    let (code, _) = run(&["apply", "--notify-webhook", &server.url]);
    assert_eq!(code, 0);
    assert!(server.take().is_empty(), "delivered once, never again");

    // `webhook_env`: the variable's value is the URL (PATH is no URL: a usage error).
    let by_env = full(MODELS, "[notifications]\nwebhook_env = \"PATH\"\n");
    let error = Webhook::configured(None, WebhookFormat::Standard, &by_env).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("the webhook URL in PATH is not an http:// or https:// URL ("),
        "{error}"
    );
    let unset = full(
        MODELS,
        "[notifications]\nwebhook_env = \"LLM_LIFECYCLE_TEST_NO_SUCH_VARIABLE\"\n",
    );
    assert!(
        Webhook::configured(None, WebhookFormat::Standard, &unset)
            .unwrap()
            .is_none()
    );
    let flag = Webhook::configured(Some(&server.url), WebhookFormat::Standard, &by_env).unwrap();
    assert_eq!(flag.unwrap().endpoint(), endpoint, "the flag wins");
}

llm_lifecycle_test_support::backend_tests!(
    failures_are_retried_in_the_run_and_on_the_next_one_and_deliveries_never_repeat,
    a_refused_connection_is_retried_on_the_next_run,
    a_gone_endpoint_is_disabled_for_the_run,
    the_slack_format_posts_a_message,
    two_concurrent_deliverers_post_each_notice_once,
    apply_models_notify_webhook,
);
