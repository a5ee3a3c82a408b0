//! Format sniffing from the input name and the first bytes.

/// Input formats [`crate::parse_bytes`] understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// HTML (detail page, search page, block page or something else).
    Html,
    /// JSON: API response/records, apify record, JSON-LD Product, or our own `Listing` JSON.
    Json,
    /// JSON Lines (one JSON document per line).
    JsonLines,
    /// CSV export with a recognisable header.
    Csv,
    /// Anything else: pasted listing text.
    Text,
}

/// Picks the format: content first (HTML markup, JSON brackets, CSV header), the file
/// extension only to break ties (`.csv` with an unknown header is still CSV; `.html` is HTML).
pub fn sniff(name: &str, text: &str) -> Format {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let lower_name = name.to_ascii_lowercase();
    let head: String = t
        .chars()
        .take(2048)
        .collect::<String>()
        .to_ascii_lowercase();
    if head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.starts_with("<!--")
        || head.starts_with("<head")
        || head.starts_with("<body")
        || head.contains("<html")
        || (head.starts_with('<')
            && (head.contains("<div") || head.contains("<script") || head.contains("<title")))
        || lower_name.ends_with(".html")
        || lower_name.ends_with(".htm")
    {
        return Format::Html;
    }
    if t.starts_with('{') || t.starts_with('[') {
        if serde_json::from_str::<serde_json::Value>(t).is_ok() {
            return Format::Json;
        }
        let lines: Vec<&str> = t.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        if lines.len() > 1 && lines.iter().all(|l| l.starts_with('{') && l.ends_with('}')) {
            return Format::JsonLines;
        }
        if lower_name.ends_with(".json") || lower_name.ends_with(".jsonld") {
            return Format::Json;
        }
    }
    if lower_name.ends_with(".jsonl") || lower_name.ends_with(".ndjson") {
        return Format::JsonLines;
    }
    if crate::csv_export::looks_like_csv(t) || lower_name.ends_with(".csv") {
        return Format::Csv;
    }
    Format::Text
}
