//! One module per `gsa` subcommand.

pub mod alerts;
pub mod backup;
pub mod client;
pub mod demo;
pub mod dlq;
pub mod inputs;
pub mod keys;
pub mod parse;
pub mod rescore;
pub mod score;
pub mod services;
pub mod user;
pub mod webhook;
