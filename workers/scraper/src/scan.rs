//! A streaming tag scanner: walks the start and end tags of an HTML page in source order
//! without building a tree, so the fast paths ([`crate::detail_fast`], [`crate::search`]) can
//! find the few elements that hold a listing and hand only those bytes to the DOM parser.
//!
//! It follows the tokenizer states of the HTML standard that decide where a tag is (WHATWG
//! HTML §13.2.5: data, tag open, end tag open, tag name, the attribute states, markup
//! declaration, comment, bogus comment, and the RAWTEXT/RCDATA/script-data/PLAINTEXT content
//! of `script`, `style`, `textarea`, `title`, `xmp`, `iframe`, `noembed`, `noframes`,
//! `noscript` and `plaintext`). It does not decode character references and does not run
//! tree construction; the callers only use it to locate byte ranges and hand anything they
//! read to html5ever (`scraper`), so text and entities come out exactly as on the DOM path.
//!
//! Where the scanner cannot be sure that it agrees with the DOM parser (a script holding
//! `<!--`, whose end the standard's script-data-escaped states decide), it sets
//! [`Scanner::uncertain`] and the caller falls back to the full DOM parse.

use std::ops::Range;

use std::sync::LazyLock;

use memchr::{memchr, memmem};

/// The end of a comment, searched from every `<!--` (pages hold thousands): built once
/// instead of per search.
static COMMENT_END: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"-->"));

/// The other end of a comment the tokenizer accepts (`--!>`), looked for before each `-->`.
static COMMENT_END_BANG: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"--!>"));

/// `name` lower-cased into `buf`, or `None` when longer than `buf` (no name the sets below
/// hold is that long), so a set of names is one `match` on bytes instead of a loop of
/// case-insensitive comparisons for every tag.
pub(crate) fn lower_name<'b>(name: &str, buf: &'b mut [u8; 16]) -> Option<&'b [u8]> {
    let out = buf.get_mut(..name.len())?;
    for (d, s) in out.iter_mut().zip(name.as_bytes()) {
        *d = s.to_ascii_lowercase();
    }
    Some(out)
}

/// One start tag: `<name attrs...>`.
#[derive(Debug, Clone)]
pub struct StartTag<'a> {
    /// The tag name as written (compare with `eq_ignore_ascii_case`).
    pub name: &'a str,
    /// Byte offset of the `<`.
    pub start: usize,
    /// Byte offset just after the closing `>` (or the input length when unterminated).
    pub end: usize,
    /// The raw attribute text between the name and `>`.
    attrs: &'a str,
    /// For raw-text elements (`script`, `style`, ...): the byte range of their content.
    pub raw_text: Option<Range<usize>>,
}

/// What the scanner yields.
#[derive(Debug, Clone)]
pub enum Token<'a> {
    /// A start tag (its raw text, if any, already skipped).
    Start(StartTag<'a>),
    /// An end tag `</name>`: name as written, byte offset just after its `>`.
    End {
        /// Tag name as written.
        name: &'a str,
        /// Byte offset after `>`.
        end: usize,
    },
}

/// HTML void elements: never have content or an end tag (WHATWG HTML §13.1.2).
pub fn is_void(name: &str) -> bool {
    let mut buf = [0u8; 16];
    matches!(
        lower_name(name, &mut buf),
        Some(
            b"area"
                | b"base"
                | b"br"
                | b"col"
                | b"embed"
                | b"hr"
                | b"img"
                | b"input"
                | b"link"
                | b"meta"
                | b"source"
                | b"track"
                | b"wbr"
                | b"param"
                | b"keygen"
                | b"basefont"
                | b"bgsound"
                | b"frame"
                | b"image"
        )
    )
}

/// Elements whose content the tokenizer reads as text up to their end tag, and whether that
/// content ends only at the end of input (`plaintext`).
fn raw_text_kind(name: &str) -> Option<bool> {
    let mut buf = [0u8; 16];
    match lower_name(name, &mut buf)? {
        b"plaintext" => Some(true),
        b"script" | b"style" | b"textarea" | b"title" | b"xmp" | b"iframe" | b"noembed"
        | b"noframes" | b"noscript" => Some(false),
        _ => None,
    }
}

fn is_html_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// Tokenizes the tags of an HTML document from a byte offset.
#[derive(Debug, Clone)]
pub struct Scanner<'a> {
    html: &'a str,
    pos: usize,
    /// Set when the scanner met markup whose tokenisation it does not model; results may then
    /// disagree with the DOM parser and the caller must fall back to it.
    pub uncertain: bool,
}

