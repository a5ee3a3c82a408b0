//! Making sure a NATS server with JetStream answers at `NATS_URL`: when none does and
//! `nats-server` is installed, start one (store under `$GSA_DATA_DIR/nats`), otherwise say
//! exactly how to get one.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gsa_common::nats;
use gsa_common::Config;

/// A `nats-server` this process started; stopped when dropped.
pub struct OwnedServer {
    child: Child,
}

impl Drop for OwnedServer {
    fn drop(&mut self) {
        // SIGTERM would be gentler, but std only offers kill; JetStream's file store is
        // crash-safe, and every consumer is idempotent.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Returns `Ok(None)` when NATS already answers, `Ok(Some(server))` when this call started one,
/// and an error with install instructions when neither is possible.
pub async fn ensure(cfg: &Config) -> anyhow::Result<Option<OwnedServer>> {
    match nats::probe(&cfg.nats_url).await {
        nats::Answer::Nats => return Ok(None),
        nats::Answer::Other => anyhow::bail!(
            "something answers at NATS_URL {} but it is not a NATS server (no INFO greeting); \
             stop it, or point NATS_URL (or --nats-url) at a free port or a nats-server",
            cfg.nats_url
        ),
        nats::Answer::Nothing => {}
    }
    let hostport = nats::host_port(&cfg.nats_url).ok_or_else(|| {
        anyhow::anyhow!("cannot read host and port from NATS_URL {}", cfg.nats_url)
    })?;
    let (host, port) = hostport.rsplit_once(':').unwrap_or((&hostport, "4222"));
    let Some(bin) = gsa_common::testkit::nats_server_bin() else {
        anyhow::bail!(
            "no NATS server answers at {} and nats-server is not installed.\n\
             Install it with `sudo apt-get install nats-server` (Debian/Ubuntu; we test against 2.9),\n\
             or start one with `docker compose up -d nats`, or point NATS_URL at a server with JetStream.",
            cfg.nats_url
        );
    };
    let store = cfg.data_dir.join("nats");
    std::fs::create_dir_all(&store)?;
    let log = std::fs::File::create(cfg.data_dir.join("nats-server.log"))?;
    eprintln!(
        "no NATS at {}; starting {} -js on {hostport} (store {})",
        cfg.nats_url,
        bin.display(),
        store.display()
    );
    let child = Command::new(&bin)
        .args(["-a", host, "-p", port, "-js", "-sd"])
        .arg(&store)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()?;
    let server = OwnedServer { child };
    let deadline = Instant::now() + Duration::from_secs(15);
    while !nats::answers(&cfg.nats_url).await {
        if Instant::now() > deadline {
            anyhow::bail!(
                "started nats-server but it does not answer at {}; see {}",
                cfg.nats_url,
                cfg.data_dir.join("nats-server.log").display()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(Some(server))
}
