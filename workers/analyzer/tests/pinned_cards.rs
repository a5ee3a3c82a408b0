//! Pins the score card of every real listing in `testdata/`, so that a speed-up of the
//! extractor (or any refactor) cannot silently change a fact, a question or a score.
//!
//! * `tests/pinned/fuel-cards.jsonl`: the whole card (facts, factors, questions, score ...) of
//!   the 30 fuel listings and the Hubbard case, one JSON line each, readable in a diff.
//! * `tests/pinned/card-digests.txt`: for the other 1,582 real listings (detail-page scrapes and
//!   search API records), the listing's position and id, its score, and the SHA-256 of its whole
//!   card.
//!
//! `model_version` is blanked before pinning (it names the rules and the config hash, which
//! other tests check), so only a change of what a card says fails here. A deliberate rule change
//! regenerates the pins with `GSA_UPDATE_PINS=1 cargo test -p gsa-analyzer --test pinned_cards`;
//! the diff of the two files in that commit is the review of what the change did.
//! `GSA_DUMP_CARDS=<file>` also writes every card in full, to see what changed in a digest.

mod common;

use std::path::PathBuf;

use gsa_analyzer::{score, ScoringConfig};
use gsa_schemas::ScoreCard;
use sha2::{Digest, Sha256};

fn pinned_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/pinned")
}

fn card_json(card: &ScoreCard) -> String {
    let mut c = card.clone();
    c.model_version = String::new();
    serde_json::to_string(&c).expect("card serialises")
}

/// (fuel lines, digest lines) for the current code.
fn current() -> (Vec<String>, Vec<String>) {
    let cfg = ScoringConfig::default();
    let all = common::all_real_listings();
    let fuel_count = common::fuel_listings().len() + 1; // + Hubbard
    let mut fuel = Vec::new();
    let mut digests = Vec::new();
    for (i, l) in all.iter().enumerate() {
        let card = score(l, "pinned", &cfg);
        let json = card_json(&card);
        if i < fuel_count {
            fuel.push(json);
        } else {
            let hash = hex::encode(Sha256::digest(json.as_bytes()));
            let s = card.score.map_or("-".to_string(), |s| s.to_string());
            digests.push(format!("{i} {} {s} {hash}", l.listing_id));
        }
    }
    (fuel, digests)
}

fn compare(file: &str, got: &[String]) -> Vec<String> {
    let path = pinned_dir().join(file);
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (generate with GSA_UPDATE_PINS=1)", path.display()));
    let want: Vec<&str> = want.lines().collect();
    let mut diffs = Vec::new();
    if want.len() != got.len() {
        diffs.push(format!(
            "{file}: {} pinned lines, {} now",
            want.len(),
            got.len()
        ));
    }
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        if w != g {
            diffs.push(format!(
                "{file} line {}:\n  pinned: {}\n  now:    {}",
                i + 1,
                w.chars().take(400).collect::<String>(),
                g.chars().take(400).collect::<String>()
            ));
        }
    }
    diffs
}

#[test]
fn every_real_listing_scores_exactly_as_pinned() {
    let (fuel, digests) = current();
    assert_eq!(fuel.len(), 31);
    assert!(digests.len() > 1_500, "{} listings", digests.len());
    if let Some(path) = std::env::var_os("GSA_DUMP_CARDS") {
        // For reviewing a deliberate change: every card in full, one JSON line each.
        let cfg = ScoringConfig::default();
        let lines: Vec<String> = common::all_real_listings()
            .iter()
            .map(|l| card_json(&score(l, "pinned", &cfg)))
            .collect();
        std::fs::write(path, lines.join("\n") + "\n").expect("write GSA_DUMP_CARDS");
    }
    if std::env::var_os("GSA_UPDATE_PINS").is_some() {
        std::fs::create_dir_all(pinned_dir()).expect("mkdir tests/pinned");
        std::fs::write(
            pinned_dir().join("fuel-cards.jsonl"),
            fuel.join("\n") + "\n",
        )
        .expect("write fuel-cards.jsonl");
        std::fs::write(
            pinned_dir().join("card-digests.txt"),
            digests.join("\n") + "\n",
        )
        .expect("write card-digests.txt");
        return;
    }
    let mut diffs = compare("fuel-cards.jsonl", &fuel);
    diffs.extend(compare("card-digests.txt", &digests));
    assert!(
        diffs.is_empty(),
        "{} cards differ from the pins (first 10):\n{}",
        diffs.len(),
        diffs
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
