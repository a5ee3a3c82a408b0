//! Score cards per CPU second of the scoring thread, for the same real sets as
//! `benches/score.rs` (issue 8: at least 20,000 cards per second on one core).
//!
//! The criterion bench reports wall-clock throughput, which on a shared machine says more about
//! the other processes than about the code. This example scores each set again and again for a
//! fixed time on one thread and divides the cards scored by the CPU time that thread got
//! (Linux `/proc/thread-self/schedstat`), so the figure holds on a loaded machine too.
//!
//! Run: `cargo run --release -p gsa-analyzer --example score_rate [SECONDS] [SET...]`
//! (SECONDS per set, default 3; sets `fuel-listings`, `detail-pages`, `api-records`, default
//! all). Also a convenient target for `perf record -e cpu-clock -g`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Instant;

use gsa_analyzer::{score, ScoringConfig};

/// The allocator `gsa` ships with (`gsa_common::allocator`), so this measures what ships.
#[global_allocator]
static ALLOCATOR: gsa_common::allocator::Allocator = gsa_common::allocator::Allocator;

/// This thread's CPU time in seconds (ns on CPU from `/proc/thread-self/schedstat`); `None`
/// where that file does not exist.
fn thread_cpu() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let wanted: Vec<String> = args.collect();
    let cfg = ScoringConfig::default();
    for (name, listings) in common::bench_sets() {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == name) {
            continue;
        }
        // One untimed pass: lazy regexes compiled, caches warm.
        for l in &listings {
            black_box(score(l, "rate", &cfg));
        }
        let cpu0 = thread_cpu();
        let start = Instant::now();
        let mut cards = 0u64;
        while start.elapsed().as_secs_f64() < secs {
            for l in &listings {
                black_box(score(black_box(l), "rate", &cfg));
            }
            cards += listings.len() as u64;
        }
        let wall = start.elapsed().as_secs_f64();
        let cpu = match (cpu0, thread_cpu()) {
            (Some(a), Some(b)) if b > a => format!(
                "{:>9.0} cards per CPU s ({:.2} CPU s)",
                cards as f64 / (b - a),
                b - a
            ),
            _ => "CPU time unavailable".to_string(),
        };
        println!(
            "score/{name:<14} {cards:>8} cards  {:>9.0} cards per wall s  {cpu}",
            cards as f64 / wall
        );
    }
}
