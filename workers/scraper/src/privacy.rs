//! Privacy: broker names, phone numbers and e-mail addresses are never stored or published
//! (project rule). Structured broker/contact fields are simply never read; free text
//! (descriptions, reasons, financing notes) has phone numbers and e-mail addresses replaced
//! with `[removed]`. Person names inside free text cannot be recognised reliably and are left.

use once_cell::sync::Lazy;
use regex::Regex;

/// What replaces a removed phone number or e-mail address.
pub const REMOVED: &str = "[removed]";

static EMAIL: Lazy<Option<Regex>> =
    Lazy::new(|| Regex::new(r"(?i)\b[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}\b").ok());
// North American numbers: (555) 010-0100, 555-010-0100, 555.010.0100, +1 555 010 0100, and
// seven-digit local numbers 555-0100 (the redacted corpus form). Not preceded by `$`, a digit,
// `,` or `.` so money and decimals are left alone.
static PHONE: Lazy<Option<Regex>> = Lazy::new(|| {
    Regex::new(
        r"(?x)
        (?:^|[^\d$,.\w])
        (
          (?:\+?1[\s.\-]?)?\(?\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}
          | \d{3}[.\-]\d{4}
        )
        (?:[^\d]|$)",
    )
    .ok()
});

/// Replaces e-mail addresses and phone numbers in `s` with [`REMOVED`].
pub fn redact(s: &str) -> String {
    let mut out = match EMAIL.as_ref() {
        Some(re) => re.replace_all(s, REMOVED).into_owned(),
        None => s.to_string(),
    };
    if let Some(re) = PHONE.as_ref() {
        // Replace only the captured number, keeping the surrounding characters. Loop because
        // matches consume one delimiter each side (adjacent numbers).
        for _ in 0..8 {
            let mut changed = false;
            let mut result = String::with_capacity(out.len());
            let mut last = 0;
            for caps in re.captures_iter(&out) {
                if let Some(m) = caps.get(1) {
                    result.push_str(out.get(last..m.start()).unwrap_or(""));
                    result.push_str(REMOVED);
                    last = m.end();
                    changed = true;
                }
            }
            result.push_str(out.get(last..).unwrap_or(""));
            out = result;
            if !changed {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_phones_and_emails_not_money() {
        assert_eq!(
            redact("Call  Broker Name 555-0100  or  555-0100  for more"),
            "Call  Broker Name [removed]  or  [removed]  for more"
        );
        assert_eq!(
            redact("Contact @ broker@example.com"),
            "Contact @ [removed]"
        );
        assert_eq!(redact("call (555) 010-0100 today"), "call [removed] today");
        assert_eq!(
            redact("Asking $1,370,000 and 2019-2020, 1.555-1234"),
            "Asking $1,370,000 and 2019-2020, 1.555-1234"
        );
        assert_eq!(redact("555.010.0100"), "[removed]");
    }
}
