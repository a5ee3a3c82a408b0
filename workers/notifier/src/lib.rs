//! # gsa-notifier: high-score alerts to registered webhooks
//!
//! * [`store`]: webhook registrations and delivery records in `$GSA_DATA_DIR/notifier.db`
//!   (file mode 0600: it holds the signing secrets). `gsa webhook add|list|remove` write it;
//!   the notifier worker reads it.
//! * [`deliver`]: the HTTP request: JSON body (the alert event as published on
//!   `gsa.alert.high_score`), `X-Gsa-Signature: sha256=<hex HMAC-SHA256 of the body>`, and
//!   `X-Gsa-Delivery`, a delivery id that is the same on every retry of one alert to one
//!   webhook, so receivers can drop repeats.
//! * [`worker`]: the durable consumer `notifier` on `GSA_ALERTS`: delivers each alert to
//!   every matching webhook, retries failures with exponential backoff (JetStream nak with
//!   delay), parks a delivery that failed [`worker::NotifierOptions::attempts`] times on
//!   `gsa.dlq.webhook` with the last error, and acks with a server-confirmed ack.

pub mod deliver;
pub mod store;
pub mod worker;

pub use store::{Webhook, WebhookInfo, WebhookStore};
