//! # gsa-analyzer: a deal score a station buyer can trust

pub mod worker;
