//! The pipeline bench: real listings (the 465 API records parsed once, re-keyed to N distinct
//! listings, so no HTML parsing is timed) published by the real scraper publisher, scored by
//! the real analyzer worker and stored by the real logging worker, each worker in its own
//! process, against a private `nats-server` and a temporary data directory.
//!
//! Measures each stage's own rate (so the slowest is named), end-to-end listings/s, p99
//! latency from publish to stored row at a paced rate, and peak RSS per process and phase.
//!
//! ```text
//! cargo run --release -p gsa-bench --bin pipeline -- --listings 10000
//! cargo run --release -p gsa-bench --bin pipeline -- --growth 1000,10000,100000 --skip-stages --skip-latency
//! ```

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use clap::{Parser, Subcommand};
use gsa_bench::{percentile, proc_cpu_secs, proc_mem, self_cpu_secs, self_mem, NatsProc};
use gsa_common::{nats, Config, Overrides};
use gsa_schemas::{event_type, subjects, Envelope, Listing};

/// The allocator `gsa` ships with (`gsa_common::allocator`), so this measures what ships.
#[global_allocator]
static ALLOCATOR: gsa_common::allocator::Allocator = gsa_common::allocator::Allocator;

/// Stream limit of the bench servers: room for the 100k run (about 0.5 GB on the largest
/// stream) while the six streams' reservations together stay under the JetStream storage
/// limit nats-server derives from the free disk (75 % of it): at 4 GiB each, stream creation
/// failed once the disk had less than 32 GB free.
const STREAM_MAX_BYTES: &str = "2147483648";
/// Acks in flight in the raw publish row (the issue's ceiling figure uses 256).
const RAW_WINDOW: usize = 256;

#[derive(Parser)]
#[command(about = "gsa pipeline bench (publisher -> analyzer -> logging worker)")]
struct Args {
    /// Listings per stage run and per end-to-end run.
    #[arg(long, default_value_t = 10_000)]
    listings: usize,
    /// Paced publish rate of the latency run (listings/s).
    #[arg(long, default_value_t = 1_000)]
    rate: u64,
    /// Length of the latency run in seconds.
    #[arg(long, default_value_t = 10)]
    latency_secs: u64,
    /// Also run end to end at each of these sizes (growth table), e.g. 1000,10000,100000.
    #[arg(long, value_delimiter = ',')]
    growth: Vec<usize>,
    /// Skip the per-stage table.
    #[arg(long)]
    skip_stages: bool,
    /// Skip the end-to-end run at --listings.
    #[arg(long)]
    skip_e2e: bool,
    /// Skip the paced latency run.
    #[arg(long)]
    skip_latency: bool,
    /// Also measure the memory of `gsa up` (this `gsa` binary) with the demo data: the demo's
    /// pages and API data set dropped into its inbox, every listing scored and stored.
    #[arg(long, value_name = "GSA_BIN")]
    up_memory: Option<std::path::PathBuf>,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// (internal) run one worker until stdin closes.
    #[command(hide = true)]
    Worker { name: String },
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match args.cmd {
        Some(Cmd::Worker { ref name }) => rt.block_on(worker(name)),
        None => rt.block_on(bench(&args)),
    }
}

/// A worker child: `NATS_URL`/`GSA_DATA_DIR` from the environment, stops when stdin closes.
async fn worker(name: &str) -> anyhow::Result<()> {
    let cfg = Config::load(&Overrides::default())?;
    let client = nats::connect(&cfg.nats_url, name).await?;
    let js = jetstream::new(client);
    let (trigger, sd) = gsa_common::shutdown::channel();
    tokio::task::spawn_blocking(move || {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
        trigger.trigger();
    });
    match name {
        "analyzer" => {
            let scoring = gsa_analyzer::ScoringConfig::default();
            gsa_analyzer::worker::run(&cfg, js, scoring, sd).await
        }
        "logger" => gsa_logger::worker::run(&cfg, js, sd).await,
        other => anyhow::bail!("unknown worker {other}"),
    }
}

