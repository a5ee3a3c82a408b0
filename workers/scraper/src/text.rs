//! Pasted text: a buyer copies a listing from the browser and pastes it.
//!
//! Headline figures are read by label, with the value on the same line ("Asking Price:
//! $1,370,000", tab- or colon-separated) or on the next line (how a browser copies BizBuySell's
//! two-column rows). Labels: Asking Price, Cash Flow (SDE)/Cash Flow/SDE, Gross Revenue/Revenue,
//! EBITDA, FF&E (incl. "Furniture, Fixtures, & Equipment (FF&E)"), Inventory, Established, Real
//! Estate (a value, Owned/Leased, "Included in asking price"), Building SF, Rent, Lease
//! Expiration, Employees, Reason for Selling, Financing, Location. The first line is the location
//! when it names one ("City, ST") in a short place name, is not a label, and the next line is not
//! such a location; a title after it is read when it ends in a place of its own. Otherwise the
//! first line is the title when it reads like one (short, not a label, no final period unless
//! the period closes a place, "... Fredericksburg County, VA."; titles often end in a place: "Gas
//! Station for Sale in Fredericksburg, VA"), and a location on the next line is read too. Every
//! other line is kept as the description (phones/e-mails removed).
//! Figures inside sentences are not read.
//!
//! A row's figure is read only when it is bare, beside an included flag or Owned/Leased
//! ("Owned $500,000 - Included in asking price"), or followed by words that do not change it
//! ("$750,000 including the real estate"); "$12,500/month", "-$25,000 loss", "$1.2-$1.4
//! million", "1.2 Milllion" are not guessed at. A row that says more than its figure stays in
//! the description too, so the analyzer reads its words. A figure row's value on the next line
//! is short (40 characters or fewer): a sentence after an empty label is description. Cells of
//! a tab-copied row ("Asking Price:\t$1,200,000\tCash Flow:\t$150,000") are read one by one.
//! With no location line, the place after the title's last " in " is the location.
//!
//! Text with no label and no title-like first line is still a listing (description only); only
//! empty/whitespace input, and a few words (fewer than [`MIN_WORDS_WITHOUT_FIGURES`]) with no
//! digit and no listing address, are rejected. `listing_id` is the ad number of a `bizbuysell.com`
//! listing address in the text (the address becomes `url`), else `text-` + first 12 hex of
//! SHA-256 over the text with CRLF normalised to LF and outer whitespace trimmed.

use chrono::{DateTime, Utc};
use gsa_schemas::{Listing, ListingSource, RealEstate, Rejection, RejectionKind};
use sha2::{Digest, Sha256};

use crate::fields::{
    finish, included_flag, listing_url_id, mentions_seller_financing, non_empty, ownership,
    parse_count, parse_sqft, parse_year,
};
use crate::location::{looks_like_location, parse_location, Location};
use crate::money::parse_money;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Field {
    Asking,
    CashFlow,
    Revenue,
    Ebitda,
    Ffe,
    Inventory,
    Established,
    RealEstate,
    BuildingSf,
    Rent,
    LeaseExpiration,
    Employees,
    Reason,
    Financing,
    Location,
}

const LABELS: &[(&str, Field)] = &[
    ("asking price", Field::Asking),
    ("price", Field::Asking),
    ("cash flow (sde)", Field::CashFlow),
    ("cash flow", Field::CashFlow),
    ("sde", Field::CashFlow),
    ("gross revenue", Field::Revenue),
    ("revenue", Field::Revenue),
    ("ebitda", Field::Ebitda),
    ("furniture, fixtures, & equipment (ff&e)", Field::Ffe),
    ("furniture, fixtures, and equipment (ff&e)", Field::Ffe),
    ("ff&e", Field::Ffe),
    ("inventory", Field::Inventory),
    ("established", Field::Established),
    ("year established", Field::Established),
    ("real estate", Field::RealEstate),
    ("building sf", Field::BuildingSf),
    ("rent", Field::Rent),
    ("lease expiration", Field::LeaseExpiration),
    ("employees", Field::Employees),
    ("reason for selling", Field::Reason),
    ("financing", Field::Financing),
    ("location", Field::Location),
];

