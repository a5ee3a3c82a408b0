//! Listings with their latest score: filters, the four sorts, and keyset cursors.
//!
//! One query builder serves `GET /api/listings`, the CSV/XLSX exports and the dashboard's
//! ranked table, so the three always agree on what a filter means.
//!
//! Sorts (`sort=`) and their order, each with unknown values (SQL `NULL`) last and
//! `listing_id` as the tie-breaker so the order is total:
//! * `score`: score descending (the default).
//! * `price`: asking price ascending.
//! * `multiple`: price / cash flow ascending (cheapest earnings first).
//! * `newest`: first seen descending.
//!
//! Paging is keyset, never offset: the opaque cursor holds the sort, the last row's sort value
//! and its `listing_id`, so pages stay disjoint and complete while rows are added.

use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::read::{fts, params};

/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size.
pub const MAX_LIMIT: u32 = 200;

/// Raw query parameters shared by `/api/listings`, the exports and the dashboard table.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Lowest score, 0-100.
    pub min_score: Option<String>,
    /// Highest asking price, USD.
    pub max_price: Option<String>,
    /// Two-letter state or province.
    pub state: Option<String>,
    /// Text contained in the category (case-insensitive), e.g. `gas`.
    pub category: Option<String>,
    /// `true`: the analyzer found real estate in the deal; `false`: it found none.
    pub real_estate: Option<String>,
    /// `true`: gas stations, c-stores with fuel, truck stops only; `false`: the others.
    pub applicable: Option<String>,
    /// Full-text search over title and description.
    pub q: Option<String>,
    /// `score` (default), `price`, `multiple` or `newest`.
    pub sort: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// Validated filters.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Filter {
    /// See [`ListParams::min_score`].
    pub min_score: Option<i64>,
    /// See [`ListParams::max_price`].
    pub max_price: Option<i64>,
    /// Upper-cased two-letter code.
    pub state: Option<String>,
    /// See [`ListParams::category`].
    pub category: Option<String>,
    /// See [`ListParams::real_estate`].
    pub real_estate: Option<bool>,
    /// See [`ListParams::applicable`].
    pub applicable: Option<bool>,
    /// The FTS5 expression built by [`fts::match_expr`].
    pub fts: Option<String>,
}

/// A sort order.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Score, best first.
    #[default]
    Score,
    /// Asking price, lowest first.
    Price,
    /// Price over cash flow, lowest first.
    Multiple,
    /// First seen, newest first.
    Newest,
}

impl Sort {
    /// Parses `score`, `price`, `multiple`, `newest`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "score" => Some(Self::Score),
            "price" => Some(Self::Price),
            "multiple" => Some(Self::Multiple),
            "newest" => Some(Self::Newest),
            _ => None,
        }
    }

    /// The parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Score => "score",
            Self::Price => "price",
            Self::Multiple => "multiple",
            Self::Newest => "newest",
        }
    }

    /// SQL expression of the sort key and whether it sorts descending.
    fn key(self) -> (&'static str, bool) {
        match self {
            Self::Score => ("s.score", true),
            Self::Price => ("l.asking_price", false),
            Self::Multiple => ("l.multiple", false),
            Self::Newest => ("l.first_seen", true),
        }
    }
}

/// The position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cursor {
    /// The sort the cursor belongs to.
    pub k: Sort,
    /// Sort value of the last row (`null` when unknown).
    pub v: Value,
    /// `listing_id` of the last row.
    pub id: String,
}

/// A validated request for one page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    /// Filters.
    pub filter: Filter,
    /// Order.
    pub sort: Sort,
    /// Page size.
    pub limit: u32,
    /// Where to start.
    pub cursor: Option<Cursor>,
}

