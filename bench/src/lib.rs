//! Shared pieces of the gsa benchmarks: a private `nats-server` whose pid we know (for its
//! peak RSS), `/proc` memory readings, and the listing source (the real API data set, parsed
//! once and re-keyed to any number of distinct listings, so no HTML parsing is timed).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use gsa_schemas::Listing;

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench crate has a parent")
        .to_path_buf()
}

/// The 465-record BizBuySell API data set.
pub fn api_dataset() -> PathBuf {
    workspace_root().join("testdata/bizbuysell/datasets/api-bff-v2-bfs-search-results-2025.json")
}

/// The real listings of the API data set, parsed once with `gsa_scraper::parse_file`.
pub fn real_listings() -> anyhow::Result<Vec<Listing>> {
    let path = api_dataset();
    let out = gsa_scraper::parse_file(&path).with_context(|| format!("reading {path:?}"))?;
    anyhow::ensure!(!out.listings.is_empty(), "no listings in {path:?}");
    Ok(out.listings)
}

/// `n` distinct listings: the real records in turn, each copy re-keyed (`<id>-b<copy>`) and
/// its content hash recomputed, so every one is a new listing with its own event id.
pub fn rekeyed(base: &[Listing], n: usize) -> Vec<Listing> {
    (0..n)
        .map(|i| {
            let mut l = base[i % base.len()].clone();
            l.listing_id = format!("{}-b{}", l.listing_id, i / base.len());
            l.with_content_hash()
        })
        .collect()
}

/// Peak (`VmHWM`) and current (`VmRSS`) resident set of a process, in KiB.
pub fn proc_mem(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// CPU time (user + system, all threads) a process has used so far, in seconds: fields 14
/// and 15 of `/proc/<pid>/stat` (proc(5)), in clock ticks of `sysconf(_SC_CLK_TCK)`.
/// `None` when the process is gone or the file cannot be read. Resolution: one tick (10 ms
/// at the usual 100 Hz), so read it over runs of a second or more.
pub fn proc_cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // `rest` starts at field 3 (state); utime and stime are fields 14 and 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (ticks > 0).then(|| (utime + stime) as f64 / ticks as f64)
}

/// CPU seconds this process has used so far ([`proc_cpu_secs`] of itself).
pub fn self_cpu_secs() -> f64 {
    proc_cpu_secs(std::process::id()).unwrap_or(0.0)
}

/// Peak and current RSS of this process, in KiB.
pub fn self_mem() -> (u64, u64) {
    proc_mem(std::process::id()).unwrap_or((0, 0))
}

/// A private `nats-server -js` on a free loopback port with its own store directory.
pub struct NatsProc {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl NatsProc {
    /// Starts it and waits until it accepts connections.
    pub fn start() -> anyhow::Result<Self> {
        let bin = gsa_common::testkit::nats_server_bin().context("nats-server not found")?;
        let dir = tempfile::Builder::new()
            .prefix("gsa-bench-nats")
            .tempdir()?;
        let port = gsa_common::testkit::free_port();
        let child = Command::new(bin)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            anyhow::ensure!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self {
            child,
            port,
            _dir: dir,
        })
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The server's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for NatsProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Percentile (0.0-1.0) of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// The two events the logging worker stores for copy `i` of the real listings `base` (with
/// their score cards `cards`, same order): the listing re-keyed to `<id>-b<copy>` (content hash
/// recomputed) as a `gsa.listing.scraped` event, and its card as the analyzer's
/// `gsa.listing.scored` event (same deterministic event id as `gsa_analyzer::worker`).
/// Used by `seed_listings` and `logger_store`, which feed the store without NATS.
///
/// Errors: only if an envelope fails to round-trip through JSON (not expected).
pub fn copy_events(
    base: &[Listing],
    cards: &[gsa_schemas::ScoreCard],
    i: usize,
) -> anyhow::Result<(gsa_logger::store::Incoming, gsa_logger::store::Incoming)> {
    use gsa_logger::store::Incoming;
    use gsa_schemas::{event_type, subjects, Envelope};
    let k = i % base.len();
    let mut l = base[k].clone();
    l.listing_id = format!("{}-b{}", l.listing_id, i / base.len());
    let l = l.with_content_hash();
    let listing_event = l.event_id();
    let listing_id = l.listing_id.clone();
    let listing = Incoming::scraped(l)?;
    let mut card = cards[k].clone();
    card.listing_id = listing_id.clone();
    card.listing_event_id = listing_event.clone();
    // The analyzer's card event id (workers/analyzer/src/worker.rs).
    let card_id =
        Envelope::<()>::deterministic_id(&["scored", &listing_event, &card.model_version]);
    let env = Envelope::new(
        gsa_analyzer::worker::SERVICE,
        event_type::LISTING_SCORED,
        card_id,
        Some(listing_id),
        &card,
    );
    let card = Incoming::parse(subjects::LISTING_SCORED, &serde_json::to_vec(&env)?)?;
    Ok((listing, card))
}
