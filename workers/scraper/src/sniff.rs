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
        if lower_name.ends_with(".json") || lower_name.ends_with(".jsonld") || json_shaped(t) {
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

/// `true` when text that failed to parse as JSON still opens like a JSON document (`{"`, `{}`,
/// `[{`, `[[`, `["`, `[]`): a truncated or corrupted download, to be rejected as
/// malformed JSON rather than read as pasted listing text (which does not open that way).
fn json_shaped(t: &str) -> bool {
    let mut chars = t.chars();
    let open = chars.next();
    let next = chars.find(|c| !c.is_whitespace());
    match (open, next) {
        (Some('{'), Some(c)) => matches!(c, '"' | '}'),
        // Not `[` + a digit: pasted text may open with a footnote mark like "[1]".
        (Some('['), Some(c)) => matches!(c, '{' | '[' | '"' | ']'),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_json_is_json_and_bracketed_text_is_text() {
        // A search-API download cut off mid-record, read from stdin (no file name to go by).
        assert_eq!(
            sniff("stdin", "{\"listings\": [{\"id\": 2365036, "),
            Format::Json
        );
        assert_eq!(sniff("stdin", "[{\"id\": 1"), Format::Json);
        // Pasted listing text that happens to open with a bracket stays text.
        assert_eq!(
            sniff(
                "stdin",
                "[REDUCED] Gas station for sale\nAsking Price: $1,900,000"
            ),
            Format::Text
        );
        assert_eq!(
            sniff("stdin", "{Branded} c-store, Asking $500,000"),
            Format::Text
        );
    }
}
