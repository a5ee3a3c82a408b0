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

#[cfg(test)]
mod tests {
    use super::*;

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
