//! End-to-end: the watched inbox of a running `gsa up` (real binary, private nats-server on a
//! free port). A saved real page and a `.txt` of pasted text built from a real fuel listing are
//! dropped in; both come out scored in gsa.db with no other command. Re-dropping a file changes
//! nothing; an edited copy with a lower asking price gives a `gsa.listing.updated.v1` event and
//! a new score in `score_history`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use gsa_common::testkit::{free_port, NatsServer};

mod common;
use common::{testdata, wait_for, KillOnDrop};

const CAR_WASH: &str = "detail-self-serve-car-wash-coalinga-ca-2026.html";

/// Writes `bytes` to `dir/name` atomically (temp name without an inbox extension, then rename),
/// as a browser's "Save Page As" ends.
fn drop_file(dir: &Path, name: &str, bytes: &[u8]) {
    let tmp = dir.join(format!(".{name}.part"));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

/// A buyer's copy of a real fuel listing (fl-010: arnenoori row 107, BizBuySell 2099977) as a
/// browser copies it: title, location, label/value rows, description.
fn pasted_fuel_listing() -> String {
    let text = std::fs::read_to_string(testdata("fuel-listings/listings.jsonl")).unwrap();
    let v: serde_json::Value = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["id"] == "fl-010")
        .expect("fl-010 in listings.jsonl");
    let s = |k: &str| v[k].as_str().unwrap().to_string();
    format!(
        "{}\n{}\nAsking Price:\n{}\nCash Flow (SDE):\n{}\nGross Revenue:\n{}\nBusiness Description\n{}\n",
        s("title"),
        s("location"),
        s("asking_price_text"),
        s("cash_flow_text"),
        s("gross_revenue_text"),
        s("description")
    )
}

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn dropped_files_are_scored_redrops_change_nothing_and_a_price_cut_is_an_update() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().unwrap();
    let inbox = data.path().join("inbox");
    let _up = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_gsa"))
            .arg("up")
            .env("NATS_URL", nats.url())
            .env("GSA_DATA_DIR", data.path())
            .env("GSA_HTTP_ADDR", format!("127.0.0.1:{}", free_port()))
            .env("RUST_LOG", "info")
            .env_remove("GSA_INBOX")
            .env_remove("GSA_CONFIG")
            .env_remove("JWT_SECRET_KEY")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn gsa up"),
    );
    wait_for("the inbox folders", Duration::from_secs(60), || {
        inbox.join("processed").is_dir().then_some(())
    });

    // 1. A saved real page and pasted text of a real fuel listing.
    let page = std::fs::read(testdata(&format!("bizbuysell/html/{CAR_WASH}"))).unwrap();
    drop_file(&inbox, CAR_WASH, &page);
    drop_file(&inbox, "fuel-listing.txt", pasted_fuel_listing().as_bytes());

    let db = data.path().join("gsa.db");
    let scored = wait_for("both listings scored", Duration::from_secs(90), || {
        let conn = gsa_common::db::open_ro(&db).ok()?;
        let mut stmt = conn
            .prepare(
                "SELECT l.listing_id, l.asking_price, l.cash_flow, s.applicable
                 FROM listings l JOIN scores s USING (listing_id) ORDER BY l.listing_id",
            )
            .ok()?;
        let rows: Vec<(String, Option<i64>, Option<i64>, bool)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .ok()?
            .filter_map(Result::ok)
            .collect();
        (rows.len() == 2).then_some(rows)
    });
    assert_eq!(
        scored[0],
        ("2445151".to_string(), Some(625_000), Some(72_700), false),
        "the car wash page, not a gas station"
    );
    assert!(scored[1].0.starts_with("text-"), "{:?}", scored[1]);
    assert_eq!(
        (scored[1].1, scored[1].2, scored[1].3),
        (Some(895_000), Some(325_000), true),
        "the pasted gas station is read and scored"
    );
    for name in [CAR_WASH, "fuel-listing.txt"] {
        wait_for("files moved to processed/", Duration::from_secs(30), || {
            (!inbox.join(name).exists() && inbox.join("processed").join(name).exists())
                .then_some(())
        });
    }
    assert!(std::fs::read_dir(inbox.join("failed"))
        .unwrap()
        .next()
        .is_none());

    // Let the pipeline settle, then count the events.
    let conn = gsa_common::db::open_ro(&db).unwrap();
    let events_sql = "SELECT COUNT(*) FROM events WHERE type LIKE 'gsa.listing.%'";
    let settled = wait_for(
        "4 events: 2 scraped + 2 scored",
        Duration::from_secs(30),
        || {
            let n = count(&conn, events_sql);
            (n == 4).then_some(n)
        },
    );

    // 2. Re-dropping the same page changes nothing: the file goes to processed/ (under a new
    //    name) and no event is added.
    drop_file(&inbox, CAR_WASH, &page);
    wait_for("re-dropped file processed", Duration::from_secs(30), || {
        let n = std::fs::read_dir(inbox.join("processed")).ok()?.count();
        (!inbox.join(CAR_WASH).exists() && n == 3).then_some(())
    });
    // The inbox moves a file only after publishing it, so nothing from the re-drop can still be
    // on its way; the final counts below check it again after the update went through.
    assert_eq!(
        count(&conn, events_sql),
        settled,
        "re-drop published nothing"
    );

    // 3. An edited copy with a lower asking price (visible figure and JSON-LD offer).
    let text = String::from_utf8(page.clone()).unwrap();
    let cut = text
        .replace(
            "normal price asking\">$625,000",
            "normal price asking\">$575,000",
        )
        .replace("\"price\":625000.00", "\"price\":575000.00");
    assert_ne!(cut, text);
    drop_file(&inbox, "car-wash-price-cut.html", cut.as_bytes());
    let (old, new) = wait_for(
        "gsa.listing.updated.v1 stored",
        Duration::from_secs(60),
        || common::stored_change(&conn, "2445151", "asking_price"),
    );
    assert_eq!(
        (old, new),
        (serde_json::json!(625_000), serde_json::json!(575_000))
    );
    wait_for(
        "a second score row for 2445151",
        Duration::from_secs(60),
        || {
            (count(
                &conn,
                "SELECT COUNT(*) FROM score_history WHERE listing_id = '2445151'",
            ) == 2)
                .then_some(())
        },
    );
    let price: i64 = conn
        .query_row(
            "SELECT asking_price FROM listings WHERE listing_id = '2445151'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(price, 575_000);
    let by_type: Vec<(String, i64)> = conn
        .prepare("SELECT type, COUNT(*) FROM events WHERE type LIKE 'gsa.listing.%' GROUP BY type ORDER BY type")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let expected: Vec<(String, i64)> = [
        ("gsa.listing.scored.v1", 3),
        ("gsa.listing.scraped.v1", 2),
        ("gsa.listing.updated.v1", 1),
    ]
    .iter()
    .map(|(t, n)| (t.to_string(), *n))
    .collect();
    assert_eq!(
        by_type, expected,
        "nothing from the re-drop, one update, one new score"
    );

    // 4. Nothing lies in the inbox unexplained (a new-user trial's files): a file of another
    //    type and a few words that are not a listing go to failed/ with the reason; a real CSV
    //    export whose rows are ragged (38 of 39) goes to processed/ with the rows it skipped.
    const CSV: &str = "sezid-owner-financed-listings-2025.csv";
    drop_file(&inbox, "bin.dat", &[0u8, 159, 146, 150, 1, 2, 3]);
    drop_file(&inbox, "junk.txt", b"hello world this is not a listing\n");
    let csv = std::fs::read(testdata(&format!("bizbuysell/datasets/{CSV}"))).unwrap();
    drop_file(&inbox, CSV, &csv);
    let reason = |dir: &str, name: &str| {
        std::fs::read_to_string(inbox.join(dir).join(format!("{name}.reason.txt"))).ok()
    };
    let bin = wait_for("bin.dat in failed/", Duration::from_secs(30), || {
        reason("failed", "bin.dat")
    });
    assert!(bin.contains("not a file the inbox reads"), "{bin}");
    assert!(inbox.join("failed/bin.dat").exists());
    let junk = wait_for("junk.txt in failed/", Duration::from_secs(30), || {
        reason("failed", "junk.txt")
    });
    assert!(junk.contains("not a listing: 7 words"), "{junk}");
    let rows = wait_for("the CSV in processed/", Duration::from_secs(30), || {
        reason("processed", CSV)
    });
    assert!(
        rows.starts_with("read 1 listings; 38 records not read:"),
        "{rows}"
    );
    assert!(rows.contains("row 35: Malformed: ragged row"), "{rows}");
    assert!(!inbox.join(CSV).exists() && !inbox.join("bin.dat").exists());
    // A symbolic link is not read (it could point anywhere) and is moved out with the reason.
    #[cfg(unix)]
    {
        let target = data.path().join("elsewhere.txt");
        std::fs::write(&target, pasted_fuel_listing()).unwrap();
        std::os::unix::fs::symlink(&target, inbox.join("link.txt")).unwrap();
        let link = wait_for("link.txt in failed/", Duration::from_secs(30), || {
            reason("failed", "link.txt")
        });
        assert!(link.contains("symbolic link"), "{link}");
    }
}
