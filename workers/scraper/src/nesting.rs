//! A linear guard against pages that nest elements thousands deep.
//!
//! html5ever (under the `scraper` crate) checks the stack of open elements on every tag, so a
//! page of 40,000 nested `<ul><li>` takes time in the square of its depth: a 320 KB file held
//! the inbox (and, in `gsa up`, the whole process) for 45 s in a break-it trial. Real
//! BizBuySell pages nest a few dozen levels. [`max_depth`] counts the nesting from the tags
//! alone, in one pass, so such a page is rejected before any tree is built.

/// Deepest nesting (see [`max_depth`]) a page may reach before it is rejected unparsed. Real
/// pages in `testdata/` reach under 100 by this count; at this depth a tree builds in well
/// under a second.
pub const MAX_DEPTH: usize = 1_500;

/// Elements that never have content, so never nest (HTML Living Standard §13.1.2, "void
/// elements").
const VOID: &[&[u8]] = &[
    b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta", b"param",
    b"source", b"track", b"wbr",
];

/// Elements whose content is raw text up to their end tag ("<" inside is not a tag).
const RAW_TEXT: &[&[u8]] = &[b"script", b"style", b"textarea", b"title"];

/// The deepest nesting the page's tags reach, counting each start tag as one level down and
/// each end tag as one up (void and self-closing tags, comments, doctype and raw-text content
/// do not count), stopping as soon as it passes `stop_at`. An upper bound of the tree's
/// depth: the parser closes some elements implicitly (`<p>`, `<li>`), this count does not.
///
/// One pass over the bytes; no allocation.
pub fn max_depth(html: &str, stop_at: usize) -> usize {
    let b = html.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while let Some(off) = b.get(i..).and_then(|rest| memchr::memchr(b'<', rest)) {
        let p = i + off + 1;
        i = p;
        match b.get(p) {
            Some(b'/') => {
                depth = depth.saturating_sub(1);
                i = after_gt(b, p);
            }
            Some(b'!') => {
                i = if b.get(p..p + 3) == Some(b"!--") {
                    memchr::memmem::find(b.get(p + 3..).unwrap_or_default(), b"-->")
                        .map_or(b.len(), |e| p + 3 + e + 3)
                } else {
                    after_gt(b, p)
                };
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let end = b
                    .get(p..)
                    .and_then(|t| t.iter().position(|c| !c.is_ascii_alphanumeric()))
                    .map_or(b.len(), |e| p + e);
                let name = b.get(p..end).unwrap_or_default();
                let gt = after_gt(b, end);
                i = gt;
                let self_closing = gt >= 2 && b.get(gt - 2) == Some(&b'/');
                if self_closing || VOID.iter().any(|v| v.eq_ignore_ascii_case(name)) {
                    continue;
                }
                if RAW_TEXT.iter().any(|r| r.eq_ignore_ascii_case(name)) {
                    // Skip to the matching end tag (or the end of the page).
                    i = find_end_tag(b, gt, name).unwrap_or(b.len());
                    continue;
                }
                depth += 1;
                if depth > max {
                    max = depth;
                    if max > stop_at {
                        return max;
                    }
                }
            }
            _ => {}
        }
    }
    max
}

/// The index after the next `>` at or after `from` (the end of the page when there is none).
fn after_gt(b: &[u8], from: usize) -> usize {
    b.get(from..)
        .and_then(|t| memchr::memchr(b'>', t))
        .map_or(b.len(), |e| from + e + 1)
}

/// The index of `</name` (ASCII case-insensitive) at or after `from`.
fn find_end_tag(b: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    loop {
        let off = memchr::memmem::find(b.get(i..)?, b"</")?;
        let at = i + off;
        let tag = b.get(at + 2..at + 2 + name.len())?;
        if tag.eq_ignore_ascii_case(name) {
            return Some(at);
        }
        i = at + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_nesting_not_tags() {
        assert_eq!(
            max_depth("<html><body><p>a</p><p>b</p></body></html>", 100),
            3
        );
        assert_eq!(max_depth("<div><br><img src=x><hr/><x-y/></div>", 100), 1);
        assert_eq!(
            max_depth(
                "<div><!-- <a><a><a> --><script>if (a<b) x='<i>'</script></div>",
                100
            ),
            1
        );
        let deep = format!("<html><body>{}x</body></html>", "<ul><li>".repeat(40_000));
        assert!(max_depth(&deep, MAX_DEPTH) > MAX_DEPTH);
        // Cut-off and stray input never panics.
        for s in ["<", "</", "<!--", "<a", "<script>", "<!doctype", "</a><b"] {
            max_depth(s, 10);
        }
    }
}
