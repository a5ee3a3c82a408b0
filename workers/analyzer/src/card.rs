//! `score`: one listing in, one score card out. Pure and deterministic: no clock, no randomness,
//! no I/O; the same listing and configuration always give the same card.

use gsa_schemas::{Bucket, Listing, RealEstateBasis, ScoreCard};

use crate::config::ScoringConfig;
use crate::rules::{self, BucketName, Ctx};
use crate::valuation::{cross_check, ValuationInput};
use crate::{applicability, confidence, dscr, facts, real_estate, summary};

/// Largest dollar figure (USD) taken as stated. The largest gas station and truck stop deals
/// are in the hundreds of millions; a figure above $10 billion is a typo or garbage
/// ("$2000000000B"), every multiple, DSCR and valuation computed from it would mean nothing,
/// and its sums could overflow.
pub const MAX_PLAUSIBLE_USD: i64 = 10_000_000_000;

/// Smallest asking price, cash flow, gross revenue or real estate value (USD) taken as stated.
/// A station's price, property or year of cash flow or sales under $1,000 is a placeholder
/// ("Cash Flow: $1", an API's `cashFlow: 0` for "not disclosed"): taken as stated, $900,000
/// over $1 is a 900,000x multiple, read as real estate in the deal. A negative cash flow (a
/// loss) is taken as stated; a negative price, revenue or property value cannot be. Other
/// figures (FF&E, inventory, rent, EBITDA) can be that small and are taken as stated.
pub const MIN_PLAUSIBLE_USD: i64 = 1_000;

/// How small a figure may be and still be taken as stated.
#[derive(Clone, Copy, PartialEq)]
enum Floor {
    /// At least [`MIN_PLAUSIBLE_USD`]: price, revenue, real estate value.
    Positive,
    /// At least [`MIN_PLAUSIBLE_USD`], or negative (a loss): cash flow.
    PositiveOrLoss,
    /// Any size up to [`MAX_PLAUSIBLE_USD`].
    Any,
}

impl Floor {
    /// Why `v` is set aside, or `None` when it is taken as stated.
    fn reject(self, v: i64) -> Option<&'static str> {
        if v.unsigned_abs() > MAX_PLAUSIBLE_USD as u64 {
            return Some("beyond any real deal (over $10 billion): a typo?");
        }
        match self {
            Floor::Any => None,
            _ if v >= MIN_PLAUSIBLE_USD => None,
            Floor::PositiveOrLoss if v < 0 => None,
            _ if v < 0 => Some("below zero, which it cannot be: a typo?"),
            _ if v == 0 => Some("usually a figure not disclosed: none, or withheld?"),
            _ => Some("too small for a station (under $1,000): a placeholder?"),
        }
    }
}

/// The listing with every figure a [`Floor`] rejects set aside as not stated, and a question
/// for each; borrowed (no copy) when all are plausible, as on every real listing. The write-up
/// and the spreadsheet row use it too, so no set-aside figure reaches a multiple.
pub(crate) fn plausible(listing: &Listing) -> (std::borrow::Cow<'_, Listing>, Vec<String>) {
    let l = listing;
    let floors = [
        (l.asking_price, Floor::Positive),
        (l.cash_flow, Floor::PositiveOrLoss),
        (l.gross_revenue, Floor::Positive),
        (l.ebitda, Floor::Any),
        (l.ffe, Floor::Any),
        (l.inventory, Floor::Any),
        (l.rent, Floor::Any),
        (l.real_estate.value, Floor::Positive),
    ];
    if !floors
        .iter()
        .any(|(v, floor)| v.is_some_and(|v| floor.reject(v).is_some()))
    {
        return (std::borrow::Cow::Borrowed(listing), vec![]);
    }
    let mut l = listing.clone();
    let mut questions = Vec::new();
    for (name, f, floor) in [
        ("an asking price", &mut l.asking_price, Floor::Positive),
        ("a cash flow", &mut l.cash_flow, Floor::PositiveOrLoss),
        ("a gross revenue", &mut l.gross_revenue, Floor::Positive),
        ("an EBITDA", &mut l.ebitda, Floor::Any),
        ("an FF&E", &mut l.ffe, Floor::Any),
        ("an inventory", &mut l.inventory, Floor::Any),
        ("a rent", &mut l.rent, Floor::Any),
        (
            "a real estate value",
            &mut l.real_estate.value,
            Floor::Positive,
        ),
    ] {
        let Some(why) = f.and_then(|v| floor.reject(v)) else {
            continue;
        };
        questions.push(format!(
            "The listing gives {name} of {}, {why} It was not used.",
            crate::text::usd(f.take().unwrap_or_default())
        ));
    }
    (std::borrow::Cow::Owned(l), questions)
}