fn config(url: &str, data_dir: &Path) -> anyhow::Result<Config> {
    let o = Overrides {
        nats_url: Some(url.to_string()),
        data_dir: Some(data_dir.to_path_buf()),
        ..Default::default()
    };
    Ok(Config::load_from(&o, |k| {
        (k == "GSA_STREAM_MAX_BYTES").then(|| STREAM_MAX_BYTES.to_string())
    })?)
}

async fn connect(url: &str, data_dir: &Path) -> anyhow::Result<jetstream::Context> {
    let cfg = config(url, data_dir)?;
    let client = nats::connect(url, "bench").await?;
    let js = jetstream::new(client);
    nats::ensure_streams(&js, &cfg).await?;
    Ok(js)
}

/// A worker process.
struct WorkerProc {
    name: &'static str,
    child: Child,
}

impl WorkerProc {
    fn spawn(name: &'static str, url: &str, data_dir: &Path) -> anyhow::Result<Self> {
        // GSA_BENCH_PERF=<worker>: run that worker under `perf record` (profiling runs only;
        // its memory figures are then perf's).
        let perf = std::env::var("GSA_BENCH_PERF").ok().filter(|w| w == name);
        let mut cmd = match &perf {
            Some(_) => {
                let mut c = Command::new("perf");
                c.args(["record", "-F", "499", "--call-graph", "dwarf,16384", "-o"])
                    .arg(format!("perf-{name}.data"))
                    .arg(std::env::current_exe()?);
                c
            }
            None => Command::new(std::env::current_exe()?),
        };
        let child = cmd
            .args(["worker", name])
            .env("NATS_URL", url)
            .env("GSA_DATA_DIR", data_dir)
            .env("GSA_STREAM_MAX_BYTES", STREAM_MAX_BYTES)
            .env_remove("GSA_CONFIG")
            .env_remove("GSA_SCORING_CONFIG")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        Ok(Self { name, child })
    }

    /// Peak and current RSS in KiB.
    fn mem(&self) -> (u64, u64) {
        proc_mem(self.child.id()).unwrap_or((0, 0))
    }

    /// CPU seconds (user + system) the worker process has used since it started.
    fn cpu_secs(&self) -> f64 {
        proc_cpu_secs(self.child.id()).unwrap_or(0.0)
    }

    /// Closes stdin (graceful stop) and waits; returns the memory read just before.
    fn stop(mut self) -> (u64, u64) {
        let m = self.mem();
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    if !status.success() {
                        eprintln!("worker {} exited with {status}", self.name);
                    }
                    break;
                }
                _ if Instant::now() > deadline => {
                    eprintln!("worker {} did not stop; killing it", self.name);
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        m
    }
}

async fn stream_messages(js: &jetstream::Context, stream: &str) -> anyhow::Result<u64> {
    let mut s = js.get_stream(stream).await?;
    Ok(s.info().await?.state.messages)
}

/// `true` when `consumer` on `stream` exists and has delivered and settled every message.
async fn consumer_done(js: &jetstream::Context, stream: &str, consumer: &str) -> bool {
    let Ok(mut s) = js.get_stream(stream).await else {
        return false;
    };
    let Ok(info) = s.info().await else {
        return false;
    };
    let last = info.state.last_sequence;
    let Ok(c) = s.consumer_info(consumer).await else {
        return false;
    };
    c.num_pending == 0 && c.num_ack_pending == 0 && c.delivered.stream_sequence >= last
}

async fn consumer_exists(js: &jetstream::Context, stream: &str, consumer: &str) -> bool {
    match js.get_stream(stream).await {
        Ok(s) => s.consumer_info(consumer).await.is_ok(),
        Err(_) => false,
    }
}

fn logger_consumer(stream: &str) -> String {
    format!("{}-{}", subjects::CONSUMER_LOGGER_PREFIX, stream)
}

const LOGGED: [&str; 3] = [
    subjects::STREAM_LISTINGS,
    subjects::STREAM_SCORES,
    subjects::STREAM_ALERTS,
];

