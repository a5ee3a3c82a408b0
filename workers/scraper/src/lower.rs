//! Lower-casing a page to look for ASCII markers in it, at memory speed.
//!
//! Every marker the parsers and the block detector look for is ASCII. `str::to_lowercase`
//! walks the Unicode case tables for a 250 KB-1 MB page; `to_ascii_lowercase` does not, and
//! finds exactly the same ASCII needles unless the text holds one of the two characters whose
//! Unicode lower case contains an ASCII letter (U+0130 `İ` -> `i̇`, U+212A KELVIN SIGN -> `k`;
//! the unit test below proves there are no others), in which case the Unicode form is used.

/// `s` lower-cased so that any ASCII needle is found in it exactly when it is found in
/// `s.to_lowercase()`.
pub fn lowercase_for_search(s: &str) -> String {
    ascii_lowercase_if_exact(s).unwrap_or_else(|| s.to_lowercase())
}

/// `s.to_ascii_lowercase()` when that finds the same ASCII needles as `s.to_lowercase()`
/// (always, unless `s` holds U+0130 or U+212A); `None` otherwise. The result has the same
/// characters, one for one, so a character prefix of it is the lower-cased prefix of `s`.
pub fn ascii_lowercase_if_exact(s: &str) -> Option<String> {
    // Byte search for the two characters' UTF-8 forms: no per-char decoding of the page.
    let b = s.as_bytes();
    if memchr::memmem::find(b, "\u{130}".as_bytes()).is_some()
        || memchr::memmem::find(b, "\u{212A}".as_bytes()).is_some()
    {
        return None;
    }
    Some(s.to_ascii_lowercase())
}

/// The first `n` characters of `s` (all of it when shorter), found by counting UTF-8 lead
/// bytes instead of decoding every character.
pub fn char_prefix(s: &str, n: usize) -> &str {
    let b = s.as_bytes();
    if b.len() <= n {
        return s;
    }
    let is_lead = |c: u8| (c as i8) >= -0x40;
    // `n` characters take at least `n` bytes.
    let mut chars = b[..n].iter().filter(|&&c| is_lead(c)).count();
    let mut end = n;
    while chars < n && end < b.len() {
        if is_lead(b[end]) {
            chars += 1;
        }
        end += 1;
    }
    // `b[..end]` holds `n` character starts; finish the last character.
    while end < b.len() && !is_lead(b[end]) {
        end += 1;
    }
    s.get(..end).unwrap_or(s)
}

/// Byte offset of the first match of `needle` in `hay` with `hay`'s ASCII letters lower-cased
/// (`hay.to_ascii_lowercase()` searched with `memmem`), without that copy. `needle` must be
/// lower-case: an upper-case ASCII letter in it never matches.
///
/// Why: the routing and block checks look for a handful of markers, most found in the first
/// 10-100 KB of a 250 KB-1.2 MB page; lower-casing whole pages into a new `String` cost a
/// copy, an allocation and a pass per page. Here the haystack is lower-cased 16 KB at a time
/// into a stack buffer (a loop the compiler vectorises) and searched there with one prebuilt
/// `memmem::Finder`, stopping at the first match; consecutive windows overlap by
/// `needle.len() - 1` bytes so a match across a window edge is found.
pub fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    const CHUNK: usize = 16 * 1024;
    const MAX_NEEDLE: usize = 256;
    if needle.len() > MAX_NEEDLE {
        return memchr::memmem::find(&hay.to_ascii_lowercase(), needle);
    }
    if needle.is_empty() {
        return Some(0);
    }
    let finder = memchr::memmem::Finder::new(needle);
    let mut buf = [0u8; CHUNK + MAX_NEEDLE];
    let mut start = 0;
    while start < hay.len() {
        let end = (start + CHUNK + needle.len() - 1).min(hay.len());
        let window = hay.get(start..end).unwrap_or(&[]);
        let out = buf.get_mut(..window.len()).unwrap_or(&mut []);
        for (d, s) in out.iter_mut().zip(window) {
            *d = s.to_ascii_lowercase();
        }
        if let Some(i) = finder.find(out) {
            return Some(start + i);
        }
        start += CHUNK;
    }
    None
}

/// A text searched for markers with the answers of `text.to_lowercase().contains(needle)`,
/// without building the lower-cased copy in the usual case.
///
/// Rule (proved over every `char` by the unit test `only_two_non_ascii_chars_lower_to_ascii`):
/// `to_lowercase` maps ASCII letters as `to_ascii_lowercase` does and every other character to
/// non-ASCII characters, except U+0130 (-> `i` + U+0307) and U+212A (-> `k`). So a lower-case
/// ASCII needle is found in `to_lowercase(text)` exactly when [`find_ascii_ci`] finds it in
/// `text`, unless the text holds U+212A and the needle has a `k`, or the text holds U+0130 and
/// the needle ends with `i` (the `i` from U+0130 is followed by the non-ASCII U+0307, so it
/// can only be a match's last byte). Only those needles look for the two characters, and only
/// when the text holds one is the Unicode copy built (once, then kept). Needles that are not
/// lower-case ASCII always use the Unicode copy.
#[derive(Debug)]
pub struct Folded<'a> {
    text: &'a str,
    /// `Some(text.to_lowercase())` once a needle needed it and the text holds U+0130 or
    /// U+212A; `None` once known not to.
    unicode: std::cell::OnceCell<Option<String>>,
}

