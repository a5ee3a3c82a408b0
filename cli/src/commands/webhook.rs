//! `gsa webhook add|list|remove`: webhook registrations in `$GSA_DATA_DIR/notifier.db`
//! (owned by the notifier, file mode 0600). The secret is stored for signing and never
//! printed after `add`; `list` shows everything else.

use std::process::ExitCode;

use gsa_common::{Config, Secret};
use gsa_notifier::WebhookStore;

fn open(cfg: &Config) -> anyhow::Result<WebhookStore> {
    Ok(WebhookStore::open(&cfg.notifier_db_path())?)
}

/// `gsa webhook add URL --secret S [--min-score N] [--state TX,...]`: prints the registration
/// (without the secret) as one JSON line.
pub fn add(
    cfg: &Config,
    url: &str,
    secret: String,
    min_score: Option<u8>,
    states: &[String],
) -> anyhow::Result<ExitCode> {
    let secret = Secret::new(secret);
    let info = open(cfg)?.add(url, &secret, min_score, states)?;
    println!("{}", serde_json::to_string(&info)?);
    eprintln!(
        "registered webhook {}; deliveries are signed with the secret (X-Gsa-Signature)",
        info.id
    );
    Ok(ExitCode::SUCCESS)
}

/// `gsa webhook list`: one JSON line per webhook, no secrets.
pub fn list(cfg: &Config) -> anyhow::Result<ExitCode> {
    let hooks = open(cfg)?.list()?;
    for h in &hooks {
        println!("{}", serde_json::to_string(h)?);
    }
    eprintln!("{} webhooks", hooks.len());
    Ok(ExitCode::SUCCESS)
}

/// `gsa webhook remove ID`.
pub fn remove(cfg: &Config, id: &str) -> anyhow::Result<ExitCode> {
    if open(cfg)?.remove(id)? {
        eprintln!("removed webhook {id}");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("gsa: no webhook with id {id}");
        Ok(ExitCode::from(1))
    }
}
