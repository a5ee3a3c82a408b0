//! The robots.txt parser (RFC 9309): any file and any path, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let (file, path) = s
        .split_once('\u{0}')
        .unwrap_or((&s, "/businesses-for-sale/"));
    let r = gsa_scraper::robots::Robots::parse(file, "gsa");
    let _ = r.allowed(path);
    let _ = r.crawl_delay();
});
