//! `gsa alerts watch [--min-score N] [--state TX,...]`: print each high-score alert as it
//! arrives, one JSON line on stdout. Uses an ephemeral consumer that starts at new messages,
//! so watching does not replay history or disturb the durable consumers.

use std::process::ExitCode;

use async_nats::jetstream::consumer::{self, DeliverPolicy};
use futures::StreamExt;
use gsa_common::{nats, shutdown, Config};
use gsa_schemas::{subjects, Envelope, HighScoreAlert};

/// Whether an alert passes the watch filters (`states` are two-letter codes, upper case).
pub fn passes(alert: &HighScoreAlert, min_score: Option<u8>, states: &[String]) -> bool {
    min_score.is_none_or(|m| alert.score >= m)
        && (states.is_empty()
            || alert
                .state
                .as_ref()
                .is_some_and(|s| states.iter().any(|x| x.eq_ignore_ascii_case(s))))
}

/// Runs the command until Ctrl-C.
pub async fn watch(
    cfg: Config,
    min_score: Option<u8>,
    states: Vec<String>,
) -> anyhow::Result<ExitCode> {
    let client = nats::connect(&cfg.nats_url, "alerts-watch").await?;
    let js = async_nats::jetstream::new(client);
    nats::ensure_streams(&js, &cfg).await?;
    let stream = js.get_stream(subjects::STREAM_ALERTS).await?;
    let consumer = stream
        .create_consumer(consumer::pull::Config {
            deliver_policy: DeliverPolicy::New,
            ack_policy: consumer::AckPolicy::None,
            inactive_threshold: std::time::Duration::from_secs(30),
            ..Default::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;
    eprintln!("watching {} (Ctrl-C to stop)", subjects::ALERT_HIGH_SCORE);
    let stop = shutdown::os_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            m = messages.next() => {
                let Some(m) = m else { break };
                let m = match m { Ok(m) => m, Err(e) => { eprintln!("warning: {e}"); continue } };
                match serde_json::from_slice::<Envelope<HighScoreAlert>>(&m.payload) {
                    Ok(env) if passes(&env.data, min_score, &states) => {
                        println!("{}", serde_json::to_string(&env.data)?);
                    }
                    Ok(_) => {}
                    Err(e) => eprintln!("warning: skipping a message that is not an alert: {e}"),
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