/// Headings a browser copy carries that are not description text.
const HEADINGS: &[&str] = &[
    "business description",
    "detailed information",
    "business location",
    "financials",
];

/// Splits "Label: value" / "Label:\tvalue" / "Label:" into (field, value). The label must be
/// the whole text before the colon (or tab), so sentences are never read as labels.
fn label_of(line: &str) -> Option<(Field, String)> {
    let t = line.trim();
    let (label, value) = match t.split_once(':') {
        Some((l, v)) => (l, v),
        None => match t.split_once('\t') {
            Some((l, v)) => (l, v),
            None => (t, ""),
        },
    };
    let l = crate::dom::collapse(label).to_lowercase();
    let field = LABELS
        .iter()
        .find(|(name, _)| *name == l)
        .map(|(_, f)| *f)?;
    // A bare word line ("Price") without colon/tab only counts when it is the whole line.
    if !t.contains(':') && !t.contains('\t') && t.to_lowercase() != l {
        return None;
    }
    Some((field, value.trim().to_string()))
}

/// Whether a line reads like a listing's title: short, not a label, with letters, and no final
/// period, unless the period closes a place ("Gas Station for Sale in Fredericksburg County,
/// VA.", fl-023) or the next line is the location (how a browser copies the page's head).
fn title_like(line: &str, next_is_location: bool) -> bool {
    let t = line.trim();
    let ends_sentence =
        t.ends_with('.') && !next_is_location && !looks_like_location(t.trim_end_matches('.'));
    !t.is_empty()
        && t.chars().count() <= 150
        && !ends_sentence
        && label_of(t).is_none()
        && t.chars().any(char::is_alphabetic)
}

/// Whether a line is only an included/not-included flag ("Included in asking price",
/// "- Not included in purchase price"), not a sentence that mentions one.
fn flag_line(line: &str) -> bool {
    let t = line
        .trim()
        .trim_start_matches(['-', '\u{2013}', '*'])
        .trim_start()
        .to_ascii_lowercase();
    ["included", "not included", "excluded", "not in asking"]
        .iter()
        .any(|w| t.starts_with(w))
}

/// Whether a row holds a figure (money, count, year, area, or the real estate row), whose value
/// is short and whose extra words are kept as description.
fn figure_row(field: Field) -> bool {
    matches!(
        field,
        Field::Asking
            | Field::CashFlow
            | Field::Revenue
            | Field::Ebitda
            | Field::Ffe
            | Field::Inventory
            | Field::RealEstate
            | Field::BuildingSf
            | Field::Rent
            | Field::Employees
            | Field::Established
    )
}

/// Words a figure row may hold besides its figure without saying more: the included flag,
/// ownership, "not disclosed", currency and scale words.
const PLAIN_ROW_WORDS: &[&str] = &[
    "not included in the asking price",
    "not included in asking price",
    "not included in the purchase price",
    "not included in purchase price",
    "included in the asking price",
    "included in asking price",
    "included in the purchase price",
    "included in purchase price",
    "not included",
    "included",
    "not disclosed",
    "undisclosed",
    "owned",
    "leased",
    "usd",
    "us$",
    "n/a",
    "tbd",
    "none",
    "sq ft",
    "sq. ft.",
    "sqft",
    "square feet",
];

/// Whether a row's value says more than its figure, flag and ownership (any other word).
fn says_more(value: &str) -> bool {
    let mut t = value.to_ascii_lowercase();
    for w in PLAIN_ROW_WORDS {
        t = t.replace(w, " ");
    }
    t.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .any(|w| {
            !matches!(
                w,
                "k" | "m"
                    | "mm"
                    | "mil"
                    | "million"
                    | "millions"
                    | "thousand"
                    | "b"
                    | "bn"
                    | "billion"
                    | "sf"
                    | "na"
            )
        })
        || value.chars().any(|c| !c.is_ascii() && c.is_alphabetic())
}

