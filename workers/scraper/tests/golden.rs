//! Golden tests: every field in `tests/golden/expected.json` is compared with what the parser
//! reads from the real fixture (`testdata/`), plus exact listing/rejection counts. The table
//! is checked on the default (streaming fast) HTML path, as `gsa parse` reads pages, and on
//! the full-DOM fallback path.

use std::path::PathBuf;

use gsa_scraper::HtmlPath;
use serde_json::Value;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn find<'a>(listings: &'a [Value], exp: &Value) -> Option<&'a Value> {
    if let Some(id) = exp.get("listing_id").and_then(Value::as_str) {
        return listings.iter().find(|l| l["listing_id"] == id);
    }
    let title = exp.get("title").and_then(Value::as_str)?;
    listings.iter().find(|l| l["title"] == title)
}

#[test]
fn golden_fixtures() {
    golden(HtmlPath::Fast);
}

#[test]
fn golden_fixtures_dom_path() {
    golden(HtmlPath::Dom);
}

/// Reads a fixture as `gsa_scraper::parse_file` does, on the chosen HTML path.
fn parse_fixture(path: &std::path::Path, html: HtmlPath) -> gsa_scraper::ParseOutcome {
    let bytes = std::fs::read(path).unwrap();
    let fetched_at = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(chrono::DateTime::<chrono::Utc>::from)
        .unwrap();
    gsa_scraper::parse_bytes_with(&path.display().to_string(), &bytes, fetched_at, html)
}

fn golden(html: HtmlPath) {
    let table: Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/expected.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut failures: Vec<String> = Vec::new();
    let mut checked = 0usize;
    for fx in table["fixtures"].as_array().unwrap() {
        let file = fx["file"].as_str().unwrap();
        let out = parse_fixture(&testdata().join(file), html);
        if html == HtmlPath::Fast {
            // The default entry point is the fast path.
            assert_eq!(
                out,
                gsa_scraper::parse_file(&testdata().join(file)).unwrap()
            );
        }
        let listings: Vec<Value> = out
            .listings
            .iter()
            .map(|l| serde_json::to_value(l).unwrap())
            .collect();
        if let Some(n) = fx.get("listings_count").and_then(Value::as_u64) {
            if listings.len() as u64 != n {
                failures.push(format!("{file}: {} listings, expected {n}", listings.len()));
            }
        }
        if let Some(n) = fx.get("rejections_count").and_then(Value::as_u64) {
            if out.rejections.len() as u64 != n {
                failures.push(format!(
                    "{file}: {} rejections, expected {n}: {:?}",
                    out.rejections.len(),
                    out.rejections.first()
                ));
            }
        }
        // Invariants for every listing of every fixture.
        for l in &out.listings {
            if l.content_hash != l.compute_content_hash() || l.content_hash.len() != 64 {
                failures.push(format!("{file}: {} content_hash not set", l.listing_id));
            }
            if l.listing_id.trim().is_empty() {
                failures.push(format!("{file}: empty listing_id"));
            }
        }
        for exp in fx
            .get("rejections")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let record = exp["record"].as_str();
            let Some(r) = out
                .rejections
                .iter()
                .find(|r| r.record.as_deref() == record)
            else {
                failures.push(format!("{file}: no rejection for record {record:?}"));
                continue;
            };
            let kind = serde_json::to_value(r.kind).unwrap();
            if kind != exp["kind"] {
                failures.push(format!(
                    "{file} {record:?}: kind {kind}, expected {}",
                    exp["kind"]
                ));
            }
            if let Some(s) = exp.get("reason_contains").and_then(Value::as_str) {
                if !r.reason.contains(s) {
                    failures.push(format!(
                        "{file} {record:?}: reason {:?} lacks {s:?}",
                        r.reason
                    ));
                }
            }
        }
        for exp in fx["listings"].as_array().unwrap() {
            let Some(got) = find(&listings, exp) else {
                failures.push(format!(
                    "{file}: listing {} / {} not found",
                    exp["listing_id"], exp["title"]
                ));
                continue;
            };
            let id = got["listing_id"].as_str().unwrap_or("?");
            let desc = got["description"].as_str().unwrap_or("");
            for (k, v) in exp.as_object().unwrap() {
                checked += 1;
                let ok = match k.as_str() {
                    "listing_id_prefix" => id.starts_with(v.as_str().unwrap()),
                    "description_starts_with" => desc.starts_with(v.as_str().unwrap()),
                    "description_ends_with" => desc.ends_with(v.as_str().unwrap()),
                    "description_contains" => v
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|s| desc.contains(s.as_str().unwrap())),
                    "description_not_contains" => v
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|s| !desc.contains(s.as_str().unwrap())),
                    field => match got.get(field) {
                        Some(g) => g == v,
                        None => false,
                    },
                };
                if !ok {
                    let shown = if k.starts_with("description") {
                        Value::String(desc.chars().take(300).collect())
                    } else {
                        got.get(k).cloned().unwrap_or(Value::Null)
                    };
                    failures.push(format!("{file} [{id}] {k}: got {shown}, expected {v}"));
                }
            }
            if fx.get("all_fields").and_then(Value::as_bool) == Some(true) {
                for key in got.as_object().unwrap().keys() {
                    let covered = exp.get(key).is_some()
                        || (key == "description" && exp.get("description_starts_with").is_some())
                        || matches!(key.as_str(), "fetched_at" | "content_hash");
                    if !covered {
                        failures.push(format!(
                            "{file} [{id}]: field {key} has no expected value in the golden table"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden mismatches ({html:?} path):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 150, "only {checked} values checked");
}