/// Scores a listing. `listing_event_id` is the id of the listing event being scored.
///
/// The card has no history (`previous_score`, `previous_model_version`, `changes` empty):
/// [`crate::explain::attach`] adds it against the listing's previous card.
///
/// A listing that is not a US gas station, c-store with fuel or truck stop gets
/// `applicable: false`, the reason, `score: null`, and its facts (facts are extracted for every
/// listing).
pub fn score(listing: &Listing, listing_event_id: &str, cfg: &ScoringConfig) -> ScoreCard {
    score_reading(listing, listing_event_id, cfg, None)
}

/// How the real estate is read when the listing does not state it: the two readings a card
/// compares (see [`other_reading_question`]).
#[derive(Clone, Copy, PartialEq)]
enum Reading {
    /// In the deal: judged on the with-real-estate band, 25-year SBA term.
    Included,
    /// Not known: judged as business-only (the cautious reading).
    BusinessOnly,
}

/// The question that puts a number on the real estate when the listing does not state it, in
/// the zone where the two readings give very different scores: inferred (asking price at least
/// `price.infer_real_estate_min_multiple` x cash flow), or unknown at a multiple above the
/// business-only band's last bound (4.12x), where a business-only deal is already "poor" but the
/// with-real-estate band (sold comps 4-6x [SAAD-ISO]) is not.
///
/// A threshold cannot be both monotone and faithful to the reference here: each reading falls
/// as the price rises, but the with-real-estate one starts far higher, so with $150,000 cash flow
/// and 70,000 gallons a month $899,000 (5.99x, judged business-only) scores 40 and $900,000
/// (6.0x, real estate inferred [SAAD-GSA]) scores 74 (docs/SCORING.md §3). The card therefore
/// gives the score under the other reading, so a buyer sees both and what to ask.
fn other_reading_question(
    listing: &Listing,
    listing_event_id: &str,
    cfg: &ScoringConfig,
    basis: RealEstateBasis,
    sde: Sde,
    this_score: u8,
) -> Option<String> {
    let m = listing.multiple()?;
    // The multiple the price factor judges: after the manager wage when owner-operated.
    let judged = Listing::multiple_of(listing.asking_price?, sde.normalised?)?;
    let poor_above = cfg.price.business_only_bounds.last().copied()?;
    let owned = listing.real_estate.ownership == Some(gsa_schemas::RealEstateOwnership::Owned);
    let (other, what_now, what_other) = match basis {
        RealEstateBasis::Inferred => (
            Reading::BusinessOnly,
            "with the real estate (inferred)",
            "as business-only",
        ),
        RealEstateBasis::Unknown if judged > poor_above => (
            Reading::Included,
            if owned {
                "as business-only (the real estate is owned, but not stated to be in the price)"
            } else {
                "as business-only (not stated)"
            },
            "with the real estate",
        ),
        _ => return None,
    };
    let other_score = score_reading(listing, listing_event_id, cfg, Some(other)).score?;
    let at = if sde.wage_deducted {
        format!(
            "{m:.2}x cash flow ({judged:.2}x after a {} manager wage, owner-operated)",
            crate::text::usd(cfg.valuation.manager_wage_usd)
        )
    } else {
        format!("{m:.2}x cash flow")
    };
    (other_score != this_score).then(|| {
        format!(
            "Is the real estate in the asking price? At {at} this listing is judged {what_now} and scores {this_score}; judged {what_other} it would score {other_score}."
        )
    })
}

/// Cash flow (SDE, USD/year) as the price factor and DSCR use it.
#[derive(Clone, Copy)]
struct Sde {
    /// Stated cash flow, minus `valuation.manager_wage_usd` when owner-operated [OFFERS].
    normalised: Option<i64>,
    /// The manager wage was deducted.
    wage_deducted: bool,
}