/// The figure of a value that is a figure beside an included flag and/or an ownership word:
/// "$500,000 Included in asking price", "Owned $500,000 - Included in asking price",
/// "$20,000 - included in purchase price." give the figure; anything else `None`.
fn figure_beside_flag(value: &str) -> Option<i64> {
    let lower = value.to_ascii_lowercase();
    let cut = ["not included", "included", "excluded", "not in asking"]
        .iter()
        .filter_map(|w| lower.find(w))
        .min()
        .unwrap_or(value.len());
    let mut t = value.get(..cut)?.trim();
    for w in ["owned", "leased"] {
        if t.get(..w.len()).is_some_and(|p| p.eq_ignore_ascii_case(w)) {
            t = t.get(w.len()..)?.trim_start_matches([' ', ',', '-']);
        }
    }
    let t = t
        .trim()
        .trim_end_matches(['-', '\u{2013}', ',', '('])
        .trim();
    parse_money(t)
}

/// Words after a leading figure that change what it means: a period ("$12,500/month"), a
/// loss, a second figure or a range ("or $900,000", "to $1.4M", "reduced from").
const FIGURE_CHANGING_WORDS: &[&str] = &[
    "month", "monthly", "months", "mo", "week", "weekly", "day", "daily", "loss", "losses",
    "negative", "deficit", "or", "to", "from", "reduced", "was", "between", "range", "per", "plus",
    "minus",
];

/// The figure a value starts with when the words after it do not change what it means:
/// "$750,000 including the real estate" gives 750,000 (the words stay in the description);
/// "$12,500/month", "-$25,000 loss", "$1.2-$1.4 million", "1.2 Milllion", "$1,200,000 or
/// $900,000 without real estate" give `None`.
fn leading_figure(value: &str) -> Option<i64> {
    let t = value.trim();
    if !t.starts_with(|c: char| c == '$' || c.is_ascii_digit()) {
        return None;
    }
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.' || c == '$'))
        .unwrap_or(t.len());
    let (number, rest) = t.split_at(end);
    // Directly after the figure: a space, or the end ("$12,500/month", "$1.2-$1.4M" fail).
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return None;
    }
    let words: Vec<String> = rest
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '$')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    // A scale word, spelt right or not ("million", "Milllion", "k"), or a changing word.
    let scale = words.first().is_some_and(|w| {
        w.len() == 1 || w.starts_with("mil") || w.starts_with("bil") || w.starts_with("thou")
    });
    if scale
        || words.iter().any(|w| {
            FIGURE_CHANGING_WORDS.contains(&w.as_str())
                || w.starts_with('$')
                || w.starts_with(|c: char| c.is_ascii_digit())
        })
    {
        return None;
    }
    parse_money(number.trim_end_matches(['.', ',']))
}

/// A line that starts with a "Label:" and holds more ("Asking Price: $900,000 | Cash Flow:
/// $150,000", "Asking Price: $1,200,000 Cash Flow: $150,000"), cut before each later "Label:";
/// `None` for a line with one label or none.
fn split_labels(line: &str) -> Option<Vec<String>> {
    let lower = line.to_ascii_lowercase();
    let mut cuts: Vec<usize> = Vec::new();
    let mut skip_to = 0;
    for (i, _) in lower.char_indices() {
        if i < skip_to || (i > 0 && lower[..i].ends_with(|c: char| c.is_ascii_alphanumeric())) {
            continue;
        }
        let rest = &lower[i..];
        // The longest label here ("asking price:" before "price:").
        let hit = LABELS
            .iter()
            .filter(|(name, _)| {
                rest.starts_with(name) && rest[name.len()..].trim_start().starts_with(':')
            })
            .map(|(name, _)| name.len())
            .max();
        if let Some(len) = hit {
            cuts.push(i);
            skip_to = i + len;
        }
    }
    if cuts.len() < 2 || cuts.first() != Some(&0) {
        return None;
    }
    cuts.push(line.len());
    Some(
        cuts.windows(2)
            .filter_map(|w| line.get(w[0]..w[1]))
            .map(|seg| {
                seg.trim()
                    .trim_end_matches(['|', ',', ';', '\u{2022}', '\u{00b7}'])
                    .trim()
                    .to_string()
            })
            .collect(),
    )
}

