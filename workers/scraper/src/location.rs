//! Location strings to city / state / country.
//!
//! Forms seen in the corpus (`bizbuysell-pages.md` §c): `"Coalinga, CA"`, `"Fresno County, CA"`,
//! `"Coalinga, CA (Fresno County)"`, `"Ohio"` (state only), `"Kansas (Relocatable)"`,
//! `"Midland County, TX (Relocatable)"`, `"Kitchener, ON"`, `"Ontario"`, `"Washington, DC"`,
//! JSON-LD full state names (`"California"`, `" OH"`). US states (and DC, territories) give
//! country `"US"`; Canadian provinces/territories give `"CA"`.

/// A parsed location. All fields `None` when nothing could be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// City or county as written (e.g. `"Coalinga"`, `"Fresno County"`).
    pub city: Option<String>,
    /// Two-letter state/province code.
    pub state: Option<String>,
    /// `"US"` or `"CA"`.
    pub country: Option<String>,
}

const US: &[(&str, &str)] = &[
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("PR", "Puerto Rico"),
    ("GU", "Guam"),
    ("VI", "U.S. Virgin Islands"),
];

const CANADA: &[(&str, &str)] = &[
    ("AB", "Alberta"),
    ("BC", "British Columbia"),
    ("MB", "Manitoba"),
    ("NB", "New Brunswick"),
    ("NL", "Newfoundland and Labrador"),
    ("NS", "Nova Scotia"),
    ("NT", "Northwest Territories"),
    ("NU", "Nunavut"),
    ("ON", "Ontario"),
    ("PE", "Prince Edward Island"),
    ("QC", "Quebec"),
    ("SK", "Saskatchewan"),
    ("YT", "Yukon"),
];

/// Country (`"US"` / `"CA"`) of a two-letter state or province code.
pub fn country_of(code: &str) -> Option<&'static str> {
    let c = code.trim().to_ascii_uppercase();
    if US.iter().any(|(k, _)| *k == c) {
        Some("US")
    } else if CANADA.iter().any(|(k, _)| *k == c) {
        Some("CA")
    } else {
        None
    }
}

/// Two-letter code for a state/province given as a code (`"oh"`, `" OH"`) or full name
/// (`"California"`, `"Newfoundland"`, `"Québec"`). `None` when not a US state or province.
pub fn state_code(s: &str) -> Option<&'static str> {
    let t = s.trim().trim_end_matches('.').trim();
    if t.is_empty() {
        return None;
    }
    let lower = t.to_lowercase();
    let lower = match lower.as_str() {
        "québec" => "quebec".to_string(),
        "newfoundland" => "newfoundland and labrador".to_string(),
        "virgin islands" => "u.s. virgin islands".to_string(),
        "washington dc" | "washington d.c" | "washington, d.c" | "d.c" => {
            "district of columbia".to_string()
        }
        _ => lower,
    };
    US.iter()
        .chain(CANADA.iter())
        .find(|(code, name)| code.eq_ignore_ascii_case(&lower) || name.to_lowercase() == lower)
        .map(|(code, _)| *code)
}