impl ListParams {
    /// Validates every parameter (400 with a stable code on the first bad one).
    pub fn parse(&self, max_limit: u32) -> Result<PageRequest, ApiError> {
        let state = match params::given(&self.state) {
            None => None,
            Some(s) if s.len() == 2 && s.chars().all(|c| c.is_ascii_alphabetic()) => {
                Some(s.to_ascii_uppercase())
            }
            Some(_) => {
                return Err(ApiError::bad(
                    "invalid_state",
                    "state must be a two-letter code, e.g. OH",
                ))
            }
        };
        let category = match params::given(&self.category) {
            Some(c) if c.chars().count() > 100 => {
                return Err(ApiError::bad("invalid_category", "category is too long"))
            }
            c => c.map(str::to_string),
        };
        let fts =
            match params::given(&self.q) {
                None => None,
                Some(q) if q.chars().count() > 200 => {
                    return Err(ApiError::bad(
                        "invalid_query",
                        "q is longer than 200 characters",
                    ))
                }
                Some(q) => Some(fts::match_expr(q).ok_or_else(|| {
                    ApiError::bad("invalid_query", "q holds no word to search for")
                })?),
            };
        let sort = match params::given(&self.sort) {
            None => Sort::default(),
            Some(s) => Sort::parse(s).ok_or_else(|| {
                ApiError::bad(
                    "invalid_sort",
                    "sort must be one of score, price, multiple, newest",
                )
            })?,
        };
        let cursor: Option<Cursor> = params::cursor(&self.cursor)?;
        if cursor.as_ref().is_some_and(|c| c.k != sort) {
            return Err(ApiError::bad(
                "invalid_cursor",
                "cursor belongs to another sort",
            ));
        }
        // A forged value (`true`, an object) is the caller's error, not the server's.
        if cursor
            .as_ref()
            .is_some_and(|c| sql_value(sort, &c.v).is_none())
        {
            return Err(ApiError::bad("invalid_cursor", "cursor is not valid"));
        }
        Ok(PageRequest {
            filter: Filter {
                min_score: params::int(&self.min_score, "min_score", 0, 100, "invalid_min_score")?,
                max_price: params::int(
                    &self.max_price,
                    "max_price",
                    0,
                    i64::MAX,
                    "invalid_max_price",
                )?,
                state,
                category,
                real_estate: params::boolean(
                    &self.real_estate,
                    "real_estate",
                    "invalid_real_estate",
                )?,
                applicable: params::boolean(&self.applicable, "applicable", "invalid_applicable")?,
                fts,
            },
            sort,
            limit: params::limit(&self.limit, DEFAULT_LIMIT, max_limit)?,
            cursor,
        })
    }
}

/// One listing with its latest score.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Listing id.
    pub listing_id: String,
    /// The stored listing JSON ([`gsa_schemas::Listing`]).
    pub listing: Map<String, Value>,
    /// Latest score (`None`: not applicable or not scored).
    pub score: Option<i64>,
    /// `None` when not scored yet.
    pub applicable: Option<bool>,
    /// Model that produced the score.
    pub model_version: Option<String>,
    /// The analyzer's conclusion on real estate in the deal (the card's
    /// `real_estate.included`; `None` when not scored or when nothing says either way).
    pub real_estate_in_deal: Option<bool>,
    /// Where that conclusion comes from: the card's `real_estate.basis` (`stated`, `inferred`,
    /// `unknown`); `None` when not scored yet.
    pub real_estate_basis: Option<String>,
    /// Price over cash flow.
    pub multiple: Option<f64>,
    /// Disclosure grade (A, B, C).
    pub confidence: Option<String>,
    /// The card's short write-up.
    pub summary: Option<String>,
    /// When the listing was first stored.
    pub first_seen: String,
    /// When it last changed.
    pub updated_at: String,
}

