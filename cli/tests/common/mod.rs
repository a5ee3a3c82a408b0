//! Harness shared by the `gsa` binary's integration tests: test data paths, a child process
//! killed when the test ends, and polling with a deadline (no timed assertions).

#![allow(dead_code)] // each test file uses part of it

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

/// `testdata/<rel>` in the repository.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel)
}

/// A child process (e.g. `gsa up`) killed and reaped when dropped.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `f` every 100 ms until it returns `Some`, failing the test after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The `(old, new)` values of `field` in the stored `gsa.listing.updated.v1` event of
/// `listing_id` (the `changes` list of its payload), or `None` while no such event or change
/// is stored yet.
pub fn stored_change(
    conn: &rusqlite::Connection,
    listing_id: &str,
    field: &str,
) -> Option<(serde_json::Value, serde_json::Value)> {
    let data: String = conn
        .query_row(
            "SELECT data FROM events WHERE type = 'gsa.listing.updated.v1' AND listing_id = ?1",
            [listing_id],
            |r| r.get(0),
        )
        .ok()?;
    let v: serde_json::Value = serde_json::from_str(&data).ok()?;
    let changes = v["data"]["changes"]
        .as_array()
        .or_else(|| v["changes"].as_array())?;
    let c = changes.iter().find(|c| c["field"] == field)?;
    Some((c["old"].clone(), c["new"].clone()))
}