/// A browser's copy of a row of several label/value cells ("Asking Price:\t$1,200,000\tCash
/// Flow:\t$150,000") as one "Label: value" line each; any other line as it is.
fn split_pairs(line: &str) -> Vec<String> {
    if let Some(rows) = split_labels(line) {
        return rows;
    }
    let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
    let is_label = |c: &str| {
        let l = crate::dom::collapse(c.trim_end_matches(':')).to_lowercase();
        LABELS.iter().any(|(name, _)| *name == l)
    };
    let labels = cells.iter().filter(|c| is_label(c)).count();
    if labels < 2 {
        return vec![line.to_string()];
    }
    let mut out: Vec<String> = Vec::new();
    for c in cells.iter().filter(|c| !c.is_empty()) {
        match (out.last_mut(), is_label(c)) {
            (_, true) => out.push(format!("{}:", c.trim_end_matches(':'))),
            (Some(last), false) => {
                last.push(' ');
                last.push_str(c);
            }
            (None, false) => out.push(c.to_string()),
        }
    }
    out
}

/// The place after a title's last " in " ("Gas Station for Sale in Fredericksburg, VA."), when
/// it reads as a US state or a Canadian place; `None` for "Gas Station in Busy Location".
fn title_place(title: &str) -> Option<Location> {
    let lower = title.to_ascii_lowercase();
    let at = lower.rfind(" in ")?;
    let place = title
        .get(at + 4..)?
        .trim()
        .trim_end_matches(['.', '!', '?']);
    let mut loc = parse_location(place);
    // "in a Growing Area of OK": the state, not a city.
    if loc
        .city
        .as_deref()
        .is_some_and(|c| !c.starts_with(|ch: char| ch.is_uppercase()))
    {
        loc.city = None;
    }
    (loc.state.is_some() || loc.country.is_some()).then_some(loc)
}

/// A line that is only a location ("Spotsylvania County, VA"): not a label (a `Location:` line
/// is read by its label), a state or country, and a short place part.
fn location_line(line: &str) -> bool {
    label_of(line).is_none() && looks_like_location(line) && short_place(line) && !in_a_place(line)
}

/// "Truck Stop in Amarillo, TX", "Shell Station in Denver CO": a title naming a place, not a
/// location (no place name holds " in ").
fn in_a_place(line: &str) -> bool {
    parse_location(line)
        .city
        .is_some_and(|c| c.to_ascii_lowercase().contains(" in "))
}

/// Whether a location line's city part has at most four words (`"Fredericksburg County"`,
/// `"Rancho Santa Margarita"`), unlike a title that ends in a place.
fn short_place(line: &str) -> bool {
    parse_location(line)
        .city
        .is_none_or(|c| c.split_whitespace().count() <= 4)
}

/// Fewer words than this, with no digit and no listing address, are rejected as not a listing.
pub const MIN_WORDS_WITHOUT_FIGURES: usize = 20;

