//! One module per `gsa` subcommand.

pub mod alerts;
pub mod backup;
pub mod client;
pub mod demo;
pub mod dlq;
pub mod inputs;
pub mod parse;
pub mod score;
pub mod services;
pub mod webhook;
