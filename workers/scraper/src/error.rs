//! Errors inside the parsers; every one ends up as a [`gsa_schemas::Rejection`] reason.

use thiserror::Error;

/// Why an input could not be read as a whole.
#[derive(Debug, Error)]
pub enum ParseError {
    /// JSON that does not parse even leniently.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// JSON that parses but is none of the known shapes.
    #[error("JSON is not a BizBuySell API response/record, JSON-LD Product or Listing: {0}")]
    UnknownJson(String),
    /// A `Listing` JSON (our own schema) with wrong field types.
    #[error("Listing JSON does not match the schema: {0}")]
    BadListing(String),
    /// HTML that is neither a detail nor a search page.
    #[error("HTML is neither a BizBuySell detail page nor a search page{0}")]
    UnknownHtml(String),
}
