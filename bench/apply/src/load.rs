//! What the host sees during a measured run: a writer updating referencing
//! rows at a steady rate, and a monitor measuring the apply's longest
//! transaction from outside. Both run in the parent process on connections of
//! their own (so the child's peak RSS stays the apply's), opened before the
//! child starts; they run between the child's start and end marks (the
//! measured call only), see [`Probe`].
//!
//! The writer issues one autocommit `UPDATE … SET col = col WHERE id = …`
//! every `1 / rate` seconds (half of them on rows the apply repoints, half on
//! any row; half on `assistants`, half on `pipeline_nodes`), touching no
//! reference, so the end state the bench checks is unchanged. Latency is
//! counted from each write's *scheduled* time (open loop): a write blocked
//! behind the apply's row locks delays the ones queued behind it, and they
//! count that wait, as a pool of application clients would see it; writes
//! scheduled before the apply ended are all issued (the backlog is drained).
//! Writes at least 100 ms late in a row are reported as one [`Stall`], with
//! the wall-clock time it began, to be lined up with `--trace` and the
//! server's log; on PostgreSQL the bench also counts the server's
//! checkpoints during each run ([`checkpoints`]). At ten times the default
//! scale on a server with the default `max_wal_size` (1 GB), the batched
//! apply's WAL makes the server checkpoint every 4–5 s, and the writer's
//! stalls began in each checkpoint's sync phase (its `fsync`s, 0.27–0.31 s):
//! a commit waits for its WAL flush behind them.
//!
//! The monitor polls every `poll` interval for the open transactions of the
//! other client sessions on the database (not its own, not the writer's):
//! PostgreSQL `pg_stat_activity.xact_start`, exact, the longest age seen;
//! MariaDB `information_schema.innodb_trx` (whose `trx_started` has whole
//! seconds), each transaction's span between the first and the last poll that
//! saw it. InnoDB refreshes that table's snapshot only when it has not been
//! read for 100 ms (polled faster, it is never refreshed and shows the same
//! transactions forever), so on MariaDB the monitor polls every
//! [`MARIADB_MIN_POLL`] at least. Either way the figure can be short by up to
//! one poll interval, and a transaction shorter than that may not be seen.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Double, Text};

use crate::dataset::Scale;
use crate::engine::{Conn, Engine};

/// Waiting for the start mark.
const IDLE: u8 = 0;
/// Between the start and end marks.
const RUNNING: u8 = 1;
/// After the end mark (or abandoned).
const STOPPED: u8 = 2;

/// The shortest poll interval on MariaDB (see the module's documentation).
pub(crate) const MARIADB_MIN_POLL: Duration = Duration::from_millis(120);

/// The writer's settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Writer {
    /// Writes per second; 0: no writer.
    pub(crate) rate: f64,
    /// The data set's sizes (ids are 1..=n) and which rows reference a deleted model.
    pub(crate) scale: Scale,
}

/// What the writer and the monitor saw during one run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Load {
    /// Longest transaction of the other sessions seen by the monitor.
    pub(crate) longest_tx: Duration,
    /// The statement of that transaction the monitor saw running longest
    /// (PostgreSQL; MariaDB: the last one seen), its first 100 characters.
    pub(crate) longest_statement: String,
    /// Polls the monitor made.
    pub(crate) polls: u64,
    /// Each write's latency from its scheduled time.
    pub(crate) latencies: Vec<Duration>,
    /// Each write's own time (from its issue, not its schedule: without the
    /// wait behind the writes before it) on a row the apply repoints: its
    /// row-lock wait and the machine's load…
    pub(crate) on_repointed: Vec<Duration>,
    /// …and on any other row: the load only.
    pub(crate) elsewhere: Vec<Duration>,
    /// Writes that failed (lock wait timeout and the like).
    pub(crate) errors: u64,
    /// How long the writer ran (first scheduled write to the end mark).
    pub(crate) writer_span: Duration,
    /// The writer's stalls, in order.
    pub(crate) stalls: Vec<Stall>,
}

