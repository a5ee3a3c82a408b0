//! Escaping text written by strangers (listing titles, descriptions, quotes) for Markdown that
//! may be rendered to HTML. One rule for every Markdown the system writes: the analyzer's
//! write-up (`gsa score --markdown`, the card) and the gateway's report
//! (`GET /api/listings/{id}/report.md`).

/// Escapes text for Markdown that may be rendered to HTML, with as few backslashes as keep it
/// text (CommonMark 0.31, <https://spec.commonmark.org/0.31.2/>, plus GFM tables and
/// strikethrough), so the write-up also reads well in a terminal:
///
/// * `&` becomes `&amp;` only where it would start an entity reference (`&name;`, `&#12;`,
///   §2.5); `P&L` and `Gas & Go` stay as written;
/// * `<` becomes `&lt;` only where it could open raw HTML or an autolink: before a letter, `/`,
///   `!` or `?` (§6.5, §6.6); `<= 7.5x` stays as written; a `>` cannot close anything without a
///   `<`, so it stays too;
/// * `` \ ` * | ~ `` get a backslash wherever they are (§2.4): escapes, code spans, emphasis,
///   table cells and strikethrough;
/// * `]` gets one before `(`, so no inline link or image (`[x](javascript:..)`, `![x](..)`)
///   can form; `[` gets one at the start, where a link reference definition could begin
///   (§4.7; without one, `[PETROMAC]` is text);
/// * `_` gets one only when it could open or close emphasis, i.e. not between two letters or
///   digits (§6.2: an intraword `_` is never emphasis), so `seller_financing` stays as is;
/// * at the start of the text, which may start a line, a block marker gets one: a `>`, and
///   `# - +` or the `.`/`)` after leading digits when a space or the end follows (headings,
///   quotes, lists, ordered lists; §4-5), and a text of only `-` or `=` (setext underline,
///   thematic break); `81985.33` and `+ 4%`-free figures stay as written;
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
    let ends_marker = |i: usize| chars.get(i).is_none_or(|c| *c == ' ' || *c == '\t');
    // Where a line-start marker would sit: the first non-blank character, or the `.`/`)` after
    // leading digits.
    let lead = chars.iter().position(|c| *c != ' ');
    let only = |m: char| {
        let t = s.trim();
        !t.is_empty() && t.chars().all(|c| c == m || c == ' ')
    };
    let marker = lead.and_then(|l| match chars[l] {
        '>' | '[' => Some(l),
        '#' => {
            let end = l + chars[l..].iter().take_while(|c| **c == '#').count();
            (end - l <= 6 && ends_marker(end)).then_some(l)
        }
        '-' | '+' if ends_marker(l + 1) => Some(l),
        '-' if only('-') => Some(l),
        '=' if only('=') => Some(l),
        c if c.is_ascii_digit() => {
            let end = l + chars[l..].iter().take_while(|c| c.is_ascii_digit()).count();
            (end - l <= 9 && matches!(chars.get(end), Some('.' | ')')) && ends_marker(end + 1))
                .then_some(end)
        }
        _ => None,
    });
    let entity_after = |i: usize| {
        let rest = &chars[i + 1..];
        let body = rest.strip_prefix(&['#']).unwrap_or(rest);
        let n = body
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        n > 0 && body.get(n) == Some(&';')
    };
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        match c {
            '&' if entity_after(i) => out.push_str("&amp;"),
            '<' if next
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) =>
            {
                out.push_str("&lt;")
            }
            '\\' | '`' | '*' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            ']' if next == Some('(') => out.push_str("\\]"),
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
        assert!(
            !e.contains("<s") && !e.contains("</"),
            "no tag can open: {e}"
        );
        assert!(e.contains("&lt;script>alert(1)&lt;/script>"), "{e}");
        assert!(e.contains("[x\\](javascript:alert(1))"), "{e}");
        assert!(e.contains("\\*\\*b\\*\\*"));
        assert_eq!(escape("![i](http://x/y.png)"), "![i\\](http://x/y.png)");
        assert_eq!(
            escape("[ref]: javascript:alert(1)"),
            "\\[ref]: javascript:alert(1)"
        );
        assert_eq!(escape("<!-- c -->"), "&lt;!-- c -->");
        assert_eq!(escape("a <https://x.y> b"), "a &lt;https://x.y> b");
        assert_eq!(escape("&amp; &#60; &lt;"), "&amp;amp; &amp;#60; &amp;lt;");
        assert_eq!(escape("a\nb"), "a b");
        // Only what could change the rendering gets a backslash or an entity.
        assert_eq!(escape("seller_financing"), "seller_financing");
        assert_eq!(escape("_x_ and x_"), "\\_x\\_ and x\\_");
        assert_eq!(escape("rules-3+cfg.5a3bfb7b"), "rules-3+cfg.5a3bfb7b");
        assert_eq!(escape("No fuel sales (yet)."), "No fuel sales (yet).");
        assert_eq!(escape("P&L, Gas & Go"), "P&L, Gas & Go");
        assert_eq!(escape("(<= 7.5x; >= 1.25)"), "(<= 7.5x; >= 1.25)");
        assert_eq!(escape("[PETROMAC] site"), "\\[PETROMAC] site");
        assert_eq!(escape("site [PETROMAC]"), "site [PETROMAC]");
        assert_eq!(escape("81985.33"), "81985.33");
        assert_eq!(
            escape("7.36x price over cash flow"),
            "7.36x price over cash flow"
        );
        assert_eq!(escape("+Real Estate"), "+Real Estate");
        assert_eq!(escape("#1 site"), "#1 site");
        assert_eq!(
            escape("a | b ~~c~~ `d` \\"),
            "a \\| b \\~\\~c\\~\\~ \\`d\\` \\\\"
        );
        // A block marker where the text may start a line.
        assert_eq!(escape("# h"), "\\# h");
        assert_eq!(escape("###"), "\\###");
        assert_eq!(escape("- item"), "\\- item");
        assert_eq!(escape("+ Real Estate"), "\\+ Real Estate");
        assert_eq!(escape("---"), "\\---");
        assert_eq!(escape("=="), "\\==");
        assert_eq!(escape("> quote"), "\\> quote");
        assert_eq!(escape(">quote"), "\\>quote");
        assert_eq!(escape("2024. A year"), "2024\\. A year");
        assert_eq!(escape("3) three"), "3\\) three");
        assert_eq!(escape("x - y # z 1. w"), "x - y # z 1. w");
        assert_eq!(escape("a > b -> c"), "a > b -> c");
        assert_eq!(escape("<b>"), "&lt;b>");
        assert_eq!(escape("seller's \"Interstate\""), "seller's \"Interstate\"");
    }
}
