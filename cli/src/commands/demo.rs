//! `gsa demo`: the whole pipeline over NATS on the shipped real pages and data set.
//!
//! Starts (in this process) the logging worker and the analyzer, publishes every listing of the
//! input folder through the scraper's publisher, waits until each listing's latest event has a
//! stored score, and prints the ranked table on stdout. Safe to run again: unchanged listings
//! are not republished, and what is already stored is found at once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use gsa_common::{nats, shutdown, telemetry, Config};
use gsa_schemas::{Listing, ScoreCard};

use super::inputs;
use crate::nats_server;

/// The shipped real pages and data set: `testdata/bizbuysell` in the working directory, else
/// in the source tree this binary was built from.
pub fn default_input() -> PathBuf {
    let local = PathBuf::from("testdata/bizbuysell");
    if local.is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/bizbuysell")
}

/// Files the demo reads from the input folder: every HTML page and the API JSON data set.
fn demo_files(dir: &Path) -> Vec<PathBuf> {
    inputs::expand(&[dir.to_path_buf()])
        .into_iter()
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".html") || name.starts_with("api-bff-v2-bfs-search-results-2025.json")
        })
        .collect()
}

/// One row of the ranked table.
#[derive(Debug)]
pub struct Row {
    /// The stored (merged) listing.
    pub listing: Listing,
    /// Its latest score card.
    pub card: ScoreCard,
}

/// Runs the demo.
pub async fn run(cfg: Config, input: Option<PathBuf>, timeout_s: u64) -> anyhow::Result<ExitCode> {
    let mut shipper = telemetry::init("cli", true);
    std::fs::create_dir_all(&cfg.data_dir)?;
    let input = input.unwrap_or_else(default_input);
    let files = demo_files(&input);
    anyhow::ensure!(
        !files.is_empty(),
        "no pages or data sets found in {}",
        input.display()
    );
    let scoring = gsa_analyzer::ScoringConfig::from_env()?;
    let _server = nats_server::ensure(&cfg).await?;
    let client = nats::connect(&cfg.nats_url, "demo").await?;
    let js = async_nats::jetstream::new(client.clone());
    nats::ensure_streams(&js, &cfg).await?;
    shipper.attach(client);

    let (trigger, sd) = shutdown::channel();
    let mut tasks = Vec::new();
    {
        let (cfg, js, sd) = (cfg.clone(), js.clone(), sd.clone());
        tasks.push(tokio::spawn(async move {
            gsa_logger::worker::run(&cfg, js, sd).await
        }));
    }
    {
        let (cfg, js, sd, scoring) = (cfg.clone(), js.clone(), sd.clone(), scoring.clone());
        tasks.push(tokio::spawn(async move {
            gsa_analyzer::worker::run(&cfg, js, scoring, sd).await
        }));
    }

    let publisher = gsa_scraper::publish::Publisher::new(js.clone()).await?;
    let mut ids = BTreeSet::new();
    let mut total = gsa_scraper::publish::PublishSummary::default();
    for path in &files {
        let outcome = inputs::parse_one(path)?;
        ids.extend(outcome.listings.iter().map(|l| l.listing_id.clone()));
        let s = publisher
            .publish(&outcome.listings, &outcome.rejections)
            .await?;
        eprintln!("{}: {s}", path.display());
        total += s;
    }
    eprintln!("scraper: {total}");

    let result = wait_until_scored(&cfg, &ids, &js, &scoring, Duration::from_secs(timeout_s)).await;
    trigger.trigger();
    for t in tasks {
        let _ = t.await;
    }
    let rows = result?;
    print_table(&rows)?;
    let applicable = rows.iter().filter(|r| r.card.applicable).count();
    let high = rows
        .iter()
        .filter(|r| r.card.applicable && r.card.score.unwrap_or(0) >= cfg.alert_threshold)
        .count();
    eprintln!(
        "{} listings scored and stored in {}: {} applicable (gas station, c-store with fuel, truck stop), {} at or above the alert threshold {}",
        rows.len(),
        cfg.db_path().display(),
        applicable,
        high,
        cfg.alert_threshold
    );
    Ok(ExitCode::SUCCESS)
}

