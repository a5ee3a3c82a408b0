//! The analyzer worker: consumes listing events, publishes score cards and alerts.
