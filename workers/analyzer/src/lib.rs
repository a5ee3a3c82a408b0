//! # gsa-analyzer: a deal score a station buyer can trust
//!
//! The pure scoring core: a [`gsa_schemas::Listing`] in, a [`gsa_schemas::ScoreCard`] out, plus
//! a Markdown write-up and a spreadsheet row. No NATS and no I/O here (the worker in
//! [`worker`] does that). Every rule, threshold and source tag is documented in
//! `docs/SCORING.md`; the numbers live in `scoring.toml` ([`ScoringConfig`]).
//!
//! Follow one listing through the modules, by name:
//! [`applicability`] (is it a US fuel site?) -> [`facts`] (what the text states, with quotes and
//! character offsets) -> [`real_estate`] (stated, inferred or unknown) -> [`dscr`] and the
//! bucket rules in `rules` (price, cash_flow, real_estate_or_lease, operations, risk,
//! location_upside) -> [`caps`] -> [`confidence`] -> [`valuation`] -> the card ([`score()`]) ->
//! [`writeup`] and [`spreadsheet`]; [`explain`] says what changed against the listing's previous card.
//!
//! Units: money in whole USD; volumes in gallons per month; margins in cents per gallon or
//! percent; rent in USD per month; terms in years.

pub mod applicability;
pub mod caps;
mod card;
pub mod confidence;
pub mod config;
pub mod dscr;
pub mod explain;
pub mod facts;
pub mod real_estate;
pub mod rescore;
pub mod rules;
pub mod spreadsheet;
mod summary;
pub mod text;
pub mod valuation;
pub mod worker;
pub mod writeup;

pub use card::score;
pub use config::{ConfigError, ScoringConfig, RULES_VERSION, SCORING_CONFIG_ENV};
pub use summary::{missing_label, verdict};