/// A run of consecutive writes each done at least [`STALLED`] after its
/// scheduled time: when it began (wall clock, to be lined up with `--trace`
/// and the server's log), how many writes, the worst latency.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stall {
    /// When its first write was scheduled, since the Unix epoch.
    pub(crate) began: Duration,
    /// Its writes.
    pub(crate) writes: u64,
    /// Its slowest write's latency.
    pub(crate) worst: Duration,
}

/// A write this late (from its scheduled time) is part of a [`Stall`].
pub(crate) const STALLED: Duration = Duration::from_millis(100);

/// What the writer thread returns.
#[derive(Debug, Default)]
struct Writes {
    /// Each write's latency.
    latencies: Vec<Duration>,
    /// The own times of the writes on repointed rows…
    on_repointed: Vec<Duration>,
    /// …and of the others.
    elsewhere: Vec<Duration>,
    /// The failed writes.
    errors: u64,
    /// How long it ran.
    span: Duration,
    /// Its stalls.
    stalls: Vec<Stall>,
}

impl Writes {
    /// A write done `latency` after its scheduled time, `scheduled` (since
    /// the Unix epoch): a late one after a late one is part of its stall.
    fn record(&mut self, latency: Duration, scheduled: Duration) {
        let after_late = self.latencies.last().is_some_and(|last| *last >= STALLED);
        self.latencies.push(latency);
        if latency < STALLED {
            return;
        }
        match self.stalls.last_mut() {
            Some(stall) if after_late => {
                stall.writes += 1;
                stall.worst = stall.worst.max(latency);
            }
            _ => self.stalls.push(Stall {
                began: scheduled,
                writes: 1,
                worst: latency,
            }),
        }
    }
}

/// The writer and monitor threads of one run.
#[derive(Debug)]
pub(crate) struct Probe {
    state: Arc<AtomicU8>,
    /// When the end mark arrived: writes scheduled after it are not issued.
    stopped_at: Arc<Mutex<Option<Instant>>>,
    writer: Option<JoinHandle<Result<Writes>>>,
    monitor: Option<JoinHandle<Result<(Longest, u64)>>>,
}

impl Probe {
    /// Connects the writer (unless its rate is 0) and the monitor to `url`,
    /// both waiting for [`start`](Self::start).
    pub(crate) fn new(url: &str, writer: Writer, poll: Duration) -> Result<Self> {
        let state = Arc::new(AtomicU8::new(IDLE));
        let stopped_at = Arc::new(Mutex::new(None));
        let mut probe = Self {
            state: Arc::clone(&state),
            stopped_at: Arc::clone(&stopped_at),
            writer: None,
            monitor: None,
        };
        let mut exclude = None;
        if writer.rate > 0.0 {
            let (ready, connected) = mpsc::channel();
            let (url, state, stopped_at) = (url.to_owned(), Arc::clone(&state), stopped_at);
            probe.writer = Some(std::thread::spawn(move || {
                write_loop(&url, writer, &state, &stopped_at, &ready)
            }));
            exclude = Some(
                connected
                    .recv()
                    .map_err(|_| anyhow!("the writer thread ended before connecting"))?
                    .context("connecting the writer")?,
            );
        }
        let (ready, connected) = mpsc::channel();
        let url = url.to_owned();
        probe.monitor = Some(std::thread::spawn(move || {
            monitor_loop(&url, exclude, poll, &state, &ready)
        }));
        connected
            .recv()
            .map_err(|_| anyhow!("the monitor thread ended before connecting"))?
            .context("connecting the monitor")?;
        Ok(probe)
    }

