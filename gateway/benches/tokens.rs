//! Throughput of the identity provider: tokens issued and verified per second (HS256 and
//! EdDSA, in process) and authenticated requests per second over real HTTP on loopback.
//!
//! `cargo bench -p gsa-gateway --bench tokens`. A plain timing loop (no statistics framework):
//! the numbers are for comparing changes on one machine, not for publishing.

use std::time::{Duration, Instant};

use gsa_gateway::keys::{KeyEntry, KeyRing};
use gsa_gateway::tokens;

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn bench_ring(name: &str, ring: &KeyRing) {
    let now = chrono::Utc::now().timestamp();
    let scopes = vec!["listings:read".to_string()];
    let n = 20_000u64;
    let t = Instant::now();
    let mut last = String::new();
    for _ in 0..n {
        last = tokens::issue(ring, "gsa", "svc", "gsa-api", &scopes, 900, now)
            .expect("issue")
            .0;
    }
    let issued = rate(n, t.elapsed());
    let t = Instant::now();
    for _ in 0..n {
        tokens::verify(ring, &last, "gsa", "gsa-api", now).expect("verify");
    }
    let verified = rate(n, t.elapsed());
    println!("{name:>6}: {issued:>10.0} tokens issued/s  {verified:>10.0} verified/s");
}

async fn bench_http() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path().to_string_lossy().to_string();
    let cfg = gsa_common::Config::load_from(&Default::default(), move |k| match k {
        "GSA_DATA_DIR" => Some(d.clone()),
        "NATS_URL" => Some("nats://127.0.0.1:9".into()),
        _ => None,
    })?;
    let gw = gsa_gateway::GatewayConfig {
        api_per_min: 0,
        verify_per_min: 0,
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (trigger, shutdown) = gsa_common::shutdown::channel();
    let secret = {
        let cfg = cfg.clone();
        tokio::task::spawn_blocking(move || {
            gsa_gateway::identity::create_client(
                &cfg,
                "bench",
                &["gsa-api".into()],
                &["listings:read".into()],
            )
        })
        .await??
    };
    let server = tokio::spawn(gsa_gateway::serve_with(cfg, gw, listener, shutdown));
    let http = reqwest::Client::new();
    let mut token = String::new();
    for _ in 0..100 {
        if let Ok(r) = http
            .post(format!("{base}/token"))
            .json(&serde_json::json!({"client_id": "bench", "client_secret": secret, "aud": "gsa-api"}))
            .send()
            .await
        {
            let v: serde_json::Value = r.json().await?;
            token = v["access_token"].as_str().unwrap_or_default().to_string();
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (n, workers) = (4_000u64, 16u64);
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (http, url, token) = (http.clone(), format!("{base}/api/listings"), token.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..n / workers {
                let r = http.get(&url).bearer_auth(&token).send().await?;
                anyhow::ensure!(r.status() == 200, "status {}", r.status());
                r.bytes().await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    println!(
        "  HTTP: {:>10.0} authenticated GET /api/listings per second ({workers} connections, EdDSA)",
        rate(n, t.elapsed())
    );
    trigger.trigger();
    server.await??;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    bench_ring("HS256", &KeyRing::single(KeyEntry::hs256(&[7u8; 32])?));
    bench_ring("EdDSA", &KeyRing::single(KeyEntry::generate_ed25519()?.0));
    tokio::runtime::Runtime::new()?.block_on(bench_http())
}
