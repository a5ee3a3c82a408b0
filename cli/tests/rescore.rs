//! End-to-end `gsa rescore`: real fuel listings (BizBuySell search API records) -> `gsa scrape` ->
//! a private nats-server -> analyzer and logging worker in `gsa up` -> SQLite; then a new scoring
//! configuration, `gsa rescore` with the real binary, and the history in `score_history`
//! explaining each change; one digest alert for the several listings that crossed the threshold;
//! a second rescore changes nothing; and the analyzer, restarted under the new model, explains
//! a price cut against the rescored card it kept in `gsa_cards`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use gsa_common::testkit::{free_port, NatsServer};
use gsa_schemas::{RescoreDigest, ScoreCard};

mod common;
use common::{testdata, wait_for, KillOnDrop};

/// The new model: looser price bands, real estate inferred from 5x.
const NEW_CONFIG: &str = "[price]\nbusiness_only_bounds = [3.5, 4.5, 6.0, 8.0]\nwith_real_estate_bounds = [8.0, 9.0, 10.0, 12.0]\ninfer_real_estate_min_multiple = 5.0\n";

struct Env {
    nats: String,
    data: tempfile::TempDir,
    http: String,
}

impl Env {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gsa"));
        c.args(args)
            .env("NATS_URL", &self.nats)
            .env("GSA_DATA_DIR", self.data.path())
            .env("GSA_HTTP_ADDR", &self.http)
            .env("GSA_ALERT_THRESHOLD", "65")
            .env("RUST_LOG", "info")
            .env_remove("GSA_SCORING_CONFIG")
            .env_remove("JWT_SECRET_KEY");
        c
    }
    fn run(&self, args: &[&str]) -> Output {
        let out = self.cmd(args).output().expect("run gsa");
        assert!(
            out.status.success(),
            "gsa {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
    fn up(&self, scoring: Option<&Path>) -> KillOnDrop {
        let mut c = self.cmd(&["up"]);
        if let Some(p) = scoring {
            c.env("GSA_SCORING_CONFIG", p);
        }
        KillOnDrop(
            c.stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    }
    fn db(&self) -> PathBuf {
        self.data.path().join("gsa.db")
    }
}

/// The API records with these list numbers, as a JSON array file the scraper reads.
fn api_subset(dir: &Path, name: &str, ids: &[u64], price_of: &[(u64, f64)]) -> PathBuf {
    let text = std::fs::read_to_string(testdata(
        "bizbuysell/datasets/api-bff-v2-bfs-search-results-2025.json",
    ))
    .unwrap();
    let all: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let mut picked: Vec<serde_json::Value> = all
        .into_iter()
        .filter(|r| r["listNumber"].as_u64().is_some_and(|n| ids.contains(&n)))
        .collect();
    for r in &mut picked {
        let n = r["listNumber"].as_u64().unwrap();
        if let Some((_, p)) = price_of.iter().find(|(id, _)| *id == n) {
            r["price"] = serde_json::json!(p);
        }
    }
    assert_eq!(picked.len(), ids.len(), "records found");
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(&picked).unwrap()).unwrap();
    path
}

fn history(db: &Path, model: &str) -> Vec<ScoreCard> {
    let Ok(conn) = gsa_common::db::open_ro(db) else {
        return vec![];
    };
    let Ok(mut stmt) = conn.prepare(
        "SELECT e.data FROM score_history h JOIN events e ON e.id = h.event_id
             WHERE h.model_version = ?1 ORDER BY h.listing_id",
    ) else {
        return vec![];
    };
    stmt.query_map([model], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|c| serde_json::from_str(&c.unwrap()).unwrap())
        .collect()
}

/// The model of each listing's current card (`scores.model_version`).
fn current_models(db: &Path) -> Vec<String> {
    let conn = gsa_common::db::open_ro(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT model_version FROM scores ORDER BY listing_id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn count_events(db: &Path, event_type: &str) -> i64 {
    let conn = gsa_common::db::open_ro(db).unwrap();
    conn.query_row(
        "SELECT COUNT(*) FROM events WHERE type = ?1",
        [event_type],
        |r| r.get(0),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn rescore_publishes_explained_cards_and_one_digest() {
    let nats = NatsServer::start();
    let env = Env {
        nats: nats.url(),
        data: tempfile::tempdir().unwrap(),
        http: format!("127.0.0.1:{}", free_port()),
    };
    let work = tempfile::tempdir().unwrap();
    // All 13 fuel sites of the API data set plus two that are not (the food truck, a car wash).
    let fuel: [u64; 13] = [
        2418829, 2418831, 2418847, 2418894, 2419047, 2419316, 2419343, 2419407, 2419424, 2419437,
        2419534, 2419549, 2419616,
    ];
    let mut ids = fuel.to_vec();
    ids.extend([2416498, 2418647]);
    let input = api_subset(work.path(), "fuel.json", &ids, &[]);

    // 1. Listings through the pipeline under the default model.
    let default_model = gsa_analyzer::ScoringConfig::default().model_version();
    let up = env.up(None);
    env.run(&["scrape", input.to_str().unwrap()]);
    let first = wait_for("15 cards stored", Duration::from_secs(90), || {
        let h = history(&env.db(), &default_model);
        (h.len() == 15).then_some(h)
    });
    // First cards have no history.
    assert!(first
        .iter()
        .all(|c| c.previous_model_version.is_none() && c.changes.is_empty()));
    // Threshold 65: 2419534 (79), 2419047 (77), 2418894 (76) alerted as new listings.
    wait_for("3 new-listing alerts", Duration::from_secs(30), || {
        (count_events(&env.db(), "gsa.alert.high_score.v1") == 3).then_some(())
    });

    // 2. A new model; `gsa rescore` with the real binary.
    let cfg_path = work.path().join("scoring.toml");
    std::fs::write(&cfg_path, NEW_CONFIG).unwrap();
    let new_model = gsa_analyzer::ScoringConfig::load(&cfg_path)
        .unwrap()
        .model_version();
    assert_ne!(new_model, default_model);
    let out = env.run(&["rescore", "--config", cfg_path.to_str().unwrap()]);
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(summary.contains("rescored 15 listings"), "{summary}");
    assert!(summary.contains("3 reached the threshold"), "{summary}");
    assert!(summary.contains("alert: digest"), "{summary}");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 15);

    // The new cards reach score_history through NATS and the logging worker.
    let rescored = wait_for("15 rescored cards stored", Duration::from_secs(60), || {
        let h = history(&env.db(), &new_model);
        (h.len() == 15).then_some(h)
    });
    let bp = rescored.iter().find(|c| c.listing_id == "2419343").unwrap();
    assert_eq!(bp.previous_score, Some(58));
    assert_eq!(bp.score, Some(67));
    assert_eq!(
        bp.previous_model_version.as_deref(),
        Some(default_model.as_str())
    );
    let price = bp
        .changes
        .iter()
        .find(|c| c.factor == "price_to_cash_flow")
        .unwrap_or_else(|| panic!("{:#?}", bp.changes));
    assert!(price.new_points > price.old_points);
    assert!(
        price
            .reason
            .contains(&format!("model {default_model} -> {new_model}")),
        "{}",
        price.reason
    );
    // Every card names both models; a listing that is not scored has nothing to explain.
    for c in &rescored {
        assert_eq!(c.model_version, new_model);
        assert_eq!(
            c.previous_model_version.as_deref(),
            Some(default_model.as_str())
        );
        if !c.applicable {
            assert!(c.changes.is_empty(), "{:#?}", c.changes);
        }
    }
    let truck = rescored.iter().find(|c| c.listing_id == "2416498").unwrap();
    assert!(!truck.applicable);

    // ONE digest naming the three listings that reached 65; no per-listing rescore alerts.
    wait_for("the digest stored", Duration::from_secs(30), || {
        (count_events(&env.db(), "gsa.alert.rescore_digest.v1") == 1).then_some(())
    });
    assert_eq!(count_events(&env.db(), "gsa.alert.high_score.v1"), 3);
    let conn = gsa_common::db::open_ro(&env.db()).unwrap();
    let data: String = conn
        .query_row(
            "SELECT data FROM events WHERE type = 'gsa.alert.rescore_digest.v1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let digest: RescoreDigest = serde_json::from_str(&data).unwrap();
    let raised: Vec<&str> = digest
        .raised
        .iter()
        .map(|e| e.listing_id.as_str())
        .collect();
    assert_eq!(raised, ["2419407", "2419343", "2419549"]);
    assert!(digest.lowered.is_empty());
    assert_eq!(digest.model_version, new_model);
    assert_eq!(digest.threshold, 65);
    assert!(digest.raised.iter().all(|e| e.main_change.is_some()));

    // 3. The same rescore again: everything is current, nothing is published.
    let out = env.run(&["rescore", "--config", cfg_path.to_str().unwrap()]);
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(summary.contains("rescored 0 listings"), "{summary}");
    assert!(summary.contains("(15 already current)"), "{summary}");
    assert!(summary.contains("alert: none"), "{summary}");

    // 3b. Back to the default model and forward again (A -> B -> A -> B): every switch reaches
    //     the store. A card id made only of listing event and model repeated the first card's
    //     when a model came back, and the logging worker dropped it as a duplicate.
    for (args, model) in [
        (vec!["rescore"], &default_model),
        (
            vec!["rescore", "--config", cfg_path.to_str().unwrap()],
            &new_model,
        ),
    ] {
        let out = env.run(&args);
        let summary = String::from_utf8_lossy(&out.stderr);
        assert!(summary.contains("rescored 15 listings"), "{summary}");
        wait_for(
            &format!("every stored card on {model}"),
            Duration::from_secs(60),
            || {
                let models = current_models(&env.db());
                (models.len() == 15 && models.iter().all(|m| m == model)).then_some(())
            },
        );
    }

    // 4. The analyzer restarted under the new model explains a price cut against the rescored
    //    card it kept in gsa_cards.
    drop(up);
    let _up = env.up(Some(&cfg_path));
    // ARCO ampm 2419424: $4,500,000 for $306,192 cash flow (14.7x, 0 price points) cut to
    // $2,400,000 (7.8x, within the new with-real-estate "excellent" band).
    let cut = api_subset(
        work.path(),
        "cut.json",
        &[2419424],
        &[(2419424, 2_400_000.0)],
    );
    env.run(&["scrape", cut.to_str().unwrap()]);
    let after = wait_for("the price-cut card stored", Duration::from_secs(60), || {
        history(&env.db(), &new_model).into_iter().find(|c| {
            c.listing_id == "2419424"
                && c.previous_model_version.as_deref() == Some(new_model.as_str())
        })
    });
    assert!(after.score > after.previous_score, "{after:#?}");
    let price = after
        .changes
        .iter()
        .find(|c| c.factor == "price_to_cash_flow")
        .unwrap_or_else(|| panic!("{:#?}", after.changes));
    assert!(
        price.reason.starts_with(
            "price_to_cash_flow 0 -> 20: asking price cut from $4,500,000 to $2,400,000"
        ),
        "{}",
        price.reason
    );
}
