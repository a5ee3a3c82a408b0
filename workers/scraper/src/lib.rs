//! # gsa-scraper: where real input enters
//!
//! Pure parsing (no I/O) turns BizBuySell pages, API JSON, CSV exports and pasted text into
//! [`gsa_schemas::Listing`]s; [`publish`] sends them to `gsa.listing.scraped` (and what could not
//! be read to `gsa.listing.rejected`).

pub mod publish;
