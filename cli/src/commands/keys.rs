//! `gsa keys rotate|list|retire <kid>`: the gateway's signing keys in
//! `$GSA_DATA_DIR/identity.db`. A running gateway picks changes up within seconds.

use std::process::ExitCode;

use gsa_common::Config;
use gsa_gateway::audit::{action, publish_once, AuditEvent};

/// What `gsa keys` does.
#[derive(Debug, clap::Subcommand)]
pub enum KeysAction {
    /// Make a new Ed25519 signing key; the previous one keeps verifying its tokens until they
    /// have expired. Refused when JWT_SECRET_KEY is set (HS256 mode).
    Rotate,
    /// List keys (id, algorithm, state, fingerprint; never key material), one JSON line each.
    List,
    /// Remove a retired key now: tokens it signed stop verifying (a compromised key).
    Retire {
        /// Key id.
        kid: String,
    },
}

/// Runs the command.
pub async fn run(cfg: &Config, action: KeysAction) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&cfg.data_dir)?;
    match action {
        KeysAction::Rotate => {
            let key = gsa_gateway::keys::rotate(cfg)?;
            println!("{}", serde_json::to_string(&key)?);
            let mut ev = AuditEvent::new(action::KEY_ROTATED, "ok");
            ev.kid = Some(key.kid);
            audit(cfg, ev).await;
        }
        KeysAction::List => {
            for k in gsa_gateway::keys::list(cfg)? {
                println!("{}", serde_json::to_string(&k)?);
            }
        }
        KeysAction::Retire { kid } => {
            gsa_gateway::keys::retire(cfg, &kid)?;
            eprintln!("key {kid} retired; a running gateway stops accepting it within seconds");
            let mut ev = AuditEvent::new(action::KEY_ROTATED, "ok");
            ev.kid = Some(kid);
            ev.reason = Some("retired".into());
            audit(cfg, ev).await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Records an audit event; a NATS outage only warns (the change itself is done).
pub async fn audit(cfg: &Config, event: AuditEvent) {
    if let Err(e) = publish_once(cfg, event).await {
        eprintln!("gsa: warning: audit event not recorded ({e:#})");
    }
}
