//! `/api/listings` over HTTP against the real store: every filter and sort compared with what
//! the stored listings say, cursors across pages, full-text search, the detail, the report and
//! the exports.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

use gsa_schemas::Listing;
use serde_json::Value;

use crate::fixture::{self, Filled, MODEL, OLD_MODEL, SCRIPT};
use crate::harness::Gateway;

/// Gateway + filled store + a `listings:read` token.
pub async fn setup() -> (Gateway, Filled, String) {
    let gw = Gateway::start().await;
    let path = gw.cfg.db_path();
    let filled = tokio::task::spawn_blocking(move || fixture::fill(&path))
        .await
        .unwrap();
    let tok = token(&gw, "reader", &["listings:read"]).await;
    (gw, filled, tok)
}

/// A token for a new client with `scopes`.
pub async fn token(gw: &Gateway, id: &str, scopes: &[&str]) -> String {
    let s = gw.client(id, &["gsa-api"], scopes);
    gw.access_token(id, &s, "gsa-api").await
}

/// GET with a token; status and body text.
pub async fn get_text(gw: &Gateway, tok: &str, path: &str) -> (u16, String) {
    let r = gw
        .http
        .get(gw.url(path))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// GET with a token; status and JSON body.
pub async fn get(gw: &Gateway, tok: &str, path: &str) -> (u16, Value) {
    let (s, t) = get_text(gw, tok, path).await;
    (
        s,
        serde_json::from_str(&t).unwrap_or_else(|e| panic!("{path}: {e}: {t}")),
    )
}

/// Every item of a query, following `next_cursor` with `limit` per page; checks that pages
/// are full until the last and never overlap.
pub async fn all(gw: &Gateway, tok: &str, query: &str, limit: u32) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let sep = if query.is_empty() { "?" } else { "&" };
        let mut q = format!("/api/listings{query}{sep}limit={limit}");
        if query.is_empty() {
            q = format!("/api/listings?limit={limit}");
        }
        if let Some(c) = &cursor {
            q.push_str(&format!("&cursor={c}"));
        }
        let (s, b) = get(gw, tok, &q).await;
        assert_eq!(s, 200, "{q}: {b}");
        let items = b["items"].as_array().unwrap();
        match b["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(
                    items.len(),
                    limit as usize,
                    "only the last page may be short"
                );
                cursor = Some(c.to_string());
                out.extend(items.iter().cloned());
            }
            None => {
                out.extend(items.iter().cloned());
                let ids: HashSet<&str> = out
                    .iter()
                    .map(|i| i["listing_id"].as_str().unwrap())
                    .collect();
                assert_eq!(ids.len(), out.len(), "pages overlap for {query}");
                return out;
            }
        }
    }
    panic!("paging does not end for {query}");
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["listing_id"].as_str().unwrap().to_string())
        .collect()
}

/// What the stored data says about one listing.
#[derive(Debug, Clone)]
struct Expect {
    l: Listing,
    score: Option<i64>,
    applicable: bool,
    real_estate: Option<bool>,
    first_seen: String,
}

fn expectations(f: &Filled, first_seen: &BTreeMap<String, String>) -> Vec<Expect> {
    f.listings
        .iter()
        .map(|l| {
            let c = &f.cards[&l.listing_id];
            Expect {
                l: l.clone(),
                score: c.score.map(i64::from),
                applicable: c.applicable,
                real_estate: c.real_estate.included,
                first_seen: first_seen[&l.listing_id].clone(),
            }
        })
        .collect()
}

/// A filter's expected effect: which stored listings it keeps.
type Keep = Box<dyn Fn(&Expect) -> bool>;

fn nulls_last<T: PartialOrd>(a: &Option<T>, b: &Option<T>, desc: bool) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            let o = x.partial_cmp(y).unwrap();
            if desc {
                o.reverse()
            } else {
                o
            }
        }
    }
}

fn order(mut v: Vec<Expect>, sort: &str) -> Vec<String> {
    v.sort_by(|a, b| {
        let o = match sort {
            "score" => nulls_last(&a.score, &b.score, true),
            "price" => nulls_last(&a.l.asking_price, &b.l.asking_price, false),
            "multiple" => nulls_last(&a.l.multiple(), &b.l.multiple(), false),
            "newest" => b.first_seen.cmp(&a.first_seen),
            _ => unreachable!(),
        };
        o.then_with(|| a.l.listing_id.cmp(&b.l.listing_id))
    });
    v.into_iter().map(|e| e.l.listing_id).collect()
}

