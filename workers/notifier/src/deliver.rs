//! One webhook delivery: the signed HTTP POST.
//!
//! Receivers verify `X-Gsa-Signature` by computing `HMAC-SHA256(secret, raw body)` and
//! comparing its hex form (constant-time) with the header after `sha256=`, and drop repeats by
//! `X-Gsa-Delivery`, which is the same on every retry of one alert to one webhook.

use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Webhook;

/// Header carrying `sha256=<hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "X-Gsa-Signature";
/// Header carrying the delivery id (stable across retries).
pub const DELIVERY_HEADER: &str = "X-Gsa-Delivery";
/// Header carrying the event type, e.g. `gsa.alert.high_score.v1`.
pub const EVENT_HEADER: &str = "X-Gsa-Event";
/// Header carrying the webhook id.
pub const WEBHOOK_HEADER: &str = "X-Gsa-Webhook";

type HmacSha256 = Hmac<Sha256>;

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length; new_from_slice cannot fail for it.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any size");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a signature header against the body in constant time (what a receiver does).
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// The delivery id of one alert event to one webhook: a UUIDv5 of both, so every retry and
/// every redelivery carries the same id.
pub fn delivery_id(alert_event_id: &str, webhook_id: &str) -> String {
    gsa_schemas::Envelope::<()>::deterministic_id(&["webhook-delivery", alert_event_id, webhook_id])
}

/// An HTTP client for deliveries: `timeout` per request, no redirects followed.
pub fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("gsa-notifier/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Why one attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptError {
    /// The HTTP status, when the receiver answered.
    pub http_status: Option<u16>,
    /// What happened (no URL, no secret).
    pub message: String,
}

impl std::fmt::Display for AttemptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// POSTs `body` to the webhook, signed. `Ok(status)` on a 2xx answer.
pub async fn post(
    client: &reqwest::Client,
    hook: &Webhook,
    delivery_id: &str,
    event_type: &str,
    body: Bytes,
) -> Result<u16, AttemptError> {
    let signature = sign(hook.secret.expose().as_bytes(), &body);
    let resp = client
        .post(&hook.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(DELIVERY_HEADER, delivery_id)
        .header(EVENT_HEADER, event_type)
        .header(WEBHOOK_HEADER, &hook.id)
        .body(body)
        .send()
        .await
        .map_err(|e| AttemptError {
            http_status: None,
            // Without the URL: it may carry a token in its query.
            message: format!("request failed: {}", e.without_url()),
        })?;
    let status = resp.status();
    if status.is_success() {
        Ok(status.as_u16())
    } else {
        Err(AttemptError {
            http_status: Some(status.as_u16()),
            message: format!("receiver answered HTTP {}", status.as_u16()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_the_rfc4231_hmac_and_verifies() {
        // RFC 4231 test case 2.
        let sig = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify(b"Jefe", b"what do ya want for nothing?", &sig));
        assert!(!verify(b"Jefe", b"what do ya want for nothing!", &sig));
        assert!(!verify(b"jefe", b"what do ya want for nothing?", &sig));
        assert!(!verify(b"Jefe", b"x", "md5=00"));
    }

    #[test]
    fn delivery_ids_are_stable_per_alert_and_webhook() {
        assert_eq!(delivery_id("a", "w"), delivery_id("a", "w"));
        assert_ne!(delivery_id("a", "w"), delivery_id("a", "v"));
        assert_ne!(delivery_id("a", "w"), delivery_id("b", "w"));
    }
}
