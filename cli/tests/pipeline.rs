//! End-to-end: real BizBuySell pages -> `gsa scrape` -> a real nats-server (private, on a free
//! port) -> analyzer and logging worker in `gsa up` -> SQLite -> authenticated
//! `GET /api/listings` over loopback HTTP.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use gsa_common::testkit::{free_port, NatsServer};

mod common;
use common::{testdata, wait_for, KillOnDrop};

fn gsa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gsa"))
}

struct Env {
    nats: String,
    data: tempfile::TempDir,
    http: String,
}

impl Env {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = gsa();
        c.args(args)
            .env("NATS_URL", &self.nats)
            .env("GSA_DATA_DIR", self.data.path())
            .env("GSA_HTTP_ADDR", &self.http)
            .env("RUST_LOG", "info")
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
}

#[tokio::test(flavor = "multi_thread")]
async fn real_pages_flow_through_nats_to_sqlite_and_the_authenticated_api() {
    let nats = NatsServer::start();
    let env = Env {
        nats: nats.url(),
        data: tempfile::tempdir().unwrap(),
        http: format!("127.0.0.1:{}", free_port()),
    };
    let up = KillOnDrop(
        env.cmd(&["up"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    let detail_oh = testdata("bizbuysell/html/detail-specialty-contract-manufacturer-oh-2025.html");
    let detail_ca = testdata("bizbuysell/html/detail-self-serve-car-wash-coalinga-ca-2026.html");
    let out = env.run(&[
        "scrape",
        detail_oh.to_str().unwrap(),
        detail_ca.to_str().unwrap(),
    ]);
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains("read 2, published 2"),
        "summary: {summary}"
    );

    // Rows in SQLite, written by the logging worker.
    let db = env.data.path().join("gsa.db");
    let rows = wait_for(
        "both listings scored and stored",
        Duration::from_secs(60),
        || {
            let conn = gsa_common::db::open_ro(&db).ok()?;
            let mut stmt = conn
            .prepare(
                "SELECT l.listing_id, l.asking_price, l.cash_flow, s.applicable, s.model_version
                 FROM listings l JOIN scores s USING (listing_id) ORDER BY l.listing_id",
            )
            .ok()?;
            type Row = (String, Option<i64>, Option<i64>, bool, String);
            let rows: Vec<Row> = stmt
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .ok()?
                .filter_map(Result::ok)
                .collect();
            (rows.len() == 2).then_some(rows)
        },
    );
    assert_eq!(rows[0].0, "2365036");
    assert_eq!(rows[0].1, Some(1_370_000));
    assert_eq!(rows[1].0, "2445151");
    assert_eq!(rows[1].1, Some(625_000));
    // Neither a contract manufacturer nor a car wash is a gas station.
    assert!(!rows[0].3 && !rows[1].3, "not applicable: {rows:?}");
    assert!(
        rows[0].4.starts_with("rules-"),
        "model version {}",
        rows[0].4
    );

    // Each event stored exactly once: 2 scraped + 2 scored (no alerts for non-applicable).
    let conn = gsa_common::db::open_ro(&db).unwrap();
    let by_type: Vec<(String, i64)> = conn
        .prepare("SELECT type, COUNT(*) FROM events WHERE type NOT LIKE 'gsa.log.%' GROUP BY type ORDER BY type")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        by_type,
        vec![
            ("gsa.listing.scored.v1".to_string(), 2),
            ("gsa.listing.scraped.v1".to_string(), 2)
        ]
    );

    // Scraping the same pages again publishes nothing new.
    let out = env.run(&["scrape", detail_oh.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unchanged 1"));

    // Service logs reach SQLite through gsa.log.<service>.
    wait_for("log records stored", Duration::from_secs(30), || {
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM logs WHERE service = 'analyzer'",
                [],
                |r| r.get(0),
            )
            .ok()?;
        (n > 0).then_some(())
    });

    // The authenticated API.
    let out = env.run(&[
        "client",
        "create",
        "e2e-tester",
        "--audience",
        "gsa-api",
        "--json",
    ]);
    let creds: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let secret = creds["client_secret"].as_str().unwrap().to_string();
    assert!(secret.len() >= 32);
    // Registering a client is audited on gsa.audit.client_changed, stored by the logging
    // worker, and the event never holds the secret.
    let audit: String = wait_for(
        "client_changed audit event stored",
        Duration::from_secs(30),
        || {
            conn.query_row(
                "SELECT data FROM events WHERE type = 'gsa.audit.client_changed.v1'",
                [],
                |r| r.get(0),
            )
            .ok()
        },
    );
    assert!(
        audit.contains("e2e-tester") && audit.contains("created"),
        "{audit}"
    );
    assert!(
        !audit.contains(&secret),
        "the audit event must not hold the secret"
    );
    let base = format!("http://{}", env.http);
    let http = reqwest::Client::new();
    wait_for("gateway up", Duration::from_secs(30), || {
        std::net::TcpStream::connect(&env.http).ok().map(|_| ())
    });
    let anon = http
        .get(format!("{base}/api/listings"))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);
    let body: serde_json::Value = anon.json().await.unwrap();
    assert!(
        body["error"].is_string(),
        "401 has a JSON error body: {body}"
    );

    let tok: serde_json::Value = http
        .post(format!("{base}/token"))
        .json(&serde_json::json!({"client_id": "e2e-tester", "client_secret": secret, "aud": "gsa-api"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tok["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();
    let resp = http
        .get(format!("{base}/api/listings"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let page: serde_json::Value = resp.json().await.unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let oh = items
        .iter()
        .find(|i| i["listing_id"] == "2365036")
        .expect("2365036 served");
    assert_eq!(oh["asking_price"], 1_370_000);
    assert_eq!(oh["applicable"], false);
    assert!(oh["score"].is_null(), "not applicable -> score null");
    drop(up);
}

#[test]
fn demo_starts_its_own_nats_and_prints_the_ranked_table_twice() {
    let port = free_port();
    let env = Env {
        nats: format!("nats://127.0.0.1:{port}"),
        data: tempfile::tempdir().unwrap(),
        http: format!("127.0.0.1:{}", free_port()),
    };
    let first = env.run(&["demo", "--timeout", "240"]);
    let table = String::from_utf8(first.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        stderr.contains("starting"),
        "demo should start nats-server: {stderr}"
    );
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("rank"), "header: {}", lines[0]);
    assert!(lines[0].trim_end().ends_with("why"), "header: {}", lines[0]);
    // 2 detail pages + 3 search pages + the API data set, minus duplicates across them.
    assert!(lines.len() > 500, "{} rows", lines.len());
    // Applicable (fuel) listings are ranked first and carry a numeric score.
    let first_row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(first_row[0], "1");
    assert!(
        first_row[1].parse::<u8>().is_ok(),
        "top row has a score: {}",
        lines[1]
    );
    let second = env.run(&["demo", "--timeout", "240"]);
    let table2 = String::from_utf8(second.stdout).unwrap();
    assert_eq!(
        table2.lines().count(),
        lines.len(),
        "second run prints the same table"
    );
    assert!(String::from_utf8_lossy(&second.stderr).contains("published 0"));
}
