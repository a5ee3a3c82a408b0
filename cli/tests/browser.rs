//! End-to-end in a real browser: headless Chromium (Debian's `chromium`) driven over WebDriver
//! (Debian's `chromium-driver`) against `gsa up` (real binary, private nats-server on a free
//! port) after real pages went through the pipeline with `gsa scrape`.
//!
//! A visitor is sent to `/login`, logs in, sees the ranked table with the top fuel listing and
//! its score, opens it and sees its factors with evidence, pastes a real fuel listing's text and
//! finds it scored, sees a listing whose description holds `<script>` as text (no script runs),
//! logs out and is sent back to the login page from a protected page. Screenshots at 1280 px and
//! at 375 px wide go to `test-output/` (gitignored), and no page is wider than a 375 px screen.
//!
//! The browser is required: without `chromedriver` this test fails and says what to install
//! (`scripts/test` and `.ci/run` install the packages when they are missing).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use gsa_common::testkit::{free_port, NatsServer};

const PASSWORD: &str = "correct horse battery staple 42";

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel)
}

fn output_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-output");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `GSA_<name>` from the environment, else the Debian path.
fn tool(var: &str, default: &str) -> PathBuf {
    let p = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        p.is_file(),
        "{} not found: this test needs headless Chromium and its WebDriver. Install Debian's \
         packages `chromium` and `chromium-driver` (apt-get install -y chromium chromium-driver; \
         scripts/test and .ci/run do it when /usr/bin/chromedriver is missing), or set {var}.",
        p.display()
    );
    p
}

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
            .env("RUST_LOG", "info")
            .env_remove("GSA_INBOX")
            .env_remove("GSA_CONFIG")
            .env_remove("JWT_SECRET_KEY");
        c
    }
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write as _;
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run gsa");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "gsa {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

/// A child process killed (SIGKILL) and reaped when dropped.
struct KillOnDrop(Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver and the browsers it started: on drop, chromedriver is killed and so is every
/// process whose command line names this test's own `--user-data-dir` (a browser left behind
/// by a failed test), by process id.
struct Driver {
    child: KillOnDrop,
    profile: PathBuf,
}
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.0.kill();
        let _ = self.child.0.wait();
        let needle = format!("--user-data-dir={}", self.profile.display());
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return;
        };
        for p in procs.flatten() {
            let Ok(pid) = p.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline)
                .split('\0')
                .any(|a| a == needle)
            {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
}

async fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap_or(-1)
}

/// A buyer's copy of real fuel listing `id` from testdata/fuel-listings/listings.jsonl, as a
/// browser copies it (title, location, label/value rows, description), the description
/// followed by `extra`.
fn pasted_fuel_listing(id: &str, extra: &str) -> (String, serde_json::Value) {
    let text = std::fs::read_to_string(testdata("fuel-listings/listings.jsonl")).unwrap();
    let v: serde_json::Value = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("{id} in listings.jsonl"));
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    let text = format!(
        "{}\n{}\nAsking Price:\n{}\nCash Flow (SDE):\n{}\nGross Revenue:\n{}\nBusiness Description\n{}{extra}\n",
        s("title"),
        s("location"),
        s("asking_price_text"),
        s("cash_flow_text"),
        s("gross_revenue_text"),
        s("description")
    );
    (text, v)
}

async fn text_of(c: &Client, css: &str) -> String {
    let url = c
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css} on {url}: {e}"))
        .text()
        .await
        .unwrap()
}

async fn path_of(c: &Client) -> String {
    let u = c.current_url().await.unwrap();
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    }
}

