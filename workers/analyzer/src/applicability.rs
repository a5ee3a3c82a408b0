//! Is this listing something the scorer is built for? A US gas station, a convenience store that
//! sells fuel, or a truck stop is; a car wash, a c-store or liquor store without fuel, a
//! development site, anything outside the US, and any other business is not.
//!
//! The decision reads the category, the title and the description together. Fuel terms are of
//! two strengths ([`TermStrength`]):
//!
//! * a *site* term names a place that sells fuel ("gas station", "truck stop", "travel center",
//!   "gas & convenience", "MPDs", "USTs", "Shell station", "fuel sales"): one in the title or
//!   category is enough;
//! * a *commodity* word ("diesel", "gasoline", "fuel", "gallons", "petroleum", "dispensers")
//!   also describes vehicles, engines, containers and running costs, so it counts only together
//!   with a second, different fuel term anywhere in the listing.
//!
//! Without a site term in the title or category, two different fuel terms are needed. A fuel
//! word that is hypothetical ("you can also add gasoline", "former gas station", "next to a truck
//! stop"), negated, or not about selling fuel never counts: an attribute of a vehicle, machine or
//! trade ("diesel food truck", "Diesel engine", "diesel mechanic", "fuel injection"), a running
//! cost ("reduces fuel costs", "fuel-efficient") or a container size ("5-gallon buckets"). So a
//! food truck with a diesel engine, a diesel-engine dealer and a bait maker whose customers save
//! fuel are not fuel sites, while "Gas & Diesel 100Gal/Mth" still is.

use gsa_schemas::Listing;
use once_cell::sync::Lazy;
use regex::Regex;

use crate::text::{is_directly_negated, is_hypothetical};

/// What kind of fuel site the listing is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteKind {
    /// A gas (service) station, with or without a small store.
    GasStation,
    /// A convenience store that sells fuel.
    CStoreWithFuel,
    /// A truck stop or travel centre.
    TruckStop,
}

impl SiteKind {
    /// Plain-English name.
    pub fn label(&self) -> &'static str {
        match self {
            SiteKind::GasStation => "gas station",
            SiteKind::CStoreWithFuel => "convenience store with fuel",
            SiteKind::TruckStop => "truck stop",
        }
    }
}

/// The decision and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applicability {
    /// `true` for a US gas station, c-store with fuel or truck stop.
    pub applicable: bool,
    /// The kind of fuel site, when applicable.
    pub kind: Option<SiteKind>,
    /// One sentence: why (shown as `not_applicable_reason` when not applicable).
    pub reason: String,
}

const PROVINCES: &[&str] = &[
    "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
];
const PROVINCE_NAMES: &[&str] = &[
    "alberta",
    "british columbia",
    "manitoba",
    "new brunswick",
    "newfoundland",
    "nova scotia",
    "northwest territories",
    "nunavut",
    "ontario",
    "prince edward island",
    "quebec",
    "québec",
    "saskatchewan",
    "yukon",
];

