//! Starts a real gateway for a test and talks to it as a client would.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gsa_common::shutdown::{channel, ShutdownTrigger};
use gsa_common::Config;
use gsa_gateway::GatewayConfig;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::Value;
use tempfile::TempDir;
use tokio::task::JoinHandle;

/// Test HS256 secret (48 bytes).
pub const SECRET: &str = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
/// Issuer used by the test gateways.
pub const ISSUER: &str = "gsa-test";

/// A running gateway.
pub struct Gateway {
    pub base: String,
    pub cfg: Config,
    pub dir: TempDir,
    pub http: reqwest::Client,
    trigger: ShutdownTrigger,
    handle: JoinHandle<anyhow::Result<()>>,
}

/// Gateway settings for tests: the key table is re-read every 100 ms.
pub fn gw_config() -> GatewayConfig {
    GatewayConfig {
        key_reload: std::time::Duration::from_millis(100),
        ..Default::default()
    }
}

/// Configuration for a data dir, with an optional `JWT_SECRET_KEY`.
pub fn config(dir: &Path, secret: Option<&str>) -> Config {
    let d = dir.to_string_lossy().to_string();
    let secret = secret.map(str::to_string);
    Config::load_from(&Default::default(), move |k| match k {
        "GSA_DATA_DIR" => Some(d.clone()),
        "JWT_SECRET_KEY" => secret.clone(),
        "JWT_ISSUER" => Some(ISSUER.to_string()),
        // Nothing listens on port 9: audit events are buffered and dropped (best-effort).
        "NATS_URL" => Some("nats://127.0.0.1:9".to_string()),
        _ => None,
    })
    .expect("config")
}

impl Gateway {
    /// A gateway with [`SECRET`] in a fresh data directory.
    pub async fn start() -> Self {
        Self::start_in(tempfile::tempdir().expect("tempdir"), Some(SECRET)).await
    }

    /// A gateway in `dir` with an optional `JWT_SECRET_KEY`.
    pub async fn start_in(dir: TempDir, secret: Option<&str>) -> Self {
        Self::start_with(dir, secret, gw_config()).await
    }

    /// A gateway in `dir` with an optional `JWT_SECRET_KEY` and explicit gateway settings.
    pub async fn start_with(dir: TempDir, secret: Option<&str>, gw: GatewayConfig) -> Self {
        Self::start_full(dir, secret, gw, None).await
    }

    /// As [`Gateway::start_with`], with audit events going to the NATS server at `nats_url`.
    pub async fn start_full(
        dir: TempDir,
        secret: Option<&str>,
        gw: GatewayConfig,
        nats_url: Option<String>,
    ) -> Self {
        let mut cfg = config(dir.path(), secret);
        if let Some(url) = nats_url {
            cfg.nats_url = url;
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (trigger, shutdown) = channel();
        let handle = tokio::spawn(gsa_gateway::serve_with(cfg.clone(), gw, listener, shutdown));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        // Wait until it answers (serve loads keys before accepting).
        for _ in 0..200 {
            if let Ok(r) = http.get(format!("{base}/ping")).send().await {
                if r.status() == 200 {
                    break;
                }
            }
            assert!(!handle.is_finished(), "gateway exited during start");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        Self {
            base,
            cfg,
            dir,
            http,
            trigger,
            handle,
        }
    }

    /// Stops the gateway gracefully and returns its data directory.
    pub async fn stop(self) -> TempDir {
        self.trigger.trigger();
        let res = tokio::time::timeout(std::time::Duration::from_secs(10), self.handle)
            .await
            .expect("graceful shutdown within 10 s")
            .expect("join");
        res.expect("serve returned an error");
        self.dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Registers a client, returns its secret.
    pub fn client(&self, id: &str, auds: &[&str], scopes: &[&str]) -> String {
        let a: Vec<String> = auds.iter().map(|s| s.to_string()).collect();
        let s: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        gsa_gateway::identity::create_client(&self.cfg, id, &a, &s).expect("create client")
    }

    /// `POST /token` (JSON); returns status and body.
    pub async fn token_json(&self, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url("/token"))
            .json(&body)
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16();
        (status, r.json().await.expect("json body"))
    }

    /// An access token for a registered client, or panics.
    pub async fn access_token(&self, id: &str, secret: &str, aud: &str) -> String {
        let (s, b) = self
            .token_json(serde_json::json!({"client_id": id, "client_secret": secret, "aud": aud}))
            .await;
        assert_eq!(s, 200, "{b}");
        b["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// `POST /verify`; returns status and body.
    pub async fn verify(&self, token: &str, aud: &str) -> (u16, Value) {
        let r = self
            .http
            .post(self.url("/verify"))
            .json(&serde_json::json!({"token": token, "aud": aud}))
            .send()
            .await
            .expect("send");
        (r.status().as_u16(), r.json().await.expect("json body"))
    }
}

/// Decodes one JWT segment as JSON (no verification; for assertions).
pub fn segment(token: &str, i: usize) -> Value {
    let seg = token.split('.').nth(i).expect("segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(seg).expect("b64")).expect("json")
}

/// Builds a compact JWS from raw header and payload JSON text, HMAC-signed with `key` using
/// `alg` (HS256/HS384/HS512), whatever the header says.
pub fn forge(header: &str, payload: &str, key: &[u8], alg: Algorithm) -> String {
    forge_with(header, payload, &EncodingKey::from_secret(key), alg)
}

/// Builds a compact JWS from raw header and payload JSON text, signed with `key` and `alg`.
pub fn forge_with(header: &str, payload: &str, key: &EncodingKey, alg: Algorithm) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).expect("sign");
    format!("{input}.{sig}")
}

/// The active Ed25519 key in a data directory's identity.db: (kid, PKCS #8 DER, public key).
pub fn active_ed25519(cfg: &Config) -> (String, Vec<u8>, Vec<u8>) {
    let conn = rusqlite::Connection::open(cfg.identity_db_path()).expect("identity.db");
    let (kid, der): (String, Vec<u8>) = conn
        .query_row(
            "SELECT kid, secret FROM signing_keys WHERE alg = 'EdDSA' AND retired_at IS NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("an active Ed25519 key");
    let key = gsa_gateway::keys::KeyEntry::ed25519_from_pkcs8(&der).expect("pkcs8");
    let public = URL_SAFE_NO_PAD
        .decode(key.public_x.as_deref().expect("x"))
        .expect("b64");
    assert_eq!(key.kid, kid);
    (kid, der, public)
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Registers a client and returns an access token for `gsa-api` with `scopes`.
pub async fn token_with_scopes(gw: &Gateway, id: &str, scopes: &[&str]) -> String {
    let secret = gw.client(id, &["gsa-api"], scopes);
    gw.access_token(id, &secret, "gsa-api").await
}

/// The `Set-Cookie` header for cookie `name`, if any.
pub fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// The value part of a `Set-Cookie` header.
pub fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

/// The `/metrics` text, read with a fresh admin client.
pub async fn metrics_text(gw: &Gateway) -> String {
    let id = format!("metrics-{}", uuid_like());
    let tok = token_with_scopes(gw, &id, &["admin"]).await;
    let r = gw
        .http
        .get(gw.url("/metrics"))
        .bearer_auth(tok)
        .send()
        .await
        .expect("metrics");
    assert_eq!(r.status(), 200);
    r.text().await.expect("text")
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
