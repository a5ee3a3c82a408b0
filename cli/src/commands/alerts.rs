//! `gsa alerts watch [--min-score N] [--state TX,...]`: print each high-score alert as it
//! arrives, one JSON line on stdout (the alert's `data`); a re-score digest
//! (`gsa.alert.rescore_digest`) is printed whole, with its entries filtered the same way. Uses an ephemeral consumer that starts at new messages,
//! so watching does not replay history or disturb the durable consumers.

use std::process::ExitCode;

use async_nats::jetstream::consumer::{self, DeliverPolicy};
use futures::StreamExt;
use gsa_common::{nats, shutdown, Config};
use gsa_schemas::envelope::EnvelopeHead;
use gsa_schemas::{event_type, subjects, HighScoreAlert, RescoreDigest};

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
                let head = match serde_json::from_slice::<EnvelopeHead>(&m.payload) {
                    Ok(h) => h,
                    Err(e) => { eprintln!("warning: skipping a message that is not an event: {e}"); continue }
                };
                match head.event_type.as_str() {
                    event_type::ALERT_HIGH_SCORE => match serde_json::from_value::<HighScoreAlert>(head.data) {
                        Ok(a) if passes(&a, min_score, &states) => println!("{}", serde_json::to_string(&a)?),
                        Ok(_) => {}
                        Err(e) => eprintln!("warning: malformed alert {}: {e}", head.id),
                    },
                    event_type::ALERT_RESCORE_DIGEST => match serde_json::from_value::<RescoreDigest>(head.data) {
                        Ok(mut d) => {
                            d.raised.retain(|e| min_score.is_none_or(|m| e.new_score.unwrap_or(0) >= m));
                            if !states.is_empty() {
                                d.raised.retain(|e| e.state.as_ref().is_some_and(|s| states.iter().any(|x| x.eq_ignore_ascii_case(s))));
                            }
                            println!("{}", serde_json::to_string(&d)?);
                        }
                        Err(e) => eprintln!("warning: malformed digest {}: {e}", head.id),
                    },
                    other => eprintln!("warning: skipping event type {other}"),
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