static FUEL: Lazy<Regex> = Lazy::new(|| {
    crate::text::regex(
        r"(?i)\bgas(?:oline)?\s+stations?\b|\bgas\s*(?:&|and|/)\s*(?:convenience|c-?\s?store|diesel|food|mart|grocery)\b|\bgas\s+(?:pumps?|sales|volume|canopy|island|dispensers?|supply)\b|\bfuel\s+(?:stations?|stops?|centers?|centres?|retail(?:er)?|sales|business|docks?)\b|\bfuel(?:ing)?\b|\bgasoline\b|\bdiesel\b|\bgallons?\b|\btruck\s*stops?\b|\btravel\s+(?:center|centre|plaza|stop)s?\b|\btruck\s+plaza\b|\bfilling\s+station\b|\bservice\s+station\b|\bpetrol(?:eum)?\b|\bMPDs?\b|\bdispensers?\b|\bUSTs?\b|\bunderground\s+storage\s+tanks?\b|\bpumps?\s+(?:and|&)\s+tanks\b|\btanks\s+(?:and|&)\s+pumps\b|\bbranded\s+(?:gas|station|fuel)\b|\b(?:chevron|shell|exxon|mobil|bp|texaco|valero|marathon|sunoco|citgo|conoco|arco|sinclair|phillips\s+66|circle\s+k|76)\s*(?:-?\s*branded|station|gas|fuel|ampm)\b",
    )
});
static TRUCK_STOP: Lazy<Regex> = Lazy::new(|| {
    crate::text::regex(
        r"(?i)\btruck\s*stops?\b|\btravel\s+(?:center|centre|plaza)s?\b|\btruck\s+plaza\b",
    )
});
static CSTORE: Lazy<Regex> = Lazy::new(|| {
    crate::text::regex(
        r"(?i)\bconvenien\w*\s+stores?\b|\bc-?\s?stores?\b|\bfood\s+mart\b|\bmini[- ]?mart\b|\bgrocery\b|\bconvenience\b|\bsmoke\s+shop\b|\bdeli\b",
    )
});
static CAR_WASH: Lazy<Regex> = Lazy::new(|| crate::text::regex(r"(?i)\bcar\s*wash(?:es)?\b"));
static LIQUOR: Lazy<Regex> = Lazy::new(|| {
    crate::text::regex(
        r"(?i)\bliquor\b|\bLCBO\b|\bwine\s*(?:&|and)\s*spirits\b|\bpackage\s+store\b|\bbeer\s+store\b",
    )
});
/// Words of a business that runs today ("Established ... Truck Repair Biz w/Land For Sale").
static ESTABLISHED: Lazy<Regex> = Lazy::new(|| {
    crate::text::regex(
        r"(?i)\b(?:established|turn-?key|in\s+business|serving\s+the|loyal|repeat\s+(?:customers|clients)|(?:client|customer)\s+base)\b",
    )
});
static DEVELOPMENT: Lazy<Regex> = Lazy::new(|| {
    crate::text::regex(
        r"(?i)\bdevelopment\s+(?:site|land|parcel)\b|\bland\s+for\s+sale\b|\bvacant\s+land\b|\bbuild[- ]to[- ]suit\b|\bpad\s+site\b|\bshovel[- ]ready\b",
    )
});

/// How much one fuel term says about the site (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermStrength {
    /// Names a place that sells fuel ("gas station", "truck stop", "MPDs"): enough alone in the
    /// title or category.
    Site,
    /// A commodity word ("diesel", "fuel", "gallons"): needs a second, different fuel term.
    Commodity,
}

/// The strength of a fuel term as [`FUEL`] matched it (lower-cased, spaces collapsed).
pub fn term_strength(term: &str) -> TermStrength {
    match term {
        "fuel" | "fueling" | "gasoline" | "diesel" | "gallon" | "gallons" | "petrol"
        | "petroleum" | "dispenser" | "dispensers" => TermStrength::Commodity,
        _ => TermStrength::Site,
    }
}

/// Words that, within two words after a commodity word and in the same clause, show the word
/// describes a vehicle, machine, trade, running cost or container rather than fuel sold on
/// site. "truck" counts unless "stop" or "plaza" follows it.
const NOT_A_SALE_WORDS: &[&str] = &[
    "truck",
    "trucks",
    "engine",
    "engines",
    "generator",
    "generators",
    "vehicle",
    "vehicles",
    "van",
    "vans",
    "bus",
    "buses",
    "tractor",
    "tractors",
    "trailer",
    "trailers",
    "boat",
    "boats",
    "pickup",
    "pickups",
    "forklift",
    "forklifts",
    "locomotive",
    "locomotives",
    "mechanic",
    "mechanics",
    "repair",
    "repairs",
    "injection",
    "injector",
    "injectors",
    "heater",
    "heaters",
    "furnace",
    "furnaces",
    "cost",
    "costs",
    "expense",
    "expenses",
    "saving",
    "savings",
    "economy",
    "surcharge",
    "surcharges",
    "bill",
    "bills",
    "consumption",
    "mileage",
    "bucket",
    "buckets",
    "jug",
    "jugs",
    "drum",
    "drums",
    "bottle",
    "bottles",
    "container",
    "containers",
    "pail",
    "pails",
    "jar",
    "jars",
];

