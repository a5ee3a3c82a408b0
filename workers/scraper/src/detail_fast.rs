//! The detail-page hot path: one streaming pass over the tags ([`crate::scan`]) finds the few
//! elements that hold a listing — the JSON-LD scripts, the canonical link, `h1.bfsTitle`, the
//! header location span, the `p.m-listing-row` figures, the `dl.listingProfile_details`
//! blocks, `div.businessDescription` and the seller-financing badge — and only those
//! elements (about 10-20 KB of a 250 KB page) are parsed by html5ever, with the same
//! selectors and text rules as the full-DOM path ([`crate::detail::parse_detail_dom`]).
//!
//! Why not build the whole tree: on real detail pages ~90 % of the bytes are scripts, styles,
//! broker cards, similar listings and navigation. html5ever on the full page costs a few ms;
//! the scan runs at memchr speed between tags and never tokenizes script bodies.
//!
//! Why html5ever on the slices instead of decoding text here: the sliced elements come out
//! with the DOM path's entity decoding, whitespace and implied-end-tag rules for free, so the
//! two paths give the same listing (checked field by field on every real page in
//! `tests/parity.rs`).
//!
//! [`parts`] returns `None` — and the caller parses the full DOM — whenever the page is not
//! the 2025/2026 layout it knows (no `h1.bfsTitle`, no `p.m-listing-row`, no header location
//! span), or when the scanner cannot be sure it agrees with html5ever (a class that matches
//! only ignoring case, which depends on the document's quirks mode; a script holding `<!--`;
//! a `<table>` inside a sliced block, where html5ever may ignore an end tag).

use std::ops::Range;

use scraper::{ElementRef, Html};

use crate::detail::{
    badge_from, canonical_from, description_from, dl_pairs, financial_rows, push_json_ld, Parts,
};
use crate::dom::{first, text_inline};
use crate::location::parse_location;
use crate::scan::{
    element_end, is_void, lower_name, normalise_raw_text, Match, Scanner, StartTag, Token,
};

/// Byte ranges of the elements the detail page's fields come from, in document order.
#[derive(Debug, Default)]
struct Found {
    json_ld: Vec<Range<usize>>,
    canonical: Option<Range<usize>>,
    og_property: Option<Range<usize>>,
    og_name: Option<Range<usize>>,
    h1: Option<Range<usize>>,
    header: Option<Range<usize>>,
    rows: Vec<Range<usize>>,
    dls: Vec<Range<usize>>,
    description: Option<Range<usize>>,
    badge_parents: Vec<Range<usize>>,
}

/// Tag names whose start closes an open `p` (WHATWG HTML §13.2.6.4.7, "in body"); used
/// only to keep the open-element stack close enough to find a badge's parent.
fn closes_p(name: &str) -> bool {
    let mut buf = [0u8; 16];
    matches!(
        lower_name(name, &mut buf),
        Some(
            b"address"
                | b"article"
                | b"aside"
                | b"blockquote"
                | b"center"
                | b"details"
                | b"dialog"
                | b"dir"
                | b"div"
                | b"dl"
                | b"fieldset"
                | b"figcaption"
                | b"figure"
                | b"footer"
                | b"form"
                | b"h1"
                | b"h2"
                | b"h3"
                | b"h4"
                | b"h5"
                | b"h6"
                | b"header"
                | b"hgroup"
                | b"hr"
                | b"main"
                | b"menu"
                | b"nav"
                | b"ol"
                | b"p"
                | b"pre"
                | b"section"
                | b"summary"
                | b"table"
                | b"ul"
                | b"li"
                | b"dd"
                | b"dt"
        )
    )
}

/// What a tag test says: take it, skip it, or give up on the fast path.
enum Verdict {
    Take,
    Skip,
    Unsure,
}

fn verdict(m: Match) -> Verdict {
    match m {
        Match::Exact => Verdict::Take,
        Match::No => Verdict::Skip,
        Match::CaseOnly => Verdict::Unsure,
    }
}

/// The element that starts with `tag`, as a byte range (see [`element_end`]).
fn element(html: &str, tag: &StartTag<'_>) -> Option<Range<usize>> {
    let (end, unsure) = element_end(html, tag.name, tag.end);
    (!unsure).then_some(tag.start..end)
}

