//! The dashboard: server-rendered HTML pages for people logged in with a session cookie.
//!
//! * `/`: the ranked listings table with the API's filters and sorts, keyset paging, and a
//!   chart of how scores are distributed ([`listings`]).
//! * `/listings/{id}`: one listing: score, bucket bars, every factor with its evidence, the
//!   write-up, missing data and questions, valuation, model version, the score-history chart
//!   ([`listing`]).
//! * `/paste`: a form to paste a listing's text; it is written as a `.txt` file into the
//!   scraper's inbox (`GSA_INBOX`), the way every source enters the pipeline ([`paste`]).
//! * `/alerts`: high-score alerts ([`alerts`]).
//! * `/logs`: the log viewer with filters and a live tail, for `logs:read`/admin ([`logs`]).
//!
//! Every page takes [`crate::access::Viewer`]: no session, no data (a redirect to `/login`).
//! Pages answer HTML, errors included; charts are plain SVG drawn here ([`svg`]); the frame,
//! escaping and the CSP are in [`html`].

pub mod alerts;
pub mod html;
pub mod listing;
pub mod listings;
pub mod logs;
pub mod paste;
pub mod svg;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// Dashboard routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(listings::page))
        .route("/listings/{id}", get(listing::page))
        .route("/paste", get(paste::form).post(paste::submit))
        .route("/alerts", get(alerts::page))
        .route("/logs", get(logs::page))
}