impl Row {
    /// The API item: the listing's own fields plus `score`, `applicable`, `model_version`,
    /// `real_estate_in_deal`, `multiple`, `confidence`, `first_seen`, `updated_at`.
    ///
    /// Real estate says one thing: once the listing is scored, `real_estate.included` and
    /// `real_estate_in_deal` are both the analyzer's conclusion (what the score, the
    /// `real_estate=` filter and the exports use), and `real_estate.basis` says where it comes
    /// from (`stated` by the listing's fields or wording, `inferred` from the price/cash-flow
    /// multiple, `unknown`). Before scoring both are what the listing itself states and `basis`
    /// is `null`. The listing exactly as scraped (its own `real_estate.included`, `null` when
    /// the page says nothing) stays in `GET /api/listings/{id}` under `listing`, beside the
    /// card. Before this rule an item could carry `real_estate.included: null` (the page's
    /// silence) beside `real_estate_in_deal: true` (the analyzer's inference).
    pub fn to_item(&self) -> Value {
        let mut m = self.listing.clone();
        m.insert("listing_id".into(), Value::from(self.listing_id.clone()));
        m.insert("score".into(), opt(self.score));
        m.insert("applicable".into(), opt(self.applicable));
        m.insert("model_version".into(), opt(self.model_version.clone()));
        let scored = self.applicable.is_some();
        let mut re = match m.remove("real_estate") {
            Some(Value::Object(re)) => re,
            _ => Map::new(),
        };
        if scored {
            re.insert("included".into(), opt(self.real_estate_in_deal));
        }
        re.insert("basis".into(), opt(self.real_estate_basis.clone()));
        let in_deal = re.get("included").cloned().unwrap_or(Value::Null);
        m.insert("real_estate".into(), Value::Object(re));
        m.insert("real_estate_in_deal".into(), in_deal);
        m.insert(
            "multiple".into(),
            self.multiple
                .and_then(|x| serde_json::Number::from_f64((x * 100.0).round() / 100.0))
                .map(Value::Number)
                .unwrap_or(Value::Null),
        );
        m.insert("confidence".into(), opt(self.confidence.clone()));
        m.insert("first_seen".into(), Value::from(self.first_seen.clone()));
        m.insert("updated_at".into(), Value::from(self.updated_at.clone()));
        Value::Object(m)
    }

    /// A string field of the listing JSON.
    pub fn text(&self, field: &str) -> Option<&str> {
        self.listing.get(field).and_then(Value::as_str)
    }

    /// An integer field of the listing JSON.
    pub fn int(&self, field: &str) -> Option<i64> {
        self.listing.get(field).and_then(Value::as_i64)
    }

    /// The sort value of this row under `sort`.
    fn sort_value(&self, sort: Sort) -> Value {
        match sort {
            Sort::Score => opt(self.score),
            Sort::Price => opt(self.int("asking_price")),
            // As text: serde_json's default float parsing may be one ulp off, and a keyset
            // cursor must hold the exact value (Rust's own f64 text round-trips exactly).
            Sort::Multiple => opt(self.multiple.map(|m| m.to_string())),
            Sort::Newest => Value::from(self.first_seen.clone()),
        }
    }
}

fn opt<T: Into<Value>>(v: Option<T>) -> Value {
    v.map(Into::into).unwrap_or(Value::Null)
}

fn sql_value(sort: Sort, v: &Value) -> Option<SqlValue> {
    match v {
        Value::Null => Some(SqlValue::Null),
        Value::String(s) if sort == Sort::Multiple => s.parse::<f64>().ok().map(SqlValue::Real),
        Value::Number(n) => n
            .as_i64()
            .map(SqlValue::Integer)
            .or_else(|| n.as_f64().map(SqlValue::Real)),
        Value::String(s) => Some(SqlValue::Text(s.clone())),
        _ => None,
    }
}

