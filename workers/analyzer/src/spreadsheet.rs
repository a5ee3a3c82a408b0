//! One spreadsheet row per scored listing, for side-by-side comparison.
//!
//! The columns ([`COLUMNS`]) are stable: new columns are only ever appended. Money is whole USD
//! without symbols, ratios have two decimals, lists are joined with `"; "`, and an unknown value
//! is an empty cell (never 0).
//!
//! A listing's text is written by strangers, and a cell starting with `=`, `+`, `-`, `@` (or a
//! tab or carriage return) is run as a formula by Excel, LibreOffice and Google Sheets ("CSV
//! injection"). Such cells get a leading `'`, unless the whole cell is a plain number we wrote
//! (e.g. `-12.5`), which no spreadsheet treats as a formula.

use std::io::Write;

use gsa_schemas::{FactValue, Listing, RealEstateBasis, ScoreCard};

/// Column names, in order.
///
/// `listing_id`, `title`, `city`, `state`; `asking_price`, `cash_flow`, `gross_revenue` (USD);
/// `multiple` (asking / cash flow, of the figures the card used: empty when one was set aside);
/// `real_estate_included` (`yes`/`no`/empty) and `real_estate_basis`
/// (`stated`/`inferred`/`unknown`); `applicable`, `not_applicable_reason`;
/// `score` (0-100, empty when not applicable), `confidence` (A/B/C), `dscr`; the six bucket points
/// (`price_points` ... `location_upside_points`); `gallons_per_month` (number or `min-max`);
/// `fair_value_low`, `fair_value_high` (USD), `asking_vs_fair_value_percent`; `caps` (limits and
/// reasons); `missing` (figures not stated); `summary`; `url`; `model_version`.
pub const COLUMNS: &[&str] = &[
    "listing_id",
    "title",
    "city",
    "state",
    "asking_price",
    "cash_flow",
    "gross_revenue",
    "multiple",
    "real_estate_included",
    "real_estate_basis",
    "applicable",
    "not_applicable_reason",
    "score",
    "confidence",
    "dscr",
    "price_points",
    "cash_flow_points",
    "real_estate_or_lease_points",
    "operations_points",
    "risk_points",
    "location_upside_points",
    "gallons_per_month",
    "fair_value_low",
    "fair_value_high",
    "asking_vs_fair_value_percent",
    "caps",
    "missing",
    "summary",
    "url",
    "model_version",
];

fn is_plain_number(s: &str) -> bool {
    let t = s.strip_prefix('-').unwrap_or(s);
    !t.is_empty()
        && t.chars().all(|c| c.is_ascii_digit() || c == '.')
        && t.chars().filter(|c| *c == '.').count() <= 1
        && t.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// Prefixes `'` to a cell a spreadsheet would run as a formula.
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !is_plain_number(cell) => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The row of one listing and its card, in [`COLUMNS`] order, neutralised.
pub fn row(listing: &Listing, card: &ScoreCard) -> Vec<String> {
    let bucket = |name: &str| {
        card.buckets
            .iter()
            .find(|b| b.name == name)
            .map(|b| crate::text::num(b.points).replace(',', ""))
            .unwrap_or_default()
    };
    let gallons = card
        .facts
        .iter()
        .find(|f| f.name == "gallons_per_month" && !f.estimate)
        .map(|f| match &f.value {
            FactValue::Number(n) => format!("{}", n.round()),
            FactValue::Range { min, max } => format!("{}-{}", min.round(), max.round()),
            _ => String::new(),
        })
        .unwrap_or_default();
    let cells = vec![
        listing.listing_id.clone(),
        opt(listing.title.as_deref()),
        opt(listing.city.as_deref()),
        opt(listing.state.as_deref()),
        opt(listing.asking_price),
        opt(listing.cash_flow),
        opt(listing.gross_revenue),
        opt(crate::card::plausible(listing)
            .0
            .multiple()
            .map(|m| format!("{m:.2}"))),
        match card.real_estate.included {
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => String::new(),
        },
        match card.real_estate.basis {
            RealEstateBasis::Stated => "stated",
            RealEstateBasis::Inferred => "inferred",
            RealEstateBasis::Unknown => "unknown",
        }
        .into(),
        if card.applicable { "yes" } else { "no" }.into(),
        opt(card.not_applicable_reason.as_deref()),
        opt(card.score),
        format!("{:?}", card.confidence),
        opt(card.dscr.as_ref().map(|d| format!("{:.2}", d.ratio))),
        bucket("price"),
        bucket("cash_flow"),
        bucket("real_estate_or_lease"),
        bucket("operations"),
        bucket("risk"),
        bucket("location_upside"),
        gallons,
        opt(card.valuation.as_ref().map(|v| v.low_usd)),
        opt(card.valuation.as_ref().map(|v| v.high_usd)),
        opt(card
            .valuation
            .as_ref()
            .map(|v| format!("{:.1}", v.asking_vs_mid_percent))),
        card.caps
            .iter()
            .map(|c| format!("{}: {}", c.limit, c.reason))
            .collect::<Vec<_>>()
            .join("; "),
        card.missing.join("; "),
        card.summary.clone(),
        opt(listing.url.as_deref()),
        card.model_version.clone(),
    ];
    cells.iter().map(|c| neutralise(c)).collect()
}

/// Writes a header and one row per (listing, card) as CSV.
pub fn write_csv<W: Write>(w: W, rows: &[(Listing, ScoreCard)]) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(COLUMNS)?;
    for (l, c) in rows {
        out.write_record(row(l, c))?;
    }
    out.flush()?;
    Ok(())
}

/// The same sheet as [`write_csv`] as an .xlsx workbook (one sheet "listings", a bold header,
/// one row per listing): plain numbers are written as numbers so they sort and sum, every
/// other cell as text, neutralised like the CSV ([`neutralise`]).
pub fn xlsx_bytes(rows: &[(Listing, ScoreCard)]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name("listings")?;
    let bold = Format::new().set_bold();
    for (c, name) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, &bold)?;
    }
    for (r, (l, card)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row(l, card).into_iter().enumerate() {
            match cell.parse::<f64>() {
                Ok(n) if is_plain_number(&cell) => sheet.write_number(r, c as u16, n)?,
                _ => sheet.write_string(r, c as u16, cell)?,
            };
        }
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_but_numbers_are_not() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(neutralise("+1+2"), "'+1+2");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("-12.5"), "-12.5");
        assert_eq!(neutralise("Gas station"), "Gas station");
    }
}
