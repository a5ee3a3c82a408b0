//! The streaming fast paths and the full-DOM paths give the same listings: every real detail
//! and search page in testdata is read both ways and compared field by field (and the fast
//! path must actually have taken each real page, not fallen back). Cut and garbled copies of
//! the pages (as in `robustness.rs`) must give the same outcome on both paths too, whichever
//! path the fast one ends up taking.

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use gsa_scraper::{detail, parse_bytes_with, search, HtmlPath, ParseOutcome};
use serde_json::Value;

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn pages(prefix: &str) -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/bizbuysell/html");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".html"))
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Field-by-field differences between two serialised values.
fn diff(a: &Value, b: &Value) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return if a == b {
            vec![]
        } else {
            vec![format!("{a} != {b}")]
        };
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| format!("{k}: fast {:?} / dom {:?}", a.get(k), b.get(k)))
        .collect()
}

fn same_outcome(name: &str, fast: &ParseOutcome, dom: &ParseOutcome) {
    assert_eq!(
        fast.listings.len(),
        dom.listings.len(),
        "{name}: listing count"
    );
    for (f, d) in fast.listings.iter().zip(&dom.listings) {
        let d_ = diff(
            &serde_json::to_value(f).unwrap(),
            &serde_json::to_value(d).unwrap(),
        );
        assert!(
            d_.is_empty(),
            "{name} [{}]:\n{}",
            f.listing_id,
            d_.join("\n")
        );
        assert_eq!(f, d, "{name}");
    }
    assert_eq!(fast.rejections, dom.rejections, "{name}: rejections");
}

#[test]
fn detail_pages_fast_path_equals_dom_field_by_field() {
    let pages = pages("detail-");
    assert!(pages.len() >= 2, "real detail pages in testdata");
    for (name, html) in &pages {
        let fast = detail::parse_detail_fast(name, html, t0())
            .unwrap_or_else(|| panic!("{name}: the fast path must take this real page"))
            .unwrap();
        let dom = detail::parse_detail_dom(name, html, t0()).unwrap();
        let d = diff(
            &serde_json::to_value(&fast).unwrap(),
            &serde_json::to_value(&dom).unwrap(),
        );
        assert!(d.is_empty(), "{name}:\n{}", d.join("\n"));
        assert_eq!(fast, dom);
        // The fields these pages have are really there (a parity of two empty listings
        // would prove nothing).
        assert!(
            fast.asking_price.is_some() && fast.cash_flow.is_some(),
            "{name}"
        );
        assert!(fast.description.as_deref().is_some_and(|t| t.len() > 500));
        assert!(fast.title.is_some() && fast.state.is_some());
    }
}

#[test]
fn search_pages_fast_path_equals_dom_field_by_field() {
    let pages = pages("search-");
    assert!(pages.len() >= 3, "real search pages in testdata");
    for (name, html) in &pages {
        let fast = search::parse_search_fast(name, html, t0())
            .unwrap_or_else(|| panic!("{name}: the fast path must take this real page"));
        let dom = search::parse_search_dom(name, html, t0());
        assert!(fast.from_state && dom.from_state);
        assert!(fast.listings.len() >= 20, "{name}: {}", fast.listings.len());
        same_outcome(
            name,
            &ParseOutcome {
                listings: fast.listings,
                rejections: fast.rejections,
                ..ParseOutcome::default()
            },
            &ParseOutcome {
                listings: dom.listings,
                rejections: dom.rejections,
                ..ParseOutcome::default()
            },
        );
    }
}

#[test]
fn every_real_page_same_outcome_through_parse_bytes() {
    for (name, html) in pages("") {
        let fast = parse_bytes_with(&name, html.as_bytes(), t0(), HtmlPath::Fast);
        let dom = parse_bytes_with(&name, html.as_bytes(), t0(), HtmlPath::Dom);
        assert!(!fast.listings.is_empty(), "{name}");
        same_outcome(&name, &fast, &dom);
    }
}

#[test]
fn unknown_layouts_fall_back_to_the_dom() {
    // Without the figure rows the fast path does not know the page: the DOM path reads it.
    for (name, html) in pages("detail-") {
        let changed = html.replace("m-listing-row", "x-row");
        assert!(detail::parse_detail_fast(&name, &changed, t0()).is_none());
        let fast = parse_bytes_with(&name, changed.as_bytes(), t0(), HtmlPath::Fast);
        let dom = parse_bytes_with(&name, changed.as_bytes(), t0(), HtmlPath::Dom);
        same_outcome(&name, &fast, &dom);
        // A class that matches only ignoring case depends on the quirks mode: DOM decides.
        let upper = html.replacen("bfsTitle", "BFSTITLE", 1);
        assert!(detail::parse_detail_fast(&name, &upper, t0()).is_none());
    }
    // Without the state JSON the search fast path gives up and the cards are read.
    for (name, html) in pages("search-") {
        let start = html.find("<script id=\"BBS-state\"").unwrap();
        let end = start + html[start..].find("</script>").unwrap() + "</script>".len();
        let stripped = format!("{}{}", &html[..start], &html[end..]);
        assert!(search::parse_search_fast(&name, &stripped, t0()).is_none());
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % (n.max(1) as u64)) as usize
    }
}

#[test]
fn cut_and_garbled_pages_same_outcome_on_both_paths() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let specials: &[&[u8]] = &[
        b"<",
        b">",
        b"\"",
        b"'",
        b"=",
        b"</p>",
        b"</dl>",
        b"<!--",
        b"-->",
        b"<br>",
        b"\r\n",
        b"\0",
        b"<table>",
        b"</div>",
        b"<p class=\"m-listing-row\">",
    ];
    let mut taken = 0usize;
    for (name, html) in pages("detail-") {
        let bytes = html.into_bytes();
        let len = bytes.len();
        let mut variants: Vec<(String, Vec<u8>)> = (1..40)
            .map(|i| {
                (
                    format!("{name}[..{}]", len * i / 40),
                    bytes[..len * i / 40].to_vec(),
                )
            })
            .collect();
        for round in 0..30 {
            let mut b = bytes.clone();
            for _ in 0..(5 + round * 4) {
                let at = rng.below(b.len());
                match rng.below(3) {
                    0 => {
                        let s = specials[rng.below(specials.len())];
                        b.splice(at..at, s.iter().copied());
                    }
                    1 => {
                        let end = (at + rng.below(300)).min(b.len());
                        b.drain(at..end);
                    }
                    _ => b[at] = rng.next() as u8,
                }
            }
            variants.push((format!("{name} garbled#{round}"), b));
        }
        for (vname, v) in variants {
            let text = String::from_utf8_lossy(&v);
            if detail::parse_detail_fast(&vname, &text, t0()).is_some() {
                taken += 1;
            }
            let fast = parse_bytes_with(&vname, &v, t0(), HtmlPath::Fast);
            let dom = parse_bytes_with(&vname, &v, t0(), HtmlPath::Dom);
            same_outcome(&vname, &fast, &dom);
        }
    }
    // Most damaged copies still take the fast path, so this compares the fast path itself.
    assert!(taken > 40, "fast path taken on only {taken} variants");
}
