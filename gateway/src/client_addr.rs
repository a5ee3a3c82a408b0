//! The client's address, for throttling and the audit trail.
//!
//! The socket's peer address, unless that peer is a configured trusted proxy: then the
//! right-most `X-Forwarded-For` entry that is not itself a trusted proxy (the left-most entries
//! are whatever the client claimed and cannot be believed).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::state::AppState;

/// The client address of a request (see the module docs). `None` only when the server was not
/// started with connection info (in-process tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// A key for per-address limits.
    pub fn key(&self) -> String {
        match self.0 {
            Some(ip) => ip.to_string(),
            None => "unknown".to_string(),
        }
    }
}

/// Resolves the client address from the peer and the `X-Forwarded-For` values.
pub fn resolve(peer: Option<IpAddr>, forwarded: &[&str], trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = forwarded
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return Some(ip),
            // A garbled hop: stop believing the header at this point.
            Err(_) => return Some(peer),
        }
    }
    Some(peer)
}

/// Whether the request reached a trusted proxy over TLS (`X-Forwarded-Proto: https`).
pub fn via_tls(parts: &Parts, trusted: &[IpAddr]) -> bool {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    peer.is_some_and(|p| trusted.contains(&p))
        && parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Ok(Self(resolve(peer, &forwarded, &state.gw.trusted_proxies)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let spoofed = ["1.2.3.4, 203.0.113.7"];
        assert_eq!(resolve(Some(client), &spoofed, &[]), Some(client));
        assert_eq!(resolve(Some(proxy), &spoofed, &[proxy]), Some(client));
        assert_eq!(resolve(Some(proxy), &[], &[proxy]), Some(proxy));
        assert_eq!(resolve(Some(proxy), &["junk"], &[proxy]), Some(proxy));
    }
}