    /// The child's start mark: the measured call begins.
    pub(crate) fn start(&self) {
        let _ = self
            .state
            .compare_exchange(IDLE, RUNNING, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// The child's end mark: the measured call is over.
    pub(crate) fn stop(&self) {
        if let Ok(mut at) = self.stopped_at.lock() {
            at.get_or_insert_with(Instant::now);
        }
        self.state.store(STOPPED, Ordering::SeqCst);
    }

    /// Stops both threads and collects what they measured.
    pub(crate) fn finish(mut self) -> Result<Load> {
        self.stop();
        let mut load = Load::default();
        if let Some(writer) = self.writer.take() {
            let writes = writer
                .join()
                .map_err(|_| anyhow!("the writer thread panicked"))??;
            load.latencies = writes.latencies;
            load.on_repointed = writes.on_repointed;
            load.elsewhere = writes.elsewhere;
            load.errors = writes.errors;
            load.writer_span = writes.span;
            load.stalls = writes.stalls;
        }
        if let Some(monitor) = self.monitor.take() {
            let (longest, polls) = monitor
                .join()
                .map_err(|_| anyhow!("the monitor thread panicked"))??;
            load.longest_tx = longest.span;
            load.longest_statement = longest.statement;
            load.polls = polls;
        }
        Ok(load)
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.stop();
        // Only when a run failed: the threads' results are not wanted then.
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        if let Some(monitor) = self.monitor.take() {
            let _ = monitor.join();
        }
    }
}

/// The server's checkpoints so far: requested (by WAL volume over
/// `max_wal_size`, or forced, as `CREATE DATABASE` does) and timed
/// (`checkpoint_timeout`). PostgreSQL 15–16 (`pg_stat_bgwriter`);
/// `None` elsewhere.
pub(crate) fn checkpoints(url: &str) -> Option<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = BigInt)]
        requested: i64,
        #[diesel(sql_type = BigInt)]
        timed: i64,
    }
    let mut conn = Conn::establish(url).ok()?;
    if conn.engine() != Engine::Postgres {
        return None;
    }
    let counts: Counts = conn
        .get(
            "SELECT checkpoints_req::bigint AS requested, checkpoints_timed::bigint AS timed \
             FROM pg_stat_bgwriter",
        )
        .ok()?;
    Some((counts.requested, counts.timed))
}

/// `at` (since the Unix epoch) as a UTC time of day (`HH:MM:SS.mmm`).
pub(crate) fn time_of_day(at: Duration) -> String {
    let millis = at.as_millis() % 86_400_000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        millis / 3_600_000,
        millis / 60_000 % 60,
        millis / 1000 % 60,
        millis % 1000
    )
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The session's server-side id (PostgreSQL backend pid, MariaDB connection id).
fn session_id(conn: &mut Conn) -> Result<i64> {
    let sql = match conn.engine() {
        Engine::Postgres => "SELECT pg_backend_pid()::bigint AS id",
        Engine::Mariadb => "SELECT CAST(CONNECTION_ID() AS SIGNED) AS id",
    };
    Ok(conn.get::<Id>(sql)?.id)
}

/// A small deterministic generator (splitmix64): no dependency for random ids.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 1..=n (n ≥ 1; the modulo bias is negligible here).
    pub(crate) fn id(&mut self, n: u64) -> u64 {
        1 + self.next_u64() % n.max(1)
    }
}

/// The `k`-th write's statement: alternately an assistant and a node; every
/// other pair a row referencing a deleted model (one the apply repoints),
/// found by the generator's own rule, else any row. Also whether the row is
/// one the apply repoints.
pub(crate) fn write_sql(writer: &Writer, k: u64, rng: &mut SplitMix) -> (String, bool) {
    let (table, column, n) = if k.is_multiple_of(2) {
        ("assistants", "name", writer.scale.assistants)
    } else {
        ("pipeline_nodes", "pipeline_id", writer.scale.nodes)
    };
    let mut id = rng.id(n);
    if (k / 2).is_multiple_of(2) && writer.scale.per_mille() > 0 {
        // ~1 in 1000/per_mille draws qualifies; bounded in case none does.
        for _ in 0..10_000 {
            if writer.scale.references_deleted(id) {
                break;
            }
            id = rng.id(n);
        }
    }
    (
        format!("UPDATE {table} SET {column} = {column} WHERE id = {id}"),
        writer.scale.references_deleted(id),
    )
}

