//! Scoring speed on one core (issue 8: at least 20,000 score cards per second for real listings
//! with descriptions).
//!
//! Inputs, all real and shipped in `testdata/` (loaded by the tests' own loader, so the bench
//! scores exactly what the golden and pinned tests check):
//! * `fuel-listings`: the 30 fuel listings and the Hubbard case (descriptions ~350 characters);
//! * `detail-pages`: the 1,062 business descriptions of the two BizBuySell detail-page scrapes
//!   (~1,050 characters on average, up to 4,000; most are not fuel sites, which are still
//!   fact-extracted and applicability-checked);
//! * `api-records`: the 521 search-API records (short card descriptions, ~190 characters).
//!
//! Each benchmark scores (or extracts the facts of) the whole set once per iteration on the
//! bench thread; throughput is in elements, i.e. cards per second. `score/*` is the full card
//! (`gsa_analyzer::score`); `facts/*` is `facts::extract_all` alone.
//!
//! Run: `cargo bench -p gsa-analyzer --bench score` (also run by `scripts/bench`).

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use gsa_analyzer::{facts, score, ScoringConfig};

/// The allocator `gsa` ships with (`gsa_common::allocator`), so this measures what ships.
#[global_allocator]
static ALLOCATOR: gsa_common::allocator::Allocator = gsa_common::allocator::Allocator;

fn bench(c: &mut Criterion) {
    let cfg = ScoringConfig::default();
    for (name, listings) in common::bench_sets() {
        let mut g = c.benchmark_group("score");
        g.throughput(Throughput::Elements(listings.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                for l in &listings {
                    black_box(score(black_box(l), "bench", &cfg));
                }
            })
        });
        g.finish();
        let mut g = c.benchmark_group("facts");
        g.throughput(Throughput::Elements(listings.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                for l in &listings {
                    black_box(facts::extract_all(black_box(l)));
                }
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
