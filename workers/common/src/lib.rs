//! # gsa-common: plumbing every gsa service shares
//!
//! * [`config`]: the typed configuration (flags, environment, file, defaults).
//! * [`db`]: the layout of the SQLite event store (`gsa.db`), shared by its writer (the logging
//!   worker) and its reader (the gateway).
//! * [`nats`]: connecting to NATS, creating JetStream streams and consumers, publishing events
//!   with `Nats-Msg-Id`, dead-lettering.
//! * [`shutdown`]: the graceful-shutdown signal handed to every task.
//! * [`telemetry`]: tracing to stderr and to `gsa.log.<service>`.
//! * [`testkit`]: starting a private `nats-server -js` for integration tests.

pub mod allocator;
pub mod config;
pub mod db;
pub mod markdown;
pub mod nats;
pub mod shutdown;
pub mod telemetry;
pub mod testkit;

pub use config::{Config, Overrides, Secret};
pub use shutdown::Shutdown;
