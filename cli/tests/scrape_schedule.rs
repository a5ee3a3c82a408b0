//! End-to-end: a running `gsa up` (real binary, private nats-server on a free port) watches a
//! site on its own. `GSA_SCRAPE_URLS` names a real detail page served over loopback HTTP; with
//! `GSA_SCRAPE_EVERY_SECS=1` the scraper worker fetches it every second: the listing is scored
//! and stored with no other command, later rounds of the unchanged page add no event, a price
//! cut on the site becomes a `gsa.listing.updated.v1`, and SIGTERM ends the process cleanly.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gsa_common::testkit::{free_port, NatsServer};

mod common;
use common::{testdata, wait_for, KillOnDrop};

const CAR_WASH: &str = "detail-self-serve-car-wash-coalinga-ca-2026.html";
const PAGE_PATH: &str = "/business-opportunity/self-serve-carwash-for-sale/2445151/";

/// A one-page site on 127.0.0.1: `robots.txt` allows everything, `PAGE_PATH` answers with the
/// current body, anything else is 404. Records the user agent of every page request.
#[derive(Clone)]
struct Site {
    body: Arc<Mutex<Vec<u8>>>,
    page_hits: Arc<Mutex<Vec<String>>>,
}

impl Site {
    fn start(body: Vec<u8>) -> (Self, u16) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let site = Site {
            body: Arc::new(Mutex::new(body)),
            page_hits: Arc::default(),
        };
        let s = site.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut req = Vec::new();
                let mut buf = [0u8; 4096];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&req).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                let (status, body) = match path.as_str() {
                    "/robots.txt" => ("200 OK", b"User-agent: *\nDisallow:\n".to_vec()),
                    PAGE_PATH => {
                        let ua = head
                            .lines()
                            .find_map(|l| {
                                l.strip_prefix("user-agent: ")
                                    .or_else(|| l.strip_prefix("User-Agent: "))
                            })
                            .unwrap_or("")
                            .to_string();
                        s.page_hits.lock().unwrap().push(ua);
                        ("200 OK", s.body.lock().unwrap().clone())
                    }
                    _ => ("404 Not Found", b"not found".to_vec()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            }
        });
        (site, port)
    }

    fn hits(&self) -> usize {
        self.page_hits.lock().unwrap().len()
    }
}

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn gsa_up_fetches_the_configured_pages_on_its_schedule() {
    let page = std::fs::read(testdata(&format!("bizbuysell/html/{CAR_WASH}"))).unwrap();
    let (site, port) = Site::start(page.clone());
    let nats = NatsServer::start();
    let data = tempfile::tempdir().unwrap();
    let mut up = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_gsa"))
            .arg("up")
            .env("NATS_URL", nats.url())
            .env("GSA_DATA_DIR", data.path())
            .env("GSA_HTTP_ADDR", format!("127.0.0.1:{}", free_port()))
            .env(
                "GSA_SCRAPE_URLS",
                format!("http://127.0.0.1:{port}{PAGE_PATH}"),
            )
            .env("GSA_SCRAPE_EVERY_SECS", "1")
            .env("GSA_SCRAPE_CONTACT", "mailto:ops@example.org")
            .env("GSA_SCRAPE_DELAY_SECS", "0")
            .env("RUST_LOG", "info")
            .env_remove("GSA_INBOX")
            .env_remove("GSA_CONFIG")
            .env_remove("JWT_SECRET_KEY")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn gsa up"),
    );

    // 1. The first round: the page is fetched, scored and stored with no other command.
    let db = data.path().join("gsa.db");
    let row = wait_for("the car wash scored", Duration::from_secs(90), || {
        let conn = gsa_common::db::open_ro(&db).ok()?;
        conn.query_row(
            "SELECT l.asking_price, l.cash_flow FROM listings l JOIN scores s USING (listing_id)
             WHERE l.listing_id = '2445151'",
            [],
            |r| Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Option<i64>>(1)?)),
        )
        .ok()
    });
    assert_eq!(row, (Some(625_000), Some(72_700)));
    let ua = site.page_hits.lock().unwrap()[0].clone();
    assert!(
        ua.starts_with("gsa/") && ua.ends_with("(+mailto:ops@example.org)"),
        "{ua}"
    );

    // 2. Later rounds read the unchanged page again and publish nothing: once two more rounds
    //    went by, the listing still has one scraped and one scored event.
    let conn = gsa_common::db::open_ro(&db).unwrap();
    let events =
        "SELECT COUNT(*) FROM events WHERE listing_id = '2445151' AND type LIKE 'gsa.listing.%'";
    wait_for(
        "2 events: scraped + scored",
        Duration::from_secs(30),
        || (count(&conn, events) == 2).then_some(()),
    );
    let seen = site.hits();
    wait_for("two more rounds", Duration::from_secs(60), || {
        (site.hits() >= seen + 2).then_some(())
    });
    assert_eq!(count(&conn, events), 2, "unchanged rounds publish nothing");

    // 3. The site cuts the price: the next round publishes an update and it is re-scored.
    let text = String::from_utf8(page).unwrap();
    let cut = text
        .replace(
            "normal price asking\">$625,000",
            "normal price asking\">$575,000",
        )
        .replace("\"price\":625000.00", "\"price\":575000.00");
    assert_ne!(cut, text);
    *site.body.lock().unwrap() = cut.into_bytes();
    let change = wait_for(
        "gsa.listing.updated.v1 stored",
        Duration::from_secs(60),
        || common::stored_change(&conn, "2445151", "asking_price"),
    );
    assert_eq!(
        change,
        (serde_json::json!(625_000), serde_json::json!(575_000))
    );
    wait_for("a second score row", Duration::from_secs(60), || {
        (count(
            &conn,
            "SELECT COUNT(*) FROM score_history WHERE listing_id = '2445151'",
        ) == 2)
            .then_some(())
    });

    // 4. SIGTERM: every service, the schedule included, stops and the process exits 0.
    let pid = up.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = wait_for("gsa up to exit", Duration::from_secs(60), || {
        up.0.try_wait().ok().flatten()
    });
    assert!(status.success(), "{status:?}");
}
