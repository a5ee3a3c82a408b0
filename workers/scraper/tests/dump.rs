//! `GSA_DUMP=<path> cargo test -p gsa-scraper --test dump -- --ignored --nocapture` prints what
//! a file parses to (a debugging aid, not a check).

#[test]
#[ignore]
fn dump() {
    let Ok(path) = std::env::var("GSA_DUMP") else {
        return;
    };
    let out = gsa_scraper::parse_file(std::path::Path::new(&path)).expect("read");
    let max: usize = std::env::var("GSA_DUMP_MAX")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    println!(
        "listings: {} rejections: {}",
        out.listings.len(),
        out.rejections.len()
    );
    if std::env::var("GSA_DUMP_IDS").is_ok() {
        for l in &out.listings {
            println!("{} {:?} {:?}", l.listing_id, l.title, l.url);
        }
    }
    for l in out.listings.iter().take(max) {
        println!("{}", serde_json::to_string_pretty(l).unwrap());
    }
    for r in out.rejections.iter().take(max) {
        println!("{r:?}");
    }
}