/// Polls `gsa.db` until every id has a stored listing whose latest event has been scored.
/// When listings stay missing although the scraper's seen-bucket knows them (a NATS server
/// that already delivered them to another data directory), `gsa.db` is rebuilt once from the
/// streams ([`gsa_logger::worker::backfill`]).
async fn wait_until_scored(
    cfg: &Config,
    ids: &BTreeSet<String>,
    js: &async_nats::jetstream::Context,
    scoring: &gsa_analyzer::ScoringConfig,
    timeout: Duration,
) -> anyhow::Result<Vec<Row>> {
    let start = Instant::now();
    let model = scoring.model_version();
    let mut backfilled = false;
    let mut rescored = false;
    loop {
        let (rows, missing) = read_rows(&cfg.db_path(), ids)?;
        let stale: BTreeSet<String> = rows
            .iter()
            .filter(|r| r.card.model_version != model)
            .map(|r| r.listing.listing_id.clone())
            .collect();
        if missing.is_empty() && stale.is_empty() {
            return Ok(rows);
        }
        if missing.is_empty() && !rescored {
            // Stored cards made by another model (the listings themselves are unchanged, so
            // nothing was republished): re-score them, as `gsa rescore` would, so the table
            // never mixes models.
            rescored = true;
            let stored: Vec<_> = gsa_analyzer::rescore::read_store(&cfg.db_path())?
                .into_iter()
                .filter(|s| stale.contains(&s.listing.listing_id))
                .collect();
            let summary =
                gsa_analyzer::rescore::run(js, stored, scoring, cfg.alert_threshold, false, |_| {})
                    .await?;
            eprintln!(
                "{} listings were scored by another model than {model}; {summary}",
                stale.len()
            );
        }
        if !backfilled && start.elapsed() > Duration::from_secs(5) {
            backfilled = true;
            let n = gsa_logger::worker::backfill(cfg, js).await?;
            eprintln!(
                "{} listings were not stored in this data directory yet; stored {n} events from the streams",
                missing.len()
            );
        }
        if start.elapsed() > timeout {
            let late = missing.len() + stale.len();
            let first = missing.first().or(stale.first()).map(String::as_str);
            anyhow::bail!(
                "{late} of {} listings were not scored by model {model} and stored within {}s \
                 ({} not stored, {} stored under another model; first: {}); check the logs above",
                ids.len(),
                timeout.as_secs(),
                missing.len(),
                stale.len(),
                first.unwrap_or("")
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn read_rows(db: &Path, ids: &BTreeSet<String>) -> anyhow::Result<(Vec<Row>, Vec<String>)> {
    if !db.exists() {
        return Ok((Vec::new(), ids.iter().cloned().collect()));
    }
    let conn = gsa_common::db::open_ro(db)?;
    let mut stmt = conn.prepare(
        "SELECT l.listing_id, l.data, l.event_id, s.card FROM listings l JOIN scores s USING (listing_id)",
    )?;
    let mut rows = Vec::new();
    let mut done = BTreeSet::new();
    let iter = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for item in iter {
        let (id, data, event_id, card) = item?;
        if !ids.contains(&id) {
            continue;
        }
        let (Ok(listing), Ok(card)) = (
            serde_json::from_str::<Listing>(&data),
            serde_json::from_str::<ScoreCard>(&card),
        ) else {
            continue;
        };
        if card.listing_event_id == event_id {
            done.insert(id);
            rows.push(Row { listing, card });
        }
    }
    let missing = ids.iter().filter(|i| !done.contains(*i)).cloned().collect();
    rows.sort_by(|a, b| {
        (b.card.applicable, b.card.score, &a.listing.listing_id).cmp(&(
            a.card.applicable,
            a.card.score,
            &b.listing.listing_id,
        ))
    });
    Ok((rows, missing))
}

fn money(v: Option<i64>) -> String {
    match v {
        None => "-".into(),
        Some(n) if n.abs() >= 1_000_000 => format!("${:.2}M", n as f64 / 1e6),
        Some(n) if n.abs() >= 1_000 => format!("${}K", n / 1000),
        Some(n) => format!("${n}"),
    }
}

fn truncate(s: &str, n: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= n {
        s
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

/// The reasons behind a score in a few words, for the table's `why` column: up to two factors
/// that scored at least 70 % of their points on the listing's own figures (`+gallons per
/// month`) and the one that scored least, at most 30 %, on its figures (`-price to cash flow`).
/// Factors without evidence (scored neutral because the listing does not say) are left out:
/// they are the card's missing data, not a reason, except a missing cash flow, named last (`no
/// cash flow stated`). A cap comes first: `capped at 50: DSCR 0.67
/// is below 1.00` when it set the score, `red flag: ...` when the sum was already below it (the
/// problem still matters more than any factor). A listing that is not scored gives why not.
pub fn why(card: &ScoreCard) -> String {
    if !card.applicable {
        return card.not_applicable_reason.clone().unwrap_or_default();
    }
    let sum: f64 = card.factors.iter().map(|f| f.points).sum();
    let cap = card.caps.iter().min_by_key(|c| c.limit);
    let ratio = |f: &gsa_schemas::Factor| {
        if f.max_points > 0.0 {
            f.points / f.max_points
        } else {
            0.5
        }
    };
    let mut stated: Vec<&gsa_schemas::Factor> = card
        .factors
        .iter()
        .filter(|f| !f.evidence.is_empty() && f.max_points > 0.0)
        .collect();
    // Best share of its points first; between equal shares the heavier factor (a 20-point
    // price factor says more than a 5-point one), then by name so the order is stable.
    stated.sort_by(|a, b| {
        ratio(b)
            .total_cmp(&ratio(a))
            .then(b.max_points.total_cmp(&a.max_points))
            .then(a.name.cmp(&b.name))
    });
    let name = |f: &gsa_schemas::Factor| f.name.replace('_', " ");
    let mut parts: Vec<String> = stated
        .iter()
        .take(2)
        .filter(|f| ratio(f) >= 0.7)
        .map(|f| format!("+{}", name(f)))
        .collect();
    // The weakest: lowest share, the heavier factor between equal shares.
    let worst = stated.iter().min_by(|a, b| {
        ratio(a)
            .total_cmp(&ratio(b))
            .then(b.max_points.total_cmp(&a.max_points))
            .then(a.name.cmp(&b.name))
    });
    if let Some(worst) = worst.filter(|f| ratio(f) <= 0.3) {
        parts.push(format!("-{}", name(worst)));
    }
    if let Some(cap) = cap {
        // The reason up to its explanation: "DSCR 0.67 is below 1.00", "Lease with 3 years
        // left", "Open environmental problem".
        let short = cap
            .reason
            .split([':', '('])
            .next()
            .unwrap_or_default()
            .trim();
        let binding = card.score == Some(cap.limit) && sum.round() > f64::from(cap.limit);
        parts.insert(
            0,
            if binding {
                format!("capped at {}: {short}", cap.limit)
            } else {
                format!("red flag: {short}")
            },
        );
    }
    // The one figure every valuation starts from: say when it is missing (its factors then
    // score neutral, which the signs above would not show).
    if card.missing.iter().any(|m| m == "cash_flow") {
        parts.push("no cash flow stated".into());
    }
    if parts.is_empty() {
        "no stated figure stands out".into()
    } else {
        parts.join(", ")
    }
}

/// Prints the ranked table: applicable listings first, best score first, with [`why`] last.
pub fn print_table(rows: &[Row]) -> std::io::Result<()> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    writeln!(
        out,
        "{:>4}  {:>5}  {:<4}  {:<12}  {:<22}  {:>9}  {:>9}  {:>6}  {:<9}  {:<60}  why",
        "rank",
        "score",
        "conf",
        "listing",
        "location",
        "asking",
        "cashflow",
        "mult",
        "realest",
        "title",
    )?;
    for (i, r) in rows.iter().enumerate() {
        let l = &r.listing;
        let c = &r.card;
        let score = match c.score {
            Some(s) => s.to_string(),
            None => "n/a".into(),
        };
        let loc = match (&l.city, &l.state) {
            (Some(c), Some(s)) => format!("{c}, {s}"),
            (None, Some(s)) => s.clone(),
            (Some(c), None) => c.clone(),
            (None, None) => "-".into(),
        };
        let re = match (c.real_estate.included, c.real_estate.basis) {
            (Some(true), gsa_schemas::RealEstateBasis::Inferred) => "inferred",
            (Some(true), _) => "included",
            (Some(false), _) => "no",
            (None, _) => "?",
        };
        let mult = l
            .multiple()
            .map(|m| format!("{m:.1}x"))
            .unwrap_or_else(|| "-".into());
        let title = l.title.as_deref().unwrap_or("");
        let title = if c.applicable {
            truncate(title, 60)
        } else {
            format!("{} [not applicable]", truncate(title, 44))
        };
        writeln!(
            out,
            "{:>4}  {:>5}  {:<4}  {:<12}  {:<22}  {:>9}  {:>9}  {:>6}  {:<9}  {:<60}  {}",
            i + 1,
            score,
            if c.applicable {
                format!("{:?}", c.confidence)
            } else {
                "-".into()
            },
            truncate(&l.listing_id, 12),
            truncate(&loc, 22),
            money(l.asking_price),
            money(l.cash_flow),
            mult,
            re,
            title,
            why(c),
        )?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cards_of(path: &str) -> Vec<ScoreCard> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        let out = gsa_scraper::parse_file(&p).unwrap();
        let cfg = gsa_analyzer::ScoringConfig::default();
        out.listings
            .iter()
            .map(|l| gsa_analyzer::score(l, &l.event_id(), &cfg))
            .collect()
    }

    #[test]
    fn why_names_the_strongest_and_weakest_stated_factors_or_why_not_scored() {
        // A real detail page of a car wash without fuel: not scored, and the column says why.
        let wash = cards_of(
            "../testdata/bizbuysell/html/detail-self-serve-car-wash-coalinga-ca-2026.html",
        );
        assert_eq!(
            why(&wash[0]),
            wash[0].not_applicable_reason.clone().unwrap()
        );
        assert!(why(&wash[0]).contains("no fuel"), "{}", why(&wash[0]));
        // The real search-API records: every scored card's reasons are factors it has
        // evidence for, strong ones (>= 70 %) first with `+`, the weak one (<= 30 %) with `-`.
        let cards =
            cards_of("../testdata/bizbuysell/datasets/api-bff-v2-bfs-search-results-2025.json");
        let scored: Vec<&ScoreCard> = cards.iter().filter(|c| c.applicable).collect();
        assert!(scored.len() >= 10, "{} scored", scored.len());
        // ARCO ampm 2419424: DSCR 0.67 caps it at 50 and its factors sum to 46: the DSCR is
        // still the first reason (a trial read the column without it).
        let arco = scored.iter().find(|c| c.listing_id == "2419424").unwrap();
        assert_eq!(arco.caps.len(), 1, "{:?}", arco.caps);
        assert_eq!(arco.score, Some(46));
        assert!(
            why(arco).starts_with("red flag: DSCR 0.67 is below 1.00, "),
            "{}",
            why(arco)
        );
        let mut plus = 0;
        for c in &scored {
            let w = why(c);
            assert_eq!(
                c.missing.iter().any(|m| m == "cash_flow"),
                w.ends_with("no cash flow stated"),
                "{}: {w}",
                c.listing_id
            );
            assert_eq!(
                !c.caps.is_empty(),
                w.starts_with("capped at ") || w.starts_with("red flag: "),
                "{w}"
            );
            for part in w.split(", ").filter(|p| p.starts_with(['+', '-'])) {
                let name = part[1..].replace(' ', "_");
                let f = c.factors.iter().find(|f| f.name == name).unwrap();
                assert!(!f.evidence.is_empty(), "{name} has evidence");
                let r = f.points / f.max_points;
                if part.starts_with('+') {
                    plus += 1;
                    assert!(r >= 0.7, "{part}: {r}");
                    // No stronger factor was left out: none with a higher share, nor one as
                    // strong and heavier (listing 2419534: the 20-point price to cash flow
                    // before the 5-point inside sales, both at 100 %).
                    let shown: Vec<&str> = w.split(", ").collect();
                    let stated = c
                        .factors
                        .iter()
                        .filter(|g| !g.evidence.is_empty() && g.max_points > 0.0);
                    for g in stated {
                        let rg = g.points / g.max_points;
                        if rg > r || (rg == r && g.max_points > f.max_points) {
                            let gn = format!("+{}", g.name.replace('_', " "));
                            assert!(shown.contains(&gn.as_str()), "{w}: {gn} ranks above {part}");
                        }
                    }
                } else {
                    assert!(r <= 0.3, "{part}: {r}");
                }
            }
            // A factor the listing does not state is never a reason.
            for f in c.factors.iter().filter(|f| f.evidence.is_empty()) {
                let n = f.name.replace('_', " ");
                assert!(
                    !w.contains(&format!("+{n}")) && !w.contains(&format!("-{n}")),
                    "{w}"
                );
            }
        }
        assert!(plus > 0, "some scored listing has a strong stated factor");
        assert!(
            scored
                .iter()
                .any(|c| why(c).ends_with("no cash flow stated")),
            "some scored fuel listing of the data set gives no cash flow"
        );
    }
}