fn write_loop(
    url: &str,
    writer: Writer,
    state: &AtomicU8,
    stopped_at: &Mutex<Option<Instant>>,
    ready: &mpsc::Sender<Result<i64>>,
) -> Result<Writes> {
    let connected = Conn::establish(url).and_then(|mut conn| {
        if conn.engine() == Engine::Mariadb {
            // A single-transaction apply may hold its row locks past the default 50 s.
            conn.batch("SET SESSION innodb_lock_wait_timeout = 3600")?;
        }
        let id = session_id(&mut conn)?;
        Ok((conn, id))
    });
    let mut conn = match connected {
        Ok((conn, id)) => {
            let _ = ready.send(Ok(id));
            conn
        }
        Err(error) => {
            let message = format!("{error:#}");
            let _ = ready.send(Err(error));
            return Err(anyhow!(message));
        }
    };
    while state.load(Ordering::SeqCst) == IDLE {
        std::thread::sleep(Duration::from_millis(1));
    }
    let interval = Duration::from_secs_f64(1.0 / writer.rate);
    let seed = u64::from(std::process::id()) ^ 0x5eed;
    let mut rng = SplitMix::new(seed);
    let started = Instant::now();
    let epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut writes = Writes::default();
    for k in 0u64.. {
        let scheduled = started + interval.mul_f64(k as f64);
        // Sleep until the write's time, unless the run ends first.
        loop {
            let stop = stopped_at.lock().ok().and_then(|at| *at);
            if stop.is_some_and(|stop| scheduled > stop) {
                writes.span = stop.map_or(Duration::ZERO, |stop| stop - started);
                return Ok(writes);
            }
            let now = Instant::now();
            if now >= scheduled {
                break;
            }
            std::thread::sleep((scheduled - now).min(Duration::from_millis(5)));
        }
        let (sql, repointed) = write_sql(&writer, k, &mut rng);
        let issued = Instant::now();
        if let Err(error) = conn.execute(&sql) {
            writes.errors += 1;
            if writes.errors <= 3 {
                eprintln!("  host write failed: {sql}: {error}");
            }
        }
        writes.record(scheduled.elapsed(), epoch + (scheduled - started));
        let own = issued.elapsed();
        if repointed {
            writes.on_repointed.push(own);
        } else {
            writes.elsewhere.push(own);
        }
    }
    unreachable!("the writer's loop only ends by returning")
}

#[derive(QueryableByName)]
struct Age {
    #[diesel(sql_type = BigInt)]
    pid: i64,
    #[diesel(sql_type = Text)]
    started: String,
    /// The transaction's age, s.
    #[diesel(sql_type = Double)]
    s: f64,
    /// How long its current statement has run, s (0 between statements).
    #[diesel(sql_type = Double)]
    running: f64,
    #[diesel(sql_type = Text)]
    q: String,
}

#[derive(QueryableByName)]
struct Trx {
    #[diesel(sql_type = BigInt)]
    thread: i64,
    #[diesel(sql_type = Text)]
    started: String,
    #[diesel(sql_type = Text)]
    q: String,
}

/// The longest transaction seen, and its statement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Longest {
    pub(crate) span: Duration,
    pub(crate) statement: String,
}

impl Longest {
    fn offer(&mut self, span: Duration, statement: &str) {
        if span > self.span || (span == self.span && self.statement.is_empty()) {
            self.span = span;
            self.statement = statement.split_whitespace().collect::<Vec<_>>().join(" ");
        }
    }
}

