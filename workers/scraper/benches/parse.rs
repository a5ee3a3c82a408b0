//! Pages parsed per second on the real pages (criterion): each detail page and each search page
//! in testdata/bizbuysell/html through `parse_bytes`, as the inbox and `gsa scrape` call it.
//! Throughput is reported in elements/s = pages per second (one thread).
//!
//!     cargo bench -p gsa-scraper --bench parse

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn pages(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/bizbuysell/html");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("testdata/bizbuysell/html")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".html"))
        })
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("read page"))
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no {prefix}* pages");
    out
}

fn bench(c: &mut Criterion, kind: &str) {
    let t0 = Utc.timestamp_opt(1_767_225_600, 0).single().unwrap();
    let mut group = c.benchmark_group(format!("{kind}_pages"));
    group.throughput(Throughput::Elements(1));
    for (name, bytes) in pages(kind) {
        let out = gsa_scraper::parse_bytes(&name, &bytes, t0);
        assert!(!out.listings.is_empty(), "{name} gives listings");
        group.bench_with_input(BenchmarkId::from_parameter(&name), &bytes, |b, bytes| {
            b.iter(|| gsa_scraper::parse_bytes(&name, std::hint::black_box(bytes), t0))
        });
    }
    group.finish();
}

fn detail_pages(c: &mut Criterion) {
    bench(c, "detail");
}

fn search_pages(c: &mut Criterion) {
    bench(c, "search");
}

criterion_group!(benches, detail_pages, search_pages);
criterion_main!(benches);