/// Parses pasted text.
pub fn parse_text(
    input: &str,
    text: &str,
    fetched_at: DateTime<Utc>,
) -> Result<Listing, Rejection> {
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    let trimmed = normalised.trim();
    if trimmed.is_empty() {
        return Err(Rejection {
            input: input.into(),
            record: None,
            listing_id: None,
            kind: RejectionKind::Unrecognised,
            reason: "empty input (nothing but whitespace)".into(),
        });
    }
    let rows: Vec<String> = trimmed.lines().flat_map(split_pairs).collect();
    let lines: Vec<&str> = rows.iter().map(|r| r.trim()).collect();
    let mut used = vec![false; lines.len()];
    let mut title = None;
    let mut loc = Location::default();

    // The listing's own BizBuySell address, when the paste carries it (a browser copy often
    // starts or ends with it): the listing is then the one the site numbers so, and a second
    // paste of it (a price cut) updates that listing rather than adding another. A line that
    // is only the address is not description, title or location.
    let site = lines.iter().enumerate().find_map(|(i, line)| {
        let (url, id) = line.split_whitespace().find_map(listing_url_id)?;
        if line.split_whitespace().count() == 1 {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
        }
        Some((url, id))
    });
    // A few words with no figure and no listing address are not a listing ("hello world" saved
    // into the inbox was stored and shown on the dashboard): say so instead.
    let words = trimmed.split_whitespace().count();
    if site.is_none()
        && words < MIN_WORDS_WITHOUT_FIGURES
        && !trimmed.bytes().any(|b| b.is_ascii_digit())
    {
        return Err(Rejection {
            input: input.into(),
            record: None,
            listing_id: None,
            kind: RejectionKind::Unrecognised,
            reason: format!(
                "not a listing: {words} words with no figure and no BizBuySell address; paste the listing page's text (title, asking price, cash flow, description)"
            ),
        });
    }
    let (url, listing_id) = match site {
        Some((url, id)) => (Some(url), id),
        None => {
            let hash = hex::encode(Sha256::digest(trimmed.as_bytes()));
            (None, format!("text-{}", hash.get(..12).unwrap_or(&hash)))
        }
    };

    // First non-empty line: location, or title (+ location on the next line).
    let non_empty_idx: Vec<usize> = (0..lines.len())
        .filter(|&i| !used[i] && lines.get(i).is_some_and(|l| !l.is_empty()))
        .collect();
    if let Some(&i0) = non_empty_idx.first() {
        let l0 = lines.get(i0).copied().unwrap_or("");
        let l1 = non_empty_idx
            .get(1)
            .and_then(|&i| lines.get(i).copied())
            .unwrap_or("");
        // A title often ends in the place too ("Gas Station for Sale in Fredericksburg, VA"):
        // a line is the location only when its place part is short. Either order is read:
        // title then location (a browser copy of the page's head), or location then title.
        let (loc0, loc1) = (location_line(l0), location_line(l1));
        let mut take = |i: usize| {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
        };
        if loc0 && !loc1 {
            loc = parse_location(l0);
            take(i0);
            // The title after it, when it ends in a place of its own (a long one, or it
            // would have been the location).
            if let Some(&i1) = non_empty_idx.get(1) {
                if looks_like_location(l1.trim_end_matches('.')) && title_like(l1, false) {
                    title = non_empty(l1);
                    take(i1);
                }
            }
        } else if title_like(l0, loc1) {
            title = non_empty(l0);
            take(i0);
            if let Some(&i1) = non_empty_idx.get(1) {
                if loc1 || (label_of(l1).is_none() && looks_like_location(l1)) {
                    loc = parse_location(l1);
                    take(i1);
                }
            }
        }
    }

    let mut l = Listing {
        listing_id,
        url,
        source: ListingSource::PastedText,
        fetched_at,
        ..Default::default()
    };
    let mut re = RealEstate::default();
    let mut i = 0;
    while i < lines.len() {
        if used.get(i).copied().unwrap_or(true) {
            i += 1;
            continue;
        }
        let line = lines.get(i).copied().unwrap_or("");
        if HEADINGS.contains(&line.trim_end_matches(':').to_lowercase().as_str()) {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
            i += 1;
            continue;
        }
        let Some((field, mut value)) = label_of(line) else {
            i += 1;
            continue;
        };
        if let Some(u) = used.get_mut(i) {
            *u = true;
        }
        // Value on the following line(s): take the next non-empty line unless it is a label.
        let mut extra: Vec<String> = Vec::new();
        if value.is_empty() {
            let mut j = i + 1;
            while j < lines.len() && lines.get(j).is_some_and(|s| s.is_empty()) {
                j += 1;
            }
            if let Some(next) = lines.get(j) {
                // A figure row's value is short ("$1,200,000", "Owned"): a sentence after an
                // empty figure label is description.
                if label_of(next).is_none() && (!figure_row(field) || next.chars().count() <= 40) {
                    value = next.to_string();
                    if let Some(u) = used.get_mut(j) {
                        *u = true;
                    }
                    i = j;
                }
            }
        }
        // "Included in asking price" on the line after a value (the flag alone: a sentence
        // such as "Real estate is not included in the sale." is description).
        if let Some(next) = lines.get(i + 1) {
            if included_flag(next).is_some()
                && flag_line(next)
                && label_of(next).is_none()
                && matches!(field, Field::Ffe | Field::Inventory | Field::RealEstate)
            {
                extra.push(next.to_string());
                if let Some(u) = used.get_mut(i + 1) {
                    *u = true;
                }
                i += 1;
            }
        }
        let flag = included_flag(&value).or_else(|| extra.iter().find_map(|e| included_flag(e)));
        let money = value
            .split(['\t', '('])
            .next()
            .and_then(|v| parse_money(v.trim()));
        let money = money.or_else(|| parse_money(&value));
        // "$500,000 Included in asking price", "Owned $500,000 - Included ...": the figure
        // beside a flag or an ownership word. Anything else around a figure ("$12,500/month",
        // "-$25,000 loss", "Reduced from $1.5M to $1.2M") is not guessed at.
        let money = money
            .or_else(|| figure_beside_flag(&value))
            .or_else(|| leading_figure(&value));
        // A row that says more than its figure and flag ("$750,000 including the real estate",
        // "Leased, 10 years remaining", "Owner operated with 2 part-time") also stays in the
        // description, where the analyzer reads its words: nothing stated is lost.
        if figure_row(field) && says_more(&value) {
            if let Some(u) = used.get_mut(i) {
                *u = false;
            }
        }
        match field {
            Field::Asking => l.asking_price = l.asking_price.or(money.filter(|v| *v > 0)),
            Field::CashFlow => l.cash_flow = l.cash_flow.or(money),
            Field::Revenue => l.gross_revenue = l.gross_revenue.or(money),
            Field::Ebitda => l.ebitda = l.ebitda.or(money),
            Field::Ffe => {
                l.ffe = l.ffe.or(money);
                l.ffe_included = l.ffe_included.or(flag);
            }
            Field::Inventory => {
                l.inventory = l.inventory.or(money);
                l.inventory_included = l.inventory_included.or(flag);
            }
            Field::Established => l.established_year = l.established_year.or(parse_year(&value)),
            Field::RealEstate => {
                re.value = re.value.or(money);
                re.ownership = re.ownership.or(ownership(&value));
                re.included = re.included.or(flag);
            }
            Field::BuildingSf => l.building_sqft = l.building_sqft.or(parse_sqft(&value)),
            Field::Rent => l.rent = l.rent.or(money),
            Field::LeaseExpiration => {
                l.lease_expiration = l.lease_expiration.take().or(non_empty(&value))
            }
            Field::Employees => l.employees = l.employees.or(parse_count(&value)),
            Field::Reason => {
                l.reason_for_selling = l.reason_for_selling.take().or(non_empty(&value))
            }
            Field::Financing => l.financing = l.financing.take().or(non_empty(&value)),
            Field::Location => {
                if loc.state.is_none() {
                    loc = parse_location(&value);
                }
            }
        }
        i += 1;
    }

    let description: Vec<&str> = lines
        .iter()
        .zip(used.iter())
        .filter(|(_, u)| !**u)
        .map(|(l, _)| *l)
        .collect();
    l.description = non_empty(&crate::dom::tidy(&description.join("\n")));
    // No location line or label: the place the title ends in ("... for Sale in Toronto, ON,
    // Canada", "Shell Station in Denver CO"), as BizBuySell titles do.
    if loc.state.is_none() && loc.country.is_none() {
        if let Some(place) = title.as_deref().and_then(title_place) {
            loc = place;
        }
    }
    l.title = title;
    l.city = loc.city;
    l.state = loc.state;
    l.country = loc.country;
    l.real_estate = re;
    if l.financing
        .as_deref()
        .is_some_and(mentions_seller_financing)
    {
        l.seller_financing = Some(true);
    }
    Ok(finish(l))
}