fn monitor_loop(
    url: &str,
    writer: Option<i64>,
    poll: Duration,
    state: &AtomicU8,
    ready: &mpsc::Sender<Result<()>>,
) -> Result<(Longest, u64)> {
    let connected = Conn::establish(url).and_then(|mut conn| {
        let own = session_id(&mut conn)?;
        Ok((conn, own))
    });
    let (mut conn, own) = match connected {
        Ok(connected) => {
            let _ = ready.send(Ok(()));
            connected
        }
        Err(error) => {
            let message = format!("{error:#}");
            let _ = ready.send(Err(error));
            return Err(anyhow!(message));
        }
    };
    let excluded = match writer {
        Some(writer) => format!("{own}, {writer}"),
        None => own.to_string(),
    };
    let engine = conn.engine();
    let poll = match engine {
        Engine::Postgres => poll,
        Engine::Mariadb => poll.max(MARIADB_MIN_POLL),
    };
    let sql = match engine {
        Engine::Postgres => format!(
            "SELECT pid::bigint AS pid, xact_start::text AS started, \
               extract(epoch FROM clock_timestamp() - xact_start)::float8 AS s, \
               CASE WHEN state = 'active' \
                 THEN extract(epoch FROM clock_timestamp() - query_start)::float8 ELSE 0 END AS running, \
               left(coalesce(query, ''), 100) AS q \
             FROM pg_stat_activity WHERE datname = current_database() \
             AND backend_type = 'client backend' AND xact_start IS NOT NULL \
             AND pid NOT IN ({excluded})"
        ),
        Engine::Mariadb => format!(
            "SELECT CAST(t.trx_mysql_thread_id AS SIGNED) AS thread, \
               CAST(t.trx_started AS CHAR) AS started, \
               CAST(LEFT(COALESCE(t.trx_query, ''), 100) AS CHAR) AS q \
             FROM information_schema.innodb_trx t \
             JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id \
             WHERE p.db = DATABASE() AND t.trx_mysql_thread_id NOT IN ({excluded})"
        ),
    };
    while state.load(Ordering::SeqCst) == IDLE {
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut longest = Longest::default();
    // PostgreSQL: per transaction, the statement seen running longest.
    let mut statements: HashMap<(i64, String), (f64, String)> = HashMap::new();
    let mut spans = Spans::default();
    let mut polls = 0;
    let mut next = Instant::now();
    while state.load(Ordering::SeqCst) == RUNNING {
        match engine {
            Engine::Postgres => {
                let open: Vec<Age> = conn.load(&sql).context("polling pg_stat_activity")?;
                for age in open {
                    let statement = statements
                        .entry((age.pid, age.started))
                        .or_insert((-1.0, String::new()));
                    if age.running > statement.0 {
                        *statement = (age.running, age.q);
                    }
                    let span = Duration::from_secs_f64(age.s.max(0.0));
                    if span > longest.span {
                        longest.span = span;
                        longest.statement = statement.1.clone();
                    }
                }
            }
            Engine::Mariadb => {
                let open: Vec<Trx> = conn.load(&sql).context("polling innodb_trx")?;
                spans.observe(
                    Instant::now(),
                    open.into_iter().map(|trx| (trx.thread, trx.started, trx.q)),
                );
            }
        }
        polls += 1;
        next += poll;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            next = now;
        }
    }
    let spanned = spans.longest();
    longest.offer(spanned.span, &spanned.statement);
    longest.statement = longest
        .statement
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Ok((longest, polls))
}

/// A transaction being watched: its `trx_started`, first and last sighting,
/// the last statement seen running in it.
#[derive(Debug)]
struct Open {
    started: String,
    first: Instant,
    last: Instant,
    statement: String,
}

/// MariaDB: each open transaction's span between the first and the last poll
/// that saw it, a transaction being a session and its `trx_started` seen in
/// consecutive polls.
#[derive(Debug, Default)]
pub(crate) struct Spans {
    open: HashMap<i64, Open>,
    longest: Longest,
}

impl Spans {
    /// One poll at `now`: the sessions with an open transaction, its start and
    /// the statement it runs (empty between statements).
    pub(crate) fn observe(
        &mut self,
        now: Instant,
        seen: impl IntoIterator<Item = (i64, String, String)>,
    ) {
        let mut still = HashMap::new();
        for (session, started, statement) in seen {
            let mut open = match self.open.remove(&session) {
                Some(open) if open.started == started => open,
                Some(ended) => {
                    self.longest
                        .offer(ended.last - ended.first, &ended.statement);
                    Open {
                        started,
                        first: now,
                        last: now,
                        statement: String::new(),
                    }
                }
                None => Open {
                    started,
                    first: now,
                    last: now,
                    statement: String::new(),
                },
            };
            open.last = now;
            if !statement.is_empty() {
                open.statement = statement;
            }
            still.insert(session, open);
        }
        for ended in self.open.values() {
            self.longest
                .offer(ended.last - ended.first, &ended.statement);
        }
        self.open = still;
    }

