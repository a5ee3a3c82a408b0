//! Pages parsed per second, in process, for `scripts/bench-python-peers.py`: the same loop the
//! Python peers run (every page held in memory, parsed again and again for a fixed time on one
//! thread), so the peer ratios compare like with like in one run. Prints one JSON object on
//! stdout: `{"<kind>_<path>": pages_per_wall_second, "<kind>_<path>_cpu":
//! pages_per_cpu_second, ...}` for kind detail/search and path fast/dom.
//!
//!     cargo run --release -p gsa-scraper --example parse_rate -- [SECONDS] PAGE...
//!     PARSE_RATE_PATHS=fast perf record -e cpu-clock -g target/release/examples/parse_rate ...

use std::time::{Duration, Instant};

use chrono::Utc;
use gsa_scraper::{parse_bytes_with, HtmlPath};

/// A page: file name and bytes.
type Page = (String, Vec<u8>);

/// This thread's CPU time in seconds (Linux `/proc/thread-self/schedstat`, ns on CPU), so the
/// figure does not depend on what else the machine runs; `None` elsewhere.
fn thread_cpu() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// Pages per wall second and per CPU second of this thread.
fn rate(pages: &[Page], path: HtmlPath, secs: f64) -> (f64, Option<f64>) {
    let t0 = Utc::now();
    let cpu0 = thread_cpu();
    let start = Instant::now();
    let mut n = 0u64;
    loop {
        for (name, bytes) in pages {
            let out = parse_bytes_with(name, std::hint::black_box(bytes), t0, path);
            assert!(!out.listings.is_empty(), "{name} gives no listing");
            n += 1;
        }
        if start.elapsed() >= Duration::from_secs_f64(secs) {
            break;
        }
    }
    let wall = n as f64 / start.elapsed().as_secs_f64();
    let cpu = match (cpu0, thread_cpu()) {
        (Some(a), Some(b)) if b > a => Some(n as f64 / (b - a)),
        _ => None,
    };
    (wall, cpu)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let secs = match args.first().and_then(|a| a.parse::<f64>().ok()) {
        Some(s) => {
            args.remove(0);
            s
        }
        None => 3.0,
    };
    let mut by_kind: Vec<(&str, Vec<Page>)> = vec![("detail", vec![]), ("search", vec![])];
    for a in &args {
        let name = std::path::Path::new(a)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = match std::fs::read(a) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{a}: {e}");
                std::process::exit(2);
            }
        };
        let kind = if name.starts_with("search") { 1 } else { 0 };
        by_kind[kind].1.push((name, bytes));
    }
    let mut fields = Vec::new();
    for (kind, pages) in &by_kind {
        if pages.is_empty() {
            continue;
        }
        // PARSE_RATE_PATHS=fast (or dom) times one path only, e.g. under `perf record`.
        let only = std::env::var("PARSE_RATE_PATHS").unwrap_or_default();
        for (path, label) in [(HtmlPath::Fast, "fast"), (HtmlPath::Dom, "dom")] {
            if !only.is_empty() && only != label {
                continue;
            }
            let (r, cpu) = rate(pages, path, secs);
            eprintln!("{kind} {label}: {r:.1} pages/s, {cpu:?} pages per CPU second");
            fields.push(format!("\"{kind}_{label}\": {r:.2}"));
            if let Some(c) = cpu {
                fields.push(format!("\"{kind}_{label}_cpu\": {c:.2}"));
            }
        }
    }
    println!("{{{}}}", fields.join(", "));
}
