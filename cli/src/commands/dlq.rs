//! `gsa dlq list|replay`: the dead letters on `gsa.dlq.<subject>` (stream `GSA_DLQ`).
//!
//! `list` prints one JSON line per dead letter: stream sequence, original subject, the error,
//! the consumer that gave up, and the original payload. `replay` republishes each (or one, by
//! sequence) to its original subject (once per distinct payload: every consumer of the subject
//! gets it) and removes it from the dead-letter stream.

use std::process::ExitCode;

use async_nats::jetstream::{self, stream::Stream};
use gsa_common::nats::{self, HDR_DLQ_CONSUMER, HDR_DLQ_ERROR, HDR_DLQ_SUBJECT};
use gsa_common::Config;
use gsa_schemas::subjects;

/// One dead letter as printed by `gsa dlq list`.
#[derive(Debug, serde::Serialize)]
pub struct DeadLetter {
    /// Sequence in `GSA_DLQ`.
    pub seq: u64,
    /// Subject it was dead-lettered from.
    pub original_subject: String,
    /// Why.
    pub error: String,
    /// Consumer that gave up.
    pub consumer: String,
    /// The original payload (JSON when it parses, else the text).
    pub payload: serde_json::Value,
}

async fn open(cfg: &Config) -> anyhow::Result<(jetstream::Context, Stream)> {
    let client = nats::connect(&cfg.nats_url, "dlq").await?;
    let js = jetstream::new(client);
    nats::ensure_streams(&js, cfg).await?;
    let stream = js.get_stream(subjects::STREAM_DLQ).await?;
    Ok((js, stream))
}

/// Reads every dead letter currently in the stream.
pub async fn read_all(stream: &mut Stream) -> anyhow::Result<Vec<DeadLetter>> {
    let info = stream.info().await?.state.clone();
    let mut out = Vec::new();
    if info.messages == 0 {
        return Ok(out);
    }
    for seq in info.first_sequence..=info.last_sequence {
        let Ok(m) = stream.get_raw_message(seq).await else {
            continue;
        }; // deleted
        let h = |k: &str| {
            m.headers
                .get(k)
                .map(|v| v.as_str().to_string())
                .unwrap_or_default()
        };
        let payload = serde_json::from_slice(&m.payload).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&m.payload).into_owned())
        });
        out.push(DeadLetter {
            seq,
            original_subject: h(HDR_DLQ_SUBJECT),
            error: h(HDR_DLQ_ERROR),
            consumer: h(HDR_DLQ_CONSUMER),
            payload,
        });
    }
    Ok(out)
}

/// `gsa dlq list`.
pub async fn list(cfg: Config) -> anyhow::Result<ExitCode> {
    let (_, mut stream) = open(&cfg).await?;
    let letters = read_all(&mut stream).await?;
    for l in &letters {
        println!("{}", serde_json::to_string(l)?);
    }
    eprintln!("{} dead letters", letters.len());
    Ok(ExitCode::SUCCESS)
}

/// `gsa dlq replay [SEQ]`.
pub async fn replay(cfg: Config, only: Option<u64>) -> anyhow::Result<ExitCode> {
    let (js, mut stream) = open(&cfg).await?;
    let mut n = 0;
    // Several consumers may have parked the same message (say the analyzer and the logging
    // worker): the subject reaches every consumer, so it is republished once.
    let mut replayed = std::collections::HashSet::new();
    for l in read_all(&mut stream).await? {
        if only.is_some_and(|s| s != l.seq) || l.original_subject.is_empty() {
            continue;
        }
        let raw = stream.get_raw_message(l.seq).await?;
        if replayed.insert((l.original_subject.clone(), raw.payload.clone())) {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", format!("dlq-replay-{}", l.seq).as_str());
            js.publish_with_headers(l.original_subject.clone(), headers, raw.payload.clone())
                .await?
                .await?;
            n += 1;
        }
        stream.delete_message(l.seq).await?;
    }
    eprintln!("replayed {n} messages");
    Ok(ExitCode::SUCCESS)
}
