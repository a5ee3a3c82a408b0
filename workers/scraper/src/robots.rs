//! A small robots.txt parser and matcher following RFC 9309 (Robots Exclusion Protocol).
//!
//! * Groups start with one or more `user-agent` lines; the crawler obeys the group(s) whose
//!   user agent equals its product token (case-insensitively, RFC 9309 §2.2.1), and only when
//!   none does, the `*` group(s). Several matching groups are combined (§2.2.1).
//! * `allow` / `disallow` rules match the URL's path (and query) as prefixes, with `*` (any
//!   characters) and `$` (end of path) special characters (§2.2.3); the most specific rule
//!   (longest pattern in octets) wins, and `allow` wins a tie (§2.2.2). An empty `disallow`
//!   value is no rule.
//! * `/robots.txt` itself is always allowed (§2.2.2).
//! * Only the first [`MAX_BYTES`] of the file are parsed (§2.5: at least 500 KiB).
//! * What a fetch outcome means is [`Robots::from_status`]: 2xx is parsed; 4xx "unavailable"
//!   allows everything; 5xx or a network failure "unreachable" disallows everything (§2.3.1.3,
//!   §2.3.1.4).
//! * `crawl-delay` (not in RFC 9309, but widely used) is read as seconds between requests.
//!
//! No input panics: every line is parsed leniently and unknown keys are ignored.

/// How much of a robots.txt is parsed, in bytes (RFC 9309 §2.5 asks for at least 500 kibibytes).
pub const MAX_BYTES: usize = 512 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    allow: bool,
    pattern: String,
}

#[derive(Debug, Clone, Default)]
struct Group {
    agents: Vec<String>,
    rules: Vec<Rule>,
    crawl_delay: Option<f64>,
}

/// The rules of one site's robots.txt that apply to one user-agent product token.
#[derive(Debug, Clone, PartialEq)]
pub struct Robots {
    rules: Vec<Rule>,
    /// `None`: a normal file; `Some(true)`: everything allowed; `Some(false)`: nothing allowed.
    blanket: Option<bool>,
    crawl_delay: Option<f64>,
}

impl Robots {
    /// Everything allowed (no robots.txt, or RFC 9309 §2.3.1.3 "unavailable": HTTP 4xx).
    pub fn allow_all() -> Self {
        Self {
            rules: Vec::new(),
            blanket: Some(true),
            crawl_delay: None,
        }
    }

    /// Nothing allowed (RFC 9309 §2.3.1.4 "unreachable": HTTP 5xx or a network error).
    pub fn disallow_all() -> Self {
        Self {
            rules: Vec::new(),
            blanket: Some(false),
            crawl_delay: None,
        }
    }

    /// The rules for a fetch of `/robots.txt` that ended with HTTP `status` (after redirects)
    /// and `body`: 2xx parses the body, 4xx allows everything, anything else disallows
    /// everything (RFC 9309 §2.3.1).
    pub fn from_status(status: u16, body: &[u8], product_token: &str) -> Self {
        match status {
            200..=299 => Self::parse(&String::from_utf8_lossy(body), product_token),
            400..=499 => Self::allow_all(),
            _ => Self::disallow_all(),
        }
    }

    /// Parses a robots.txt and keeps the rules for `product_token` (e.g. `gsa`), or the `*`
    /// group(s) when no group names it.
    pub fn parse(text: &str, product_token: &str) -> Self {
        let text = truncate_at_char_boundary(text, MAX_BYTES);
        let token = product_token.trim().to_ascii_lowercase();
        let mut groups: Vec<Group> = Vec::new();
        let mut current: Option<Group> = None;
        let mut in_agents = false;
        for raw in text.lines() {
            let line = raw.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if !in_agents {
                        if let Some(g) = current.take() {
                            groups.push(g);
                        }
                        current = Some(Group::default());
                        in_agents = true;
                    }
                    if let Some(g) = current.as_mut() {
                        g.agents.push(agent_token(value));
                    }
                }
                "allow" | "disallow" => {
                    in_agents = false;
                    // Rules before any user-agent line belong to no group (RFC 9309 §2.1).
                    let Some(g) = current.as_mut() else { continue };
                    if value.is_empty() {
                        continue;
                    }
                    g.rules.push(Rule {
                        allow: key == "allow",
                        pattern: normalise(value),
                    });
                }
                "crawl-delay" => {
                    in_agents = false;
                    if let Some(g) = current.as_mut() {
                        g.crawl_delay = value
                            .parse::<f64>()
                            .ok()
                            .filter(|d| d.is_finite() && *d >= 0.0);
                    }
                }
                _ => {
                    // Sitemap and other records do not end a user-agent run's group.
                }
            }
        }
        if let Some(g) = current.take() {
            groups.push(g);
        }
        let named: Vec<&Group> = groups
            .iter()
            .filter(|g| g.agents.contains(&token))
            .collect();
        let chosen: Vec<&Group> = if named.is_empty() {
            groups
                .iter()
                .filter(|g| g.agents.iter().any(|a| a == "*"))
                .collect()
        } else {
            named
        };
        Self {
            rules: chosen
                .iter()
                .flat_map(|g| g.rules.iter().cloned())
                .collect(),
            blanket: None,
            crawl_delay: chosen.iter().filter_map(|g| g.crawl_delay).reduce(f64::max),
        }
    }

    /// Whether `path_and_query` (e.g. `/businesses-for-sale/2/?q=x`) may be fetched.
    pub fn allowed(&self, path_and_query: &str) -> bool {
        let path = normalise(if path_and_query.is_empty() {
            "/"
        } else {
            path_and_query
        });
        if path == "/robots.txt" {
            return true;
        }
        if let Some(b) = self.blanket {
            return b;
        }
        let mut best: Option<(usize, bool)> = None;
        for r in &self.rules {
            if !matches(&r.pattern, &path) {
                continue;
            }
            let len = r.pattern.len();
            best = match best {
                Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                _ => Some((len, r.allow)),
            };
        }
        best.is_none_or(|(_, allow)| allow)
    }

    /// The `crawl-delay` of the applying group(s), in seconds (the largest when several).
    pub fn crawl_delay(&self) -> Option<f64> {
        self.crawl_delay
    }
}