/// [`score`] with the real estate read as `reading` when the listing does not state it (`None`:
/// as [`real_estate::assess`] decides).
fn score_reading(
    listing: &Listing,
    listing_event_id: &str,
    cfg: &ScoringConfig,
    reading: Option<Reading>,
) -> ScoreCard {
    let (listing, set_aside) = plausible(listing);
    let listing = &*listing;
    let ex = facts::extract_all(listing);
    let app = applicability::assess(listing);
    let mut re = real_estate::assess(listing, &ex, cfg);
    if re.basis != RealEstateBasis::Stated {
        match reading {
            Some(Reading::Included) => re.included = Some(true),
            Some(Reading::BusinessOnly) => re.included = None,
            None => {}
        }
    }
    let conf = confidence::grade(listing, &ex, &re);
    let facts: Vec<_> = ex.found.iter().map(|f| f.fact.clone()).collect();
    let model_version = cfg.model_version();

    if !app.applicable {
        return ScoreCard {
            listing_id: listing.listing_id.clone(),
            listing_event_id: listing_event_id.to_string(),
            model_version,
            applicable: false,
            not_applicable_reason: Some(app.reason.clone()),
            score: None,
            confidence: conf,
            real_estate: re,
            buckets: vec![],
            factors: vec![],
            caps: vec![],
            facts,
            missing: vec![],
            questions: vec![],
            dscr: None,
            valuation: None,
            summary: format!("Not scored: {}", app.reason),
            previous_score: None,
            previous_model_version: None,
            changes: vec![],
        };
    }

    let owner = ex.get("owner_involvement").and_then(|f| f.text());
    let wage_deducted = owner == Some("owner_operated") && listing.cash_flow.is_some();
    let norm_sde = listing.cash_flow.map(|c| {
        if wage_deducted {
            c - cfg.valuation.manager_wage_usd
        } else {
            c
        }
    });
    let re_in_deal = re.included == Some(true);
    let dscr = match (listing.asking_price, norm_sde) {
        (Some(p), Some(s)) => dscr::compute(p, s, re_in_deal, &cfg.sba),
        _ => None,
    };
    let ctx = Ctx {
        listing,
        cfg,
        ex: &ex,
        re: &re,
        re_in_deal,
        norm_sde,
        wage_deducted,
        dscr: dscr.clone(),
        year: facts::listing_year(listing),
    };
    let out = rules::run(&ctx);

    let buckets: Vec<Bucket> = BucketName::ALL
        .iter()
        .map(|b| Bucket {
            name: b.as_str().to_string(),
            points: crate::text::round2(
                out.scored
                    .iter()
                    .filter(|s| s.factor.bucket == b.as_str())
                    .map(|s| s.factor.points)
                    .sum(),
            ),
            max_points: cfg.bucket_max(*b),
        })
        .collect();
    let sum: f64 = buckets.iter().map(|b| b.points).sum();
    let raw = sum.round().clamp(0.0, 100.0) as u8;
    let final_score = crate::caps::apply(raw, &out.caps);

    let mut questions = set_aside;
    questions.extend(ex.questions.iter().cloned());
    if let Some(m) = ex.mention("closed") {
        questions.push(format!(
            "The listing says \"{}\": when did the site stop operating, and what were its last full-year sales and gallons?",
            m.quote
        ));
    }
    if let Some(m) = ex.mention("real_estate_conflict") {
        questions.push(format!(
            "The wording says \"{}\" but the listing's real-estate field says otherwise: is the real estate in the asking price?",
            m.quote
        ));
    }
    if let (true, Some(v), Some(p)) = (re_in_deal, listing.real_estate.value, listing.asking_price)
    {
        if v >= p {
            questions.push(format!(
                "The listing gives a real estate value of {}, at or above the {} asking price: what does the price include? The value was not used.",
                crate::text::usd(v),
                crate::text::usd(p)
            ));
        }
    }
    for q in &out.questions {
        if !questions.contains(q) {
            questions.push(q.clone());
        }
    }

    if reading.is_none() {
        let sde = Sde {
            normalised: norm_sde,
            wage_deducted,
        };
        if let Some(q) =
            other_reading_question(listing, listing_event_id, cfg, re.basis, sde, final_score)
        {
            // It answers, with numbers, the real-estate question the rules ask: one question.
            use rules::real_estate_or_lease::{ASK_UNKNOWN, CONFIRM_INFERRED, IF_LEASED};
            let (old, merged) = match re.basis {
                RealEstateBasis::Inferred => (CONFIRM_INFERRED, q),
                _ => (ASK_UNKNOWN, format!("{q} {IF_LEASED}")),
            };
            match questions.iter().position(|x| x == old) {
                Some(i) => questions[i] = merged,
                None => questions.push(merged),
            }
        }
    }

    let valuation = match (listing.asking_price, norm_sde) {
        (Some(price), Some(sde)) => cross_check(
            &ValuationInput {
                price,
                normalised_sde: sde,
                wage_deducted,
                real_estate_in_deal: re_in_deal,
                real_estate_value: listing
                    .real_estate
                    .value
                    .filter(|v| re_in_deal && *v < price),
                tank_capex: rules::risk::tank_capex(&ctx),
            },
            cfg,
        ),
        _ => None,
    };
    let mut summary = summary::write(final_score, conf, cfg, &out.scored, &out.caps, &out.missing);
    if re.basis == RealEstateBasis::Inferred {
        summary.push_str(&format!(
            " Real estate is inferred from the {:.2}x multiple, not stated.",
            listing.multiple().unwrap_or_default()
        ));
    }

    ScoreCard {
        listing_id: listing.listing_id.clone(),
        listing_event_id: listing_event_id.to_string(),
        model_version,
        applicable: true,
        not_applicable_reason: None,
        score: Some(final_score),
        confidence: conf,
        real_estate: re,
        buckets,
        factors: out.scored.into_iter().map(|s| s.factor).collect(),
        caps: out.caps,
        facts,
        missing: out.missing,
        questions,
        dscr,
        valuation,
        summary,
        previous_score: None,
        previous_model_version: None,
        changes: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The factor of this name on the card (panics when absent: a test failure).
    fn factor<'a>(card: &'a ScoreCard, name: &str) -> &'a gsa_schemas::Factor {
        card.factors
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no {name} factor"))
    }

    /// A station in Austin, TX with this description, asking price and cash flow (USD).
    fn austin(description: &str, price: i64, cash_flow: i64) -> Listing {
        Listing {
            listing_id: "t".into(),
            title: Some("Gas Station for Sale in Austin, TX".into()),
            description: Some(description.into()),
            state: Some("TX".into()),
            asking_price: Some(price),
            cash_flow: Some(cash_flow),
            ..Default::default()
        }
    }

    /// Around the multiple at which real estate is inferred the score jumps ($899,000 scored 40
    /// and $900,000 scored 74): each card gives the score under the other reading, so a buyer
    /// sees both numbers and what to ask.
    #[test]
    fn both_readings_of_unstated_real_estate_are_given_near_the_inference_multiple() {
        let cfg = ScoringConfig::default();
        let at = |price: i64| {
            let listing = austin(
                "Shell gas station with a convenience store, pumping 70,000 gallons per month.",
                price,
                150_000,
            );
            score(&listing, "e", &cfg)
        };
        let asked = |c: &ScoreCard| {
            c.questions
                .iter()
                .find(|q| q.starts_with("Is the real estate in the asking price? At "))
                .cloned()
        };
        let below = at(899_000);
        let above = at(900_000);
        assert_eq!(below.real_estate.basis, RealEstateBasis::Unknown);
        assert_eq!(above.real_estate.basis, RealEstateBasis::Inferred);
        // The numbers of the known jump; each card's other reading is the neighbour's score.
        assert_eq!((below.score, above.score), (Some(40), Some(74)));
        assert_eq!(
            asked(&below).unwrap(),
            "Is the real estate in the asking price? At 5.99x cash flow this listing is judged as business-only (not stated) and scores 40; judged with the real estate it would score 74. If leased: monthly rent, years left and tenant renewal options?"
        );
        assert_eq!(
            asked(&above).unwrap(),
            "Is the real estate in the asking price? At 6.00x cash flow this listing is judged with the real estate (inferred) and scores 74; judged as business-only it would score 40."
        );
        // It takes the place of the rules' own real-estate question: one question, not two.
        use rules::real_estate_or_lease::{ASK_UNKNOWN, CONFIRM_INFERRED};
        assert!(!below.questions.iter().any(|q| q == ASK_UNKNOWN));
        assert!(!above.questions.iter().any(|q| q == CONFIRM_INFERRED));
        // Below the business-only band's last bound (4.12x) a business-only reading is not yet
        // poor, and no such question is asked; the rules' own question stays.
        let low = at(600_000);
        assert_eq!(asked(&low), None);
        assert!(low.questions.iter().any(|q| q == ASK_UNKNOWN));
        // Judged as printed: $899,999 is 6.00x, so it is judged at 6.00x (real estate inferred),
        // never printed "6.00x" beside a business-only verdict.
        let edge = at(899_999);
        assert_eq!(edge.real_estate.basis, RealEstateBasis::Inferred);
        assert_eq!(edge.score, Some(74));
    }

    /// An owner-operated listing is judged on cash flow after a manager wage: the question gives
    /// that multiple too, and is asked where the judged multiple (not the stated one) is past the
    /// business-only band ($600,000 on $150,000: 4.00x stated, 6.00x after the wage).
    #[test]
    fn the_other_reading_uses_the_multiple_the_price_factor_judges() {
        let cfg = ScoringConfig::default();
        let listing = austin(
            "Owner operated Shell gas station with a convenience store, pumping 70,000 gallons per month.",
            600_000,
            150_000,
        );
        let card = score(&listing, "e", &cfg);
        let price = factor(&card, "price_to_cash_flow");
        assert!(
            price
                .rule
                .starts_with("6.00x price over cash flow after a $50,000 manager wage"),
            "{}",
            price.rule
        );
        let q = card
            .questions
            .iter()
            .find(|q| q.starts_with("Is the real estate in the asking price? At "))
            .unwrap_or_else(|| panic!("{:?}", card.questions));
        assert_eq!(
            q,
            "Is the real estate in the asking price? At 4.00x cash flow (6.00x after a $50,000 manager wage, owner-operated) this listing is judged as business-only (not stated) and scores 40; judged with the real estate it would score 73. If leased: monthly rent, years left and tenant renewal options?"
        );
        // "Real Estate: Owned" says who owns it, not that it is in the price: the card says so.
        let mut owned = listing.clone();
        owned.real_estate.ownership = Some(gsa_schemas::RealEstateOwnership::Owned);
        let card = score(&owned, "e", &cfg);
        assert!(
            card.questions.iter().any(|q| q.contains("judged as business-only (the real estate is owned, but not stated to be in the price)")),
            "{:?}",
            card.questions
        );
    }

    /// "Cash Flow: $1" is a placeholder: taken as stated, $900,000 over $1 was a 900,000x
    /// multiple and read as real estate in the deal (a break-it trial).
    #[test]
    fn a_placeholder_figure_is_set_aside_and_asked_about() {
        let listing = Listing {
            inventory: Some(500),
            ..austin(
                "Shell gas station pumping 60,000 gallons per month.",
                900_000,
                1,
            )
        };
        let card = score(&listing, "e", &ScoringConfig::default());
        assert_eq!(card.real_estate.basis, RealEstateBasis::Unknown);
        assert!(
            card.missing.iter().any(|m| m == "cash_flow"),
            "{:?}",
            card.missing
        );
        assert_eq!(
            card.questions[0],
            "The listing gives a cash flow of $1, too small for a station (under $1,000): a placeholder? It was not used."
        );
        // Inventory can be that small: taken as stated, not asked about.
        assert_eq!(
            card.questions
                .iter()
                .filter(|q| q.contains("placeholder"))
                .count(),
            1
        );
        assert!(
            !card.questions.iter().any(|q| q.contains("x cash flow")),
            "{:?}",
            card.questions
        );
        // The write-up shows the stated figure as not used, and no multiple from it.
        let md = crate::writeup::markdown(&listing, &card);
        assert!(md.contains("Cash flow $1 (not used)"), "{md}");
        assert!(!md.contains("900000"), "{md}");
        // Zero and below: a zero cash flow is "not disclosed", a negative one a loss (used);
        // a zero or negative revenue or price cannot be; a $1 property value is a placeholder.
        let odd = Listing {
            cash_flow: Some(0),
            gross_revenue: Some(-2_000_000),
            real_estate: gsa_schemas::RealEstate {
                value: Some(1),
                included: Some(true),
                ..Default::default()
            },
            ..listing.clone()
        };
        let card = score(&odd, "e", &ScoringConfig::default());
        let set_aside: Vec<&str> = card
            .questions
            .iter()
            .filter(|q| q.ends_with("It was not used."))
            .map(String::as_str)
            .collect();
        assert_eq!(
            set_aside,
            [
                "The listing gives a cash flow of $0, usually a figure not disclosed: none, or withheld? It was not used.",
                "The listing gives a gross revenue of -$2,000,000, below zero, which it cannot be: a typo? It was not used.",
                "The listing gives a real estate value of $1, too small for a station (under $1,000): a placeholder? It was not used.",
            ]
        );
        let loss = Listing {
            cash_flow: Some(-50_000),
            ..listing
        };
        let card = score(&loss, "e", &ScoringConfig::default());
        assert!(!card
            .questions
            .iter()
            .any(|q| q.ends_with("It was not used.")));
        assert!(card.dscr.is_some());
    }

    /// A stated real estate value at or above the asking price cannot be part of it: asked, and
    /// used neither by the price factor nor by the valuation (the valuation had added it and
    /// called the asking price a 45 % discount). A value below the price is the decompose method:
    /// the headline says "business part".
    #[test]
    fn a_real_estate_value_above_the_price_is_asked_about_not_used() {
        let cfg = ScoringConfig::default();
        let at = |price: i64, value: i64| {
            let listing = Listing {
                real_estate: gsa_schemas::RealEstate {
                    value: Some(value),
                    included: Some(true),
                    ..Default::default()
                },
                ..austin(
                    "Shell gas station pumping 70,000 gallons per month.",
                    price,
                    150_000,
                )
            };
            score(&listing, "e", &cfg)
        };
        let card = at(900_000, 1_200_000);
        assert!(card.questions.iter().any(|q| q
            == "The listing gives a real estate value of $1,200,000, at or above the $900,000 asking price: what does the price include? The value was not used."), "{:?}", card.questions);
        let v = card.valuation.unwrap();
        assert!(v.asking_vs_mid_percent > -40.0, "{v:?}");
        let card = at(700_000, 500_000);
        let price = factor(&card, "price_to_cash_flow");
        assert!(
            price.rule.starts_with("1.33x business part"),
            "{}",
            price.rule
        );
        assert!(
            card.summary
                .contains("1.33x cash flow for the business part"),
            "{}",
            card.summary
        );
        let re = factor(&card, "real_estate_in_deal");
        assert!(re.rule.contains("the business part (price minus the stated real estate value) is judged on the business-only band"), "{}", re.rule);
    }

    /// "Cash Flow: $2000000000B" (2e18) made the valuation's sum overflow and, in a debug
    /// build, panic the analyzer and every service of `gsa up` (a break-it trial).
    #[test]
    fn an_implausible_figure_is_set_aside_and_asked_about() {
        let listing = austin(
            "Shell gas station pumping 60,000 gallons per month.",
            1_000_000,
            2_000_000_000_000_000_000,
        );
        let card = score(&listing, "e", &ScoringConfig::default());
        assert!(card.applicable);
        assert!(card.dscr.is_none() && card.valuation.is_none());
        assert!(
            card.missing.iter().any(|m| m == "cash_flow"),
            "{:?}",
            card.missing
        );
        assert!(
            card.questions[0]
                .starts_with("The listing gives a cash flow of $2,000,000,000,000,000,000"),
            "{:?}",
            card.questions
        );
        // A real-sized figure is used as stated.
        let ok = Listing {
            cash_flow: Some(250_000),
            ..listing
        };
        let card = score(&ok, "e", &ScoringConfig::default());
        assert!(card.dscr.is_some());
        assert!(!card
            .questions
            .iter()
            .any(|q| q.contains("beyond any real deal")));
    }
}
