//! # gsa-logger: every event, stored once
//!
//! The logging worker reads every gsa stream through its own durable consumers
//! ([`worker`]) and writes each event exactly once into `$GSA_DATA_DIR/gsa.db` ([`store`]),
//! keyed by CloudEvents id, one transaction per batch, keeping the read projections (latest
//! listing merged field by field, latest score, score history, alerts, logs) up to date.

pub mod store;
pub mod worker;