async fn wait_ready(js: &jetstream::Context, analyzer: bool, logger: bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut ok = !analyzer
            || consumer_exists(js, subjects::STREAM_LISTINGS, subjects::CONSUMER_ANALYZER).await;
        if logger {
            for s in LOGGED {
                ok &= consumer_exists(js, s, &logger_consumer(s)).await;
            }
        }
        if ok {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "workers did not become ready");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until `n` cards are on GSA_SCORES and the analyzer settled everything.
async fn wait_analyzer(js: &jetstream::Context, n: u64) -> anyhow::Result<()> {
    loop {
        if stream_messages(js, subjects::STREAM_SCORES).await? >= n
            && consumer_done(js, subjects::STREAM_LISTINGS, subjects::CONSUMER_ANALYZER).await
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until the logging worker settled every message of the listing, score and alert streams.
async fn wait_logger(js: &jetstream::Context) -> anyhow::Result<()> {
    'outer: loop {
        for s in LOGGED {
            if !consumer_done(js, s, &logger_consumer(s)).await {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue 'outer;
            }
        }
        return Ok(());
    }
}

fn mb(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// Publishes with up to [`RAW_WINDOW`] acks in flight (no KV): the JetStream ceiling figure.
async fn raw_publish(listings: &[Listing]) -> anyhow::Result<Duration> {
    let server = NatsProc::start()?;
    let dir = tempfile::tempdir()?;
    let js = connect(&server.url(), dir.path()).await?;
    let t = Instant::now();
    let mut inflight = std::collections::VecDeque::with_capacity(RAW_WINDOW);
    for l in listings {
        let env = Envelope::new(
            gsa_scraper::publish::SERVICE,
            event_type::LISTING_SCRAPED,
            l.event_id(),
            Some(l.listing_id.clone()),
            l,
        );
        if inflight.len() == RAW_WINDOW {
            let f: jetstream::context::PublishAckFuture = inflight.pop_front().expect("full");
            f.await?;
        }
        inflight.push_back(nats::publish_event_nowait(&js, subjects::LISTING_SCRAPED, &env).await?);
    }
    for f in inflight {
        f.await?;
    }
    Ok(t.elapsed())
}

struct StageRow {
    stage: &'static str,
    items: usize,
    secs: f64,
    peak_kib: Option<u64>,
    /// CPU seconds of the stage's own process (publisher: the bench process during the
    /// publish; workers: the worker process, start-up included) and of nats-server during
    /// the stage.
    cpu: Option<(f64, f64)>,
    note: String,
}

async fn stages(listings: &[Listing]) -> anyhow::Result<Vec<StageRow>> {
    let n = listings.len();
    let mut rows = Vec::new();
    let raw = raw_publish(listings).await?;
    rows.push(StageRow {
        stage: "JetStream publish, 256 acks in flight, no KV (ceiling)",
        items: n,
        secs: raw.as_secs_f64(),
        peak_kib: None,
        cpu: None,
        note: "same envelopes as the publisher".into(),
    });

    let server = NatsProc::start()?;
    let dir = tempfile::tempdir()?;
    let url = server.url();
    let js = connect(&url, dir.path()).await?;
    let publisher = gsa_scraper::publish::Publisher::new(js.clone()).await?;
    let nats_cpu = || proc_cpu_secs(server.pid()).unwrap_or(0.0);
    let (cpu0, nats0) = (self_cpu_secs(), nats_cpu());
    let t = Instant::now();
    let summary = publisher.publish(listings, &[]).await?;
    let d = t.elapsed();
    let cpu = (self_cpu_secs() - cpu0, nats_cpu() - nats0);
    anyhow::ensure!(summary.published == n, "publisher: {summary}");
    rows.push(StageRow {
        stage: "scraper publisher (gsa_seen KV change detection + publish)",
        items: n,
        secs: d.as_secs_f64(),
        peak_kib: None,
        cpu: Some(cpu),
        note: "in the bench process".into(),
    });

    let nats0 = nats_cpu();
    let t = Instant::now();
    let a = WorkerProc::spawn("analyzer", &url, dir.path())?;
    wait_analyzer(&js, n as u64).await?;
    let d = t.elapsed();
    let cpu = (a.cpu_secs(), nats_cpu() - nats0);
    let alerts = stream_messages(&js, subjects::STREAM_ALERTS).await?;
    let (peak, _) = a.stop();
    rows.push(StageRow {
        stage: "analyzer worker (consume + score + publish card/alert + KV)",
        items: n,
        secs: d.as_secs_f64(),
        peak_kib: Some(peak),
        cpu: Some(cpu),
        note: format!("{alerts} alerts; process start included"),
    });

    let nats0 = nats_cpu();
    let t = Instant::now();
    let l = WorkerProc::spawn("logger", &url, dir.path())?;
    wait_logger(&js).await?;
    let d = t.elapsed();
    let cpu = (l.cpu_secs(), nats_cpu() - nats0);
    let (peak, _) = l.stop();
    let events = 2 * n as u64 + alerts;
    rows.push(StageRow {
        stage: "logging worker (consume + store listing, card, alert)",
        items: n,
        secs: d.as_secs_f64(),
        peak_kib: Some(peak),
        cpu: Some(cpu),
        note: format!(
            "{events} events, {:.0} events/s; process start included",
            events as f64 / d.as_secs_f64()
        ),
    });
    Ok(rows)
}

struct E2e {
    n: usize,
    secs: f64,
    publish_secs: f64,
    analyzer: (u64, u64),
    logger: (u64, u64),
    nats: (u64, u64),
    bench: (u64, u64),
    /// CPU seconds over the run: publisher (the bench process), analyzer, logging worker,
    /// nats-server.
    cpu: [f64; 4],
    stored_listings: i64,
    stored_cards: i64,
}

fn count(db: &Path, sql: &str) -> anyhow::Result<i64> {
    let conn = gsa_common::db::open_ro(db)?;
    Ok(conn.query_row(sql, [], |r| r.get(0))?)
}

async fn end_to_end(listings: &[Listing]) -> anyhow::Result<E2e> {
    let n = listings.len();
    let server = NatsProc::start()?;
    let dir = tempfile::tempdir()?;
    let url = server.url();
    let js = connect(&url, dir.path()).await?;
    let a = WorkerProc::spawn("analyzer", &url, dir.path())?;
    let l = WorkerProc::spawn("logger", &url, dir.path())?;
    wait_ready(&js, true, true).await?;
    let publisher = gsa_scraper::publish::Publisher::new(js.clone()).await?;
    let nats_cpu = || proc_cpu_secs(server.pid()).unwrap_or(0.0);
    let cpu0 = [self_cpu_secs(), a.cpu_secs(), l.cpu_secs(), nats_cpu()];
    let t = Instant::now();
    let summary = publisher.publish(listings, &[]).await?;
    let publish_secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(summary.published == n, "publisher: {summary}");
    wait_analyzer(&js, n as u64).await?;
    wait_logger(&js).await?;
    let secs = t.elapsed().as_secs_f64();
    let cpu1 = [self_cpu_secs(), a.cpu_secs(), l.cpu_secs(), nats_cpu()];
    let cpu = std::array::from_fn(|i| cpu1[i] - cpu0[i]);
    let analyzer = a.stop();
    let logger = l.stop();
    let nats = proc_mem(server.pid()).unwrap_or((0, 0));
    let db = dir.path().join(gsa_common::db::DB_FILE);
    let stored_listings = count(&db, "SELECT count(*) FROM listings")?;
    let stored_cards = count(
        &db,
        &format!(
            "SELECT count(*) FROM events WHERE type = '{}'",
            event_type::LISTING_SCORED
        ),
    )?;
    Ok(E2e {
        n,
        secs,
        publish_secs,
        analyzer,
        logger,
        nats,
        bench: self_mem(),
        cpu,
        stored_listings,
        stored_cards,
    })
}

struct Latency {
    published: usize,
    achieved_rate: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    analyzer: (u64, u64),
    logger: (u64, u64),
}

/// Publishes at `rate`/s for `secs` (one task per listing, started on schedule) with both
/// workers running; latency = the later `stored_at` of the listing and card rows minus the
/// listing event's time (stamped when the publisher built the envelope).
async fn latency(base: &[Listing], rate: u64, secs: u64) -> anyhow::Result<Latency> {
    let n = (rate * secs) as usize;
    let listings = gsa_bench::rekeyed(base, n);
    let server = NatsProc::start()?;
    let dir = tempfile::tempdir()?;
    let url = server.url();
    let js = connect(&url, dir.path()).await?;
    let a = WorkerProc::spawn("analyzer", &url, dir.path())?;
    let l = WorkerProc::spawn("logger", &url, dir.path())?;
    wait_ready(&js, true, true).await?;
    let publisher = Arc::new(gsa_scraper::publish::Publisher::new(js.clone()).await?);
    let t0 = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for (i, listing) in listings.into_iter().enumerate() {
        tokio::time::sleep_until(t0 + Duration::from_secs_f64(i as f64 / rate as f64)).await;
        let p = publisher.clone();
        tasks.push(tokio::spawn(
            async move { p.publish(&[listing], &[]).await },
        ));
    }
    let achieved_rate = n as f64 / t0.elapsed().as_secs_f64();
    for t in tasks {
        t.await??;
    }
    wait_analyzer(&js, n as u64).await?;
    wait_logger(&js).await?;
    let analyzer = a.stop();
    let logger = l.stop();
    let db = dir.path().join(gsa_common::db::DB_FILE);
    let conn = gsa_common::db::open_ro(&db)?;
    let mut stmt = conn.prepare(
        "SELECT l.time, l.stored_at, s.stored_at FROM events l JOIN events s
           ON s.listing_id = l.listing_id AND s.type = ?2
         WHERE l.type = ?1",
    )?;
    let parse =
        |s: String| chrono::DateTime::parse_from_rfc3339(&s).map(|d| d.with_timezone(&chrono::Utc));
    let mut lat: Vec<f64> = Vec::with_capacity(n);
    let mut rows = stmt.query([event_type::LISTING_SCRAPED, event_type::LISTING_SCORED])?;
    while let Some(r) = rows.next()? {
        let published = parse(r.get(0)?)?;
        let stored = parse(r.get(1)?)?.max(parse(r.get(2)?)?);
        lat.push((stored - published).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0);
    }
    anyhow::ensure!(
        lat.len() == n,
        "{} of {n} listings stored with a card",
        lat.len()
    );
    lat.sort_by(f64::total_cmp);
    Ok(Latency {
        published: n,
        achieved_rate,
        p50: percentile(&lat, 0.50),
        p90: percentile(&lat, 0.90),
        p99: percentile(&lat, 0.99),
        max: *lat.last().unwrap_or(&f64::NAN),
        analyzer,
        logger,
    })
}

/// What [`up_memory`] measured.
struct UpMem {
    files: usize,
    listings: i64,
    cards: i64,
    secs: f64,
    peak_kib: u64,
    rss_kib: u64,
}

/// The demo's inputs, as `gsa demo` reads them: every HTML page of the BizBuySell corpus and
/// the API data set.
fn demo_files() -> anyhow::Result<Vec<std::path::PathBuf>> {
    let html = gsa_bench::workspace_root().join("testdata/bizbuysell/html");
    let mut files: Vec<_> = std::fs::read_dir(&html)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    files.sort();
    files.push(gsa_bench::api_dataset());
    Ok(files)
}

/// Runs `<gsa> up` against a private nats-server and a temporary data directory, drops the
/// demo files into its inbox, waits until every file is ingested and every listing is scored
/// and stored (analyzer and logging-worker consumers settled), lets it idle 3 s, and reads
/// its peak (`VmHWM`) and current (`VmRSS`) resident set. The gateway listens on a free
/// loopback port; logs go to `gsa-up.log` in the data directory.
async fn up_memory(gsa: &Path) -> anyhow::Result<UpMem> {
    let server = NatsProc::start()?;
    let dir = tempfile::tempdir()?;
    let url = server.url();
    let js = connect(&url, dir.path()).await?;
    let port = gsa_common::testkit::free_port();
    let log = std::fs::File::create(dir.path().join("gsa-up.log"))?;
    let mut child = Command::new(gsa)
        .arg("up")
        .env("NATS_URL", &url)
        .env("GSA_DATA_DIR", dir.path())
        .env("GSA_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .env_remove("GSA_CONFIG")
        .env_remove("GSA_INBOX")
        .env_remove("GSA_SCRAPE_URLS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()?;
    let pid = child.id();
    let result = async {
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            anyhow::ensure!(
                matches!(child.try_wait(), Ok(None)),
                "gsa up exited; see its log"
            );
            anyhow::ensure!(Instant::now() < deadline, "gsa up did not start listening");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let inbox = dir.path().join("inbox");
        std::fs::create_dir_all(&inbox)?;
        let files = demo_files()?;
        let t = Instant::now();
        for f in &files {
            let name = f
                .file_name()
                .ok_or_else(|| anyhow::anyhow!("no file name"))?;
            std::fs::copy(f, inbox.join(name))?;
        }
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let pending = std::fs::read_dir(&inbox)?
                .flatten()
                .filter(|e| e.path().is_file())
                .count();
            if pending == 0
                && consumer_done(&js, subjects::STREAM_LISTINGS, subjects::CONSUMER_ANALYZER).await
            {
                break;
            }
            anyhow::ensure!(Instant::now() < deadline, "demo files not ingested in time");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        wait_logger(&js).await?;
        let secs = t.elapsed().as_secs_f64();
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (peak_kib, rss_kib) = proc_mem(pid).unwrap_or((0, 0));
        let db = dir.path().join(gsa_common::db::DB_FILE);
        Ok(UpMem {
            files: files.len(),
            listings: count(&db, "SELECT count(*) FROM listings")?,
            cards: count(&db, "SELECT count(*) FROM scores")?,
            secs,
            peak_kib,
            rss_kib,
        })
    }
    .await;
    // SIGTERM: a graceful stop, as Ctrl-C.
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    result
}

async fn bench(args: &Args) -> anyhow::Result<()> {
    let base = gsa_bench::real_listings()?;
    println!(
        "# gsa pipeline bench\n\nSource: {} real listings of {} parsed once with gsa_scraper::parse_file, \
         re-keyed to N distinct listing ids (`<id>-b<copy>`, content hash recomputed). \
         Workers run as separate processes (gsa_analyzer::worker::run, gsa_logger::worker::run) \
         against a private nats-server (file storage) and a temporary data directory.\n",
        base.len(),
        gsa_bench::api_dataset()
            .strip_prefix(gsa_bench::workspace_root())
            .unwrap_or(Path::new("?"))
            .display()
    );
    if !args.skip_stages {
        let listings = gsa_bench::rekeyed(&base, args.listings);
        let rows = stages(&listings).await?;
        println!("## Stages, each alone, N = {}\n", args.listings);
        println!("| stage | listings/s | time (s) | peak RSS (MB) | CPU us/listing: stage process | CPU us/listing: nats-server | note |");
        println!("|---|---:|---:|---:|---:|---:|---|");
        let slowest = rows
            .iter()
            .skip(1)
            .min_by(|a, b| {
                rate(a.items, Duration::from_secs_f64(a.secs))
                    .total_cmp(&rate(b.items, Duration::from_secs_f64(b.secs)))
            })
            .map(|r| r.stage);
        for r in &rows {
            let us = |s: f64| format!("{:.0}", s * 1e6 / r.items as f64);
            println!(
                "| {} | {:.0} | {:.2} | {} | {} | {} | {} |",
                r.stage,
                rate(r.items, Duration::from_secs_f64(r.secs)),
                r.secs,
                r.peak_kib.map(mb).unwrap_or_else(|| "-".into()),
                r.cpu.map(|c| us(c.0)).unwrap_or_else(|| "-".into()),
                r.cpu.map(|c| us(c.1)).unwrap_or_else(|| "-".into()),
                r.note
            );
        }
        if let Some(s) = slowest {
            println!("\nSlowest stage: **{s}**\n");
        }
    }
    let mut sizes = Vec::new();
    if !args.skip_e2e {
        sizes.push(args.listings);
    }
    sizes.extend(args.growth.iter().copied());
    if !sizes.is_empty() {
        println!("## End to end (published, scored, listing + card + alert events stored)\n");
        println!("| listings | time (s) | listings/s | publish done (s) | analyzer peak/now RSS (MB) | logger peak/now RSS (MB) | nats-server peak RSS (MB) | bench process peak RSS (MB) | stored listings / cards |");
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        let mut cpu_rows = Vec::new();
        for n in sizes {
            let listings = gsa_bench::rekeyed(&base, n);
            let e = end_to_end(&listings).await?;
            drop(listings);
            cpu_rows.push((e.n, e.secs, e.cpu));
            println!(
                "| {} | {:.2} | {:.0} | {:.2} | {} / {} | {} / {} | {} | {} | {} / {} |",
                e.n,
                e.secs,
                e.n as f64 / e.secs,
                e.publish_secs,
                mb(e.analyzer.0),
                mb(e.analyzer.1),
                mb(e.logger.0),
                mb(e.logger.1),
                mb(e.nats.0),
                mb(e.bench.0),
                e.stored_listings,
                e.stored_cards
            );
        }
        println!();
        println!("### CPU per listing, end to end (user + system, /proc/<pid>/stat)\n");
        println!(
            "Where the two cores went: each process's CPU microseconds per listing over the run. \
                  `2 cores / total` is the rate this machine could reach if every process kept \
                  its cost per listing and the cores were fully used.\n"
        );
        println!("| listings | publisher (bench process) | analyzer | logging worker | nats-server | total | cores busy (total CPU s / wall s) | 2 cores / total (listings/s) |");
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (n, secs, cpu) in cpu_rows {
            let us = |s: f64| s * 1e6 / n as f64;
            let total: f64 = cpu.iter().sum();
            println!(
                "| {n} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2} | {:.0} |",
                us(cpu[0]),
                us(cpu[1]),
                us(cpu[2]),
                us(cpu[3]),
                us(total),
                total / secs,
                2.0 * n as f64 / total
            );
        }
        println!();
    }
    if !args.skip_latency {
        let l = latency(&base, args.rate, args.latency_secs).await?;
        println!(
            "## Latency, publish -> both rows stored, paced at {} listings/s for {} s\n",
            args.rate, args.latency_secs
        );
        println!("| listings | achieved rate/s | p50 ms | p90 ms | p99 ms | max ms | analyzer peak/now RSS (MB) | logger peak/now RSS (MB) |");
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
        println!(
            "| {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {} / {} | {} / {} |\n",
            l.published,
            l.achieved_rate,
            l.p50,
            l.p90,
            l.p99,
            l.max,
            mb(l.analyzer.0),
            mb(l.analyzer.1),
            mb(l.logger.0),
            mb(l.logger.1)
        );
    }
    if let Some(gsa) = &args.up_memory {
        let m = up_memory(gsa).await?;
        println!("## `gsa up` memory with the demo data\n");
        println!("| demo files | stored listings | scored listings | ingest to stored (s) | peak RSS (MB) | RSS after 3 s idle (MB) | target |");
        println!("|---:|---:|---:|---:|---:|---:|---|");
        println!(
            "| {} | {} | {} | {:.2} | {} | {} | < 150 MB |\n",
            m.files,
            m.listings,
            m.cards,
            m.secs,
            mb(m.peak_kib),
            mb(m.rss_kib)
        );
    }
    Ok(())
}
