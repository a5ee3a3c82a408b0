//! Reading the files named on the command line (or standard input) through the scraper's parser.

use std::io::Read;
use std::path::{Path, PathBuf};

use gsa_scraper::ParseOutcome;

/// Extensions the scraper reads from folders.
pub const EXTENSIONS: &[&str] = &["html", "htm", "json", "csv", "txt"];

/// Expands folders into the readable files they hold (sorted, not recursive into `processed`
/// or `failed`), keeping files as given.
pub fn expand(inputs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = walk(p);
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| EXTENSIONS.contains(&x.to_ascii_lowercase().as_str()))
        {
            out.push(p);
        }
    }
    out
}

/// Reports on stderr each folder among `inputs` that holds no readable file, and returns how
/// many: `gsa parse` and `gsa score` count them as unreadable inputs rather than succeeding with
/// nothing read.
pub fn report_empty_folders(inputs: &[PathBuf]) -> usize {
    let mut n = 0;
    for dir in inputs.iter().filter(|p| p.is_dir() && walk(p).is_empty()) {
        eprintln!(
            "error: {}: no readable file in this folder ({})",
            dir.display(),
            EXTENSIONS.join(", ")
        );
        n += 1;
    }
    n
}

/// What a run left out on purpose, for the summary line: `, 81 ads skipped, 33 repeats
/// skipped` (BizBuySell's inline ads and repeated ad numbers of a data set), or nothing.
pub fn skipped_note(ads: usize, repeats: usize) -> String {
    let mut s = String::new();
    if ads > 0 {
        s.push_str(&format!(
            ", {ads} ads skipped (franchise/broker ads, not listings)"
        ));
    }
    if repeats > 0 {
        s.push_str(&format!(", {repeats} repeated listings skipped"));
    }
    s
}

/// Parses one input: a file, or `-` for standard input (sniffed as pasted text, HTML or JSON).
pub fn parse_one(path: &Path) -> anyhow::Result<ParseOutcome> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        Ok(gsa_scraper::parse_bytes("stdin", &buf, chrono::Utc::now()))
    } else {
        gsa_scraper::parse_file(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }
}

/// The stderr line for a rejected record: `rejected <input> (<record>): <kind>: <reason>`, the
/// record (`line 12`, `record 3`) only when the input holds several, so a rejected line of a
/// JSON Lines file can be found.
pub fn rejection_line(r: &gsa_schemas::Rejection) -> String {
    let record = r
        .record
        .as_deref()
        .map(|x| format!(" ({x})"))
        .unwrap_or_default();
    format!("rejected {}{record}: {:?}: {}", r.input, r.kind, r.reason)
}