/// The `WHERE` clause of `filter` (always at least `1`), appending its arguments to `args`.
///
/// `price_index`: whether SQLite may drive the query from the `max_price` range. When `false`
/// the term is written `+l.asking_price`, which SQLite cannot serve from an index, so it walks
/// the sort's own index instead of taking every listing under the price and sorting them
/// (it has no statistics to know that the range keeps most rows).
fn where_clause(filter: &Filter, args: &mut Vec<SqlValue>, price_index: bool) -> Vec<String> {
    let mut conds = vec!["1".to_string()];
    let arg = |v: SqlValue, args: &mut Vec<SqlValue>| {
        args.push(v);
        format!("?{}", args.len())
    };
    if let Some(v) = filter.min_score {
        conds.push(format!("s.score >= {}", arg(SqlValue::Integer(v), args)));
    }
    if let Some(v) = filter.max_price {
        let plus = if price_index { "" } else { "+" };
        conds.push(format!(
            "{plus}l.asking_price <= {}",
            arg(SqlValue::Integer(v), args)
        ));
    }
    if let Some(v) = &filter.state {
        conds.push(format!(
            "l.state = {}",
            arg(SqlValue::Text(v.clone()), args)
        ));
    }
    if let Some(v) = &filter.category {
        // instr + lower: a substring match without LIKE's wildcards to escape.
        conds.push(format!(
            "instr(lower(l.category), lower({})) > 0",
            arg(SqlValue::Text(v.clone()), args)
        ));
    }
    if let Some(v) = filter.real_estate {
        conds.push(format!(
            "s.real_estate = {}",
            arg(SqlValue::Integer(v.into()), args)
        ));
    }
    if let Some(v) = filter.applicable {
        conds.push(format!(
            "s.applicable = {}",
            arg(SqlValue::Integer(v.into()), args)
        ));
    }
    if let Some(v) = &filter.fts {
        conds.push(format!(
            // A `listings_fts` row has its listing's rowid (schema v3): no column to read.
            "l.rowid IN (SELECT rowid FROM listings_fts WHERE listings_fts MATCH {})",
            arg(SqlValue::Text(v.clone()), args)
        ));
    }
    conds
}

/// The columns [`read_row`] reads, over `listings l` and `scores s`.
const SELECT_WIDE: &str = "SELECT l.listing_id, l.data, s.score, s.applicable, s.model_version,
        s.real_estate, l.multiple, json_extract(s.card, '$.confidence'),
        json_extract(s.card, '$.summary'), l.first_seen, l.updated_at,
        json_extract(s.card, '$.real_estate.basis')";

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let listing_id: String = row.get(0)?;
    let data: String = row.get(1)?;
    let listing = match serde_json::from_str(&data) {
        Ok(Value::Object(m)) => m,
        _ => {
            // The writer's contract says `data` is a Listing JSON; a bad row is reported, not
            // hidden, but does not take the whole page down.
            tracing::warn!(listing_id = %listing_id, "listings.data is not a JSON object");
            Map::new()
        }
    };
    Ok(Row {
        listing_id,
        listing,
        score: row.get(2)?,
        applicable: row.get(3)?,
        model_version: row.get(4)?,
        real_estate_in_deal: row.get(5)?,
        multiple: row.get(6)?,
        confidence: row.get(7)?,
        summary: row.get(8)?,
        first_seen: row.get(9)?,
        updated_at: row.get(10)?,
        real_estate_basis: row.get(11)?,
    })
}

/// Listings with a score of at least `min_score` up to which a non-score sort drives its page
/// from `scores` (through `scores_score`) and sorts them, instead of walking the sort's index.
/// Walking examines about `(limit + 1) * listings / matching` rows before the page is full, so
/// from this many matches on (at 100,000 listings: at most ~2,600 rows for a page of 50) the
/// walk is the cheaper, and below it the sort of at most this many rows is.
pub const SCORES_DRIVE_MAX: i64 = 2_000;

/// Which table the page query's first part (rows with a known sort key) starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    /// `scores` through `scores_score`: the score sort (walked in order, stops after a page),
    /// and a non-score sort under a `min_score` that few scores reach (range, then sorted).
    Scores,
    /// `listings` through the sort's own index: `(state, key, listing_id)` under a state
    /// filter, else `(key, listing_id)` (schema v4 and v5); walked in order, stops after a page.
    Listings,
}

/// Whether fewer than [`SCORES_DRIVE_MAX`] listings have a score of at least `min_score`
/// (counts at most that many `scores_score` entries).
fn few_scores_reach(conn: &Connection, min_score: i64) -> rusqlite::Result<bool> {
    let n: i64 = conn
        .prepare_cached("SELECT count(*) FROM (SELECT 1 FROM scores WHERE score >= ?1 LIMIT ?2)")?
        .query_row([min_score, SCORES_DRIVE_MAX], |r| r.get(0))?;
    Ok(n < SCORES_DRIVE_MAX)
}

