//! Black-box tests of the read API (issue 6) over real HTTP on loopback, against a `gsa.db`
//! filled by the logging worker's real store with listings the scraper's real parser read
//! from the real test data.

#[allow(dead_code)]
#[path = "gateway/harness.rs"]
mod harness;

#[path = "read_api/dashboard.rs"]
mod dashboard;
#[path = "read_api/fixture.rs"]
mod fixture;
#[path = "read_api/listings.rs"]
mod listings;
#[path = "read_api/logs.rs"]
mod logs;