/// Whether the commodity word ending at byte `end` of `text` describes something other than
/// fuel sold on site: one of [`NOT_A_SALE_WORDS`] (or "efficient"/"efficiency") within the next
/// two words, before any punctuation or conjunction ("diesel food truck", "Diesel engine",
/// "fuel costs", "fuel-efficient", "5-gallon buckets"; not "Gas & Diesel 100Gal/Mth", "diesel,
/// truck parking" or "diesel truck stop").
fn not_a_sale(text: &str, end: usize) -> bool {
    // Three words lie within the next 120 characters; looking further made a long text
    // without punctuation cost time in the square of its length (once per fuel word).
    let rest = text.get(end..).unwrap_or("");
    let after = rest
        .char_indices()
        .nth(120)
        .and_then(|(i, _)| rest.get(..i))
        .unwrap_or(rest);
    let clause_end = after
        .find(|c: char| {
            matches!(
                c,
                ',' | '.' | ';' | ':' | '|' | '/' | '(' | ')' | '&' | '!' | '?' | '\n' | '–' | '—'
            )
        })
        .unwrap_or(after.len());
    let words: Vec<String> = after[..clause_end]
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(3)
        .map(str::to_lowercase)
        .collect();
    for (i, w) in words.iter().take(2).enumerate() {
        if matches!(w.as_str(), "and" | "or" | "plus" | "with" | "at" | "in") {
            return false;
        }
        if w == "truck" || w == "trucks" {
            let next = words.get(i + 1).map(String::as_str);
            return !matches!(next, Some("stop" | "stops" | "plaza" | "plazas"));
        }
        if NOT_A_SALE_WORDS.contains(&w.as_str()) || w.starts_with("efficien") {
            return true;
        }
    }
    false
}

/// Distinct fuel terms in `text` (lower-cased, spaces collapsed) with their strength, leaving
/// out hypothetical and negated terms and commodity words that are not about a fuel sale.
fn fuel_terms(text: &str) -> Vec<(String, TermStrength)> {
    let mut out: Vec<(String, TermStrength)> = Vec::new();
    for m in FUEL.find_iter(text) {
        if is_hypothetical(text, m.start(), 30) || is_directly_negated(text, m.start()) {
            continue;
        }
        let t = m.as_str().to_ascii_lowercase();
        let t: String = t.split_whitespace().collect::<Vec<_>>().join(" ");
        let strength = term_strength(&t);
        if strength == TermStrength::Commodity && not_a_sale(text, m.end()) {
            continue;
        }
        if !out.iter().any(|(x, _)| *x == t) {
            out.push((t, strength));
        }
    }
    out
}

fn real_match(re: &Regex, text: &str) -> bool {
    re.find_iter(text)
        .any(|m| !is_hypothetical(text, m.start(), 30) && !is_directly_negated(text, m.start()))
}

