//! `gsa user add|passwd|disable|list`: dashboard users in `$GSA_DATA_DIR/identity.db`
//! (argon2id hashes). Passwords are read without echo from a terminal, or as the first line of
//! standard input otherwise (for scripts); never from the command line, where `ps` and shell
//! history would keep them.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{bail, Context};
use gsa_common::Config;
use gsa_gateway::audit::{action, AuditEvent};
use gsa_gateway::users::{self, Role};

/// What `gsa user` does.
#[derive(Debug, clap::Subcommand)]
pub enum UserAction {
    /// Add a user; the password is prompted for (or read from stdin).
    Add {
        /// Login name.
        name: String,
        /// viewer (listings:read alerts:read) or admin (everything).
        #[arg(long, value_parser = ["viewer", "admin"])]
        role: String,
    },
    /// Set a new password; every session of the user ends.
    Passwd {
        /// Login name.
        name: String,
    },
    /// Disable a user; every session of the user ends.
    Disable {
        /// Login name.
        name: String,
    },
    /// List users (never password hashes), one JSON line each.
    List,
}

/// Runs the command.
pub async fn run(cfg: &Config, action: UserAction) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&cfg.data_dir)?;
    match action {
        UserAction::Add { name, role } => {
            let role = Role::parse(&role)?;
            let password = read_password()?;
            users::add(cfg, &name, role, &password)?;
            eprintln!("user {name} added with role {}", role.as_str());
            changed(cfg, &name, "added").await;
        }
        UserAction::Passwd { name } => {
            let password = read_password()?;
            users::passwd(cfg, &name, &password)?;
            eprintln!("password of {name} changed; their sessions have ended");
            changed(cfg, &name, "password_changed").await;
        }
        UserAction::Disable { name } => {
            users::disable(cfg, &name)?;
            eprintln!("user {name} disabled; their sessions have ended");
            changed(cfg, &name, "disabled").await;
        }
        UserAction::List => {
            for u in users::list(cfg)? {
                println!("{}", serde_json::to_string(&u)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn changed(cfg: &Config, name: &str, what: &str) {
    let mut ev = AuditEvent::new(action::USER_CHANGED, "ok");
    ev.actor = Some(name.to_string());
    ev.reason = Some(what.to_string());
    super::keys::audit(cfg, ev).await;
}

/// A new password: prompted twice without echo on a terminal, else the first stdin line.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password("Password: ").context("reading the password")?;
        let b = rpassword::prompt_password("Again: ").context("reading the password")?;
        if a != b {
            bail!("the passwords differ");
        }
        Ok(a)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        let pw = line.trim_end_matches(['\n', '\r']).to_string();
        if pw.is_empty() {
            bail!("no password on standard input");
        }
        Ok(pw)
    }
}