impl<'a> Scanner<'a> {
    /// A scanner over `html` starting at byte `pos` (which must be in the data state, e.g.
    /// 0 or just after a tag).
    pub fn new(html: &'a str, pos: usize) -> Self {
        Self {
            html,
            pos: pos.min(html.len()),
            uncertain: false,
        }
    }

    /// Current byte offset.
    pub fn pos(&self) -> usize {
        self.pos
    }

    fn bytes(&self) -> &'a [u8] {
        self.html.as_bytes()
    }

    /// Offset just after the first `>` at or after `from`, or the input length.
    fn after_gt(&self, from: usize) -> usize {
        let b = self.bytes();
        b.get(from..)
            .and_then(|s| memchr(b'>', s))
            .map_or(b.len(), |j| from + j + 1)
    }

    /// Byte offset after the `>` that ends the tag body starting at `from` (quotes respected,
    /// as in the attribute-value states), plus the offset of that `>` (input length when
    /// unterminated).
    fn tag_body_end(&self, from: usize) -> (usize, usize) {
        let b = self.bytes();
        let mut i = from;
        // Jump between the only bytes that matter (`>` and quotes). A quote opens a value
        // only when the last non-space byte before it is `=` (the attribute-value states).
        while let Some(j) = memchr::memchr3(b'>', b'"', b'\'', b.get(i..).unwrap_or(&[])) {
            let p = i + j;
            let q = b[p];
            if q == b'>' {
                return (p, p + 1);
            }
            let opens = b
                .get(from..p)
                .and_then(|s| s.iter().rev().find(|&&c| !is_html_space(c)))
                == Some(&b'=');
            if opens {
                match memchr(q, b.get(p + 1..).unwrap_or(&[])) {
                    Some(e) => i = p + 1 + e + 1,
                    None => return (b.len(), b.len()),
                }
            } else {
                i = p + 1;
            }
        }
        (b.len(), b.len())
    }

    /// Offset of the `<` of the end tag `</name` (followed by space, `/` or `>`) at or after
    /// `from`, case-insensitive (the input length when there is none), and whether a `<!--`
    /// starts before it. One pass from `<` to `<` finds both (they used to be two searches
    /// over every script body).
    fn raw_text_end(&self, from: usize, name: &str) -> (usize, bool) {
        let b = self.bytes();
        let mut i = from;
        let mut comment_open = false;
        while let Some(j) = b.get(i..).and_then(|s| memchr(b'<', s)).map(|j| i + j) {
            match b.get(j + 1) {
                Some(b'/') => {
                    let n = j + 2;
                    let after = n + name.len();
                    let matches_name = b
                        .get(n..after)
                        .is_some_and(|s| s.eq_ignore_ascii_case(name.as_bytes()));
                    let ends = b
                        .get(after)
                        .is_none_or(|&c| is_html_space(c) || c == b'/' || c == b'>');
                    if matches_name && ends {
                        return (j, comment_open);
                    }
                }
                Some(b'!') if b.get(j + 2..j + 4) == Some(b"--") => comment_open = true,
                _ => {}
            }
            i = j + 1;
        }
        (b.len(), comment_open)
    }

    fn start_tag(&mut self, lt: usize) -> StartTag<'a> {
        let b = self.bytes();
        let mut i = lt + 1;
        while i < b.len() && !is_html_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
            i += 1;
        }
        let name = self.html.get(lt + 1..i).unwrap_or("");
        let (gt, end) = self.tag_body_end(i);
        let attrs = self.html.get(i..gt).unwrap_or("");
        let mut tag = StartTag {
            name,
            start: lt,
            end,
            attrs,
            raw_text: None,
        };
        self.pos = end;
        if let Some(to_eof) = raw_text_kind(name) {
            let (close, comment_open) = if to_eof {
                (b.len(), false)
            } else {
                self.raw_text_end(end, name)
            };
            if comment_open && name.eq_ignore_ascii_case("script") {
                // Script-data-escaped states could move the end of this script.
                self.uncertain = true;
            }
            tag.raw_text = Some(end..close);
            self.pos = close;
        }
        tag
    }
}

