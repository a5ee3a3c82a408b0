//! Escaping text written by strangers (listing titles, descriptions, quotes) for Markdown that
//! may be rendered to HTML. One rule for every Markdown the system writes: the analyzer's
//! write-up (`gsa score --markdown`, the card) and the gateway's report
//! (`GET /api/listings/{id}/report.md`).

/// Escapes text for Markdown that may be rendered to HTML, with as few backslashes as keep it
/// text (CommonMark 0.31, <https://spec.commonmark.org/0.31.2/>, plus GFM tables and
/// strikethrough), so the write-up also reads well in a terminal:
///
/// * `&` and `<` become entities (entity references, raw HTML and autolinks all need one of
///   them; §2.5, §6.5, §6.6); a `>` cannot close anything without a `<`, so it stays as is;
/// * `` \ ` * [ ] | ~ `` get a backslash wherever they are (§2.4): escapes, code spans,
///   emphasis, link and image brackets (with `[` and `]` escaped no link or image can start, so
///   `( ) !` stay as they are), table cells and strikethrough;
/// * `_` gets one only when it could open or close emphasis, i.e. not between two letters or
///   digits (§6.2: an intraword `_` is never emphasis), so `seller_financing` stays as is;
/// * at the start of the text, which may start a line, a block marker gets one: `# > - + =`,
///   and the `.` or `)` after leading digits (headings, quotes, lists, setext underlines, ordered
///   lists; §4-5);
/// * line breaks become spaces (one line per item); other control characters are dropped.
///
/// Quotes and apostrophes stay as they are: they only matter inside HTML attribute values and
/// Markdown link titles, and listing text is never put in either (the write-ups build links
/// apart from it, from http(s) URLs made safe for a link target), so `the seller's
/// "Interstate" site` reads as written.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let chars: Vec<char> = s.chars().collect();
    let word = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphanumeric())
    };
    // Where a line-start marker would sit: the first non-blank character, or the `.`/`)` after
    // leading digits.
    let lead = chars.iter().position(|c| *c != ' ');
    let marker = lead.and_then(|l| match chars[l] {
        '#' | '>' | '-' | '+' | '=' => Some(l),
        c if c.is_ascii_digit() => {
            let end = l + chars[l..].iter().take_while(|c| c.is_ascii_digit()).count();
            matches!(chars.get(end), Some('.' | ')')).then_some(end)
        }
        _ => None,
    });
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '\\' | '`' | '*' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '_' if !(word(i.checked_sub(1)) && word(Some(i + 1))) => out.push_str("\\_"),
            _ if Some(i) == marker => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_html_and_markdown() {
        let e = escape("<script>alert(1)</script> [x](javascript:alert(1)) **b** # h");
        assert!(!e.contains('<'), "no tag can open: {e}");
        assert!(e.contains("&lt;script>alert(1)&lt;/script>"), "{e}");
        assert!(e.contains("\\[x\\](javascript:alert(1))"), "{e}");
        assert!(e.contains("\\*\\*b\\*\\*"));
        assert_eq!(escape("a\nb"), "a b");
        // Only what could change the rendering gets a backslash.
        assert_eq!(escape("seller_financing"), "seller_financing");
        assert_eq!(escape("_x_ and x_"), "\\_x\\_ and x\\_");
        assert_eq!(escape("rules-3+cfg.5a3bfb7b"), "rules-3+cfg.5a3bfb7b");
        assert_eq!(escape("No fuel sales (yet)."), "No fuel sales (yet).");
        assert_eq!(
            escape("a | b ~~c~~ `d` \\"),
            "a \\| b \\~\\~c\\~\\~ \\`d\\` \\\\"
        );
        // A block marker where the text may start a line.
        assert_eq!(escape("# h"), "\\# h");
        assert_eq!(escape("- item"), "\\- item");
        assert_eq!(escape("> quote"), "\\> quote");
        assert_eq!(escape("2024. A year"), "2024\\. A year");
        assert_eq!(escape("3) three"), "3\\) three");
        assert_eq!(escape("x - y # z 1. w"), "x - y # z 1. w");
        assert_eq!(escape("a > b -> c"), "a > b -> c");
        assert_eq!(escape("<b>"), "&lt;b>");
        assert_eq!(escape("seller's \"Interstate\""), "seller's \"Interstate\"");
    }
}
