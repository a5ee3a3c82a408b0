//! Throttling: keyed rate limits answered with `429` and `Retry-After` (RFC 6585 §4,
//! RFC 9110 §10.2.3), and the login brute-force guard.
//!
//! Why not `tower_governor`: two of the limits count only *failed* client authentications,
//! which a request-counting middleware cannot express (it needs a "would the next one pass?"
//! check before the work and a charge only after it failed), and the per-client API limit is
//! keyed by the token's subject, known only after verification. One small GCRA (the algorithm
//! `governor` uses) serves all of them with the same semantics.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys kept before stale ones are swept (bounds memory under a flood of addresses).
const SWEEP_AT: usize = 50_000;

/// A keyed GCRA limiter: at most `limit` events per `per` for each key, as a burst or spread.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    window: Duration,
    tat: Mutex<HashMap<String, Instant>>,
}

impl RateLimiter {
    /// `limit` events per `per` per key (`limit` 0 means "never throttle").
    pub fn new(limit: u32, per: Duration) -> Self {
        let interval = if limit == 0 {
            Duration::ZERO
        } else {
            per / limit
        };
        Self {
            interval,
            window: per,
            tat: Mutex::new(HashMap::new()),
        }
    }

    /// Whether one more event for `key` would pass now, without counting it; `Err` carries how
    /// long until it would.
    pub fn peek(&self, key: &str) -> Result<(), Duration> {
        self.decide(key, false)
    }

    /// Counts one event for `key`; `Err(retry_after)` when over the limit (nothing counted).
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.decide(key, true)
    }

    fn decide(&self, key: &str, charge: bool) -> Result<(), Duration> {
        if self.interval.is_zero() {
            return Ok(());
        }
        let now = Instant::now();
        let mut map = self.tat.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SWEEP_AT {
            map.retain(|_, tat| *tat > now);
        }
        let tat = map.get(key).copied().unwrap_or(now).max(now);
        // GCRA: the event conforms when the theoretical arrival time is at most
        // `window - interval` ahead of now.
        let allowance = self.window.saturating_sub(self.interval);
        let ahead = tat - now;
        if ahead > allowance {
            return Err((ahead - allowance).max(Duration::from_secs(1)));
        }
        if charge {
            map.insert(key.to_string(), tat + self.interval);
        }
        Ok(())
    }
}

/// `Retry-After` seconds for a wait, rounded up (RFC 9110 §10.2.3 delay-seconds).
pub fn retry_after_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[derive(Debug, Default)]
struct Record {
    failures: VecDeque<Instant>,
    banned_until: Option<Instant>,
}

/// Login brute-force guard (Authelia `regulation`): `max` failures within `find` for a key (a
/// user name `user:<name>`, an address `ip:<addr>`, or a device cookie `device:<nonce>`) ban
/// that key for `ban`. A ban is never extended by attempts made during it.
///
/// On its own this lets an attacker who fails three times every five minutes keep a user
/// banned for as long as they like; the login route therefore exempts browsers that carry a
/// valid device cookie for the user from the user and address bans, and counts their
/// failures only under their own `device:` key (OWASP device cookies, see
/// `crate::routes::login`).
#[derive(Debug)]
pub struct LoginGuard {
    max: u32,
    find: Duration,
    ban: Duration,
    records: Mutex<HashMap<String, Record>>,
}

impl LoginGuard {
    /// A guard with the given limits.
    pub fn new(max: u32, find: Duration, ban: Duration) -> Self {
        Self {
            max,
            find,
            ban,
            records: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `key` is banned now.
    pub fn is_banned(&self, key: &str) -> bool {
        let now = Instant::now();
        let map = self.records.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .and_then(|r| r.banned_until)
            .is_some_and(|t| t > now)
    }

    /// Records a failure for `key`; returns `true` when it starts a ban.
    pub fn fail(&self, key: &str) -> bool {
        if self.max == 0 {
            return false;
        }
        let now = Instant::now();
        let mut map = self.records.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SWEEP_AT {
            let find = self.find;
            map.retain(|_, r| {
                r.banned_until.is_some_and(|t| t > now)
                    || r.failures.back().is_some_and(|t| now - *t < find)
            });
        }
        let rec = map.entry(key.to_string()).or_default();
        if rec.banned_until.is_some_and(|t| t > now) {
            return false;
        }
        rec.banned_until = None;
        while rec.failures.front().is_some_and(|t| now - *t >= self.find) {
            rec.failures.pop_front();
        }
        rec.failures.push_back(now);
        if rec.failures.len() >= self.max as usize {
            rec.failures.clear();
            rec.banned_until = Some(now + self.ban);
            return true;
        }
        false
    }

    /// Forgets the failures of `key` (after a successful login).
    pub fn clear(&self, key: &str) {
        let mut map = self.records.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = map.get_mut(key) {
            r.failures.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcra_allows_the_burst_then_refuses_and_peek_does_not_count() {
        let l = RateLimiter::new(3, Duration::from_secs(60));
        for _ in 0..5 {
            assert!(l.peek("a").is_ok());
        }
        for _ in 0..3 {
            assert!(l.check("a").is_ok());
        }
        let wait = l.check("a").unwrap_err();
        assert!(
            wait > Duration::from_secs(15) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(l.peek("a").is_err());
        assert!(l.check("b").is_ok(), "keys are independent");
        assert!(RateLimiter::new(0, Duration::from_secs(1))
            .check("x")
            .is_ok());
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
    }

    #[test]
    fn keys_are_counted_apart() {
        let g = LoginGuard::new(3, Duration::from_secs(120), Duration::from_secs(300));
        for _ in 0..3 {
            g.fail("device:n1");
        }
        assert!(g.is_banned("device:n1"));
        assert!(!g.is_banned("user:ann") && !g.is_banned("device:n2"));
        for _ in 0..3 {
            g.fail("user:ann");
        }
        assert!(g.is_banned("user:ann"));
        assert!(
            !g.is_banned("device:n2"),
            "a user ban does not lock a device key"
        );
    }

    #[test]
    fn three_failures_ban_and_a_ban_is_not_extended() {
        let g = LoginGuard::new(3, Duration::from_secs(120), Duration::from_secs(300));
        assert!(!g.fail("u"));
        assert!(!g.fail("u"));
        assert!(!g.is_banned("u"));
        assert!(g.fail("u"));
        assert!(g.is_banned("u"));
        assert!(!g.fail("u"), "failures during a ban do not start another");
        assert!(!g.is_banned("v"));
        let g = LoginGuard::new(3, Duration::from_secs(120), Duration::from_secs(300));
        g.fail("w");
        g.fail("w");
        g.clear("w");
        assert!(!g.fail("w"), "a success resets the count");
    }
}