impl<'a> Iterator for Scanner<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            let b = self.bytes();
            let lt = self.pos + memchr(b'<', b.get(self.pos..)?)?;
            let next = b.get(lt + 1).copied();
            match next {
                Some(c) if c.is_ascii_alphabetic() => {
                    return Some(Token::Start(self.start_tag(lt)))
                }
                Some(b'/') => match b.get(lt + 2).copied() {
                    Some(c) if c.is_ascii_alphabetic() => {
                        let mut i = lt + 2;
                        while i < b.len() && !is_html_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
                            i += 1;
                        }
                        let name = self.html.get(lt + 2..i).unwrap_or("");
                        let (_, end) = self.tag_body_end(i);
                        self.pos = end;
                        return Some(Token::End { name, end });
                    }
                    Some(b'>') => self.pos = lt + 3,
                    // `</` + other: bogus comment up to `>`.
                    Some(_) => self.pos = self.after_gt(lt + 2),
                    None => self.pos = b.len(),
                },
                Some(b'!') => {
                    if b.get(lt + 2..lt + 4) == Some(b"--") {
                        // Comment: `<!-->` and `<!--->` are empty; else up to `-->` or `--!>`.
                        let body = lt + 4;
                        if b.get(body) == Some(&b'>') {
                            self.pos = body + 1;
                        } else if b.get(body..body + 2) == Some(b"->") {
                            self.pos = body + 2;
                        } else {
                            // `--!>` only matters before the first `-->`: look no further
                            // (pages hold thousands of comments; never rescan to the end).
                            let a = b
                                .get(body..)
                                .and_then(|s| COMMENT_END.find(s))
                                .map_or(b.len(), |j| body + j);
                            let window = b.get(body..(a + 3).min(b.len())).unwrap_or(&[]);
                            self.pos = match COMMENT_END_BANG.find(window) {
                                Some(j) => body + j + 4,
                                None => (a + 3).min(b.len()),
                            };
                        }
                    } else {
                        // DOCTYPE, CDATA outside foreign content, bogus comments: up to `>`.
                        self.pos = self.after_gt(lt + 2);
                    }
                }
                Some(b'?') => self.pos = self.after_gt(lt + 2),
                // A lone `<` is text.
                _ => self.pos = lt + 1,
            }
        }
    }
}

impl<'a> StartTag<'a> {
    /// True when the tag name is `name` (ASCII case-insensitive, as the tokenizer lowercases).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The raw (undecoded) value of the first attribute called `name` (ASCII
    /// case-insensitive); `Some("")` for an attribute without a value.
    pub fn attr(&self, name: &str) -> Option<&'a str> {
        let a = self.attrs;
        let b = a.as_bytes();
        let mut i = 0;
        while i < b.len() {
            while i < b.len() && (is_html_space(b[i]) || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() {
                break;
            }
            // Attribute name: a leading `=` belongs to the name.
            let n0 = i;
            i += 1;
            while i < b.len() && !is_html_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
                i += 1;
            }
            let attr_name = a.get(n0..i).unwrap_or("");
            while i < b.len() && is_html_space(b[i]) {
                i += 1;
            }
            let mut value = "";
            if b.get(i) == Some(&b'=') {
                i += 1;
                while i < b.len() && is_html_space(b[i]) {
                    i += 1;
                }
                match b.get(i).copied() {
                    Some(q @ (b'"' | b'\'')) => {
                        let v0 = i + 1;
                        let v1 = memchr(q, b.get(v0..).unwrap_or(&[])).map_or(b.len(), |j| v0 + j);
                        value = a.get(v0..v1).unwrap_or("");
                        i = v1 + 1;
                    }
                    Some(_) => {
                        let v0 = i;
                        while i < b.len() && !is_html_space(b[i]) && b[i] != b'>' {
                            i += 1;
                        }
                        value = a.get(v0..i).unwrap_or("");
                    }
                    None => {}
                }
            }
            if attr_name.eq_ignore_ascii_case(name) {
                return Some(value);
            }
        }
        None
    }

    /// How the class list matches every one of `classes`: `Exact` when each is a token as
    /// written, `CaseOnly` when some only match ignoring ASCII case (a quirks-mode DOM would
    /// match them, a no-quirks one would not: the caller must not decide), `No` otherwise.
    pub fn class_match(&self, classes: &[&str]) -> Match {
        let Some(list) = self.attr("class") else {
            return Match::No;
        };
        if list.contains('&') {
            // A character reference could spell a class; only the DOM parser decodes it.
            return if classes
                .iter()
                .all(|c| memmem::find(list.as_bytes(), c.as_bytes()).is_some())
            {
                Match::CaseOnly
            } else {
                Match::No
            };
        }
        let mut result = Match::Exact;
        for c in classes {
            let mut tokens = list.split_ascii_whitespace();
            if tokens.clone().any(|t| t == *c) {
                continue;
            }
            if tokens.any(|t| t.eq_ignore_ascii_case(c)) {
                result = Match::CaseOnly;
            } else {
                return Match::No;
            }
        }
        result
    }

    /// How the attribute `name` matches `value` (see [`StartTag::class_match`]).
    pub fn attr_match(&self, name: &str, value: &str) -> Match {
        match self.attr(name) {
            Some(v) if v == value => Match::Exact,
            Some(v) if v.eq_ignore_ascii_case(value) || v.contains('&') => Match::CaseOnly,
            _ => Match::No,
        }
    }
}

