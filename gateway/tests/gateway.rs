//! Black-box tests of the gateway over real HTTP: a real server on a free 127.0.0.1 port, a real
//! temporary data directory and real SQLite files.

#[path = "gateway/admin.rs"]
mod admin;
#[path = "gateway/audit.rs"]
mod audit;
#[path = "gateway/harness.rs"]
mod harness;
#[path = "gateway/keys.rs"]
mod keys;
#[path = "gateway/listings.rs"]
mod listings;
#[path = "gateway/login.rs"]
mod login;
#[path = "gateway/malformed_tokens.rs"]
mod malformed_tokens;
#[path = "gateway/server.rs"]
mod server;
#[path = "gateway/throttle.rs"]
mod throttle;
#[path = "gateway/token_endpoint.rs"]
mod token_endpoint;
#[path = "gateway/verifier.rs"]
mod verifier;
