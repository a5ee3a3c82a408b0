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

/// Bytes looked at by [`looks_binary`]: the start of the input.
const BINARY_SAMPLE: usize = 8192;

/// Whether `bytes` are binary data rather than text: the first [`BINARY_SAMPLE`] bytes hold a
/// NUL byte, or more than 1 % C0 control bytes other than tab, line feed, form feed and
/// carriage return, or more than 5 % of them are not UTF-8. The same rule of thumb as `file`
/// and git use (a NUL means binary), with room for the odd Latin-1 byte or stray control
/// character a real saved page or pasted text can hold (they stay text).
pub fn looks_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(BINARY_SAMPLE)];
    if sample.is_empty() {
        return false;
    }
    if sample.contains(&0) {
        return true;
    }
    let control = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r'))
        .count();
    if control * 100 > sample.len() {
        return true;
    }
    // Invalid UTF-8: count the bytes the lossy decoder would replace (a sequence cut by the end
    // of the sample is not counted).
    let mut invalid = 0;
    for chunk in sample.utf8_chunks() {
        invalid += chunk.invalid().len();
    }
    invalid * 20 > sample.len()
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
    fn binary_data_is_told_from_text() {
        // A real executable: this test binary.
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(looks_binary(&exe));
        // PNG signature and header: a NUL in the first bytes.
        assert!(looks_binary(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
        // Control bytes without a NUL.
        assert!(looks_binary(
            &[0x01u8, 0x02, 0x03, b'a', 0x04, 0x05].repeat(100)
        ));
        // Mostly invalid UTF-8 (high bytes in no valid sequence).
        assert!(looks_binary(&[0xffu8, 0xfe, b'a', 0xfd].repeat(100)));
        // Text stays text: plain, UTF-8 with curly quotes, one Latin-1 byte in a long text,
        // a form feed.
        assert!(!looks_binary(b"Gas station, 10,000 gallons a month"));
        assert!(!looks_binary(
            "Owner\u{2019}s \u{201c}Shell\u{201d} station \u{2013} $1.2M".as_bytes()
        ));
        let mut latin1 = b"Caf".to_vec();
        latin1.push(0xe9);
        latin1.extend_from_slice(
            &b" and gas station for sale, 120,000 gallons per month. ".repeat(4),
        );
        assert!(!looks_binary(&latin1));
        assert!(!looks_binary(b"page one\x0cpage two"));
        assert!(!looks_binary(b""));
    }

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
