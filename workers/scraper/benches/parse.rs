//! Pages parsed per second on the real pages (criterion), on both HTML paths: each detail page
//! and each search page in testdata/bizbuysell/html through `parse_bytes_with` (sniffing,
//! block detection, routing and parsing, as the inbox, `gsa parse` and `gsa scrape` call it),
//! once with the streaming fast path (`fast`, the default) and once with the full DOM (`dom`,
//! the fallback). `all` parses every page of the kind once per iteration. Throughput is in
//! elements/s = pages per second on one thread.
//!
//!     cargo bench -p gsa-scraper --bench parse

use std::path::PathBuf;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gsa_scraper::{parse_bytes_with, HtmlPath};

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
    let pages = pages(kind);
    let mut group = c.benchmark_group(format!("{kind}_pages"));
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for (path, label) in [(HtmlPath::Fast, "fast"), (HtmlPath::Dom, "dom")] {
        group.throughput(Throughput::Elements(1));
        for (name, bytes) in &pages {
            let out = parse_bytes_with(name, bytes, t0, path);
            assert!(!out.listings.is_empty(), "{name} gives listings");
            group.bench_with_input(BenchmarkId::new(label, name), bytes, |b, bytes| {
                b.iter(|| parse_bytes_with(name, std::hint::black_box(bytes), t0, path))
            });
        }
        group.throughput(Throughput::Elements(pages.len() as u64));
        group.bench_function(BenchmarkId::new(label, "all"), |b| {
            b.iter(|| {
                for (name, bytes) in &pages {
                    std::hint::black_box(parse_bytes_with(name, bytes, t0, path));
                }
            })
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