/// One pass over the page's tags. `None` when something is undecidable here.
fn find(html: &str) -> Option<Found> {
    let mut f = Found::default();
    let mut scanner = Scanner::new(html, 0);
    // Open elements (name, start offset): only to name a badge's parent.
    let mut stack: Vec<(&str, usize)> = Vec::new();
    for tok in scanner.by_ref() {
        let t = match tok {
            Token::Start(t) => t,
            Token::End { name, .. } => {
                if let Some(i) = stack
                    .iter()
                    .rposition(|(n, _)| n.eq_ignore_ascii_case(name))
                {
                    stack.truncate(i);
                }
                continue;
            }
        };
        let name = t.name;
        // The cheap test first: most tags are not opened inside a `p`.
        if stack
            .last()
            .is_some_and(|(n, _)| n.eq_ignore_ascii_case("p"))
            && closes_p(name)
        {
            stack.pop();
        }
        let first_lower = name.as_bytes().first().map(u8::to_ascii_lowercase);
        match first_lower {
            Some(b's') if t.is("script") => {
                match verdict(t.attr_match("type", "application/ld+json")) {
                    Verdict::Take => f.json_ld.push(t.raw_text.clone()?),
                    Verdict::Unsure => return None,
                    Verdict::Skip => {}
                }
            }
            Some(b's') if t.is("span") && f.header.is_none() => {
                match verdict(t.class_match(&["f-l", "cs-800", "opacity-70"])) {
                    Verdict::Take => f.header = Some(element(html, &t)?),
                    Verdict::Unsure => return None,
                    Verdict::Skip => {}
                }
            }
            Some(b'l') if t.is("link") && f.canonical.is_none() => {
                match verdict(t.attr_match("rel", "canonical")) {
                    Verdict::Take => f.canonical = Some(t.start..t.end),
                    Verdict::Unsure => return None,
                    Verdict::Skip => {}
                }
            }
            Some(b'm') if t.is("meta") => {
                if f.og_property.is_none() {
                    match verdict(t.attr_match("property", "og:url")) {
                        Verdict::Take => f.og_property = Some(t.start..t.end),
                        Verdict::Unsure => return None,
                        Verdict::Skip => {}
                    }
                }
                if f.og_name.is_none() {
                    match verdict(t.attr_match("name", "og:url")) {
                        Verdict::Take => f.og_name = Some(t.start..t.end),
                        Verdict::Unsure => return None,
                        Verdict::Skip => {}
                    }
                }
            }
            Some(b'h') if t.is("h1") && f.h1.is_none() => {
                match verdict(t.class_match(&["bfsTitle"])) {
                    Verdict::Take => f.h1 = Some(element(html, &t)?),
                    Verdict::Unsure => return None,
                    Verdict::Skip => {}
                }
            }
            Some(b'p') if t.is("p") => match verdict(t.class_match(&["m-listing-row"])) {
                Verdict::Take => f.rows.push(element(html, &t)?),
                Verdict::Unsure => return None,
                Verdict::Skip => {}
            },
            Some(b'd') if t.is("dl") => match verdict(t.class_match(&["listingProfile_details"])) {
                Verdict::Take => f.dls.push(element(html, &t)?),
                Verdict::Unsure => return None,
                Verdict::Skip => {}
            },
            Some(b'd') if t.is("div") && f.description.is_none() => {
                match verdict(t.class_match(&["businessDescription"])) {
                    Verdict::Take => f.description = Some(element(html, &t)?),
                    Verdict::Unsure => return None,
                    Verdict::Skip => {}
                }
            }
            Some(b'i') if t.is("i") => match verdict(t.class_match(&["bbs-rent-special"])) {
                Verdict::Take => {
                    // The parent is sliced whole; html5ever then names the true parent inside
                    // it. No open element: undecidable here.
                    let &(pname, pstart) = stack.last()?;
                    let (end, unsure) = element_end(html, pname, find_tag_end(html, pstart)?);
                    if unsure {
                        return None;
                    }
                    f.badge_parents.push(pstart..end);
                }
                Verdict::Unsure => return None,
                Verdict::Skip => {}
            },
            _ => {}
        }
        if t.raw_text.is_none() && !is_void(name) {
            stack.push((name, t.start));
        }
    }
    if scanner.uncertain {
        return None;
    }
    Some(f)
}

