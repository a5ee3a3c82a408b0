//! Debt service coverage under SBA 7(a)-style assumptions.
//!
//! Loan = asking price x (1 - down payment); level monthly payments over 10 years (business only)
//! or 25 years (real estate in the deal) at the configured rate [PETROMAC][JANOVER];
//! DSCR = cash flow used / annual debt service, where the cash flow used is SDE minus a manager
//! wage when the store is owner-operated [OFFERS][PHELPS]. A lender wants >= 1.25 [OXFORD].

use gsa_schemas::Dscr;

use crate::config::SbaConfig;

/// Annual payment (USD) of a fully amortising loan with monthly payments.
pub fn annual_debt_service(loan: f64, rate_percent: f64, term_years: u32) -> f64 {
    let n = f64::from(term_years) * 12.0;
    if n <= 0.0 {
        return 0.0;
    }
    let r = rate_percent / 100.0 / 12.0;
    let monthly = if r.abs() < 1e-12 {
        loan / n
    } else {
        loan * r / (1.0 - (1.0 + r).powf(-n))
    };
    monthly * 12.0
}

/// DSCR for a price and the cash flow used (USD/year); `None` without a positive price.
pub fn compute(
    price: i64,
    cash_flow_used: i64,
    with_real_estate: bool,
    sba: &SbaConfig,
) -> Option<Dscr> {
    if price <= 0 {
        return None;
    }
    let term = if with_real_estate {
        sba.term_years_with_real_estate
    } else {
        sba.term_years_business
    };
    let loan = price as f64 * (1.0 - sba.down_payment_percent / 100.0);
    let ds = annual_debt_service(loan, sba.rate_percent, term);
    if ds <= 0.0 {
        return None;
    }
    Some(Dscr {
        ratio: crate::text::round2(cash_flow_used as f64 / ds),
        loan_usd: loan.round() as i64,
        down_payment_percent: sba.down_payment_percent,
        rate_percent: sba.rate_percent,
        term_years: term,
        annual_debt_service_usd: ds.round() as i64,
        cash_flow_usd: cash_flow_used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ScoringConfig;

    #[test]
    fn reference_worked_examples() {
        let sba = ScoringConfig::default().sba;
        // Hubbard, OR [SAAD-GSA]: 90% LTV, 25 years, 10.5% -> DSCR about 1.38.
        let d = compute(8_499_000, 1_200_000, true, &sba).unwrap();
        assert_eq!(d.ratio, 1.38);
        assert_eq!(d.loan_usd, 7_649_100);
        assert_eq!(d.term_years, 25);
        // Phoenix [FIRM-PHX]: $1,255,000, CF $334,731, 10 years -> debt service about $182.9k, DSCR about 1.83.
        let d = compute(1_255_000, 334_731, false, &sba).unwrap();
        assert!(
            (d.annual_debt_service_usd - 182_900).abs() < 500,
            "{}",
            d.annual_debt_service_usd
        );
        assert_eq!(d.ratio, 1.83);
    }

    #[test]
    fn zero_rate_and_bad_price() {
        assert_eq!(annual_debt_service(120_000.0, 0.0, 10), 12_000.0);
        let sba = ScoringConfig::default().sba;
        assert!(compute(0, 100, false, &sba).is_none());
    }
}
