//! The .xlsx spreadsheet read back cell by cell: numbers are numbers, text is neutralised.

use calamine::{Data, Reader, Xlsx};
use gsa_analyzer::{score, spreadsheet, ScoringConfig};
use gsa_schemas::{Listing, ListingSource};

#[test]
fn xlsx_holds_one_row_per_listing_with_numbers_and_neutralised_text() {
    // The seed's Hubbard, Oregon example, plus a title written to attack a spreadsheet.
    let hubbard = Listing {
        listing_id: "hubbard-or".into(),
        title: Some("Gas station in Hubbard, Oregon".into()),
        city: Some("Hubbard".into()),
        state: Some("OR".into()),
        country: Some("US".into()),
        asking_price: Some(8_499_000),
        cash_flow: Some(1_200_000),
        gross_revenue: Some(12_512_022),
        description: Some(
            "Gas station and convenience store pumping 275,000 gallons a month.".into(),
        ),
        source: ListingSource::PastedText,
        ..Default::default()
    }
    .with_content_hash();
    let mut evil = hubbard.clone();
    evil.listing_id = "evil".into();
    evil.title = Some("=HYPERLINK(\"http://attacker\",\"click\")".into());
    let cfg = ScoringConfig::default();
    let rows: Vec<_> = [hubbard, evil]
        .into_iter()
        .map(|l| {
            let c = score(&l, &l.event_id(), &cfg);
            (l, c)
        })
        .collect();
    let bytes = spreadsheet::xlsx_bytes(&rows).unwrap();
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = wb.worksheet_range("listings").unwrap();
    assert_eq!(range.height(), 3, "header + 2 rows");
    let col = |name: &str| {
        spreadsheet::COLUMNS
            .iter()
            .position(|c| *c == name)
            .unwrap()
    };
    assert_eq!(
        range.get((0, col("asking_price"))),
        Some(&Data::String("asking_price".into()))
    );
    assert_eq!(
        range.get((1, col("listing_id"))),
        Some(&Data::String("hubbard-or".into()))
    );
    assert_eq!(
        range.get((1, col("asking_price"))),
        Some(&Data::Float(8_499_000.0))
    );
    let score = match range.get((1, col("score"))) {
        Some(Data::Float(f)) => *f,
        other => panic!("score cell {other:?}"),
    };
    assert_eq!(Some(score as u8), rows[0].1.score);
    assert_eq!(
        range.get((2, col("title"))),
        Some(&Data::String(
            "'=HYPERLINK(\"http://attacker\",\"click\")".into()
        )),
        "a formula in listing text is neutralised"
    );
}
