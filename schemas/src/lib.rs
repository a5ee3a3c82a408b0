//! # gsa-schemas: the event contract of Gas Station Analyzer
//!
//! This crate is the one place where the shape of every message is written down. It does no I/O.
//!
//! * [`envelope`]: the CloudEvents 1.0 JSON envelope every message travels in, and deterministic ids.
//! * [`listing`]: a business-for-sale listing as the scraper extracts it (`gsa.listing.scraped`,
//!   `gsa.listing.updated`), and [`rejection`] for what could not be read (`gsa.listing.rejected`).
//! * [`score`]: the analyzer's score card (`gsa.listing.scored`) and [`alert`] (`gsa.alert.high_score`,
//!   and `gsa.alert.rescore_digest` for a re-score that moved several listings across the threshold).
//! * [`log`]: a service's log record (`gsa.log.<service>`).
//! * [`subjects`]: NATS subjects, JetStream stream names, consumer names and KV bucket names.
//! * [`json_schema`]: generation of the checked-in JSON Schema files under `schemas/json/`.
//!
//! Money is always whole US dollars (`i64`), and `None`/`null` means "the listing does not say",
//! never zero.

pub mod alert;
pub mod audit;
pub mod envelope;
pub mod json_schema;
pub mod listing;
pub mod log;
pub mod rejection;
pub mod score;
pub mod subjects;

pub use alert::{AlertReason, DigestEntry, HighScoreAlert, RescoreDigest};
pub use audit::AuditEvent;
pub use envelope::{event_type, Envelope, SPEC_VERSION};
pub use listing::{
    FieldChange, Listing, ListingSource, ListingStatus, ListingUpdated, RealEstate,
    RealEstateOwnership,
};
pub use log::LogRecord;
pub use rejection::{Rejection, RejectionKind};
pub use score::{
    missing_label, Bucket, Cap, Confidence, Dscr, Evidence, Fact, FactValue, Factor,
    RealEstateAssessment, RealEstateBasis, ScoreCard, ScoreChange, Valuation,
};
