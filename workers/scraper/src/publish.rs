//! Publishing parsed listings to NATS JetStream (filled in by the pipeline work).