/// Result of matching a tag against what a caller looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// Matches on the DOM path whatever the document's quirks mode.
    Exact,
    /// Matches only ignoring ASCII case, or behind a character reference: undecidable here.
    CaseOnly,
    /// Does not match.
    No,
}

/// Byte offset just after the end of the element whose start tag ends at `after_start`: the
/// matching end tag found by counting nested tags of the same name (input length when
/// unclosed). Where the DOM parser closes an element earlier (an implied end tag), this range
/// is longer than the element, never shorter: the caller parses the range and takes the first
/// element that matches.
pub fn element_end(html: &str, name: &str, after_start: usize) -> (usize, bool) {
    let mut s = Scanner::new(html, after_start);
    let mut depth = 1usize;
    while let Some(t) = s.next() {
        match t {
            Token::Start(st) if st.is(name) => depth += 1,
            Token::End { name: n, end } if n.eq_ignore_ascii_case(name) => {
                depth -= 1;
                if depth == 0 {
                    return (end, s.uncertain);
                }
            }
            _ => {}
        }
    }
    (html.len(), s.uncertain)
}

/// Raw text as the DOM parser delivers it: the input stream's CR and CRLF become LF and NUL
/// becomes U+FFFD (WHATWG HTML §13.2.3.5 preprocessing; the script-data state's NUL rule).
pub fn normalise_raw_text(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.bytes().any(|b| b == b'\r' || b == 0) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.replace("\r\n", "\n")
            .replace('\r', "\n")
            .replace('\0', "\u{FFFD}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(html: &str) -> Vec<(String, usize, usize)> {
        Scanner::new(html, 0)
            .filter_map(|t| match t {
                Token::Start(s) => Some((s.name.to_ascii_lowercase(), s.start, s.end)),
                Token::End { .. } => None,
            })
            .collect()
    }

    #[test]
    fn skips_comments_scripts_and_quoted_gt() {
        let html = r#"<!DOCTYPE html><!-- <p class="x"> --><div title="a>b" class='c d'>t</div><script>if (a<b) { x = "<p>"; }</script><P>x</P>"#;
        let names: Vec<String> = starts(html).into_iter().map(|s| s.0).collect();
        assert_eq!(names, ["div", "script", "p"]);
        let div = Scanner::new(html, 0)
            .find_map(|t| match t {
                Token::Start(s) if s.is("div") => Some(s),
                _ => None,
            })
            .unwrap();
        assert_eq!(div.attr("title"), Some("a>b"));
        assert_eq!(div.attr("CLASS"), Some("c d"));
        assert_eq!(div.class_match(&["d", "c"]), Match::Exact);
        assert_eq!(div.class_match(&["C"]), Match::CaseOnly);
        assert_eq!(div.class_match(&["e"]), Match::No);
        let (end, unsure) = element_end(html, "div", div.end);
        assert_eq!(
            &html[div.start..end],
            r#"<div title="a>b" class='c d'>t</div>"#
        );
        assert!(!unsure);
    }

    #[test]
    fn comment_ends() {
        let names = |h: &str| -> Vec<String> { starts(h).into_iter().map(|s| s.0).collect() };
        assert_eq!(
            names("<!--x--!><a><!----><b><!--><c><!---><d><!-- <e> -->"),
            ["a", "b", "c", "d"]
        );
        assert_eq!(names("<!-- never closed <a>"), Vec::<String>::new());
    }

    #[test]
    fn nested_same_name_and_unclosed() {
        let html = "<dl a><dl><dt>x</dt></dl><dd>y</DL >tail";
        let (end, _) = element_end(html, "dl", 6);
        assert_eq!(&html[..end], "<dl a><dl><dt>x</dt></dl><dd>y</DL >");
        let (end, _) = element_end("<p>open", "p", 3);
        assert_eq!(end, 7);
    }

    #[test]
    fn script_with_comment_open_is_uncertain() {
        let mut s = Scanner::new("<script><!-- <script></script> --></script><p>", 0);
        for _ in s.by_ref() {}
        assert!(s.uncertain);
    }

    #[test]
    fn unterminated_input_never_panics() {
        for html in [
            "<",
            "</",
            "<a",
            "<a b='",
            "<!--",
            "<!",
            "<script>x",
            "</x",
            "<a b=\"c",
        ] {
            let _ = starts(html);
        }
    }
}
