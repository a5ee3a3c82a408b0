//! The money parser: any string gives a whole-dollar amount or `None`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let _ = gsa_scraper::money::parse_money(&s);
});
