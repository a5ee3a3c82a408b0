//! The watched inbox: the practical way in, since BizBuySell blocks most automated clients.
//!
//! A person saves a page (or a data set export, or a `.txt` of pasted listing text) into
//! `GSA_INBOX` (default `$GSA_DATA_DIR/inbox`). The scraper worker polls the folder every
//! [`POLL`], parses each new file, publishes its listings (unchanged ones are not republished,
//! see [`crate::publish`]), and moves the file to `processed/`, or to `failed/` with a
//! `<name>.reason.txt` beside it. Polling (rather than inotify) works the same on every file
//! system, including network and container mounts, at the cost of up to [`POLL`] of latency.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use async_nats::jetstream;
use gsa_common::{Config, Shutdown};

use crate::publish::{PublishSummary, Publisher};

/// How often the inbox is scanned.
pub const POLL: Duration = Duration::from_secs(1);

/// A file modified more recently than this is left for the next scan (it may still be written).
pub const SETTLE: Duration = Duration::from_millis(500);

/// File extensions the inbox ingests.
pub const EXTENSIONS: &[&str] = &["html", "htm", "json", "csv", "txt"];

/// Files still being written by a browser or editor; left alone until renamed.
pub const IN_PROGRESS: &[&str] = &["part", "crdownload", "download", "tmp", "swp", "partial"];

/// Runs the inbox watcher until `shutdown`.
pub async fn run(
    cfg: &Config,
    js: jetstream::Context,
    mut shutdown: Shutdown,
) -> anyhow::Result<()> {
    let inbox = cfg.inbox.clone();
    for sub in ["", "processed", "failed"] {
        std::fs::create_dir_all(inbox.join(sub))?;
    }
    let publisher = Publisher::new(js).await?;
    tracing::info!(inbox = %inbox.display(), "scraper watching inbox");
    loop {
        let found = scan(&inbox);
        for (path, why) in found.unsupported {
            let reason = format!(
                "not a file the inbox reads ({why}): it takes regular files named {} (a saved page, a search-API JSON, a CSV export or pasted text)",
                EXTENSIONS
                    .iter()
                    .map(|e| format!("*.{e}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            tracing::warn!(file = %path.display(), %reason, "moved to failed/");
            if let Err(e) = move_to(&path, &inbox.join("failed"), Some(&reason)) {
                tracing::warn!(file = %path.display(), error = %e, "cannot move it to failed/");
            }
        }
        for path in found.ready {
            match ingest(&publisher, &path).await {
                Ok(s) => tracing::info!(file = %path.display(), summary = %s, "ingested"),
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %format!("{e:#}"), "ingest failed")
                }
            }
        }
        tokio::select! {
            _ = shutdown.recv() => break,
            _ = tokio::time::sleep(POLL) => {}
        }
    }
    tracing::info!("scraper stopped");
    Ok(())
}

/// What one look at the inbox root finds (one directory read per poll).
#[derive(Debug, Default)]
pub struct Scan {
    /// Settled regular files with a known extension ([`EXTENSIONS`]), oldest first.
    pub ready: Vec<PathBuf>,
    /// Entries it cannot read, with why: settled files of another extension (or none) that are
    /// not still being written ([`IN_PROGRESS`]); symbolic links, FIFOs and sockets; names that
    /// are not UTF-8. They go to `failed/` with the reason, so nothing but folders, hidden
    /// files and downloads in progress lies in the inbox unexplained.
    pub unsupported: Vec<(PathBuf, &'static str)>,
}

/// Looks at the inbox root once: see [`Scan`]. Folders (`processed/`, `failed/` and the
/// user's own) and hidden files are left alone; a file modified within [`SETTLE`] is left for
/// the next look (it may still be written).
pub fn scan(inbox: &Path) -> Scan {
    let mut out = Scan::default();
    let Ok(rd) = std::fs::read_dir(inbox) else {
        return out;
    };
    let now = SystemTime::now();
    let mut ready: Vec<(SystemTime, PathBuf)> = Vec::new();
    for e in rd.flatten() {
        let p = e.path();
        let Ok(meta) = e.metadata() else { continue };
        if meta.is_dir() {
            continue;
        }
        let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
            out.unsupported.push((p, "its name is not UTF-8"));
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let Ok(modified) = meta.modified() else {
            continue;
        };
        if now.duration_since(modified).unwrap_or_default() < SETTLE {
            continue;
        }
        if !meta.is_file() {
            out.unsupported
                .push((p, "a symbolic link, FIFO or socket, not a regular file"));
            continue;
        }
        let ext = p
            .extension()
            .and_then(|x| x.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if EXTENSIONS.contains(&ext.as_str()) {
            ready.push((modified, p));
        } else if !IN_PROGRESS.contains(&ext.as_str()) {
            out.unsupported.push((p, "another file type"));
        }
    }
    ready.sort();
    out.ready = ready.into_iter().map(|(_, p)| p).collect();
    out
}

/// Parses and publishes one file, then moves it to `processed/` (something was read; the
/// records it could not read, if any, listed in `<name>.reason.txt` beside it) or `failed/`
/// (unreadable, or nothing but rejections) with the reason beside it.
pub async fn ingest(publisher: &Publisher, path: &Path) -> anyhow::Result<PublishSummary> {
    let dir = path.parent().unwrap_or(Path::new("."));
    // Parsing is CPU work (a large page takes seconds): on a blocking thread, so the other
    // services of `gsa up` (the gateway among them) keep answering meanwhile.
    let owned = path.to_path_buf();
    let parsed = tokio::task::spawn_blocking(move || crate::parse_file(&owned))
        .await
        .map_err(|e| anyhow::anyhow!("parsing {} failed: {e}", path.display()))?;
    let outcome = match parsed {
        Ok(o) => o,
        Err(e) => {
            move_to(
                path,
                &dir.join("failed"),
                Some(&format!("cannot read the file: {e}")),
            )?;
            return Err(e.into());
        }
    };
    let summary = publisher
        .publish(&outcome.listings, &outcome.rejections)
        .await?;
    // One line per record not read: "row 35: Malformed: ragged row ...".
    let not_read: Vec<String> = outcome
        .rejections
        .iter()
        .map(|r| {
            let at = r
                .record
                .as_deref()
                .map(|x| format!("{x}: "))
                .unwrap_or_default();
            format!("{at}{:?}: {}", r.kind, r.reason)
        })
        .collect();
    if outcome.listings.is_empty() {
        let reason = if not_read.is_empty() {
            "no listing found".to_string()
        } else {
            not_read.join("\n")
        };
        move_to(path, &dir.join("failed"), Some(&reason))?;
    } else if not_read.is_empty() {
        move_to(path, &dir.join("processed"), None)?;
    } else {
        let reason = format!(
            "read {} listings; {} records not read:\n{}",
            outcome.listings.len(),
            not_read.len(),
            not_read.join("\n")
        );
        move_to(path, &dir.join("processed"), Some(&reason))?;
    }
    Ok(summary)
}

fn move_to(path: &Path, dir: &Path, reason: Option<&str>) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut target = dir.join(&name);
    if target.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f");
        target = dir.join(format!("{stamp}-{name}"));
    }
    std::fs::rename(path, &target)?;
    if let Some(reason) = reason {
        let mut r = target.clone().into_os_string();
        r.push(".reason.txt");
        std::fs::write(PathBuf::from(r), format!("{reason}\n"))?;
    }
    Ok(())
}
