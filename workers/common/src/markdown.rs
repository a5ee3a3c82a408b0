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
    escape_in(s, Context::LineStart)
}

/// Like [`escape`], for text that follows other text on its line: after `**Caps:** `, after
/// `- at most 50: `, inside a table cell. Block markers only count at the start of a line
/// (CommonMark §4-5), so `+ 4% fuel margin` here keeps its `+` as written; everything else is
/// escaped as [`escape`] does, `|` included (the text may sit in a GFM table cell).
pub fn escape_inline(s: &str) -> String {
    escape_in(s, Context::Inline)
}

/// Like [`escape_inline`], for the text of an ATX heading (`# {title}`): a heading line is never
/// part of a GFM table (a table's header row is a paragraph line, GFM spec §4.10), so `|` stays
/// as written: `Gas | Mart | Deli` is not shown as `Gas \| Mart \| Deli` in a terminal.
pub fn escape_heading(s: &str) -> String {
    escape_in(s, Context::Heading)
}

/// Where escaped text lands in a Markdown line.
#[derive(Clone, Copy, PartialEq)]
enum Context {
    /// It may start a line (a paragraph, a list item's text): block markers count.
    LineStart,
    /// After other text on its line, or in a table cell.
    Inline,
    /// The text of an ATX heading: inline, and never in a table.
    Heading,
}

fn escape_in(s: &str, context: Context) -> String {
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
    let marker = lead
        .filter(|_| context == Context::LineStart)
        .and_then(|l| match chars[l] {
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
    // In a heading, a closing run of `#` (after a space, at the end) would be dropped from
    // the heading's text (CommonMark §4.2: `# Gas Station #` reads "Gas Station").
    let closing = (context == Context::Heading)
        .then(|| {
            let end = chars.iter().rposition(|c| *c != ' ')?;
            let start = chars[..=end]
                .iter()
                .rposition(|c| *c != '#')
                .map_or(0, |p| p + 1);
            (start <= end && (start == 0 || chars[start - 1] == ' ')).then_some(start)
        })
        .flatten();
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
            '|' if context == Context::Heading => out.push(c),
            '\\' | '`' | '*' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            ']' if next == Some('(') => out.push_str("\\]"),
            '_' if !(word(i.checked_sub(1)) && word(Some(i + 1))) => out.push_str("\\_"),
            _ if Some(i) == marker || Some(i) == closing => {
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

    #[test]
    fn block_markers_only_count_where_a_line_starts() {
        // After other text on the line (`- at most 50: {reason}`), a `+` or `#` is text.
        assert_eq!(escape_inline("+ 4% fuel margin"), "+ 4% fuel margin");
        assert_eq!(escape_inline("# 1 site"), "# 1 site");
        assert_eq!(escape_inline("2024. A year"), "2024. A year");
        assert_eq!(escape_inline("[ref]: x"), "[ref]: x");
        // Everything else is as escaped as ever, a table-cell pipe included.
        assert_eq!(escape_inline("a | *b* <i>"), "a \\| \\*b\\* &lt;i>");
        assert_eq!(escape_inline("[x](javascript:y)"), "[x\\](javascript:y)");
        // A heading is never a table row: its pipes stay; its emphasis does not.
        assert_eq!(
            escape_heading("Gas | Mart | *Deli* - 2024."),
            "Gas | Mart | \\*Deli\\* - 2024."
        );
        assert_eq!(escape_heading("<img src=x>"), "&lt;img src=x>");
        // ... and a closing `#` run is kept as text.
        assert_eq!(escape_heading("Gas Station ##"), "Gas Station \\##");
        assert_eq!(escape_heading("##"), "\\##");
        assert_eq!(escape_heading("Station #1"), "Station #1");
        assert_eq!(escape_heading("C#"), "C#");
    }
}