impl<'a> Folded<'a> {
    /// `text`, to be searched as if lower-cased with `to_lowercase`.
    pub fn new(text: &'a str) -> Self {
        Self {
            text,
            unicode: std::cell::OnceCell::new(),
        }
    }

    /// The text as given.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// `self.text().to_lowercase().contains(needle)`, usually without the copy (see the type).
    pub fn contains(&self, needle: &str) -> bool {
        let lower_ascii = needle
            .bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_uppercase());
        if !lower_ascii {
            return self.text.to_lowercase().contains(needle);
        }
        let touches = needle.contains('k') || needle.ends_with('i');
        if touches {
            let unicode = self.unicode.get_or_init(|| {
                let b = self.text.as_bytes();
                let special = memchr::memmem::find(b, "\u{130}".as_bytes()).is_some()
                    || memchr::memmem::find(b, "\u{212A}".as_bytes()).is_some();
                special.then(|| self.text.to_lowercase())
            });
            if let Some(u) = unicode {
                return memchr::memmem::find(u.as_bytes(), needle.as_bytes()).is_some();
            }
        }
        find_ascii_ci(self.text.as_bytes(), needle.as_bytes()).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_ascii_ci_is_lowercased_find() {
        // Matches across the 16 KB window edges, at both ends, and absent ones.
        let mut page = "x".repeat(16 * 1024 - 3);
        page.push_str("BfsTiTLE");
        page.push_str(&"y".repeat(40_000));
        page.push_str("Id=\"BBS-State\"");
        for needle in [
            "bfstitle",
            "id=\"bbs-state\"",
            "x",
            "yi",
            "absent",
            "xbfs",
            "",
        ] {
            assert_eq!(
                find_ascii_ci(page.as_bytes(), needle.as_bytes()),
                memchr::memmem::find(page.to_ascii_lowercase().as_bytes(), needle.as_bytes()),
                "{needle}"
            );
        }
        assert_eq!(find_ascii_ci(b"abc", b"ABC"), None);
        assert_eq!(find_ascii_ci(b"", b"a"), None);
        let long = "q".repeat(300);
        assert_eq!(
            find_ascii_ci(
                format!("a{}", long.to_uppercase()).as_bytes(),
                long.as_bytes()
            ),
            Some(1)
        );
    }

    #[test]
    fn folded_contains_is_unicode_lowercase_contains() {
        let texts = [
            "<H1 class=\"BfsTitle\">Ünïcödé ÀÉ</h1>",
            "İSTANBUL Kelvin \u{212A}8 ACCESS DENIED",
            "CHEC\u{212A}ING YOUR BROWSER before accessing",
            "ToKİ abc",
            "plain",
            "",
        ];
        let needles = [
            "bfstitle",
            "istanbul",
            "k8",
            "access denied",
            "i",
            "toki",
            "checking your browser",
            "ünïcödé",
            "ACCESS",
            "",
        ];
        for t in texts {
            let f = Folded::new(t);
            let u = t.to_lowercase();
            for n in needles {
                assert_eq!(f.contains(n), u.contains(n), "{t:?} {n:?}");
            }
        }
    }

    #[test]
    fn only_two_non_ascii_chars_lower_to_ascii() {
        let mut found = Vec::new();
        for c in (0u32..=0x10FFFF).filter_map(char::from_u32) {
            if c.is_ascii() {
                continue;
            }
            if c.to_lowercase().any(|l| l.is_ascii()) {
                found.push(c);
            }
        }
        assert_eq!(found, ['\u{130}', '\u{212A}']);
    }

    #[test]
    fn char_prefix_is_chars_take() {
        for s in ["", "abc", "ÀÉÎõü€𝄞x", "a€b𝄞cdé"] {
            for n in 0..12 {
                let want: String = s.chars().take(n).collect();
                assert_eq!(char_prefix(s, n), want, "{s:?} {n}");
            }
        }
    }

    #[test]
    fn same_ascii_needles_as_unicode_lowercase() {
        for s in [
            "<H1 class=\"BfsTitle\">Ünïcödé ÀÉ</h1>",
            "İSTANBUL Kelvin \u{212A}8 ACCESS DENIED",
            "",
        ] {
            let a = lowercase_for_search(s);
            let u = s.to_lowercase();
            for needle in ["bfstitle", "istanbul", "k8", "access denied", "i"] {
                assert_eq!(a.contains(needle), u.contains(needle), "{s:?} {needle}");
            }
        }
    }
}