/// Decides whether the listing is in scope.
pub fn assess(listing: &Listing) -> Applicability {
    let title = listing.title.as_deref().unwrap_or("");
    let category = listing.category.as_deref().unwrap_or("");
    let desc = listing.description.as_deref().unwrap_or("");
    let not = |reason: String| Applicability {
        applicable: false,
        kind: None,
        reason,
    };

    // Outside the US: the benchmarks, SBA financing and tank rules are US ones.
    let country = listing.country.as_deref().map(str::trim).unwrap_or("");
    let state = listing.state.as_deref().map(str::trim).unwrap_or("");
    let city = listing.city.as_deref().unwrap_or("").to_ascii_lowercase();
    if country.eq_ignore_ascii_case("CA") {
        return not("Outside the US (Canada): the US benchmarks, SBA financing and tank rules do not apply.".into());
    }
    if !country.is_empty() && !country.eq_ignore_ascii_case("US") {
        return not(format!(
            "Outside the US (country {country}): the US benchmarks, SBA financing and tank rules do not apply."
        ));
    }
    // A province code or name in the state field is Canada whatever the country says (no US
    // state shares one). A province's name in the city field only counts when nothing else
    // places the listing: "Ontario, CA" is a city in California, and "New Brunswick, NJ",
    // "Yukon, OK" are US towns. (The scraper reads "Ontario Canada" as province ON, country CA.)
    let city_in_canada = state.is_empty()
        && !country.eq_ignore_ascii_case("US")
        && PROVINCE_NAMES.iter().any(|p| city.contains(p));
    if PROVINCES.iter().any(|p| state.eq_ignore_ascii_case(p))
        || PROVINCE_NAMES.iter().any(|p| state.eq_ignore_ascii_case(p))
        || city_in_canada
    {
        let place = if state.is_empty() {
            "Canada".to_string()
        } else {
            format!("Canadian province {state}")
        };
        return not(format!(
            "Outside the US ({place}): the US benchmarks, SBA financing and tank rules do not apply."
        ));
    }

    let head = format!("{category} | {title}");
    let head_terms = fuel_terms(&head);
    let desc_terms = fuel_terms(desc);
    let mut terms: Vec<String> = head_terms.iter().map(|(t, _)| t.clone()).collect();
    for (t, _) in &desc_terms {
        if !terms.contains(t) {
            terms.push(t.clone());
        }
    }
    let site_in_head = head_terms.iter().any(|(_, s)| *s == TermStrength::Site);
    let fuel = site_in_head || terms.len() >= 2;

    // A development site sells land for a future station: nothing operating to score. Only
    // with fuel terms (land for a truck repair shop is not a fuel site) and no sign of a
    // business that runs today.
    let operating_figures = listing.cash_flow.is_some() || listing.gross_revenue.is_some();
    if !operating_figures
        && !terms.is_empty()
        && (DEVELOPMENT.is_match(title) || DEVELOPMENT.is_match(desc))
        && !ESTABLISHED.is_match(title)
        && !ESTABLISHED.is_match(desc)
    {
        return not(
            "A development site (land for a future fuel site), not an operating station: there is no business to score."
                .into(),
        );
    }

    if fuel {
        let all = format!("{head}\n{desc}");
        let kind = if real_match(&TRUCK_STOP, &all) {
            SiteKind::TruckStop
        } else if real_match(&CSTORE, &all) {
            SiteKind::CStoreWithFuel
        } else {
            SiteKind::GasStation
        };
        terms.truncate(4);
        return Applicability {
            applicable: true,
            kind: Some(kind),
            reason: format!(
                "A {} in the US: fuel is sold on site ({}).",
                kind.label(),
                terms.join(", ")
            ),
        };
    }

    let head_and_desc = format!("{head}\n{desc}");
    let possibility = FUEL
        .find_iter(desc)
        .find(|m| is_hypothetical(desc, m.start(), 30))
        .map(|m| {
            format!(
                " (fuel is only mentioned as a possibility: \"{}\")",
                m.as_str()
            )
        })
        .unwrap_or_default();
    if CAR_WASH.is_match(&head) {
        return not(format!("A car wash with no fuel sales{possibility}."));
    }
    if LIQUOR.is_match(&head) {
        return not(format!("A liquor store with no fuel sales{possibility}."));
    }
    if CSTORE.is_match(&head) {
        return not(format!(
            "A convenience store with no fuel sales{possibility}: c-stores without fuel are out of scope."
        ));
    }
    if CAR_WASH.is_match(&head_and_desc) {
        return not(format!("A car wash with no fuel sales{possibility}."));
    }
    let what = if category.is_empty() {
        String::new()
    } else {
        format!(" (category {category})")
    };
    not(format!(
        "Not a gas station, c-store with fuel or truck stop{what}{possibility}."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(title: &str, desc: &str) -> Listing {
        Listing {
            listing_id: "t".into(),
            title: Some(title.into()),
            description: Some(desc.into()),
            state: Some("TX".into()),
            ..Default::default()
        }
    }

    #[test]
    fn fuel_sites_are_applicable_with_kind() {
        let a = assess(&l(
            "Branded gas station for sale",
            "Interstate Mini truck stop",
        ));
        assert!(a.applicable);
        assert_eq!(a.kind, Some(SiteKind::TruckStop));
        let a = assess(&l("Marvelous Gas and Convenience Store", "Busy area."));
        assert_eq!(a.kind, Some(SiteKind::CStoreWithFuel));
    }

    #[test]
    fn possibility_of_fuel_does_not_make_a_cstore_applicable() {
        let a = assess(&l(
            "Convenience Store for Sale",
            "very good convenience store in Busy neighbour hood with good customer base and you can also add gasoline inside it...",
        ));
        assert!(!a.applicable);
        assert!(a.reason.contains("convenience store"), "{}", a.reason);
        assert!(a.reason.contains("possibility"), "{}", a.reason);
    }

    #[test]
    fn car_wash_with_gas_is_applicable_but_plain_car_wash_is_not() {
        assert!(assess(&l("Gas Station With Liquor Store, Hand Car Wash", "")).applicable);
        let a = assess(&l("Self Service Car Wash", "Tunnel wash with vacuums."));
        assert!(!a.applicable);
        assert!(a.reason.contains("car wash"));
    }

    #[test]
    fn a_commodity_word_alone_or_describing_a_vehicle_is_not_a_fuel_site() {
        // The real food-truck record (API listNumber 2416498): "Diesel" describes the truck.
        let a = assess(&l(
            "Ready-to-Serve 2020 Freightliner Food Truck | Diesel | Pro-Fire |",
            "Turnkey 2020 Freightliner MT45 Diesel Food Truck – Fully Equipped & Low Mileage – Charlotte, NC This 2020 Freightliner MT45 diesel food truck is a premium, professionally built mobile kitchen—perfect...",
        ));
        assert!(!a.applicable, "{}", a.reason);
        let a = assess(&l(
            "Diesel Engines / Sales and Service Dealer",
            "Heavy Duty Diesel engine business. We are currently a Cummins Industrial engine dealer.",
        ));
        assert!(!a.applicable, "{}", a.reason);
        // Running costs and container sizes are not fuel sales.
        let a = assess(&l(
            "Lobster and Crab Bait Company",
            "It's very easy to transport in 5-gallon buckets. Fewer trips reduces fuel costs and wear on the boat.",
        ));
        assert!(!a.applicable, "{}", a.reason);
        // One commodity word in the title with a second fuel term elsewhere is a fuel site.
        let a = assess(&l(
            "Full-Service Grocery, Deli & Fuel Retail Business",
            "Sells 40,000 gallons a month of gasoline and diesel.",
        ));
        assert!(a.applicable, "{}", a.reason);
        assert_eq!(a.kind, Some(SiteKind::CStoreWithFuel));
        let a = assess(&l("Grocery with Diesel", "Over 30,000 gallons per month."));
        assert!(a.applicable, "{}", a.reason);
        // Fuel volumes and truck stops survive the vehicle/cost exclusions.
        let a = assess(&l(
            "Busy site",
            "Gas & Diesel 100Gal/Mth, diesel truck stop.",
        ));
        assert!(a.applicable, "{}", a.reason);
        assert_eq!(a.kind, Some(SiteKind::TruckStop));
    }

    #[test]
    fn land_with_an_established_business_or_without_fuel_is_not_a_development_site() {
        // The real API record 2419157 (title and card excerpt as published).
        let a = assess(&l(
            "Established St. Louis Truck Repair Biz w/Land For Sale!",
            "Turnkey opportunity! This well-established truck repair business has been serving the St. Louis area for over 30 years, boasting a loyal and repeat client base. The sale includes valuable land in a...",
        ));
        assert!(!a.applicable);
        assert!(!a.reason.contains("development"), "{}", a.reason);
        assert!(a.reason.starts_with("Not a gas station"), "{}", a.reason);
        // fl-008, a real development listing, stays one.
        let a = assess(&l(
            "Major Brand Truck Stop development site",
            "Prime Location!!next to a international airport20 acresMajor Brand Truck Stop Development site in  ArizonaProjected gas and Diesel volume  is 1M/ monthcall for more info",
        ));
        assert!(a.reason.contains("development site"), "{}", a.reason);
    }

    #[test]
    fn term_strengths() {
        assert_eq!(term_strength("diesel"), TermStrength::Commodity);
        assert_eq!(term_strength("gallons"), TermStrength::Commodity);
        assert_eq!(term_strength("gas station"), TermStrength::Site);
        assert_eq!(term_strength("fuel sales"), TermStrength::Site);
        assert!(not_a_sale("diesel food truck", 6));
        assert!(not_a_sale("fuel-efficient", 4));
        assert!(!not_a_sale("diesel truck stop", 6));
        assert!(!not_a_sale("diesel, truck parking", 6));
        assert!(!not_a_sale("diesel and truck parking", 6));
    }

    #[test]
    fn canada_by_country_or_province() {
        let mut x = l("Gas station", "80,000 gallons per month");
        x.state = Some("ON".into());
        assert!(!assess(&x).applicable);
        x.state = Some("CA".into()); // California
        assert!(assess(&x).applicable);
        x.country = Some("CA".into());
        assert!(!assess(&x).applicable);
    }

    #[test]
    fn us_towns_named_like_provinces_stay_in_the_us() {
        // Listing 2405805 of the demo data is in Ontario, California.
        for (city, state) in [
            ("Ontario", "CA"),
            ("New Brunswick", "NJ"),
            ("Yukon", "OK"),
            ("Alberta", "VA"),
        ] {
            let mut x = l("Gas station", "80,000 gallons per month");
            x.city = Some(city.into());
            x.state = Some(state.into());
            x.country = Some("US".into());
            assert!(assess(&x).applicable, "{city}, {state}");
        }
        // Without a country, a city field that is a province's name is still Canada.
        let mut x = l("Gas station", "80,000 gallons per month");
        x.city = Some("Ontario".into());
        x.state = None;
        x.country = None;
        assert!(!assess(&x).applicable);
        // A California town whose name holds "Canada" is in the US.
        x.city = Some("La Canada Flintridge".into());
        x.state = Some("CA".into());
        x.country = Some("US".into());
        assert!(assess(&x).applicable);
    }
}