fn words(l: &Listing) -> HashSet<String> {
    format!(
        "{} {}",
        l.title.as_deref().unwrap_or(""),
        l.description.as_deref().unwrap_or("")
    )
    .to_lowercase()
    .split(|c: char| !c.is_alphanumeric())
    .filter(|w| !w.is_empty())
    .map(str::to_string)
    .collect()
}

#[tokio::test]
async fn every_filter_and_sort_matches_the_stored_data_across_pages() {
    let (gw, f, tok) = setup().await;
    let everything = all(&gw, &tok, "", 200).await;
    assert_eq!(everything.len(), f.listings.len());
    let first_seen: BTreeMap<String, String> = everything
        .iter()
        .map(|i| {
            (
                i["listing_id"].as_str().unwrap().to_string(),
                i["first_seen"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let exp = expectations(&f, &first_seen);

    // Items carry the listing's fields, the score and the model version.
    let upd = everything
        .iter()
        .find(|i| i["listing_id"] == f.updated_id.as_str())
        .unwrap();
    let stored = f
        .listings
        .iter()
        .find(|l| l.listing_id == f.updated_id)
        .unwrap();
    assert_eq!(
        upd["asking_price"],
        stored.asking_price.unwrap(),
        "the price cut is stored"
    );
    assert_eq!(upd["score"], 88);
    assert_eq!(upd["model_version"], MODEL);
    assert_eq!(upd["content_hash"], stored.content_hash.as_str());
    assert!(everything.iter().all(|i| i["model_version"] == MODEL));

    // Real estate says one thing per item: the card's conclusion, in both fields, with its
    // basis; including the listings whose page said nothing (`included: null` as scraped) and
    // whose card concluded (a new-user trial saw `null` beside `real_estate_in_deal: true`).
    let mut silent_page_concluded = 0;
    for i in &everything {
        let id = i["listing_id"].as_str().unwrap();
        let card = &f.cards[id];
        let want = card
            .real_estate
            .included
            .map(Value::from)
            .unwrap_or(Value::Null);
        assert_eq!(i["real_estate"]["included"], want, "{id}");
        assert_eq!(i["real_estate_in_deal"], want, "{id}");
        assert_eq!(
            i["real_estate"]["basis"],
            serde_json::to_value(card.real_estate.basis).unwrap(),
            "{id}"
        );
        let stored = f.listings.iter().find(|l| l.listing_id == id).unwrap();
        assert_eq!(
            i["real_estate"]["value"],
            serde_json::to_value(stored.real_estate.value).unwrap(),
            "the listing's stated value stays: {id}"
        );
        if stored.real_estate.included.is_none() && card.real_estate.included.is_some() {
            silent_page_concluded += 1;
        }
    }
    assert!(
        silent_page_concluded > 0,
        "the test data holds listings whose page is silent and whose card concluded"
    );

    // Each sort, paged 7 at a time, gives exactly the expected order.
    for sort in ["score", "price", "multiple", "newest"] {
        let got = ids(&all(&gw, &tok, &format!("?sort={sort}"), 7).await);
        assert_eq!(got, order(exp.clone(), sort), "sort={sort}");
    }
    // Default sort is score.
    assert_eq!(ids(&everything), order(exp.clone(), "score"));

    // Each filter (under a sort that is not the default, to mix cursors and filters).
    let filters: Vec<(String, Keep)> = vec![
        (
            "min_score=50".into(),
            Box::new(|e: &Expect| e.score.is_some_and(|s| s >= 50)),
        ),
        (
            "max_price=500000".into(),
            Box::new(|e: &Expect| e.l.asking_price.is_some_and(|p| p <= 500_000)),
        ),
        (
            "state=ca".into(),
            Box::new(|e: &Expect| e.l.state.as_deref() == Some("CA")),
        ),
        (
            "category=WASH".into(),
            Box::new(|e: &Expect| {
                e.l.category
                    .as_deref()
                    .is_some_and(|c| c.to_lowercase().contains("wash"))
            }),
        ),
        (
            "real_estate=true".into(),
            Box::new(|e: &Expect| e.real_estate == Some(true)),
        ),
        (
            "real_estate=false".into(),
            Box::new(|e: &Expect| e.real_estate == Some(false)),
        ),
        (
            "applicable=true".into(),
            Box::new(|e: &Expect| e.applicable),
        ),
        (
            "applicable=false".into(),
            Box::new(|e: &Expect| !e.applicable),
        ),
        (
            "min_score=20&max_price=2000000".into(),
            Box::new(|e: &Expect| {
                e.score.is_some_and(|s| s >= 20) && e.l.asking_price.is_some_and(|p| p <= 2_000_000)
            }),
        ),
        (
            "state=CA&applicable=true".into(),
            Box::new(|e: &Expect| e.l.state.as_deref() == Some("CA") && e.applicable),
        ),
        (
            "state=CA&max_price=2000000&applicable=false".into(),
            Box::new(|e: &Expect| {
                e.l.state.as_deref() == Some("CA")
                    && e.l.asking_price.is_some_and(|p| p <= 2_000_000)
                    && !e.applicable
            }),
        ),
    ];
    for (q, keep) in &filters {
        let want: Vec<Expect> = exp.iter().filter(|e| keep(e)).cloned().collect();
        assert!(
            !want.is_empty(),
            "{q}: the test data must hold matching listings; categories: {:?}",
            exp.iter()
                .filter_map(|e| e.l.category.clone())
                .collect::<HashSet<_>>()
        );
        assert!(
            want.len() < exp.len(),
            "{q}: the filter must exclude some listings"
        );
        // Every sort: each filter+sort pair has its own query plan (indexes of schema v5).
        for sort in ["price", "score", "multiple", "newest"] {
            let got = ids(&all(&gw, &tok, &format!("?{q}&sort={sort}"), 37).await);
            assert_eq!(got, order(want.clone(), sort), "{q} sort={sort}");
        }
    }

    // Full text: a word from one real description finds exactly the listings that use it.
    for word in ["subway", "zephyrine", "gaming"] {
        let want: Vec<Expect> = exp
            .iter()
            .filter(|e| words(&e.l).contains(word))
            .cloned()
            .collect();
        assert!(!want.is_empty(), "{word} occurs in the test data");
        for sort in ["score", "price", "multiple", "newest"] {
            let got = ids(&all(&gw, &tok, &format!("?q={word}&sort={sort}"), 3).await);
            assert_eq!(got, order(want.clone(), sort), "q={word} sort={sort}");
        }
    }
    let got = ids(&all(&gw, &tok, "?q=zephyrine", 50).await);
    assert_eq!(got, vec![f.script_id.clone()]);
    // FTS syntax in user input is neutralised, not an error; a trailing * is a prefix search.
    for q in [
        "%22zephyrine%20(",
        "-zephyrine",
        "zephyrine%20)%22",
        "zephyr*",
        "^ZEPHYRINE:",
    ] {
        let (s, b) = get(&gw, &tok, &format!("/api/listings?q={q}")).await;
        assert_eq!(s, 200, "{q}: {b}");
        assert_eq!(
            ids(b["items"].as_array().unwrap()),
            vec![f.script_id.clone()],
            "{q}"
        );
    }
    // Words are ANDed: an operator word is just a word.
    let (_, b) = get(&gw, &tok, "/api/listings?q=zephyrine%20OR%20subway").await;
    assert_eq!(b["items"].as_array().unwrap().len(), 0);

    // Bad parameters are 400 with stable codes.
    for (q, code) in [
        ("?sort=random", "invalid_sort"),
        ("?min_score=x", "invalid_min_score"),
        ("?max_price=-1", "invalid_max_price"),
        ("?state=California", "invalid_state"),
        ("?real_estate=maybe", "invalid_real_estate"),
        ("?applicable=2", "invalid_applicable"),
        ("?q=%22%28%29", "invalid_query"),
        ("?limit=201", "invalid_limit"),
        ("?offset=5", "invalid_request"),
    ] {
        let (s, b) = get(&gw, &tok, &format!("/api/listings{q}")).await;
        assert_eq!((s, b["error"].as_str()), (400, Some(code)), "{q}: {b}");
        assert!(b["message"].is_string());
    }
    // A cursor made under one sort is refused under another.
    let (_, b) = get(&gw, &tok, "/api/listings?sort=price&limit=2").await;
    let c = b["next_cursor"].as_str().unwrap();
    let (s, b) = get(&gw, &tok, &format!("/api/listings?sort=score&cursor={c}")).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_cursor")));
    gw.stop().await;
}

#[tokio::test]
async fn detail_report_and_exports() {
    let (gw, f, tok) = setup().await;
    let id = &f.updated_id;
    let (s, d) = get(&gw, &tok, &format!("/api/listings/{id}")).await;
    assert_eq!(s, 200, "{d}");
    let stored = f.listings.iter().find(|l| &l.listing_id == id).unwrap();
    assert_eq!(d["listing"]["asking_price"], stored.asking_price.unwrap());
    assert_eq!(d["score"]["score"], 88);
    assert_eq!(d["score"]["model_version"], MODEL);
    let hist: Vec<(i64, &str)> = d["score_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["score"].as_i64().unwrap(),
                h["model_version"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(hist, vec![(41, OLD_MODEL), (88, MODEL)]);
    let updates = d["updates"].as_array().unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["changes"][0]["field"], "asking_price");
    assert_eq!(
        updates[0]["changes"][0]["new"],
        stored.asking_price.unwrap()
    );
    assert_eq!(
        updates[0]["changes"][0]["old"],
        stored.asking_price.unwrap() + 50_000
    );

    let (s, b) = get(&gw, &tok, "/api/listings/9999999999").await;
    assert_eq!((s, b["error"].as_str()), (404, Some("not_found")));

    // The Markdown report: figures, factors with evidence, missing data, questions, the note.
    let r = gw
        .http
        .get(gw.url(&format!("/api/listings/{id}/report.md")))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/markdown; charset=utf-8");
    let md = r.text().await.unwrap();
    let price = gsa_gateway::read::report::usd(stored.asking_price.unwrap());
    assert!(md.contains(&format!("| Asking price | {price} |")), "{md}");
    assert!(md.contains("**Score: 88/100**"));
    assert!(
        md.contains("### description_read (3/5, operations)"),
        "{md}"
    );
    // Missing figures by their names, not the field keys.
    assert!(md.contains("- gallons per month\n"), "{md}");
    assert!(md.contains("1. What are the monthly fuel gallons for the last 3 years?"));
    assert!(md.contains("a screen, not an appraisal"));
    // Listing text is escaped in the report.
    let (s, md) = get_text(
        &gw,
        &tok,
        &format!("/api/listings/{}/report.md", f.script_id),
    )
    .await;
    assert_eq!(s, 200);
    assert!(!md.contains("<script>"), "{md}");
    assert!(md.contains("&lt;script>"));

    // CSV export: header, one row per listing in the same order as the API, formulas defused.
    let (s, csv) = get_text(&gw, &tok, "/api/export.csv?state=CA&sort=price").await;
    assert_eq!(s, 200);
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header, gsa_gateway::routes::export::COLUMNS.to_vec());
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    let api = ids(&all(&gw, &tok, "?state=CA&sort=price", 200).await);
    let csv_ids: Vec<String> = rows.iter().map(|r| r[0].to_string()).collect();
    assert_eq!(csv_ids, api);
    for r in &rows {
        for cell in r.iter() {
            assert!(!cell.starts_with(['=', '+', '@']), "unsafe cell {cell:?}");
        }
        let l = f.listings.iter().find(|l| l.listing_id == r[0]).unwrap();
        assert_eq!(
            &r[6],
            l.asking_price.map(|p| p.to_string()).unwrap_or_default()
        );
        assert_eq!(&r[15], "CA");
    }
    // XLSX export: a zip (xlsx) file with the sheet.
    let r = gw
        .http
        .get(gw.url("/api/export.xlsx?min_score=50"))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK");
    // Exports need the scope too.
    let other = token(&gw, "alerts-only", &["alerts:read"]).await;
    let (s, b) = get(&gw, &other, "/api/export.csv?sort=bogus").await;
    assert_eq!((s, b["error"].as_str()), (403, Some("insufficient_scope")));
    let _ = SCRIPT;
    gw.stop().await;
}
