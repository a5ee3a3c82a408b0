//! `gsa client create|list|disable`: registered API clients, stored by the gateway in
//! `$GSA_DATA_DIR/identity.db` (only an argon2id hash of each secret). Creating or disabling a
//! client is recorded as a `gsa.audit.client_changed` event (best effort: a NATS outage only
//! warns; never the secret).

use std::process::ExitCode;

use gsa_common::Config;
use gsa_gateway::audit::{action, AuditEvent};

use crate::ClientAction;

/// Scopes granted when `--scope` is not given.
pub const DEFAULT_SCOPES: &[&str] = &["listings:read", "alerts:read"];

/// Runs the command. The secret is printed once, on stdout, and never logged.
pub async fn run(cfg: &Config, action: ClientAction) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&cfg.data_dir)?;
    match action {
        ClientAction::Create {
            client_id,
            audiences,
            scopes,
            json,
        } => {
            let scopes = if scopes.is_empty() {
                DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect()
            } else {
                scopes
            };
            let secret =
                gsa_gateway::identity::create_client(cfg, &client_id, &audiences, &scopes)?;
            changed(cfg, &client_id, "created", Some(audiences.join(" "))).await;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"client_id": client_id, "client_secret": secret})
                );
            } else {
                println!("{secret}");
                eprintln!(
                    "client {client_id} registered for {} with scopes {}; the secret above is shown only once",
                    audiences.join(", "),
                    scopes.join(" ")
                );
            }
        }
        ClientAction::List => {
            for c in gsa_gateway::identity::list_clients(cfg)? {
                println!("{}", serde_json::to_string(&c)?);
            }
        }
        ClientAction::Disable { client_id } => {
            gsa_gateway::identity::disable_client(cfg, &client_id)?;
            changed(cfg, &client_id, "disabled", None).await;
            eprintln!("client {client_id} disabled");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn changed(cfg: &Config, client_id: &str, what: &str, audience: Option<String>) {
    let mut ev = AuditEvent::new(action::CLIENT_CHANGED, "ok");
    ev.actor = Some(client_id.to_string());
    ev.reason = Some(what.to_string());
    ev.audience = audience;
    super::keys::audit(cfg, ev).await;
}