/// Offset after the `>` of the start tag at `start`.
fn find_tag_end(html: &str, start: usize) -> Option<usize> {
    match Scanner::new(html, start).next()? {
        Token::Start(t) if t.start == start => Some(t.end),
        _ => None,
    }
}

/// A sliced element parsed on its own, or `None` when the slice holds a `<table>` (inside
/// one, html5ever may ignore an end tag the scanner counted, so the slice could be short).
fn fragment(html: &str, r: &Range<usize>) -> Option<Html> {
    let s = html.get(r.clone())?;
    if memchr::memmem::find(s.as_bytes(), b"<table").is_some()
        || memchr::memmem::find(s.as_bytes(), b"<TABLE").is_some()
    {
        return None;
    }
    Some(Html::parse_fragment(s))
}

/// First element matching `css` in a parsed slice.
fn first_in<'a>(doc: &'a Html, css: &str) -> Option<ElementRef<'a>> {
    first(doc.root_element(), css)
}

/// The detail page's [`Parts`] read through the streaming scan, or `None` when this page
/// needs the full DOM (see the module docs).
pub(crate) fn parts(html: &str) -> Option<Parts> {
    let f = find(html)?;
    // The layout this path knows; anything else takes the DOM path and its fallbacks
    // (`.financials p` rows, `.listingProfile h1`, `.listingProfile ~ * span.f-l`).
    if f.h1.is_none() || f.rows.is_empty() || f.header.is_none() {
        return None;
    }

    let mut nodes = Vec::new();
    for r in &f.json_ld {
        push_json_ld(&normalise_raw_text(html.get(r.clone())?), &mut nodes);
    }

    let row_docs: Vec<Html> = f
        .rows
        .iter()
        .map(|r| fragment(html, r))
        .collect::<Option<_>>()?;
    let rows = financial_rows(
        row_docs
            .iter()
            .filter_map(|d| first_in(d, "p.m-listing-row")),
    );

    let dl_docs: Vec<Html> = f
        .dls
        .iter()
        .map(|r| fragment(html, r))
        .collect::<Option<_>>()?;
    let details = dl_pairs(
        dl_docs
            .iter()
            .filter_map(|d| first_in(d, "dl.listingProfile_details")),
    );

    let h1_doc = fragment(html, f.h1.as_ref()?)?;
    let h1 = first_in(&h1_doc, "h1.bfsTitle").map(text_inline);

    let head_doc = fragment(html, f.header.as_ref()?)?;
    let header_loc = first_in(&head_doc, "span.f-l.cs-800.opacity-70")
        .map(|e| parse_location(&text_inline(e)))
        .unwrap_or_default();

    let tag_doc = |r: &Option<Range<usize>>| r.as_ref().and_then(|r| fragment(html, r));
    let (link, og_p, og_n) = (
        tag_doc(&f.canonical),
        tag_doc(&f.og_property),
        tag_doc(&f.og_name),
    );
    let canonical = canonical_from(
        link.as_ref()
            .and_then(|d| first_in(d, r#"link[rel="canonical"]"#)),
        og_p.as_ref()
            .and_then(|d| first_in(d, r#"meta[property="og:url"]"#)),
        og_n.as_ref()
            .and_then(|d| first_in(d, r#"meta[name="og:url"]"#)),
    );

    let description = match &f.description {
        Some(r) => {
            let doc = fragment(html, r)?;
            first_in(&doc, "div.businessDescription").and_then(description_from)
        }
        None => None,
    };

    let badge_docs: Vec<Html> = f
        .badge_parents
        .iter()
        .map(|r| fragment(html, r))
        .collect::<Option<_>>()?;
    let mut badges = Vec::new();
    for d in &badge_docs {
        let found = crate::dom::all(d.root_element(), "i.bbs-rent-special");
        if found.is_empty() {
            return None;
        }
        badges.extend(found);
    }
    let badge = badge_from(badges);

    Some(Parts {
        nodes,
        rows,
        details,
        h1,
        canonical,
        header_loc,
        description,
        badge,
    })
}
