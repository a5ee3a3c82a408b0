//! The page parser: any bytes named as a saved `.html` page must give listings or rejections,
//! never a panic, and every listing must carry an id and its content hash.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let t0 = Utc
        .timestamp_opt(1_767_225_600, 0)
        .single()
        .unwrap_or_default();
    let out = gsa_scraper::parse_bytes("fuzz.html", data, t0);
    assert!(!out.listings.is_empty() || !out.rejections.is_empty());
    for l in &out.listings {
        assert!(!l.listing_id.trim().is_empty());
        assert_eq!(l.content_hash, l.compute_content_hash());
    }
});
