//! `gsa`: the one user-facing binary of Gas Station Analyzer.
//!
//! It only wires the services together: each subcommand calls into the crate that owns the
//! work (scraper, analyzer, logging worker, gateway). See `gsa --help`.

mod commands;
mod nats_server;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use gsa_common::{Config, Overrides};

/// The allocator `gsa` ships with (mimalloc; `gsa_common::allocator` says why). Benches that
/// measure `gsa` use it too.
#[global_allocator]
static ALLOCATOR: gsa_common::allocator::Allocator = gsa_common::allocator::Allocator;

/// Heading of the options every subcommand accepts but only some use: `gsa score --help` lists
/// them apart from its own (a re-trial read `--nats-url` there as something `score` needs).
const GLOBAL: &str =
    "Global options (used by the commands that talk to NATS, the data directory or the gateway)";

/// Gas Station Analyzer: reads gas-station listings, scores each deal 0-100 with the evidence,
/// alerts on high scores, keeps every event and serves it behind a token.
#[derive(Debug, Parser)]
#[command(name = "gsa", version, about, long_about = None)]
struct Cli {
    /// NATS server URL [env: NATS_URL] [default: nats://127.0.0.1:4222]
    #[arg(long, global = true, help_heading = GLOBAL)]
    nats_url: Option<String>,
    /// Data directory for gsa.db, identity.db, keys and the inbox [env: GSA_DATA_DIR] [default: ./data]
    #[arg(long, global = true, help_heading = GLOBAL)]
    data_dir: Option<PathBuf>,
    /// Gateway listen address [env: GSA_HTTP_ADDR] [default: 127.0.0.1:8080]
    #[arg(long, global = true, help_heading = GLOBAL)]
    http_addr: Option<String>,
    /// Score (0-100) at which a high-score alert is sent [env: GSA_ALERT_THRESHOLD] [default: 80]
    #[arg(long, global = true, help_heading = GLOBAL)]
    alert_threshold: Option<u8>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse pages, data sets or pasted text and print each listing as one JSON line (no NATS).
    Parse {
        /// Files to read (.html, .json, .csv, .txt); `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Parse and score files in-process; print one score card JSON line per listing (no NATS).
    Score {
        /// Files to read; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the Markdown write-up instead of JSON.
        #[arg(long)]
        markdown: bool,
        /// Print the spreadsheet (CSV) instead of JSON.
        #[arg(long, conflicts_with = "markdown")]
        csv: bool,
        /// Also write the spreadsheet as an .xlsx workbook to this file.
        #[arg(long, value_name = "FILE")]
        xlsx: Option<PathBuf>,
        /// Scoring configuration file (TOML, only the keys it changes) [env: GSA_SCORING_CONFIG].
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Re-score every stored listing under the current scoring model; publish the new cards,
    /// each explaining its changes factor by factor, and at most one alert (a digest when
    /// several listings cross the threshold).
    Rescore {
        /// Scoring configuration file (TOML, only the keys it changes) [env: GSA_SCORING_CONFIG].
        #[arg(long)]
        config: Option<PathBuf>,
        /// Also re-publish listings whose stored card already has this model.
        #[arg(long)]
        all: bool,
    },
    /// Read files, folders or live pages (URLs) and publish their listings to NATS.
    Scrape {
        /// Files, folders, or http(s) URLs of search or detail pages.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[command(flatten)]
        fetch: commands::services::FetchArgs,
    },
    /// Run the whole pipeline over NATS on the shipped real pages and print the ranked table.
    Demo {
        /// Folder of pages and data sets to run on [default: the repository's testdata/bizbuysell].
        #[arg(long)]
        input: Option<PathBuf>,
        /// Seconds to wait for every listing to be scored and stored.
        #[arg(long, default_value_t = 180)]
        timeout: u64,
    },
    /// Run every service (scraper inbox, analyzer, logging worker, notifier, gateway) until
    /// Ctrl-C or SIGTERM.
    Up,
    /// Run one worker until Ctrl-C.
    Worker {
        /// Which worker.
        #[arg(value_enum)]
        name: WorkerName,
    },
    /// Run the gateway (identity provider, API, dashboard) until Ctrl-C.
    Gateway,
    /// Manage registered API clients.
    Client {
        #[command(subcommand)]
        action: ClientAction,
    },
    /// Manage the gateway's signing keys (rotate, list, retire).
    Keys {
        #[command(subcommand)]
        action: commands::keys::KeysAction,
    },
    /// Manage dashboard users (add, passwd, disable, list).
    User {
        #[command(subcommand)]
        action: commands::user::UserAction,
    },
    /// High-score alerts.
    Alerts {
        #[command(subcommand)]
        action: AlertsAction,
    },
    /// Webhooks that receive high-score alerts (signed JSON, delivered by the notifier).
    Webhook {
        #[command(subcommand)]
        action: WebhookAction,
    },
    /// Dead letters: messages that kept failing, parked on gsa.dlq.<subject>.
    Dlq {
        #[command(subcommand)]
        action: DlqAction,
    },
    /// Copy both databases (online) and the keys into an empty folder.
    Backup {
        /// Target folder (created; must be empty).
        dir: PathBuf,
    },
    /// Restore a backup into an empty data directory.
    Restore {
        /// Folder written by `gsa backup`.
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum AlertsAction {
    /// Print each alert as it arrives (JSON lines), until Ctrl-C.
    Watch {
        /// Only alerts with at least this score.
        #[arg(long)]
        min_score: Option<u8>,
        /// Only these states, comma-separated two-letter codes (e.g. TX,OK).
        #[arg(long, value_delimiter = ',')]
        state: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
enum WebhookAction {
    /// Register a webhook; prints its id (the secret is stored for signing, never shown again).
    Add {
        /// Where alerts are POSTed (http:// or https://).
        url: String,
        /// Secret for the X-Gsa-Signature HMAC-SHA256 header.
        #[arg(long)]
        secret: String,
        /// Only alerts with at least this score.
        #[arg(long)]
        min_score: Option<u8>,
        /// Only these states, comma-separated two-letter codes (e.g. TX,OK).
        #[arg(long, value_delimiter = ',')]
        state: Vec<String>,
    },
    /// List webhooks (JSON lines, without secrets).
    List,
    /// Remove a webhook by id.
    Remove {
        /// Webhook id (`wh_...`).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum DlqAction {
    /// Print every dead letter (JSON lines).
    List,
    /// Republish dead letters to their original subject and remove them from the DLQ.
    Replay {
        /// Only the dead letter with this sequence.
        seq: Option<u64>,
    },
}

/// A worker that `gsa worker` can run.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum WorkerName {
    /// Watches the inbox folder and publishes listings.
    Scraper,
    /// Scores listings and publishes score cards and alerts.
    Analyzer,
    /// Stores every event and log record in SQLite.
    Logger,
    /// Delivers high-score alerts to registered webhooks.
    Notifier,
}

impl WorkerName {
    /// The service name in logs (`service` field) and in the NATS connection name.
    fn service(self) -> &'static str {
        match self {
            WorkerName::Scraper => "scraper",
            WorkerName::Analyzer => "analyzer",
            WorkerName::Logger => "logger",
            WorkerName::Notifier => "notifier",
        }
    }
}

#[derive(Debug, Subcommand)]
enum ClientAction {
    /// Register a client and print its secret once (only a hash is stored).
    Create {
        /// Client id (the token's `sub`).
        client_id: String,
        /// Audience the client may request (repeatable), e.g. gsa-api.
        #[arg(long = "audience", required = true)]
        audiences: Vec<String>,
        /// Scope granted (repeatable) [default: listings:read alerts:read].
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Print `{"client_id", "client_secret"}` as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List registered clients (never their secrets).
    List,
    /// Disable a client: its secret stops working at once.
    Disable {
        /// Client id.
        client_id: String,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        nats_url: cli.nats_url.clone(),
        data_dir: cli.data_dir.clone(),
        http_addr: cli.http_addr.clone(),
        alert_threshold: cli.alert_threshold,
    };
    let cfg = match Config::load(&overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gsa: configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gsa: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command, cfg)) {
        Ok(code) => code,
        // The reader of stdout went away (`gsa parse x | head`): what it read was whole lines,
        // and there is no one left to tell. Quiet, like other Unix filters.
        Err(e) if is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gsa: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Whether `e` is, anywhere in its chain, an `EPIPE` write error (an `io::Error`, or one
/// inside a `serde_json::Error` or `csv::Error`, which do not expose it as their source).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(BrokenPipe))
            || c.downcast_ref::<csv::Error>().is_some_and(
                |e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe),
            )
    })
}

async fn run(command: Command, cfg: Config) -> anyhow::Result<std::process::ExitCode> {
    use commands::*;
    match command {
        Command::Parse { files } => parse::run(&files),
        Command::Score {
            files,
            markdown,
            csv,
            xlsx,
            config,
        } => score::run(&files, markdown, csv, xlsx.as_deref(), config.as_deref()),
        Command::Rescore { config, all } => rescore::run(cfg, config, all).await,
        Command::Scrape { inputs, fetch } => services::scrape(cfg, &inputs, &fetch).await,
        Command::Demo { input, timeout } => demo::run(cfg, input, timeout).await,
        Command::Up => services::up(cfg).await,
        Command::Worker { name } => services::worker(cfg, name).await,
        Command::Gateway => services::gateway(cfg).await,
        Command::Client { action } => client::run(&cfg, action).await,
        Command::Keys { action } => keys::run(&cfg, action).await,
        Command::User { action } => user::run(&cfg, action).await,
        Command::Alerts {
            action: AlertsAction::Watch { min_score, state },
        } => alerts::watch(cfg, min_score, state).await,
        Command::Webhook { action } => match action {
            WebhookAction::Add {
                url,
                secret,
                min_score,
                state,
            } => webhook::add(&cfg, &url, secret, min_score, &state),
            WebhookAction::List => webhook::list(&cfg),
            WebhookAction::Remove { id } => webhook::remove(&cfg, &id),
        },
        Command::Dlq {
            action: DlqAction::List,
        } => dlq::list(cfg).await,
        Command::Dlq {
            action: DlqAction::Replay { seq },
        } => dlq::replay(cfg, seq).await,
        Command::Backup { dir } => backup::backup(&cfg, &dir),
        Command::Restore { dir } => backup::restore(&cfg, &dir),
    }
}

#[cfg(test)]
mod compose_tests {
    //! No Docker engine runs on our machines, so the compose file is checked here: every
    //! service's command is a real `gsa` subcommand, and every variable it sets is one gsa reads.
    use super::*;

    fn compose() -> serde_yaml::Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docker-compose.yml");
        let text = std::fs::read_to_string(path).expect("read docker-compose.yml");
        let mut v: serde_yaml::Value =
            serde_yaml::from_str(&text).expect("parse docker-compose.yml");
        v.apply_merge().expect("resolve YAML merge keys");
        v
    }

    #[test]
    fn every_compose_service_runs_a_real_gsa_subcommand_with_known_variables() {
        let v = compose();
        let services = v["services"].as_mapping().expect("services");
        let mut gsa_services = 0;
        for (name, svc) in services {
            let name = name.as_str().unwrap_or_default();
            if name == "nats" {
                let cmd: Vec<&str> = svc["command"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .filter_map(|x| x.as_str())
                    .collect();
                assert!(cmd.contains(&"-js"), "nats must run with JetStream");
                continue;
            }
            gsa_services += 1;
            let cmd: Vec<String> = svc["command"]
                .as_sequence()
                .unwrap_or_else(|| panic!("{name}: command must be a list"))
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect();
            let argv = std::iter::once("gsa".to_string()).chain(cmd.clone());
            let parsed = Cli::try_parse_from(argv);
            assert!(
                parsed.is_ok(),
                "{name}: `gsa {}` is not a gsa command: {:?}",
                cmd.join(" "),
                parsed.err()
            );
            let env = svc["environment"]
                .as_mapping()
                .unwrap_or_else(|| panic!("{name}: environment"));
            for (k, _) in env {
                let k = k.as_str().unwrap();
                assert!(
                    gsa_common::config::ENV_VARS.contains(&k),
                    "{name} sets {k}, which gsa does not read"
                );
            }
            assert_eq!(
                env.get("NATS_URL").and_then(|x| x.as_str()),
                Some("nats://nats:4222")
            );
        }
        assert_eq!(
            gsa_services, 5,
            "scraper, analyzer, logger, notifier and gateway"
        );
    }

    #[test]
    fn a_wrong_subcommand_is_caught() {
        assert!(Cli::try_parse_from(["gsa", "worker", "nonsense"]).is_err());
        assert!(Cli::try_parse_from(["gsa", "worker", "analyzer"]).is_ok());
    }
}