/// The product token of a `user-agent` value: `gsa/0.1 (+url)` -> `gsa`, lower-case.
fn agent_token(value: &str) -> String {
    value
        .split(|c: char| c == '/' || c.is_whitespace())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn truncate_at_char_boundary(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Percent-encodes non-ASCII characters and upper-cases existing `%xx` escapes, so a pattern
/// and a URL path compare octet by octet (RFC 9309 §2.2.2).
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            out.push('%');
            out.push(char::from(bytes[i + 1]).to_ascii_uppercase());
            out.push(char::from(bytes[i + 2]).to_ascii_uppercase());
            i += 3;
        } else if b.is_ascii() {
            out.push(char::from(b));
            i += 1;
        } else {
            out.push_str(&format!("%{b:02X}"));
            i += 1;
        }
    }
    out
}

/// RFC 9309 §2.2.3 matching: `pattern` matches a prefix of `path`; `*` matches any sequence of
/// characters and a final `$` anchors the pattern at the end of the path.
fn matches(pattern: &str, path: &str) -> bool {
    let (pat, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let mut parts = pat.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = path.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return !anchored || rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(p) => rest = &rest[p + part.len()..],
            None => return false,
        }
    }
    if anchored {
        rest.ends_with(last)
    } else {
        rest.contains(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9309_examples_longest_match_and_allow_wins_ties() {
        // RFC 9309 §5.2 examples.
        let r = Robots::parse(
            "User-Agent: *\nDisallow: *.gif$\nDisallow: /example/\nAllow: /publications/\n",
            "gsa",
        );
        assert!(!r.allowed("/example/page.html"));
        assert!(!r.allowed("/img/x.gif"));
        assert!(r.allowed("/img/x.gif?size=1"));
        assert!(r.allowed("/publications/"));
        let r = Robots::parse(
            "User-agent: *\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n",
            "gsa",
        );
        assert!(r.allowed("/example/page/"));
        assert!(!r.allowed("/example/page/disallowed.gif"));
        let tie = Robots::parse("User-agent: *\nDisallow: /a\nAllow: /a\n", "gsa");
        assert!(tie.allowed("/a/b"));
        assert!(Robots::parse("User-agent: *\nDisallow: /\n", "gsa").allowed("/robots.txt"));
    }

    #[test]
    fn named_group_wins_over_star_and_groups_combine() {
        let text = "user-agent: other\ndisallow: /\n\nUser-Agent: GSA\nUser-agent: x\nDisallow: /private/\nCrawl-delay: 5\n\nuser-agent: *\ndisallow: /\n\nUser-agent: gsa/2.0\nDisallow: /tmp # comment\n";
        let r = Robots::parse(text, "gsa");
        assert!(r.allowed("/businesses-for-sale/"));
        assert!(!r.allowed("/private/x"));
        assert!(!r.allowed("/tmp/y"));
        assert_eq!(r.crawl_delay(), Some(5.0));
        let other = Robots::parse(text, "bot");
        assert!(!other.allowed("/businesses-for-sale/"));
        // No group at all, or an empty disallow: everything allowed.
        assert!(Robots::parse("", "gsa").allowed("/x"));
        assert!(Robots::parse("User-agent: *\nDisallow:\n", "gsa").allowed("/x"));
    }

    #[test]
    fn status_rules_and_garbage() {
        assert!(Robots::from_status(404, b"", "gsa").allowed("/x"));
        assert!(!Robots::from_status(503, b"", "gsa").allowed("/x"));
        assert!(!Robots::from_status(200, b"User-agent: *\nDisallow: /x", "gsa").allowed("/x"));
        let g = Robots::parse(
            "\u{0}\u{ff}:::\nDisallow /\n*$*:\nuser-agent\n%zz: %",
            "gsa",
        );
        assert!(g.allowed("/x"));
        assert!(matches("/a*", "/a"));
        assert!(matches("/a*b$", "/axxb"));
        assert!(!matches("/a*b$", "/axxbc"));
        assert!(!matches("/a*b*b$", "/ab"));
        assert!(matches("/%C3%A9", &normalise("/é")));
        assert!(matches(&normalise("/%c3%a9"), &normalise("/%C3%A9x")));
    }
}
