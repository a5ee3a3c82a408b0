//! `GET /api/export.csv` and `GET /api/export.xlsx`: the ranked listings as a spreadsheet, for
//! the same filters and sort as `/api/listings` (scope [`access::LISTINGS_READ`]).
//!
//! Up to [`EXPORT_MAX`] rows (`limit` lowers it; `cursor` continues a previous page, and the
//! `X-Next-Cursor` header carries the next one when rows were left out).
//!
//! Columns, stable (new ones are only ever appended): see [`COLUMNS`].
//!
//! Formula injection (OWASP "CSV injection"): a text cell that starts with `=`, `+`, `-`, `@`,
//! tab or carriage return is written with a leading `'`, so a spreadsheet shows it as text
//! instead of running it. Numbers are written as numbers (CSV: digits; XLSX: numeric cells) and
//! never start with those characters except a minus sign, which only a real negative figure has.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::access::{self, Caller};
use crate::error::ApiResult;
use crate::read::listings::{ListParams, Row};
use crate::read::{self, params};
use crate::state::AppState;

/// Most rows in one export.
pub const EXPORT_MAX: u32 = 10_000;

/// The export's columns, in order.
pub const COLUMNS: [&str; 22] = [
    "listing_id",
    "title",
    "score",
    "applicable",
    "confidence",
    "model_version",
    "asking_price",
    "cash_flow",
    "gross_revenue",
    "ebitda",
    "multiple",
    "real_estate_in_deal",
    "real_estate_value",
    "category",
    "city",
    "state",
    "established_year",
    "employees",
    "summary",
    "url",
    "first_seen",
    "updated_at",
];

/// Export routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/export.csv", get(csv))
        .route("/api/export.xlsx", get(xlsx))
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Empty (unknown).
    Empty,
    /// A number.
    Number(f64),
    /// Text (neutralised on output).
    Text(String),
}

/// Text that a spreadsheet could read as a formula gets a leading `'`.
pub fn neutralise(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// The cells of one row, in [`COLUMNS`] order.
pub fn cells(r: &Row) -> Vec<Cell> {
    let text = |s: Option<&str>| s.map(|s| Cell::Text(s.to_string())).unwrap_or(Cell::Empty);
    let num = |v: Option<i64>| v.map(|v| Cell::Number(v as f64)).unwrap_or(Cell::Empty);
    let flag = |v: Option<bool>| text(v.map(|b| if b { "yes" } else { "no" }));
    let re_value = r
        .listing
        .get("real_estate")
        .and_then(|re| re.get("value"))
        .and_then(serde_json::Value::as_i64);
    vec![
        Cell::Text(r.listing_id.clone()),
        text(r.text("title")),
        num(r.score),
        flag(r.applicable),
        text(r.confidence.as_deref()),
        text(r.model_version.as_deref()),
        num(r.int("asking_price")),
        num(r.int("cash_flow")),
        num(r.int("gross_revenue")),
        num(r.int("ebitda")),
        r.multiple
            .map(|m| Cell::Number((m * 100.0).round() / 100.0))
            .unwrap_or(Cell::Empty),
        flag(r.real_estate_in_deal),
        num(re_value),
        text(r.text("category")),
        text(r.text("city")),
        text(r.text("state")),
        num(r.int("established_year")),
        num(r.int("employees")),
        text(r.summary.as_deref()),
        text(r.text("url")),
        Cell::Text(r.first_seen.clone()),
        Cell::Text(r.updated_at.clone()),
    ]
}

async fn rows(st: &AppState, mut q: ListParams) -> ApiResult<(Vec<Row>, Option<String>)> {
    if params::given(&q.limit).is_none() {
        q.limit = Some(EXPORT_MAX.to_string());
    }
    let req = q.parse(EXPORT_MAX)?;
    read::with_conn(st, move |conn| {
        let Some(conn) = conn else {
            return Ok((vec![], None));
        };
        let (rows, next) = read::listings::page(conn, &req)?;
        Ok((rows, next.as_ref().map(params::encode_cursor)))
    })
    .await
}

fn with_headers(
    mut resp: Response,
    content_type: &'static str,
    file: &str,
    next: Option<String>,
) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(v) = next.and_then(|n| HeaderValue::from_str(&n).ok()) {
        h.insert(HeaderName::from_static("x-next-cursor"), v);
    }
    resp
}

/// The CSV bytes of `rows` (header row first).
pub fn csv_bytes(rows: &[Row]) -> anyhow::Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for r in rows {
        let rec: Vec<String> = cells(r)
            .into_iter()
            .map(|c| match c {
                Cell::Empty => String::new(),
                Cell::Number(n) => n.to_string(),
                Cell::Text(s) => neutralise(&s),
            })
            .collect();
        w.write_record(&rec)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))
}

/// The XLSX bytes of `rows` (one sheet, header row bold and frozen).
pub fn xlsx_bytes(rows: &[Row]) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name("listings")?;
    let bold = Format::new().set_bold();
    for (c, name) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, &bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (i, r) in rows.iter().enumerate() {
        let row = (i + 1) as u32;
        for (c, cell) in cells(r).into_iter().enumerate() {
            match cell {
                Cell::Empty => {}
                Cell::Number(n) => {
                    sheet.write_number(row, c as u16, n)?;
                }
                Cell::Text(s) => {
                    sheet.write_string(row, c as u16, neutralise(&s))?;
                }
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}

async fn csv(
    caller: Caller,
    State(st): State<AppState>,
    query: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<Response> {
    caller.require(access::LISTINGS_READ)?;
    let Query(q) = query?;
    let (rows, next) = rows(&st, q).await?;
    let body = tokio::task::spawn_blocking(move || csv_bytes(&rows))
        .await
        .map_err(anyhow::Error::from)??;
    Ok(with_headers(
        body.into_response(),
        "text/csv; charset=utf-8",
        "gsa-listings.csv",
        next,
    ))
}

async fn xlsx(
    caller: Caller,
    State(st): State<AppState>,
    query: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<Response> {
    caller.require(access::LISTINGS_READ)?;
    let Query(q) = query?;
    let (rows, next) = rows(&st, q).await?;
    let body = tokio::task::spawn_blocking(move || xlsx_bytes(&rows))
        .await
        .map_err(anyhow::Error::from)??;
    Ok(with_headers(
        body.into_response(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "gsa-listings.xlsx",
        next,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("-2"), "'-2");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("Shell station"), "Shell station");
    }
}
