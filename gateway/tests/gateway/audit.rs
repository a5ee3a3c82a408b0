//! Audit events on a private nats-server (`gsa.audit.<action>`, CloudEvents envelopes), the
//! gateway working on while NATS is down, and no secret, password or token in any event, log
//! line or response.

use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use futures::StreamExt;
use gsa_common::testkit::NatsServer;
use gsa_gateway::users::{self, Role};
use serde_json::{json, Value};

use crate::harness::{gw_config, now, segment, Gateway};
use crate::login::{get_form, post_login};

/// Every log line the test process writes (gateway, tower-http and axum targets, all levels).
static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(l) = LOGS.get() {
            l.lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    LOGS.get_or_init(|| Mutex::new(Vec::new()));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "gsa_gateway=trace,tower_http=trace,axum=trace",
        ))
        .with_writer(|| Capture)
        .with_ansi(false)
        .try_init();
}

fn logs() -> String {
    String::from_utf8_lossy(&LOGS.get().unwrap().lock().unwrap()).to_string()
}

const PASSWORD: &str = "audit-test-password-81723";
const WRONG: &str = "audit-wrong-password-55120";

#[tokio::test]
async fn audit_events_on_nats_and_no_secret_anywhere() {
    capture_logs();
    let nats = NatsServer::start();
    let gw = Gateway::start_full(
        tempfile::tempdir().unwrap(),
        None,
        gw_config(),
        Some(nats.url()),
    )
    .await;
    let r = gw.http.get(gw.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200, "NATS answers and identity.db opens: ready");
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["checks"]["nats"],
        "ok"
    );
    let client = async_nats::connect(nats.url()).await.unwrap();
    let mut sub = client.subscribe("gsa.audit.>").await.unwrap();
    client.flush().await.unwrap();
    let mut bodies: Vec<String> = Vec::new();

    let secret = gw.client("svc", &["gsa-api"], &["listings:read"]);
    let tok = gw.access_token("svc", &secret, "gsa-api").await;
    let jti = segment(&tok, 1)["jti"].as_str().unwrap().to_string();
    let (s, b) = gw
        .token_json(json!({"client_id": "svc", "client_secret": WRONG, "aud": "gsa-api"}))
        .await;
    assert_eq!(s, 401);
    bodies.push(b.to_string());
    let n = now();
    let mut expired_claims = segment(&tok, 1);
    expired_claims["exp"] = json!(n - 100);
    expired_claims["iat"] = json!(n - 400);
    let (_, der, _) = crate::harness::active_ed25519(&gw.cfg);
    let expired = crate::harness::forge_with(
        &segment(&tok, 0).to_string(),
        &expired_claims.to_string(),
        &jsonwebtoken::EncodingKey::from_ed_der(&der),
        jsonwebtoken::Algorithm::EdDSA,
    );
    let (s, b) = gw.verify(&expired, "gsa-api").await;
    assert_eq!((s, b["error"].as_str()), (401, Some("expired")));
    bodies.push(b.to_string());
    let (s, b) = gw.verify(&tok, "gsa-api").await;
    assert_eq!(s, 200);
    bodies.push(b.to_string());

    users::add(&gw.cfg, "ann", Role::Viewer, PASSWORD).unwrap();
    let (_, form, html) = get_form(&gw, "").await;
    bodies.push(html);
    let form = form.unwrap();
    let r = post_login(&gw, &form, "ann", WRONG, "/", None).await;
    assert_eq!(r.status(), 401);
    bodies.push(r.text().await.unwrap());
    // A password typed into the user-name field must not be recorded.
    let r = post_login(&gw, &form, PASSWORD, PASSWORD, "/", None).await;
    assert_eq!(r.status(), 401);
    bodies.push(r.text().await.unwrap());
    let r = post_login(&gw, &form, "ann", PASSWORD, "/", None).await;
    assert_eq!(r.status(), 303);
    let session =
        crate::harness::cookie_value(&crate::harness::set_cookie(&r, "gsa_session").unwrap());
    let location = format!("{:?}", r.headers().get("location"));
    bodies.push(format!("{location} {}", r.text().await.unwrap()));

    let new_key = gsa_gateway::keys::rotate(&gw.cfg).unwrap();

    // Collect until every expected action was seen (or fail after 30 s).
    let wanted = [
        "token_issued",
        "client_auth_failed",
        "token_rejected",
        "login_failed",
        "login_succeeded",
        "key_rotated",
    ];
    let mut events: Vec<(String, Value, String)> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !wanted.iter().all(|w| {
        events
            .iter()
            .any(|(s, _, _)| s == &format!("gsa.audit.{w}"))
    }) {
        let msg = tokio::time::timeout_at(deadline, sub.next())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "audit events missing; got {:?}",
                    events.iter().map(|e| &e.0).collect::<Vec<_>>()
                )
            })
            .expect("subscription open");
        let raw = String::from_utf8(msg.payload.to_vec()).unwrap();
        events.push((
            msg.subject.to_string(),
            serde_json::from_str(&raw).unwrap(),
            raw,
        ));
    }
    let find = |subject: &str, pred: &dyn Fn(&Value) -> bool| -> Value {
        events
            .iter()
            .find(|(s, v, _)| s == subject && pred(&v["data"]))
            .map(|(_, v, _)| v.clone())
            .unwrap_or_else(|| panic!("no {subject} event"))
    };
    let issued = find("gsa.audit.token_issued", &|d| d["actor"] == "svc");
    assert_eq!(issued["specversion"], "1.0");
    assert_eq!(issued["type"], "gsa.audit.token_issued.v1");
    assert_eq!(issued["source"], "gsa/gateway");
    assert_eq!(issued["data"]["jti"], jti);
    assert_eq!(issued["data"]["audience"], "gsa-api");
    assert_eq!(issued["data"]["outcome"], "ok");
    let rejected = find("gsa.audit.token_rejected", &|_| true);
    assert_eq!(rejected["data"]["reason"], "expired");
    assert_eq!(rejected["data"]["route"], "/verify");
    let failed = find("gsa.audit.client_auth_failed", &|_| true);
    assert_eq!(failed["data"]["outcome"], "denied");
    let lf = find("gsa.audit.login_failed", &|d| d["actor"] == "ann");
    assert_eq!(lf["data"]["reason"], "invalid_credentials");
    assert_eq!(lf["data"]["addr"], "127.0.0.1");
    assert!(events
        .iter()
        .any(|(s, v, _)| s == "gsa.audit.login_failed" && v["data"].get("actor").is_none()));
    find("gsa.audit.login_succeeded", &|d| d["actor"] == "ann");
    let rot = find("gsa.audit.key_rotated", &|_| true);
    assert_eq!(rot["data"]["kid"], new_key.kid);
    // The events are stored in the GSA_AUDIT stream too.
    let js = async_nats::jetstream::new(client.clone());
    let mut stream = js.get_stream("GSA_AUDIT").await.unwrap();
    assert!(stream.info().await.unwrap().state.messages >= 6);

    // Nothing secret anywhere: events, responses, log lines.
    let forbidden = [
        ("client secret", secret.clone()),
        ("password", PASSWORD.to_string()),
        ("wrong password", WRONG.to_string()),
        ("access token", tok.clone()),
        (
            "token signature",
            tok.rsplit('.').next().unwrap().to_string(),
        ),
        ("session id", session.clone()),
        ("private key", hex::encode(&der[16..])),
    ];
    let logs = logs();
    assert!(logs.contains("issued access token"), "logs were captured");
    for (what, value) in &forbidden {
        for (subject, _, raw) in &events {
            assert!(
                !raw.contains(value.as_str()),
                "{what} in event {subject}: {raw}"
            );
        }
        for b in &bodies {
            assert!(!b.contains(value.as_str()), "{what} in a response: {b}");
        }
        assert!(!logs.contains(value.as_str()), "{what} in the logs");
    }
    gw.stop().await;
}

#[tokio::test]
async fn the_gateway_keeps_working_when_nats_is_down() {
    // The harness points NATS_URL at a closed port.
    let gw = Gateway::start().await;
    let secret = gw.client("svc", &["gsa-api"], &["listings:read"]);
    let mut dropped = 0;
    for _ in 0..300 {
        let tok = gw.access_token("svc", &secret, "gsa-api").await;
        assert_eq!(gw.verify(&tok, "gsa-api").await.0, 200);
        let text = crate::harness::metrics_text(&gw).await;
        dropped = text
            .lines()
            .find_map(|l| l.strip_prefix("gsa_audit_dropped_total "))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        if dropped > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        dropped > 0,
        "undeliverable audit events are counted as dropped"
    );
    gw.stop().await;
}
