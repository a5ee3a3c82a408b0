//! Small helpers over the `scraper` DOM: visible text with line breaks, label normalisation.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use scraper::{ElementRef, Node, Selector};

/// Compiles a selector known at compile time. All selectors in this crate are literals, so a
/// failure is a programming error caught by the unit tests; it still never panics: an invalid
/// selector matches nothing.
pub fn sel(css: &str) -> Option<Selector> {
    Selector::parse(css).ok()
}

thread_local! {
    /// Selectors compiled once per thread and reused: the detail fast path looks up ~40
    /// selectors per page, and compiling one (`Selector::parse`) costs more than matching it
    /// against a sliced element. Keys are this crate's selector literals, so the map stays
    /// small; an invalid selector is remembered as `None`.
    static SELECTORS: RefCell<HashMap<String, Option<Rc<Selector>>>> =
        RefCell::new(HashMap::new());
}

/// [`sel`], compiled once per thread and then taken from the cache.
fn cached(css: &str) -> Option<Rc<Selector>> {
    SELECTORS.with(|cache| {
        if let Some(s) = cache.borrow().get(css) {
            return s.clone();
        }
        let s = sel(css).map(Rc::new);
        cache.borrow_mut().insert(css.to_string(), s.clone());
        s
    })
}

/// First element under `root` matching `css`.
pub fn first<'a>(root: ElementRef<'a>, css: &str) -> Option<ElementRef<'a>> {
    let s = cached(css)?;
    root.select(&s).next()
}

/// All elements under `root` matching `css`.
pub fn all<'a>(root: ElementRef<'a>, css: &str) -> Vec<ElementRef<'a>> {
    match cached(css) {
        Some(s) => root.select(&s).collect(),
        None => Vec::new(),
    }
}

fn has_class(el: &ElementRef<'_>, class: &str) -> bool {
    el.value().classes().any(|c| c == class)
}

/// Visible text of an element the way a browser lays it out: runs of whitespace collapse to
/// one space, `<br>` and block elements (`p`, `div`, `li`, `dd`, `dt`, `h1`-`h6`, `tr`) start a
/// new line, `script`/`style`/`noscript` and tooltip `span.help` (BizBuySell's `aria-label`
/// help icons) are skipped. Lines are trimmed; runs of more than one blank line collapse to one;
/// leading/trailing blank lines are dropped.
pub fn text_lines(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    walk(el, &mut out, &|_| false);
    tidy(&out)
}

/// Like [`text_lines`] but also skips child elements for which `skip` is true.
pub fn text_lines_skipping(el: ElementRef<'_>, skip: &dyn Fn(&ElementRef<'_>) -> bool) -> String {
    let mut out = String::new();
    walk(el, &mut out, skip);
    tidy(&out)
}

/// Text of an element on one line (whitespace collapsed, help tooltips skipped).
pub fn text_inline(el: ElementRef<'_>) -> String {
    collapse(&text_lines(el))
}

/// Collapses all whitespace (including newlines) to single spaces and trims.
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn walk(el: ElementRef<'_>, out: &mut String, skip: &dyn Fn(&ElementRef<'_>) -> bool) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => {
                // HTML whitespace collapsing: newlines in source are spaces.
                let mut last_space = out.ends_with(' ') || out.ends_with('\n') || out.is_empty();
                for c in t.chars() {
                    if c.is_whitespace() {
                        if !last_space {
                            out.push(' ');
                            last_space = true;
                        }
                    } else {
                        out.push(c);
                        last_space = false;
                    }
                }
            }
            Node::Element(e) => {
                let Some(child_el) = ElementRef::wrap(child) else {
                    continue;
                };
                let name = e.name();
                if matches!(name, "script" | "style" | "noscript" | "template")
                    || (name == "span" && has_class(&child_el, "help"))
                    || skip(&child_el)
                {
                    continue;
                }
                if name == "br" {
                    out.push('\n');
                    continue;
                }
                let block = matches!(
                    name,
                    "p" | "div"
                        | "li"
                        | "ul"
                        | "ol"
                        | "dd"
                        | "dt"
                        | "tr"
                        | "h1"
                        | "h2"
                        | "h3"
                        | "h4"
                        | "h5"
                        | "h6"
                        | "section"
                        | "article"
                );
                if block && !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                walk(child_el, out, skip);
                if block && !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            _ => {}
        }
    }
}

/// Trims every line, collapses blank-line runs, trims the whole text.
pub fn tidy(s: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for line in s.lines() {
        let l = line.trim();
        if l.is_empty() && lines.last().is_none_or(|p: &&str| p.is_empty()) {
            continue;
        }
        lines.push(l);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// Normalises a label for lookup: lower-case, whitespace collapsed, trailing `:` removed,
/// `&amp;` already decoded by the parser. `"Cash Flow (SDE):"` -> `"cash flow (sde)"`.
pub fn norm_label(s: &str) -> String {
    collapse(s)
        .trim()
        .trim_end_matches(':')
        .trim()
        .to_lowercase()
}