/// One page of listings and the cursor of the next page (`None` on the last page).
pub fn page(conn: &Connection, req: &PageRequest) -> anyhow::Result<(Vec<Row>, Option<Cursor>)> {
    let f = &req.filter;
    let driver = match (req.sort, f.min_score) {
        (Sort::Score, _) => Driver::Scores,
        (_, Some(m)) if few_scores_reach(conn, m)? => Driver::Scores,
        _ => Driver::Listings,
    };
    let mut args = Vec::new();
    // The price range may drive only the price sort (its index is in page order).
    let mut conds = where_clause(f, &mut args, req.sort == Sort::Price);
    let (key, desc) = req.sort.key();
    if let Some(c) = &req.cursor {
        let v = sql_value(req.sort, &c.v)
            .ok_or_else(|| anyhow::anyhow!("cursor value of a bad type"))?;
        args.push(SqlValue::Text(c.id.clone()));
        let id = args.len();
        if v == SqlValue::Null {
            conds.push(format!("({key} IS NULL AND l.listing_id > ?{id})"));
        } else {
            args.push(v);
            let val = args.len();
            let op = if desc { "<" } else { ">" };
            conds.push(format!(
                "({key} IS NULL OR {key} {op} ?{val} OR ({key} = ?{val} AND l.listing_id > ?{id}))"
            ));
        }
    }
    args.push(SqlValue::Integer(i64::from(req.limit) + 1));
    let lim = args.len();
    let dir = if desc { "DESC" } else { "ASC" };
    let order = format!("ORDER BY ({key} IS NULL), {key} {dir}, l.listing_id");
    let w = conds.join(" AND ");
    // How the page is found, each step measured on 100,000 stored listings
    // (docs/BENCHMARKS.md):
    // * Sort narrow, read wide: the inner queries order only row ids, and the wide columns
    //   (the listing document, the json_extracts over the score card) are read for the
    //   page's rows alone. Written as one flat query, SQLite carried every matching row's
    //   columns through its sorter, parsing 100,000 score cards per page (~0.6 s).
    // * Rows with a known sort key first, then the unknown ones (`NULL`, e.g. no score), as two
    //   queries joined by UNION ALL under one LIMIT, so SQLite runs the second only when the
    //   first did not fill the page, and the first can walk an index in order and stop.
    // * The join order is fixed with CROSS JOIN (SQLite keeps its left table outer) and the
    //   driving index chosen by `Driver`: without statistics SQLite took `listings_state` for
    //   `state=` and sorted the whole state (~1 s a page), or walked the price index looking up
    //   the score of each listing for `min_score` (0.3 s). A listing without a score row has
    //   no known score, so a filter on the score's columns makes the join inner anyway.
    // * The second part is left out when no row can have an unknown key under the filter
    //   (`min_score` under the score sort, `max_price` under the price sort, `first_seen` is
    //   never NULL): it would walk every listing to find none.
    let score_filter = f.min_score.is_some() || f.real_estate.is_some() || f.applicable.is_some();
    let (known_from, tie) = match driver {
        Driver::Scores => (
            "FROM scores s CROSS JOIN listings l ON l.listing_id = s.listing_id",
            "s.listing_id",
        ),
        Driver::Listings if score_filter => (
            "FROM listings l CROSS JOIN scores s ON s.listing_id = l.listing_id",
            "l.listing_id",
        ),
        Driver::Listings => (
            "FROM listings l LEFT JOIN scores s ON s.listing_id = l.listing_id",
            "l.listing_id",
        ),
    };
    // A few scores reach `min_score`: the unknown-key rows are among those few too.
    let unknown_from = match (driver, score_filter) {
        (Driver::Scores, _) if req.sort != Sort::Score => {
            "FROM scores s CROSS JOIN listings l ON l.listing_id = s.listing_id"
        }
        (_, true) => "FROM listings l CROSS JOIN scores s ON s.listing_id = l.listing_id",
        (_, false) => "FROM listings l LEFT JOIN scores s ON s.listing_id = l.listing_id",
    };
    let no_unknown = match req.sort {
        Sort::Score => f.min_score.is_some(),
        Sort::Price => f.max_price.is_some(),
        Sort::Multiple => false,
        Sort::Newest => true,
    };
    let unknown_where = if no_unknown {
        "0".to_string()
    } else {
        w.clone()
    };
    let sql = format!(
        "{SELECT_WIDE} FROM (
             SELECT lr, sr FROM (SELECT l.rowid AS lr, s.rowid AS sr {known_from}
                 WHERE {w} AND {key} IS NOT NULL ORDER BY {key} {dir}, {tie} LIMIT ?{lim})
             UNION ALL
             SELECT lr, sr FROM (SELECT l.rowid AS lr, s.rowid AS sr {unknown_from}
                 WHERE {unknown_where} AND {key} IS NULL ORDER BY l.listing_id LIMIT ?{lim})
             LIMIT ?{lim}) AS p
         JOIN listings l ON l.rowid = p.lr LEFT JOIN scores s ON s.rowid = p.sr
         {order}"
    );
    // Cached: parsing this statement costs more than running it on the default page.
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows: Vec<Row> = stmt
        .query_map(rusqlite::params_from_iter(args), read_row)?
        .collect::<Result<_, _>>()?;
    let more = rows.len() > req.limit as usize;
    rows.truncate(req.limit as usize);
    let next = match (more, rows.last()) {
        (true, Some(last)) => Some(Cursor {
            k: req.sort,
            v: last.sort_value(req.sort),
            id: last.listing_id.clone(),
        }),
        _ => None,
    };
    Ok((rows, next))
}