fn loc(city: Option<&str>, code: Option<&'static str>) -> Location {
    let city = city
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(collapse_ws);
    Location {
        city,
        state: code.map(str::to_string),
        country: code.and_then(country_of).map(str::to_string),
    }
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Removes a trailing parenthesised note: `"Coalinga, CA (Fresno County)"` -> `"Coalinga, CA"`,
/// `"Kansas (Relocatable)"` -> `"Kansas"`.
fn strip_parens(s: &str) -> &str {
    let t = s.trim();
    if t.ends_with(')') {
        if let Some(i) = t.rfind('(') {
            return t.get(..i).unwrap_or(t).trim();
        }
    }
    t
}

/// Parses a free location string (see module docs). Unknown forms keep nothing rather than
/// guess: `"Available Nationwide"` gives an empty [`Location`].
pub fn parse_location(s: &str) -> Location {
    let t = strip_parens(s);
    let t = t.trim().trim_end_matches(',').trim();
    if t.is_empty() {
        return Location::default();
    }
    // The country named last: "Ontario Canada", "Windsor, Ontario, Canada", "Toronto, Canada"
    // (not "La Canada", a town, nor "La Canada Flintridge, CA").
    let lower = t.to_ascii_lowercase();
    if let Some(rest) = lower.strip_suffix("canada") {
        let head = t[..rest.len()].trim_end();
        let comma = head.ends_with(',');
        let head = head.trim_end_matches(',').trim();
        let inner = parse_location(head);
        if inner.country.as_deref() == Some("CA") {
            return inner;
        }
        if head.is_empty() || (comma && inner.state.is_none()) {
            return Location {
                city: (!head.is_empty()).then(|| collapse_ws(head)),
                state: None,
                country: Some("CA".into()),
            };
        }
    }
    if let Some(code) = state_code(t) {
        // "Washington" alone is the state; "Washington, DC" is handled below.
        return loc(None, Some(code));
    }
    if let Some((city, region)) = t.rsplit_once(',') {
        let region = strip_parens(region);
        if let Some(code) = state_code(region) {
            return loc(Some(city), Some(code));
        }
        // "City, ST 12345" (zip after the state).
        let mut words = region.split_whitespace();
        if let (Some(first), Some(second)) = (words.next(), words.next()) {
            if second.chars().all(|c| c.is_ascii_digit() || c == '-') {
                if let Some(code) = state_code(first) {
                    return loc(Some(city), Some(code));
                }
            }
        }
        return Location::default();
    }
    // "Denver CO" (no comma): last word a two-letter code.
    if let Some((city, last)) = t.rsplit_once(char::is_whitespace) {
        if last.len() == 2 && last.chars().all(|c| c.is_ascii_uppercase()) {
            if let Some(code) = state_code(last) {
                return loc(Some(city), Some(code));
            }
        }
    }
    Location::default()
}

/// Builds a location from separate locality / region strings (JSON-LD `addressLocality`,
/// `addressRegion`; API `location` + `region`). The region may be a full name or a code.
pub fn from_parts(locality: Option<&str>, region: Option<&str>) -> Location {
    let code = region.and_then(state_code);
    match (locality.map(str::trim).filter(|l| !l.is_empty()), code) {
        (Some(l), Some(c)) => loc(Some(l), Some(c)),
        (None, Some(c)) => loc(None, Some(c)),
        (Some(l), None) => {
            let p = parse_location(l);
            if p.state.is_some() {
                p
            } else {
                Location::default()
            }
        }
        (None, None) => Location::default(),
    }
}

/// True when the line reads as a location on its own (used for pasted text).
pub fn looks_like_location(s: &str) -> bool {
    let t = s.trim();
    let l = parse_location(t);
    !t.is_empty() && t.len() <= 80 && (l.state.is_some() || l.country.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> (Option<String>, Option<String>, Option<String>) {
        let l = parse_location(s);
        (l.city, l.state, l.country)
    }

    #[test]
    fn canada_named_last() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(p("Ontario Canada"), (None, s("ON"), s("CA")));
        assert_eq!(p("Ontario Canada (Relocatable)"), (None, s("ON"), s("CA")));
        assert_eq!(
            p("Windsor, Ontario, Canada"),
            (s("Windsor"), s("ON"), s("CA"))
        );
        assert_eq!(p("Toronto, Canada"), (s("Toronto"), None, s("CA")));
        assert_eq!(p("Canada"), (None, None, s("CA")));
        // Towns, not the country.
        assert_eq!(
            p("La Canada Flintridge, CA"),
            (s("La Canada Flintridge"), s("CA"), s("US"))
        );
        assert_eq!(p("La Canada"), (None, None, None));
    }

    #[test]
    fn corpus_forms() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            p("Coalinga, CA (Fresno County)"),
            (s("Coalinga"), s("CA"), s("US"))
        );
        assert_eq!(
            p("Fresno County, CA"),
            (s("Fresno County"), s("CA"), s("US"))
        );
        assert_eq!(p("Ohio"), (None, s("OH"), s("US")));
        assert_eq!(p("Kansas (Relocatable)"), (None, s("KS"), s("US")));
        assert_eq!(
            p("Midland County, TX (Relocatable)"),
            (s("Midland County"), s("TX"), s("US"))
        );
        assert_eq!(p("Kitchener, ON"), (s("Kitchener"), s("ON"), s("CA")));
        assert_eq!(p("Ontario"), (None, s("ON"), s("CA")));
        assert_eq!(p("Washington, DC"), (s("Washington"), s("DC"), s("US")));
        assert_eq!(p("Denver  CO"), (s("Denver"), s("CO"), s("US")));
        assert_eq!(p("Lafayette, Colorado"), (s("Lafayette"), s("CO"), s("US")));
        assert_eq!(p("Available Nationwide"), (None, None, None));
        assert_eq!(p("Florissant"), (None, None, None));
        assert_eq!(p(""), (None, None, None));
        let l = from_parts(Some("Coalinga"), Some("California"));
        assert_eq!(
            (l.city.as_deref(), l.state.as_deref()),
            (Some("Coalinga"), Some("CA"))
        );
        assert_eq!(state_code(" OH"), Some("OH"));
    }
}
