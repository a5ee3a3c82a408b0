//! Fault tests: the real `gsa` binary (`gsa up`, `gsa worker ...`) against a private
//! nats-server, each asserting that every listing is persisted once and every due alert is
//! stored once (and, where the notifier runs, delivered once to a loopback webhook).
//!
//! Bulk listings are the 465 real records of the BizBuySell search API data set
//! (`testdata/bizbuysell/datasets/api-bff-v2-bfs-search-results-2025.json`, parsed by
//! `gsa parse`), re-keyed with distinct listing ids (`<listNumber>-r<k>`) to reach 1,000 (CI)
//! or 10,000 (second tier, `#[ignore]`, run by `scripts/test-all`). Only the ids change.
//! The alert threshold is set to 1 so that every applicable (fuel) listing is due an alert.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use gsa_common::nats;
use gsa_common::testkit::{free_port, NatsCluster, NatsServer};
use gsa_schemas::{event_type, subjects, Envelope, Listing};

const THRESHOLD: &str = "1";

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel)
}

/// `n` real listings with distinct ids (see the module doc).
fn listings(n: usize) -> Vec<Listing> {
    let out = Command::new(env!("CARGO_BIN_EXE_gsa"))
        .arg("parse")
        .arg(testdata(
            "bizbuysell/datasets/api-bff-v2-bfs-search-results-2025.json",
        ))
        .output()
        .expect("gsa parse");
    assert!(out.status.success());
    let base: Vec<Listing> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("listing JSON"))
        .collect();
    assert_eq!(base.len(), 465, "the API data set has 465 records");
    (0..n)
        .map(|i| {
            let mut l = base[i % base.len()].clone();
            l.listing_id = format!("{}-r{}", l.listing_id, i / base.len());
            l.with_content_hash()
        })
        .collect()
}

