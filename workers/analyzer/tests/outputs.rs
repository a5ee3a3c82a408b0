//! The write-up and the spreadsheet: stable columns, injection neutralised, text escaped.

mod common;

use gsa_analyzer::{score, spreadsheet, writeup, ScoringConfig};
use gsa_schemas::Listing;

fn hostile() -> Listing {
    let mut l = common::hubbard();
    l.title =
        Some("=HYPERLINK(\"http://evil.test\",\"click\") <img src=x onerror=alert(1)>".into());
    l.city = Some("@SUM(1+1)".into());
    l.description = Some(
        "<script>alert('x')</script> [win](javascript:alert(1)) 275,000 gallons a month | # not a heading"
            .into(),
    );
    l.url = Some("javascript:alert(document.cookie)".into());
    l
}

#[test]
fn spreadsheet_has_stable_columns_and_neutralises_formulas() {
    let cfg = ScoringConfig::default();
    let l = hostile();
    let c = score(&l, "e", &cfg);
    let row = spreadsheet::row(&l, &c);
    assert_eq!(row.len(), spreadsheet::COLUMNS.len());
    let col = |n: &str| {
        let i = spreadsheet::COLUMNS.iter().position(|c| *c == n).unwrap();
        row[i].clone()
    };
    assert!(col("title").starts_with("'=HYPERLINK"));
    assert_eq!(col("city"), "'@SUM(1+1)");
    assert_eq!(col("asking_price"), "8499000");
    assert_eq!(col("multiple"), "7.08");
    assert_eq!(col("real_estate_included"), "yes");
    assert_eq!(col("real_estate_basis"), "inferred");
    assert_eq!(col("dscr"), "1.38");
    assert_eq!(col("gallons_per_month"), "275000");
    assert_eq!(col("model_version"), cfg.model_version());
    assert_eq!(col("score"), c.score.unwrap().to_string());

    let mut buf = Vec::new();
    spreadsheet::write_csv(
        &mut buf,
        &[
            (l.clone(), c.clone()),
            (
                common::fuel("fl-008"),
                score(&common::fuel("fl-008"), "e", &cfg),
            ),
        ],
    )
    .unwrap();
    let mut rdr = csv::Reader::from_reader(buf.as_slice());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header, spreadsheet::COLUMNS);
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    for r in &rows {
        for cell in r.iter() {
            assert!(
                !matches!(cell.chars().next(), Some('=' | '+' | '@')),
                "{cell}"
            );
        }
    }
    // The not-applicable listing has an empty score, never 0.
    let score_i = spreadsheet::COLUMNS
        .iter()
        .position(|c| *c == "score")
        .unwrap();
    assert_eq!(&rows[1][score_i], "");
    assert_eq!(
        &rows[1][spreadsheet::COLUMNS
            .iter()
            .position(|c| *c == "applicable")
            .unwrap()],
        "no"
    );
}

#[test]
fn markdown_escapes_listing_text_and_links_only_http() {
    let l = hostile();
    let c = score(&l, "e", &ScoringConfig::default());
    let md = writeup::markdown(&l, &c);
    assert!(!md.contains("<script"), "{md}");
    assert!(!md.contains("<img"), "{md}");
    assert!(md.contains("&lt;img src=x onerror=alert(1)>"));
    // No link can form: every `[` and `]` of listing text is escaped, so a `](javascript:`
    // only ever follows a backslash.
    assert!(
        md.match_indices("](javascript:")
            .all(|(i, _)| md[..i].ends_with('\\')),
        "{md}"
    );
    assert!(md.contains("No web link"));
    for section in [
        "## Verdict",
        "## Score by bucket",
        "## Strengths",
        "## Risks",
        "## Missing data",
        "## Questions for the broker",
        "## Valuation",
        "## Listing",
        "screen, not an appraisal",
    ] {
        assert!(md.contains(section), "missing {section}");
    }
    for bucket in [
        "price",
        "cash flow",
        "real estate or lease",
        "operations",
        "risk",
        "location upside",
    ] {
        assert!(
            md.contains(&format!("\n| {bucket} | ")),
            "no bucket row {bucket}"
        );
    }
    let good = common::hubbard();
    let md = writeup::markdown(&good, &score(&good, "e", &ScoringConfig::default()));
    assert!(md.contains("[Open the listing](https://saadazizai.blogspot.com/2025/07/what-is-gas-station-analyzer.html)"));
}

#[test]
fn not_applicable_writeup_says_why() {
    let l = common::api_listing(8); // car wash
    let c = score(&l, "e", &ScoringConfig::default());
    let md = writeup::markdown(&l, &c);
    assert!(md.contains("**Not scored.**"));
    assert!(md.contains("car wash"));
    assert!(md.contains("screen, not an appraisal"));
}
