//! No panic on any input: every real fixture cut at many offsets, with bytes garbled, and
//! spliced, must give listings or rejections (never neither). Plus a randomised property test
//! of money parsing (own xorshift generator; no extra dependency).

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use gsa_scraper::money::parse_money;
use gsa_scraper::parse_bytes;

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let mut out = Vec::new();
    for dir in ["bizbuysell/html", "bizbuysell/datasets", "fuel-listings"] {
        let mut entries: Vec<_> = std::fs::read_dir(base.join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.extension().is_some_and(|e| e == "md") {
                continue;
            }
            out.push((
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            ));
        }
    }
    out
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

fn check(name: &str, bytes: &[u8]) {
    let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let out = parse_bytes(name, bytes, t);
    assert!(
        !out.listings.is_empty() || !out.rejections.is_empty(),
        "{name}: neither listings nor rejections ({} bytes)",
        bytes.len()
    );
    for l in &out.listings {
        assert!(!l.listing_id.is_empty(), "{name}: empty id");
        assert_eq!(l.content_hash, l.compute_content_hash(), "{name}");
    }
}

#[test]
fn truncated_pages_never_panic() {
    for (name, bytes) in fixtures() {
        let len = bytes.len();
        // 40 evenly spaced cuts plus the first/last few bytes, on byte (not char) boundaries.
        let mut cuts: Vec<usize> = (0..=40).map(|i| len * i / 40).collect();
        cuts.extend([
            1,
            2,
            3,
            7,
            100,
            1000,
            len.saturating_sub(1),
            len.saturating_sub(7),
        ]);
        for cut in cuts {
            let cut = cut.min(len);
            check(&format!("{name}[..{cut}]"), &bytes[..cut]);
            check(&format!("{name}[{cut}..]"), &bytes[cut..]);
        }
    }
}

#[test]
fn garbled_pages_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let specials: &[&[u8]] = &[
        b"<",
        b">",
        b"\"",
        b"{",
        b"}",
        b",",
        b"\n",
        b"\xff",
        b"\xe2\x80",
        b"$",
        b"<br>",
        b"</dl>",
        b":",
        b"\0",
    ];
    for (name, bytes) in fixtures() {
        for round in 0..6 {
            let mut b = bytes.clone();
            for _ in 0..(20 + round * 30) {
                if b.is_empty() {
                    break;
                }
                let at = rng.below(b.len());
                match rng.below(3) {
                    0 => {
                        let s = specials[rng.below(specials.len())];
                        b.splice(at..at, s.iter().copied());
                    }
                    1 => {
                        let end = (at + rng.below(200)).min(b.len());
                        b.drain(at..end);
                    }
                    _ => b[at] = rng.next() as u8,
                }
            }
            check(&format!("{name} garbled#{round}"), &b);
        }
    }
}

#[test]
fn money_properties() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for _ in 0..20_000 {
        let v = (rng.next() % 10_000_000_000) as i64;
        // Formatted with thousands separators, with or without $ and cents.
        let digits = v.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            let from_right = (digits.len() - i) % 3;
            if i > 0 && from_right == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        assert_eq!(parse_money(&format!("${grouped}")), Some(v));
        assert_eq!(parse_money(&grouped), Some(v));
        assert_eq!(parse_money(&format!("{v}.00")), Some(v));
        assert_eq!(parse_money(&format!("  ${grouped}.00 ")), Some(v));
        assert_eq!(parse_money(&format!("-${grouped}")), Some(-v));
        assert_eq!(parse_money(&format!("{v}.0")), Some(v), "float form");
        // K / M suffixes with up to 2 decimals.
        let k = (rng.next() % 100_000) as i64;
        assert_eq!(parse_money(&format!("${k}K")), Some(k * 1000));
        let (m, c) = ((rng.next() % 1000) as i64, (rng.next() % 100) as i64);
        assert_eq!(
            parse_money(&format!("${m}.{c:02}M")),
            Some(m * 1_000_000 + c * 10_000)
        );
        // JSON float round trip.
        assert_eq!(gsa_scraper::money::from_f64(v as f64), Some(v));
    }
    // Arbitrary strings never panic, and never give 0 for text with no digit.
    for _ in 0..20_000 {
        let len = rng.below(12);
        let s: String = (0..len)
            .map(|_| {
                [
                    '$', '1', '0', ',', '.', 'k', 'M', '-', ' ', '(', ')', 'é', 'N', '/', 'A',
                ][rng.below(15)]
            })
            .collect();
        if let Some(v) = parse_money(&s) {
            assert!(s.chars().any(|c| c.is_ascii_digit()), "{s:?} -> {v}");
        }
    }
}

