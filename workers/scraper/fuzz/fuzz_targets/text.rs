//! The pasted-text parser: any text gives a listing or a rejection, never a panic.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let t0 = Utc
        .timestamp_opt(1_767_225_600, 0)
        .single()
        .unwrap_or_default();
    let s = String::from_utf8_lossy(data);
    if let Ok(l) = gsa_scraper::text::parse_text("fuzz.txt", &s, t0) {
        assert!(!l.listing_id.trim().is_empty());
    }
});
