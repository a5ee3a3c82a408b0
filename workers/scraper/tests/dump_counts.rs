//! `cargo test -p gsa-scraper --test dump_counts -- --ignored --nocapture`: counts per corpus file.
#[test]
#[ignore]
fn counts() {
    for dir in ["html", "datasets"] {
        let d = format!(
            "{}/../../testdata/bizbuysell/{dir}",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut entries: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            let o = gsa_scraper::parse_file(&p).unwrap();
            let mut kinds = std::collections::BTreeMap::new();
            for r in &o.rejections {
                *kinds
                    .entry(format!(
                        "{:?}: {}",
                        r.kind,
                        r.reason.chars().take(70).collect::<String>()
                    ))
                    .or_insert(0) += 1;
            }
            println!(
                "{} listings={} rejections={} {:?}",
                p.file_name().unwrap().to_string_lossy(),
                o.listings.len(),
                o.rejections.len(),
                kinds
            );
        }
    }
}