struct Proc(Child);
impl Proc {
    fn pid(&self) -> u32 {
        self.0.id()
    }
    fn kill9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
    fn sigterm_and_wait(mut self, timeout: Duration) -> std::process::ExitStatus {
        let ok = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(ok.success());
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = self.0.try_wait().expect("wait") {
                std::mem::forget(self);
                return st;
            }
            assert!(Instant::now() < deadline, "no exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}

struct Env {
    nats: Option<NatsServer>,
    cluster: Option<NatsCluster>,
    url: String,
    data: tempfile::TempDir,
    http: String,
    extra: Vec<(String, String)>,
}

impl Env {
    fn new() -> Self {
        let nats = NatsServer::start();
        Self {
            url: nats.url(),
            nats: Some(nats),
            cluster: None,
            data: tempfile::tempdir().unwrap(),
            http: format!("127.0.0.1:{}", free_port()),
            extra: Vec::new(),
        }
    }
    /// On a three-node cluster with R3 streams (`GSA_STREAM_REPLICAS=3`).
    fn new_cluster() -> Self {
        let cluster = NatsCluster::start(3);
        Self {
            url: cluster.url(),
            nats: None,
            cluster: Some(cluster),
            data: tempfile::tempdir().unwrap(),
            http: format!("127.0.0.1:{}", free_port()),
            extra: vec![("GSA_STREAM_REPLICAS".into(), "3".into())],
        }
    }
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gsa"));
        c.args(args)
            .env("NATS_URL", &self.url)
            .env("GSA_DATA_DIR", self.data.path())
            .env("GSA_HTTP_ADDR", &self.http)
            .env("GSA_ALERT_THRESHOLD", THRESHOLD)
            .env("RUST_LOG", "warn")
            .env_remove("JWT_SECRET_KEY");
        for (k, v) in &self.extra {
            c.env(k, v);
        }
        c
    }
    /// Starts `gsa <args>`; its stderr (warnings and errors) goes to a file under
    /// [`Env::log_dir`], shown by [`Env::diagnostics`] when a check fails.
    fn spawn(&self, args: &[&str]) -> Proc {
        let dir = self.log_dir();
        std::fs::create_dir_all(&dir).expect("log dir");
        let n = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        let log = std::fs::File::create(dir.join(format!("{n:02}-{}.log", args.join("-"))))
            .expect("log file");
        Proc(
            self.cmd(args)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("spawn gsa"),
        )
    }
    fn log_dir(&self) -> PathBuf {
        self.data.path().join("test-logs")
    }
    /// What a failed completeness check needs to be understood: the listings due an alert
    /// that has none, the dead letters, and the last warnings of every spawned service.
    fn diagnostics(&self) -> String {
        let mut out = String::new();
        if let Ok(conn) = gsa_common::db::open_ro(&self.db()) {
            let missing: Vec<String> = conn
                .prepare(
                    "SELECT s.listing_id FROM scores s WHERE s.applicable = 1 AND s.score >= 1 \
                     AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.listing_id = s.listing_id) LIMIT 20",
                )
                .and_then(|mut st| {
                    st.query_map([], |r| r.get::<_, String>(0))?
                        .collect::<Result<Vec<_>, _>>()
                })
                .unwrap_or_default();
            out.push_str(&format!("due listings without an alert: {missing:?}\n"));
        }
        if let Ok(o) = self.cmd(&["dlq", "list"]).output() {
            out.push_str(&format!(
                "gsa dlq list:\n{}\n",
                String::from_utf8_lossy(&o.stdout)
            ));
        }
        if let Ok(dir) = std::fs::read_dir(self.log_dir()) {
            let mut files: Vec<PathBuf> = dir.flatten().map(|e| e.path()).collect();
            files.sort();
            for f in files {
                let text = std::fs::read_to_string(&f).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                out.push_str(&format!(
                    "--- {} ({} lines, last 30):\n{}\n",
                    f.display(),
                    lines.len(),
                    lines[lines.len().saturating_sub(30)..].join("\n")
                ));
            }
        }
        out
    }
    fn run(&self, args: &[&str]) -> std::process::Output {
        let out = self.cmd(args).output().expect("run gsa");
        assert!(
            out.status.success(),
            "gsa {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
    fn db(&self) -> PathBuf {
        self.data.path().join("gsa.db")
    }
    async fn js(&self) -> jetstream::Context {
        let cfg = gsa_common::Config::load_from(&Default::default(), |k| match k {
            "NATS_URL" => Some(self.url.clone()),
            "GSA_DATA_DIR" => Some(self.data.path().to_string_lossy().into()),
            _ => self
                .extra
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone()),
        })
        .unwrap();
        let js = jetstream::new(nats::connect(&cfg.nats_url, "fault-test").await.unwrap());
        // A new cluster elects its JetStream meta leader a moment after the nodes listen.
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Err(e) = nats::ensure_streams(&js, &cfg).await {
            assert!(Instant::now() < deadline, "streams: {e:#}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        js
    }
}

/// Publishes listings as `gsa.listing.scraped` events (pipelined acks), retrying each batch
/// until the server has stored it (the server may be restarting).
async fn publish(js: &jetstream::Context, ls: &[Listing]) {
    for chunk in ls.chunks(200) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let mut acks = Vec::new();
            let mut ok = true;
            for l in chunk {
                let env = Envelope::new(
                    "scraper",
                    event_type::LISTING_SCRAPED,
                    l.event_id(),
                    Some(l.listing_id.clone()),
                    l.clone(),
                );
                match nats::publish_event_nowait(js, subjects::LISTING_SCRAPED, &env).await {
                    Ok(a) => acks.push(a),
                    Err(_) => ok = false,
                }
            }
            for a in acks {
                ok &= a.await.is_ok();
            }
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "could not publish");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

fn count(db: &Path, sql: &str) -> Option<i64> {
    let conn = gsa_common::db::open_ro(db).ok()?;
    conn.query_row(sql, [], |r| r.get(0)).ok()
}

async fn wait_for(what: &str, timeout: Duration, f: impl FnMut() -> bool) {
    wait_or(what, timeout, f, String::new).await
}

/// As [`wait_for`], adding `explain()` to the failure message.
async fn wait_or(
    what: &str,
    timeout: Duration,
    mut f: impl FnMut() -> bool,
    explain: impl FnOnce() -> String,
) {
    let deadline = Instant::now() + timeout;
    while !f() {
        if Instant::now() >= deadline {
            panic!("timed out waiting for {what}\n{}", explain());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until `n` listings are stored with a score, then checks: every listing, scraped
/// event and score once; every applicable listing (all due at threshold 1) alerted once, and
/// nothing else alerted.
async fn assert_complete(env: &Env, n: usize, timeout: Duration) {
    let db = &env.db();
    let want = n as i64;
    wait_or(
        &format!("{n} listings scored and stored"),
        timeout,
        || {
            count(db, "SELECT COUNT(*) FROM scores") == Some(want)
                && count(db, "SELECT COUNT(*) FROM listings") == Some(want)
        },
        || env.diagnostics(),
    )
    .await;
    // Alerts trail scores slightly (different stream): wait for them too.
    wait_or(
        "every due alert stored",
        Duration::from_secs(60),
        || {
            count(
                db,
                "SELECT COUNT(*) FROM scores WHERE applicable = 1 AND score >= 1",
            ) == count(db, "SELECT COUNT(DISTINCT listing_id) FROM alerts")
        },
        || env.diagnostics(),
    )
    .await;
    let q = |sql: &str| count(db, sql).unwrap_or(-1);
    assert_eq!(
        q("SELECT COUNT(*) FROM events WHERE type = 'gsa.listing.scraped.v1'"),
        want
    );
    assert_eq!(
        q("SELECT COUNT(*) FROM events WHERE type = 'gsa.listing.scored.v1'"),
        want
    );
    assert_eq!(q("SELECT COUNT(*) FROM score_history"), want);
    assert_eq!(
        q("SELECT COUNT(*) FROM (SELECT listing_id FROM alerts GROUP BY listing_id HAVING COUNT(*) > 1)"),
        0,
        "no listing alerted twice"
    );
    let due = q("SELECT COUNT(*) FROM scores WHERE applicable = 1 AND score >= 1");
    assert!(due > 0, "the data set has fuel listings due an alert");
    assert_eq!(q("SELECT COUNT(*) FROM alerts"), due);
    assert_eq!(
        q("SELECT COUNT(*) FROM alerts a JOIN scores s USING (listing_id) WHERE s.applicable = 1"),
        due
    );
}

/// Counts messages on a stream. The request is retried for up to 30 s: on a cluster that has
/// just lost a node, the stream's new leader can take that long to answer on a busy machine
/// (seen once in CI as a request timeout right after the node stop).
async fn stream_count(js: &jetstream::Context, stream: &str) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = match js.get_stream(stream).await {
            Ok(mut s) => s
                .info()
                .await
                .map(|i| i.state.messages)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match got {
            Ok(n) => return n,
            Err(e) if Instant::now() < deadline => {
                eprintln!("stream {stream} info: {e}; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("stream {stream} info: {e}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// A loopback webhook receiver that counts accepted deliveries per delivery id.

type Deliveries = Arc<Mutex<HashMap<String, usize>>>;

async fn receiver() -> (String, Deliveries) {
    use axum::http::HeaderMap;
    let seen: Deliveries = Default::default();
    let s2 = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap| {
            let seen = s2.clone();
            async move {
                let id = headers
                    .get("X-Gsa-Delivery")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                *seen.lock().unwrap().entry(id).or_default() += 1;
                axum::http::StatusCode::OK
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    (format!("http://{addr}/hook"), seen)
}

async fn assert_delivered_once(db: &Path, seen: &Deliveries) {
    let due = count(db, "SELECT COUNT(*) FROM alerts").unwrap_or(0) as usize;
    wait_for("every alert delivered", Duration::from_secs(60), || {
        seen.lock().unwrap().len() >= due
    })
    .await;
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), due, "one delivery id per alert");
    assert!(
        seen.values().all(|n| *n == 1),
        "each alert delivered exactly once"
    );
}

// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_poison_message_is_dead_lettered_without_blocking_and_dlq_replay_works() {
    let env = Env::new();
    let js = env.js().await;
    let _up = env.spawn(&["up"]);

    // Invalid JSON, then a well-formed event of a type this build does not know.
    js.publish(subjects::LISTING_SCRAPED, "{not json".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let ls = listings(60);
    let v9 = Envelope::new(
        "scraper",
        "gsa.listing.scraped.v9",
        "poison-v9".into(),
        Some(ls[0].listing_id.clone()),
        ls[0].clone(),
    );
    nats::publish_event(&js, subjects::LISTING_SCRAPED, &v9)
        .await
        .unwrap();
    // Later listings still flow.
    publish(&js, &ls[..50]).await;
    assert_complete(&env, 50, Duration::from_secs(60)).await;

    // Both poison messages are dead-lettered by both consumers that read them.
    let dlq_subject = subjects::dlq_subject(subjects::LISTING_SCRAPED);
    wait_for("4 dead letters", Duration::from_secs(30), || {
        let out = env.cmd(&["dlq", "list"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).lines().count() >= 4
    })
    .await;
    let out = env.run(&["dlq", "list"]);
    let letters: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(letters.len(), 4, "{letters:?}");
    assert!(letters
        .iter()
        .all(|l| l["original_subject"] == subjects::LISTING_SCRAPED));
    let errors: Vec<&str> = letters
        .iter()
        .map(|l| l["error"].as_str().unwrap())
        .collect();
    assert_eq!(
        errors
            .iter()
            .filter(|e| e.contains("not a gsa event"))
            .count(),
        2
    );
    assert_eq!(
        errors
            .iter()
            .filter(|e| e.contains("unknown event type gsa.listing.scraped.v9"))
            .count(),
        2
    );
    let mut consumers: Vec<&str> = letters
        .iter()
        .map(|l| l["consumer"].as_str().unwrap())
        .collect();
    consumers.sort();
    assert_eq!(
        consumers,
        [
            "analyzer",
            "analyzer",
            "logger-GSA_LISTINGS",
            "logger-GSA_LISTINGS"
        ]
    );
    // Dead letters are not dead-lettered again by the logger's GSA_DLQ consumer.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(stream_count(&js, subjects::STREAM_DLQ).await, 4);
    let depth = nats::dlq_depth(&js).await.unwrap();
    assert_eq!(depth, vec![(subjects::LISTING_SCRAPED.to_string(), 4)]);

    // A dead letter that can succeed now (a valid listing parked while, say, the database was
    // down): `gsa dlq replay <seq>` republishes it and removes it from the DLQ.
    let fixable = &ls[55];
    let good = Envelope::new(
        "scraper",
        event_type::LISTING_SCRAPED,
        fixable.event_id(),
        Some(fixable.listing_id.clone()),
        fixable.clone(),
    );
    let mut h = async_nats::HeaderMap::new();
    h.insert(nats::HDR_DLQ_SUBJECT, subjects::LISTING_SCRAPED);
    h.insert(nats::HDR_DLQ_ERROR, "transient: database is locked");
    h.insert(nats::HDR_DLQ_CONSUMER, "logger-GSA_LISTINGS");
    let ack = js
        .publish_with_headers(
            dlq_subject.clone(),
            h,
            serde_json::to_vec(&good).unwrap().into(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    env.run(&["dlq", "replay", &ack.sequence.to_string()]);
    assert_complete(&env, 51, Duration::from_secs(60)).await;
    let out = env.run(&["dlq", "list"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);

    // Replaying the poison itself: it fails again and is parked again (never blocks).
    env.run(&["dlq", "replay"]);
    wait_for("poison parked again", Duration::from_secs(30), || {
        let out = env.cmd(&["dlq", "list"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).lines().count() == 4
    })
    .await;
    publish(&js, &ls[56..60]).await;
    assert_complete(&env, 55, Duration::from_secs(60)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn three_analyzer_processes_on_one_durable_consumer_score_each_listing_once() {
    let mut env = Env::new();
    // A 1 s duplicate window, so that a listing scored twice (seconds apart) would show up as
    // two messages on GSA_SCORES instead of being dropped as a duplicate.
    env.extra
        .push(("GSA_DUPLICATE_WINDOW_SECS".into(), "1".into()));
    let js = env.js().await;
    let _analyzers: Vec<Proc> = (0..3).map(|_| env.spawn(&["worker", "analyzer"])).collect();
    let _logger = env.spawn(&["worker", "logger"]);
    let ls = listings(1000);
    publish(&js, &ls).await;
    assert_complete(&env, 1000, Duration::from_secs(90)).await;
    assert_eq!(
        stream_count(&js, subjects::STREAM_SCORES).await,
        1000,
        "one score event per listing"
    );
    let c = js
        .get_stream(subjects::STREAM_LISTINGS)
        .await
        .unwrap()
        .get_consumer::<jetstream::consumer::pull::Config>(subjects::CONSUMER_ANALYZER)
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .clone();
    assert_eq!(c.num_redelivered, 0, "{c:?}");
    assert!(c.num_waiting >= 1, "analyzers are pulling: {c:?}");
    let lag = nats::consumer_lag(&js).await.unwrap();
    let a = lag.iter().find(|l| l.consumer == "analyzer").unwrap();
    assert_eq!((a.num_pending, a.ack_pending), (0, 0));
}

/// `text` without ANSI colour sequences (the services' logs on stderr are coloured).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

// The lost alert of the cluster test (issue 7): while a stream has no leader (a node stopped,
// the cluster electing), every write to the alert state fails at once ("no stream found").
// With 5 deliveries (about 8 s of backoff) such messages were dead-lettered after their score
// was published, so the score was stored and the alert never sent. Here the alert-state
// bucket is gone until a message has been delivered a sixth time; then it is back, and every
// due alert must arrive once with nothing dead-lettered.
#[tokio::test(flavor = "multi_thread")]
async fn alert_state_unavailable_beyond_five_deliveries_loses_no_alert() {
    let env = Env::new();
    let js = env.js().await;
    let _analyzer = env.spawn(&["worker", "analyzer"]);
    let _logger = env.spawn(&["worker", "logger"]);
    // The analyzer opens the bucket at start, then creates its consumer.
    let listings_stream = js.get_stream(subjects::STREAM_LISTINGS).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while listings_stream
        .get_consumer::<jetstream::consumer::pull::Config>(subjects::CONSUMER_ANALYZER)
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "the analyzer never created its consumer"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    js.delete_stream(format!("KV_{}", subjects::KV_ALERTED))
        .await
        .unwrap();
    publish(&js, &listings(40)).await;
    let log = env.log_dir().join("00-worker-analyzer.log");
    wait_or(
        "a message delivered a sixth time",
        Duration::from_secs(120),
        || strip_ansi(&std::fs::read_to_string(&log).unwrap_or_default()).contains("delivered=6 "),
        || env.diagnostics(),
    )
    .await;
    nats::key_value(&js, subjects::KV_ALERTED).await.unwrap();
    assert_complete(&env, 40, Duration::from_secs(120)).await;
    assert_eq!(
        stream_count(&js, subjects::STREAM_DLQ).await,
        0,
        "nothing dead-lettered\n{}",
        env.diagnostics()
    );
}

async fn kill9_run(n: usize) {
    let env = Env::new();
    let js = env.js().await;
    let (url, seen) = receiver().await;
    env.run(&["webhook", "add", &url, "--secret", "fault-test-secret"]);
    let _notifier = env.spawn(&["worker", "notifier"]);
    let mut analyzer = env.spawn(&["worker", "analyzer"]);
    let mut logger = env.spawn(&["worker", "logger"]);
    let ls = listings(n);
    publish(&js, &ls).await;
    // Kill both in the middle of the run.
    let db = env.db();
    wait_for("part of the run stored", Duration::from_secs(60), || {
        count(&db, "SELECT COUNT(*) FROM scores").unwrap_or(0) >= (n / 5) as i64
    })
    .await;
    analyzer.kill9();
    logger.kill9();
    let stored = count(&db, "SELECT COUNT(*) FROM scores").unwrap_or(0);
    assert!(stored < n as i64, "killed mid-run ({stored} of {n})");
    let _analyzer = env.spawn(&["worker", "analyzer"]);
    let _logger = env.spawn(&["worker", "logger"]);
    assert_complete(&env, n, Duration::from_secs(60 + n as u64 / 50)).await;
    assert_delivered_once(&db, &seen).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_of_the_analyzer_and_logger_mid_run_loses_and_duplicates_nothing() {
    kill9_run(1000).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "second tier: 10,000 listings (scripts/test-all)"]
async fn second_tier_kill_9_mid_run_with_10000_listings() {
    kill9_run(10_000).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nats_restart_while_consumers_fetch_loses_nothing() {
    let mut env = Env::new();
    let js = env.js().await;
    let (url, seen) = receiver().await;
    env.run(&["webhook", "add", &url, "--secret", "fault-test-secret"]);
    let _up = env.spawn(&["up"]);
    let ls = listings(1000);
    publish(&js, &ls[..500]).await;
    let db = env.db();
    wait_for("consumers fetching", Duration::from_secs(60), || {
        count(&db, "SELECT COUNT(*) FROM scores").unwrap_or(0) >= 50
    })
    .await;
    env.nats.as_mut().expect("single server").restart();
    // The test's own client reconnects too; publish the rest after the restart.
    publish(&js, &ls[500..]).await;
    assert_complete(&env, 1000, Duration::from_secs(90)).await;
    assert_delivered_once(&db, &seen).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_drains_acks_and_exits_0_and_everything_acked_is_stored() {
    let env = Env::new();
    let js = env.js().await;
    let up = env.spawn(&["up"]);
    let ls = listings(1000);
    publish(&js, &ls).await;
    let db = env.db();
    wait_for("part of the run stored", Duration::from_secs(60), || {
        count(&db, "SELECT COUNT(*) FROM listings").unwrap_or(0) >= 100
    })
    .await;
    let status = up.sigterm_and_wait(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "gsa up exits 0 on SIGTERM");

    // Everything the logging worker acked on GSA_LISTINGS is in SQLite.
    let info = js
        .get_stream(subjects::STREAM_LISTINGS)
        .await
        .unwrap()
        .get_consumer::<jetstream::consumer::pull::Config>("logger-GSA_LISTINGS")
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .clone();
    let floor = info.ack_floor.stream_sequence;
    assert!(floor > 0);
    let stream = js.get_stream(subjects::STREAM_LISTINGS).await.unwrap();
    let conn = gsa_common::db::open_ro(&db).unwrap();
    for seq in 1..=floor {
        let m = stream.get_raw_message(seq).await.unwrap();
        let head: gsa_schemas::envelope::EnvelopeHead = serde_json::from_slice(&m.payload).unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM events WHERE id = ?1",
                [&head.id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "acked event {seq} ({}) is stored", head.id);
    }
    drop(conn);
    // And a restarted gsa up finishes the run, storing nothing twice.
    let _up = env.spawn(&["up"]);
    assert_complete(&env, 1000, Duration::from_secs(90)).await;
}

async fn cluster_run(n: usize) {
    let mut env = Env::new_cluster();
    let js = env.js().await;
    let info = js
        .get_stream(subjects::STREAM_LISTINGS)
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .clone();
    assert_eq!(info.config.num_replicas, 3, "streams are replicated (R3)");
    let (url, seen) = receiver().await;
    env.run(&["webhook", "add", &url, "--secret", "fault-test-secret"]);
    let _up = env.spawn(&["up"]);
    let ls = listings(n);
    publish(&js, &ls[..n / 2]).await;
    let db = env.db();
    wait_for("part of the run stored", Duration::from_secs(60), || {
        count(&db, "SELECT COUNT(*) FROM scores").unwrap_or(0) >= (n / 10) as i64
    })
    .await;
    // Stop the first node (the one every client tried first) mid-run.
    env.cluster.as_mut().expect("cluster").stop_node(0);
    publish(&js, &ls[n / 2..]).await;
    assert_complete(&env, n, Duration::from_secs(120 + n as u64 / 50)).await;
    assert_delivered_once(&db, &seen).await;
    assert_eq!(
        stream_count(&js, subjects::STREAM_DLQ).await,
        0,
        "nothing dead-lettered while the cluster elected new leaders\n{}",
        env.diagnostics()
    );
    // Shown with --nocapture: how the services lived through the node stop.
    eprintln!("{}", env.diagnostics());
}

// Back in the CI tier: it once lost a due alert (issue 7). Cause, reproduced with the
// diagnostics above: after the node stop, writes to the alert-state bucket failed at once ("no
// stream found for given subject") until the cluster had elected new leaders, and the
// analyzer's 5 deliveries (about 8 s of backoff) ran out first, so messages whose score was
// already stored had their alert dead-lettered. The analyzer now retries NATS failures for
// about 15 minutes (`gsa_analyzer::worker::MAX_DELIVER`); the same failure is provoked
// deterministically by `alert_state_unavailable_beyond_five_deliveries_loses_no_alert`.
#[tokio::test(flavor = "multi_thread")]
async fn a_three_node_cluster_with_r3_streams_loses_nothing_when_a_node_stops() {
    cluster_run(500).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "second tier: 5,000 listings on a three-node cluster (scripts/test-all)"]
async fn second_tier_three_node_cluster_with_r3_streams_and_5000_listings_loses_nothing() {
    cluster_run(5_000).await;
}