/// Waits (a navigation after a click may still be under way) until the browser is at `want`.
async fn at_path(c: &Client, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = path_of(c).await;
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "at {got}, not {want}: {}",
            c.source().await.unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A number from a page script.
async fn js_i64(c: &Client, script: &str) -> i64 {
    c.execute(script, vec![])
        .await
        .unwrap()
        .as_i64()
        .unwrap_or_else(|| panic!("{script} gave no number"))
}

/// Saves a screenshot of the whole page (the window is made as tall as the page, at most
/// 4000 px) at `width` px into test-output/, and checks nothing is wider than the window.
async fn shot(c: &Client, name: &str, width: u32) {
    c.set_window_size(width, 900).await.unwrap();
    let inner = js_i64(c, "return window.innerWidth").await;
    assert_eq!(inner, i64::from(width), "window width for {name}");
    let scroll_w = js_i64(c, "return document.documentElement.scrollWidth").await;
    assert!(
        scroll_w <= inner,
        "{name} at {width} px: the page is {scroll_w} px wide (overflows sideways)"
    );
    let h = js_i64(c, "return document.documentElement.scrollHeight").await;
    let h = u32::try_from(h.clamp(900, 4000)).unwrap();
    c.set_window_size(width, h).await.unwrap();
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    std::fs::write(
        output_dir().join(format!("dashboard-{name}-{width}.png")),
        png,
    )
    .unwrap();
    c.set_window_size(width, 900).await.unwrap();
}

/// Desktop and phone screenshots of the current page; ends at desktop width.
async fn shots(c: &Client, name: &str) {
    shot(c, name, 375).await;
    shot(c, name, 1280).await;
}

/// Fills the paste form with `text`, sends it and returns the link to where the listing will
/// appear.
async fn paste(c: &Client, base: &str, text: &str) -> String {
    c.goto(&format!("{base}/paste")).await.unwrap();
    let area = c.find(Locator::Id("paste-text")).await.unwrap();
    area.send_keys(text).await.unwrap();
    c.find(Locator::Id("paste-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let link = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("pasted-link"))
        .await
        .unwrap_or_else(|e| panic!("no link to the pasted listing: {e}"));
    link.attr("href").await.unwrap().expect("href")
}

/// Reloads `path` until its `#score` shows a number out of 100; returns the page's score text.
async fn until_scored(c: &Client, base: &str, path: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        c.goto(&format!("{base}{path}")).await.unwrap();
        if let Ok(el) = c.find(Locator::Css("#score")).await {
            let t = el.text().await.unwrap();
            if t.ends_with("/100") {
                return t;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{path} not scored in time: {}",
            c.source().await.unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_logs_in_reads_the_ranking_pastes_a_listing_and_logs_out_in_chromium() {
    let started = Instant::now();
    let chromedriver = tool("GSA_CHROMEDRIVER", "/usr/bin/chromedriver");
    let chromium = tool("GSA_CHROMIUM", "/usr/bin/chromium");

    // The system: gsa up on a private nats-server, real pages through gsa scrape.
    let nats = NatsServer::start();
    let env = Env {
        nats: nats.url(),
        data: tempfile::tempdir().unwrap(),
        http: format!("127.0.0.1:{}", free_port()),
    };
    let up_log = std::fs::File::create(env.data.path().join("up.log")).unwrap();
    let _up = KillOnDrop(
        env.cmd(&["up"])
            .stdout(Stdio::null())
            .stderr(up_log)
            .spawn()
            .expect("spawn gsa up"),
    );
    let mut inputs: Vec<String> = std::fs::read_dir(testdata("bizbuysell/html"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    inputs.sort();
    inputs.push(
        testdata("bizbuysell/datasets/api-bff-v2-bfs-search-results-2025.json")
            .to_string_lossy()
            .into_owned(),
    );
    let mut args = vec!["scrape"];
    args.extend(inputs.iter().map(String::as_str));
    let out = env.run(&args, "");
    eprintln!(
        "gsa scrape: {}",
        String::from_utf8_lossy(&out.stderr).trim_end()
    );
    env.run(
        &["user", "add", "ada", "--role", "admin"],
        &format!("{PASSWORD}\n"),
    );

    // Scored: every listing event stored has its score stored too.
    let db = env.data.path().join("gsa.db");
    let (listings, top_id, top_title, top_score) =
        wait_for("every listing scored", Duration::from_secs(45), || {
            let conn = gsa_common::db::open_ro(&db).ok()?;
            let seen = count(
                &conn,
                "SELECT COUNT(*) FROM events WHERE type IN ('gsa.listing.scraped.v1', 'gsa.listing.updated.v1')",
            );
            let scored = count(
                &conn,
                "SELECT COUNT(*) FROM events WHERE type = 'gsa.listing.scored.v1'",
            );
            let listings = count(&conn, "SELECT COUNT(*) FROM listings");
            let unscored = count(
                &conn,
                "SELECT COUNT(*) FROM listings WHERE listing_id NOT IN (SELECT listing_id FROM scores)",
            );
            if seen < 100 || scored < seen || unscored != 0 {
                return None;
            }
            let (id, title, score): (String, String, i64) = conn
                .query_row(
                    "SELECT l.listing_id, l.title, s.score FROM listings l JOIN scores s USING (listing_id)
                     WHERE s.score IS NOT NULL ORDER BY s.score DESC, l.listing_id LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .ok()?;
            Some((listings, id, title, score))
        })
        .await;
    eprintln!(
        "{listings} listings scored after {:.1}s; top: {top_id} {top_score} {top_title}",
        started.elapsed().as_secs_f64()
    );

    // The browser.
    let profile = env.data.path().join("chromium-profile");
    std::fs::create_dir_all(&profile).unwrap();
    let wd_port = free_port();
    let _driver = Driver {
        child: KillOnDrop(
            Command::new(&chromedriver)
                .arg(format!("--port={wd_port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn chromedriver"),
        ),
        profile: profile.clone(),
    };
    wait_for("chromedriver", Duration::from_secs(15), || {
        std::net::TcpStream::connect(("127.0.0.1", wd_port))
            .ok()
            .map(|_| ())
    })
    .await;
    wait_for("the gateway", Duration::from_secs(30), || {
        std::net::TcpStream::connect(&env.http).ok().map(|_| ())
    })
    .await;
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!()
    };
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{wd_port}"))
        .await
        .expect("a WebDriver session with headless Chromium");
    let base = format!("http://{}", env.http);

    // 1. Not logged in: / sends the visitor to the login page.
    c.goto(&format!("{base}/")).await.unwrap();
    at_path(&c, "/login?return_to=%2F").await;
    assert_eq!(
        c.execute(
            "return getComputedStyle(document.body).backgroundColor",
            vec![]
        )
        .await
        .unwrap(),
        "rgb(246, 247, 249)",
        "the login page's stylesheet is allowed by its CSP"
    );
    shots(&c, "login").await;

    // 2. Log in.
    c.find(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys("ada")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    at_path(&c, "/").await;

    // 3. The ranked table: the top fuel listing first, with its score.
    let first = text_of(&c, "#listings tbody tr:first-child").await;
    assert!(
        first.contains(&top_title) && first.starts_with(&top_score.to_string()),
        "first row {first:?}, expected {top_score} {top_title}"
    );
    let rows = c
        .find_all(Locator::Css("#listings tbody tr"))
        .await
        .unwrap()
        .len();
    assert!(rows >= 20, "{rows} rows on the first page");
    assert!(text_of(&c, "#screen-note")
        .await
        .contains("not an appraisal"));
    shots(&c, "listings").await;
    // On a phone the asking price stays in view (the location moves under the title).
    c.set_window_size(375, 900).await.unwrap();
    let right = js_i64(
        &c,
        "return Math.ceil(document.querySelector('#listings tbody tr td:nth-child(4)').getBoundingClientRect().right)",
    )
    .await;
    assert!(
        right <= 375,
        "asking price cell ends at {right} px on a 375 px screen"
    );
    c.set_window_size(1280, 900).await.unwrap();

    // 4. Open it: score, factors with evidence.
    c.find(Locator::LinkText(&top_title))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    at_path(&c, &format!("/listings/{top_id}")).await;
    assert_eq!(text_of(&c, "#listing-title").await, top_title);
    assert_eq!(text_of(&c, "#score").await, format!("{top_score}/100"));
    let factors = c
        .find_all(Locator::Css("#factors tr.factor"))
        .await
        .unwrap();
    assert!(factors.len() >= 5, "{} factors", factors.len());
    let evidence = c.find_all(Locator::Css("#factors ul.ev li")).await.unwrap();
    assert!(!evidence.is_empty(), "factors carry evidence");
    let quote = evidence[0].text().await.unwrap();
    assert!(quote.contains('“'), "evidence quotes the listing: {quote}");
    shots(&c, "listing").await;

    // 5. Paste a real fuel listing (fl-010): it goes through the pipeline and is scored.
    let (text, fl) = pasted_fuel_listing("fl-010", "");
    let href = paste(&c, &base, &text).await;
    shots(&c, "paste-sent").await;
    let score = until_scored(&c, &base, &href).await;
    assert_eq!(
        text_of(&c, "#listing-title").await,
        fl["title"].as_str().unwrap().trim()
    );
    let n: u8 = score.trim_end_matches("/100").parse().unwrap();
    assert!(n > 0, "scored {score}");
    assert!(
        text_of(&c, "#figures").await.contains("$895,000"),
        "the pasted asking price was read"
    );

    // 6. A listing whose description holds a script shows it as text; nothing runs.
    let (text, _) = pasted_fuel_listing(
        "fl-014",
        "\nSee the pumps: <script>alert(1)</script><img src=x onerror=alert(2)>",
    );
    let href = paste(&c, &base, &text).await;
    until_scored(&c, &base, &href).await;
    let desc = text_of(&c, "#description").await;
    assert!(
        desc.contains("<script>alert(1)</script><img src=x onerror=alert(2)>"),
        "shown as text: {desc:?}"
    );
    assert_eq!(
        js_i64(
            &c,
            "return document.querySelectorAll('#description script, #description img').length"
        )
        .await,
        0,
        "no element was made from the description"
    );
    assert!(c.get_alert_text().await.is_err(), "no alert dialog is open");
    shots(&c, "listing-with-script").await;

    // 7. Log out; a protected page sends the visitor back to the login page.
    c.find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    at_path(&c, "/login").await;
    c.goto(&format!("{base}/listings/{top_id}")).await.unwrap();
    at_path(&c, &format!("/login?return_to=%2Flistings%2F{top_id}")).await;
    assert!(c.source().await.unwrap().contains("Sign in"));
    assert!(!c.source().await.unwrap().contains(&top_title));

    c.close().await.unwrap();
    eprintln!("browser test took {:.1}s", started.elapsed().as_secs_f64());
}