    /// The longest span, transactions still open included.
    pub(crate) fn longest(&self) -> Longest {
        let mut longest = self.longest.clone();
        for open in self.open.values() {
            longest.offer(open.last - open.first, &open.statement);
        }
        longest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_writes_in_a_row_are_one_stall_and_an_on_time_one_ends_it() {
        let ms = Duration::from_millis;
        let mut writes = Writes::default();
        for (latency, at) in [(5, 0), (150, 5), (400, 10), (120, 15), (3, 20), (101, 25)] {
            writes.record(ms(latency), ms(at));
        }
        assert_eq!(writes.latencies.len(), 6);
        let stalls: Vec<(Duration, u64, Duration)> = writes
            .stalls
            .iter()
            .map(|stall| (stall.began, stall.writes, stall.worst))
            .collect();
        assert_eq!(stalls, vec![(ms(5), 3, ms(400)), (ms(25), 1, ms(101))]);
    }

    #[test]
    fn a_stall_is_dated_by_its_utc_time_of_day() {
        // 2026-12-08T03:42:47.392Z.
        let at = Duration::from_millis(1_796_701_367_392);
        assert_eq!(time_of_day(at), "03:42:47.392");
        assert_eq!(time_of_day(Duration::ZERO), "00:00:00.000");
    }

    fn writer() -> Writer {
        Writer {
            rate: 200.0,
            scale: Scale {
                teams: 10,
                assistants: 1_000,
                pipelines: 10,
                nodes: 5_000,
                models: 100,
                deleted: 20,
                deleted_share: 0.15,
            },
        }
    }

    #[test]
    fn writes_alternate_tables_and_every_other_pair_hits_a_repointed_row() {
        let writer = writer();
        let mut rng = SplitMix::new(7);
        for k in 0..400 {
            let (sql, repointed) = write_sql(&writer, k, &mut rng);
            let id: u64 = sql
                .rsplit(' ')
                .next()
                .unwrap_or_default()
                .parse()
                .unwrap_or(0);
            if k % 2 == 0 {
                assert!(sql.starts_with("UPDATE assistants SET name = name WHERE id = "));
                assert!((1..=1_000).contains(&id), "{sql}");
            } else {
                assert!(sql.starts_with(
                    "UPDATE pipeline_nodes SET pipeline_id = pipeline_id WHERE id = "
                ));
                assert!((1..=5_000).contains(&id), "{sql}");
            }
            assert_eq!(repointed, writer.scale.references_deleted(id), "{sql}");
            if (k / 2) % 2 == 0 {
                assert!(repointed, "{sql}");
            }
        }
    }

    #[test]
    fn spans_run_from_first_to_last_sighting_and_restart_with_a_new_start() {
        let t = Instant::now();
        let ms = Duration::from_millis;
        let mut spans = Spans::default();
        let s = |x: &str| x.to_owned();
        let at = |session, started: &str, statement: &str| (session, s(started), s(statement));
        spans.observe(t, [at(1, "10:00:00", "SELECT 1"), at(2, "10:00:00", "")]);
        spans.observe(
            t + ms(100),
            [at(1, "10:00:00", ""), at(2, "10:00:00", "UPDATE  a\n SET")],
        );
        // Session 2 ends; session 1 starts a new transaction.
        spans.observe(t + ms(300), [at(1, "10:00:01", "")]);
        assert_eq!(spans.longest().span, ms(100));
        assert_eq!(spans.longest().statement, "SELECT 1");
        spans.observe(t + ms(750), [at(1, "10:00:01", "DELETE x")]);
        assert_eq!(
            spans.longest(),
            Longest {
                span: ms(450),
                statement: s("DELETE x")
            }
        );
        spans.observe(t + ms(800), []);
        assert_eq!(spans.longest().span, ms(450));
    }
}
