//! Caps: limits applied outside the weighted sum, so that one disqualifying problem cannot be
//! outvoted by good numbers elsewhere (the laundromat screener's "any single red can drive PASS"
//! pattern [LAUNDRO]). The rules add them (see `rules::risk`, `rules::cash_flow`,
//! `rules::real_estate_or_lease`):
//!
//! * open environmental problem -> 40 [ACA-FL][BBC][PSARA]
//! * DSCR < 1.0 -> 50 [OXFORD][PHELPS]
//! * lease (incl. options) < 5 years or month-to-month -> 50 [TUPELO][SF-LEASE]

use gsa_schemas::Cap;

/// The score after caps: the lowest applicable limit, or the sum when none applies.
pub fn apply(sum: u8, caps: &[Cap]) -> u8 {
    caps.iter().map(|c| c.limit).fold(sum, u8::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_cap_wins_and_never_raises() {
        let caps = vec![
            Cap {
                limit: 50,
                reason: "dscr".into(),
            },
            Cap {
                limit: 40,
                reason: "env".into(),
            },
        ];
        assert_eq!(apply(77, &caps), 40);
        assert_eq!(apply(30, &caps), 30);
        assert_eq!(apply(77, &[]), 77);
    }
}