/// Scores of every scored, applicable listing matching `filter` (for the distribution chart).
pub fn scores(conn: &Connection, filter: &Filter) -> anyhow::Result<Vec<i64>> {
    let mut args = Vec::new();
    let conds = where_clause(filter, &mut args, true);
    let sql = format!(
        "SELECT s.score FROM listings l JOIN scores s ON s.listing_id = l.listing_id
         WHERE s.score IS NOT NULL AND {}",
        conds.join(" AND ")
    );
    let mut stmt = conn.prepare(&sql)?;
    let v = stmt
        .query_map(rusqlite::params_from_iter(args), |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_parse_into_typed_filters() {
        let p = ListParams {
            min_score: Some("70".into()),
            state: Some("oh".into()),
            q: Some("gallons\"".into()),
            sort: Some("multiple".into()),
            real_estate: Some("".into()),
            ..Default::default()
        };
        let r = p.parse(MAX_LIMIT).unwrap();
        assert_eq!(r.filter.min_score, Some(70));
        assert_eq!(r.filter.state.as_deref(), Some("OH"));
        assert_eq!(r.filter.fts.as_deref(), Some("\"gallons\""));
        assert_eq!(r.filter.real_estate, None);
        assert_eq!((r.sort, r.limit), (Sort::Multiple, DEFAULT_LIMIT));
        let other = params::encode_cursor(&Cursor {
            k: Sort::Price,
            v: Value::from(5),
            id: "1".into(),
        });
        let p = ListParams {
            sort: Some("multiple".into()),
            cursor: Some(other),
            ..Default::default()
        };
        assert_eq!(p.parse(MAX_LIMIT).unwrap_err().code(), "invalid_cursor");
        // Forged values of a type no page holds (a break-it trial got a 500).
        for v in [
            serde_json::json!([1]),
            serde_json::json!(true),
            serde_json::json!({"a": 1}),
        ] {
            let forged = params::encode_cursor(&Cursor {
                k: Sort::Score,
                v,
                id: "x".into(),
            });
            let p = ListParams {
                cursor: Some(forged),
                ..Default::default()
            };
            assert_eq!(p.parse(MAX_LIMIT).unwrap_err().code(), "invalid_cursor");
        }
        for (p, code) in [
            (
                ListParams {
                    state: Some("Ohio".into()),
                    ..Default::default()
                },
                "invalid_state",
            ),
            (
                ListParams {
                    sort: Some("random".into()),
                    ..Default::default()
                },
                "invalid_sort",
            ),
            (
                ListParams {
                    min_score: Some("101".into()),
                    ..Default::default()
                },
                "invalid_min_score",
            ),
            (
                ListParams {
                    q: Some("--".into()),
                    ..Default::default()
                },
                "invalid_query",
            ),
        ] {
            assert_eq!(p.parse(MAX_LIMIT).unwrap_err().code(), code);
        }
    }
}