/// The nesting guard's threshold stays far above real pages (they reach about 20 by its
/// count), and a page nested 40,000 deep (a break-it trial's 320 KB file that held `gsa up`
/// for 45 s) is rejected as malformed without building a tree.
#[test]
fn deeply_nested_pages_are_rejected_and_real_pages_are_shallow() {
    use gsa_scraper::nesting::{max_depth, MAX_DEPTH};
    for (name, bytes) in fixtures() {
        if name.ends_with(".html") {
            let d = max_depth(&String::from_utf8_lossy(&bytes), MAX_DEPTH);
            assert!((10..100).contains(&d), "{name}: depth {d}");
        }
    }
    let deep = format!(
        "<html><head><title>Gas station</title></head><body>{}x</body></html>",
        "<ul><li>".repeat(40_000)
    );
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 0, 0, 0).unwrap();
    let out = parse_bytes("deep.html", deep.as_bytes(), at);
    assert!(out.listings.is_empty());
    assert_eq!(out.rejections.len(), 1);
    assert!(
        out.rejections[0]
            .reason
            .contains("nests elements more than"),
        "{}",
        out.rejections[0].reason
    );
}

/// A listing too large for one NATS message (a 2 MB paste, retried by the inbox forever in a
/// break-it trial) is a rejection that says so; a large but real-sized one is read.
#[test]
fn a_listing_too_large_for_an_event_is_rejected_with_its_size() {
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 0, 0, 0).unwrap();
    let head = "Gas Station for Sale in Austin, TX\nAsking Price: $1,200,000\n";
    let big = format!("{head}{}", "Busy corner store with fuel. ".repeat(70_000));
    let out = parse_bytes("big.txt", big.as_bytes(), at);
    assert!(out.listings.is_empty());
    assert_eq!(out.rejections.len(), 1);
    let r = &out.rejections[0];
    assert!(
        r.reason.contains("KB as JSON, above the 512 KB"),
        "{}",
        r.reason
    );
    assert!(r
        .listing_id
        .as_deref()
        .is_some_and(|id| id.starts_with("text-")));
    let ok = format!("{head}{}", "Busy corner store with fuel. ".repeat(5_000));
    let out = parse_bytes("ok.txt", ok.as_bytes(), at);
    assert_eq!((out.listings.len(), out.rejections.len()), (1, 0));
}

/// A data set record whose id the API could not serve (`/api/listings/{id}` takes
/// `A-Z a-z 0-9 . _ -`) is rejected with the reason; the others are read.
#[test]
fn listing_ids_outside_the_served_set_are_rejected() {
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 0, 0, 0).unwrap();
    let json = r#"[
        {"listNumber": "\"><svg onload=alert(1)>", "header": "Gas station", "price": 1000000, "cashFlow": 200000},
        {"listNumber": 2419534, "header": "Gas station", "price": 1499000, "cashFlow": 300000}
    ]"#;
    let out = parse_bytes("ids.json", json.as_bytes(), at);
    let ids: Vec<&str> = out.listings.iter().map(|l| l.listing_id.as_str()).collect();
    assert_eq!(ids, ["2419534"]);
    assert_eq!(out.rejections.len(), 1);
    assert!(
        out.rejections[0].reason.contains("is not an ad number"),
        "{}",
        out.rejections[0].reason
    );
}
