//! Scoring configuration: factor weights, bands, thresholds, SBA loan assumptions and valuation
//! multiples. The documented defaults live in `workers/analyzer/scoring.toml` (compiled in); a
//! file given to [`ScoringConfig::load`] is merged over them key by key, so it only needs the keys
//! it changes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Name of the rule set. Bumped whenever a rule (not a number) changes.
///
/// `rules-2`: applicability needs a site term in the title or two different fuel terms, and a
/// fuel word describing a vehicle, engine, running cost or container does not count.
///
/// `rules-3`: derived figures carry `estimate: true`; wording that says the real estate is
/// included and also leased or business-only is reported (reason, question, one grade lower),
/// with an implied real-estate value shown as an estimate; "plus real estate taxes" no longer
/// reads as real estate included.
///
/// `rules-4`: multiples are judged as printed (two decimals); an asking price, cash flow or gross
/// revenue under $1,000 is a placeholder, set aside and asked about; where the real estate is
/// not stated, the card gives the score under the other reading (one real-estate question).
pub const RULES_VERSION: &str = "rules-4";

/// Environment variable naming a scoring configuration file (TOML, only the keys it changes),
/// read by [`ScoringConfig::from_env`].
pub const SCORING_CONFIG_ENV: &str = "GSA_SCORING_CONFIG";

/// The compiled-in default configuration (`workers/analyzer/scoring.toml`).
pub const DEFAULT_TOML: &str = include_str!("../scoring.toml");

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read scoring config {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not valid TOML, an unknown key, or a value of the wrong type. The TOML error is the
    /// `source`, not repeated in this message: `{:#}` (how gsa prints errors) would print it
    /// twice.
    #[error("invalid scoring config")]
    Parse(#[from] toml::de::Error),
    /// Parsed, but the values do not make sense (e.g. weights not adding up to 100).
    #[error("invalid scoring config: {0}")]
    Invalid(String),
}

/// Maximum points of each factor. The six buckets are sums of these (see `scoring.toml`);
/// the total must be 100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Price bucket: asking price / cash flow against the business-only or with-real-estate band.
    pub price_to_cash_flow: f64,
    /// Cash-flow bucket: debt service coverage under SBA assumptions.
    pub dscr: f64,
    /// Cash-flow bucket: normalised SDE against the BizBuySell gas-station median.
    pub earnings_level: f64,
    /// Real-estate-or-lease bucket: years left on the lease incl. tenant options (leasehold).
    pub lease_term: f64,
    /// Real-estate-or-lease bucket: rent against store gross profit or inside sales (leasehold).
    pub rent_burden: f64,
    /// Operations bucket: fuel gallons per month.
    pub gallons: f64,
    /// Operations bucket: inside (store) sales per month.
    pub inside_sales: f64,
    /// Operations bucket: fuel margin or dealer commission, cents per gallon.
    pub fuel_margin: f64,
    /// Operations bucket: merchandise gross margin, percent.
    pub merchandise_margin: f64,
    /// Operations bucket: absentee / semi-absentee / owner-operated.
    pub owner_involvement: f64,
    /// Risk bucket: environmental status (Phase I, NFA, open LUST).
    pub environmental: f64,
    /// Risk bucket: tank age and wall type.
    pub tanks: f64,
    /// Risk bucket: brand and fuel supply contract.
    pub supply_contract: f64,
    /// Risk bucket: how many headline figures are stated and consistent.
    pub verifiability: f64,
    /// Location-and-upside bucket: corner, highway access, traffic count, competition.
    pub location: f64,
    /// Location-and-upside bucket: food service, car wash, lottery and other profit centres.
    pub profit_centers: f64,
    /// Location-and-upside bucket: seller financing, SBA pre-qualification.
    pub financing_signals: f64,
}

impl Weights {
    /// Sum of all factor weights (must be 100).
    pub fn total(&self) -> f64 {
        self.price_to_cash_flow
            + self.dscr
            + self.earnings_level
            + self.lease_term
            + self.rent_burden
            + self.gallons
            + self.inside_sales
            + self.fuel_margin
            + self.merchandise_margin
            + self.owner_involvement
            + self.environmental
            + self.tanks
            + self.supply_contract
            + self.verifiability
            + self.location
            + self.profit_centers
            + self.financing_signals
    }
}

/// Price / cash-flow bands (multiples of SDE).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceConfig {
    /// Ascending upper bounds excellent/good/fair/rich for a business-only deal [AZBBA][BBC].
    pub business_only_bounds: Vec<f64>,
    /// Ascending upper bounds for a deal with the real estate in it [SAAD-ISO].
    pub with_real_estate_bounds: Vec<f64>,
    /// Share of max points per band (one more than bounds).
    pub band_shares: Vec<f64>,
    /// Multiple at or above which real estate is inferred to be included [SAAD-GSA].
    pub infer_real_estate_min_multiple: f64,
}

/// SBA 7(a) loan assumptions for the DSCR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SbaConfig {
    /// Down payment, percent of the asking price.
    pub down_payment_percent: f64,
    /// Annual interest rate, percent.
    pub rate_percent: f64,
    /// Amortisation term in years, business only.
    pub term_years_business: u32,
    /// Amortisation term in years when real estate is in the deal.
    pub term_years_with_real_estate: u32,
    /// SBA 7(a) maximum loan, USD.
    pub max_7a_loan_usd: i64,
    /// Descending lower bounds of the DSCR bands.
    pub dscr_bounds: Vec<f64>,
    /// Share of max points per DSCR band.
    pub dscr_shares: Vec<f64>,
}

/// Earnings-level bands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarningsConfig {
    /// Median gas-station SDE, USD per year [BBS-GAS].
    pub median_sde_usd: i64,
    /// Descending lower bounds of normalised SDE / median.
    pub median_ratio_bounds: Vec<f64>,
    /// Share of max points per band.
    pub shares: Vec<f64>,
}

/// Valuation cross-check multiples and deductions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValuationConfig {
    /// Business value low multiple of normalised SDE.
    pub business_multiple_low: f64,
    /// Business value high multiple of normalised SDE.
    pub business_multiple_high: f64,
    /// Going-concern-with-property low multiple (real estate value not stated).
    pub with_real_estate_multiple_low: f64,
    /// Going-concern-with-property high multiple.
    pub with_real_estate_multiple_high: f64,
    /// Manager wage charged against an owner-operator's SDE, USD per year.
    pub manager_wage_usd: i64,
    /// Tank replacement cost deducted when tanks are old or single-wall, USD.
    pub tank_capex_usd: i64,
}

/// Fuel and store operating bands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationsConfig {
    /// Descending lower bounds, gallons per month.
    pub gallons_bounds: Vec<f64>,
    /// Share per gallons band.
    pub gallons_shares: Vec<f64>,
    /// Descending lower bounds, inside sales USD per month.
    pub inside_sales_bounds: Vec<f64>,
    /// Share per inside-sales band.
    pub inside_sales_shares: Vec<f64>,
    /// Minimum inside sales USD per gallon pumped.
    pub inside_per_gallon_floor_usd: f64,
    /// Fuel margin above this (cents/gallon) is asked to be verified.
    pub fuel_margin_verify_above_cents: f64,
    /// Descending lower bounds, cents per gallon.
    pub fuel_margin_bounds: Vec<f64>,
    /// Share per fuel-margin band.
    pub fuel_margin_shares: Vec<f64>,
    /// Share when the margin is above the verify threshold.
    pub fuel_margin_verify_share: f64,
    /// Descending lower bounds, merchandise margin percent.
    pub merchandise_margin_bounds: Vec<f64>,
    /// Share per merchandise-margin band.
    pub merchandise_margin_shares: Vec<f64>,
    /// Share for an absentee-run store.
    pub absentee_share: f64,
    /// Share for a semi-absentee store.
    pub semi_absentee_share: f64,
    /// Share for an owner-operated store.
    pub owner_operated_share: f64,
}

/// Lease and rent bands (leasehold deals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseConfig {
    /// Years (base + tenant options) that earn full lease points.
    pub good_years: f64,
    /// Years below which the lease caps the score.
    pub min_years: f64,
    /// Share for a lease between `min_years` and `good_years`.
    pub yellow_share: f64,
    /// Ascending upper bounds, rent as percent of store gross profit.
    pub rent_to_gross_profit_bounds: Vec<f64>,
    /// Ascending upper bounds, rent as percent of inside sales (fallback).
    pub rent_to_inside_sales_bounds: Vec<f64>,
    /// Share per rent band.
    pub rent_shares: Vec<f64>,
}

/// Risk bands: tanks and supply contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskConfig {
    /// Ascending upper bounds of tank age, years.
    pub tank_age_bounds: Vec<f64>,
    /// Share per tank-age band.
    pub tank_age_shares: Vec<f64>,
    /// Share for double-wall tanks of unknown age.
    pub double_wall_share: f64,
    /// Share (at most) for single-wall tanks.
    pub single_wall_share: f64,
    /// Years left on a supply contract that count as secured.
    pub supply_good_years: f64,
    /// Share for a major brand with a secured contract.
    pub supply_branded_long_share: f64,
    /// Share for an unbranded / open-dealer site.
    pub supply_unbranded_share: f64,
    /// Share for a branded site with the contract term unknown.
    pub supply_branded_unknown_share: f64,
    /// Share for a contract expiring within a year.
    pub supply_expiring_share: f64,
}

/// Location and profit-centre signals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationConfig {
    /// Traffic count (vehicles/day) that counts as good.
    pub traffic_good_per_day: f64,
    /// Share added per location signal.
    pub signal_share: f64,
    /// Share added per profit centre.
    pub profit_center_share: f64,
}

/// Caps applied outside the sum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapsConfig {
    /// Cap for an open environmental problem.
    pub environmental_open: u8,
    /// DSCR below which the DSCR cap applies.
    pub dscr_below: f64,
    /// Cap for a DSCR below `dscr_below`.
    pub dscr: u8,
    /// Cap for a lease shorter than the minimum.
    pub short_lease: u8,
}

/// Score bands used by the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandsConfig {
    /// High band (worth a call) from this score.
    pub high: u8,
    /// Medium band (worth a look) from this score.
    pub medium: u8,
    /// Below this: a pass unless something changes.
    pub low: u8,
}

/// Everything the scorer can be tuned with. [`Default`] is the compiled-in `scoring.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringConfig {
    /// Factor weights (max points).
    pub weights: Weights,
    /// Price / cash-flow bands.
    pub price: PriceConfig,
    /// SBA loan assumptions and DSCR bands.
    pub sba: SbaConfig,
    /// Earnings-level bands.
    pub earnings: EarningsConfig,
    /// Valuation cross-check.
    pub valuation: ValuationConfig,
    /// Fuel and store bands.
    pub operations: OperationsConfig,
    /// Lease and rent bands.
    pub lease: LeaseConfig,
    /// Tanks and supply bands.
    pub risk: RiskConfig,
    /// Location signals.
    pub location: LocationConfig,
    /// Caps.
    pub caps: CapsConfig,
    /// Verdict bands.
    pub bands: BandsConfig,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        // The compiled-in file is part of the program, not input, and a test parses it.
        Self::from_toml_str("").expect("compiled-in scoring.toml is valid")
    }
}

impl ScoringConfig {
    /// Parses TOML merged over the compiled-in defaults (an empty string gives the defaults),
    /// then validates it.
    pub fn from_toml_str(s: &str) -> Result<Self, ConfigError> {
        let mut base: toml::Value = toml::from_str(DEFAULT_TOML)?;
        let overrides: toml::Value = toml::from_str(s)?;
        merge(&mut base, overrides);
        let cfg: ScoringConfig = base.try_into()?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Reads a TOML file and parses it with [`ScoringConfig::from_toml_str`].
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text)
    }

    /// The configuration every gsa process scores with: the TOML file named by the
    /// `GSA_SCORING_CONFIG` environment variable ([`SCORING_CONFIG_ENV`]) merged over the
    /// compiled-in defaults, or the defaults when it is unset or empty. The analyzer worker,
    /// `gsa score` and `gsa rescore` all call this, so they agree on `model_version`.
    pub fn from_env() -> Result<Self, ConfigError> {
        match std::env::var_os(SCORING_CONFIG_ENV).filter(|v| !v.is_empty()) {
            Some(path) => Self::load(Path::new(&path)),
            None => Ok(Self::default()),
        }
    }

    /// `rules-2+cfg.<first 8 hex of SHA-256 of the canonical config>`: canonical JSON with keys
    /// sorted, so comments and key order in the file do not change it, but any value does.
    ///
    /// Memoised per thread against the last configuration seen (compared field by field, a few
    /// hundred nanoseconds), because [`crate::score`] stamps it on every card and serialising
    /// and hashing the config cost more than scoring a short listing.
    pub fn model_version(&self) -> String {
        thread_local! {
            static LAST: std::cell::RefCell<Option<(ScoringConfig, String)>> =
                const { std::cell::RefCell::new(None) };
        }
        LAST.with(|last| {
            let mut last = last.borrow_mut();
            if let Some((cfg, version)) = last.as_ref() {
                if cfg == self {
                    return version.clone();
                }
            }
            let version = self.compute_model_version();
            *last = Some((self.clone(), version.clone()));
            version
        })
    }

    fn compute_model_version(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let canonical = serde_json::to_vec(&value).unwrap_or_default();
        let hash = hex::encode(Sha256::digest(&canonical));
        format!("{RULES_VERSION}+cfg.{}", &hash[..8])
    }

    /// Sum of the weights of one bucket.
    pub fn bucket_max(&self, bucket: crate::rules::BucketName) -> f64 {
        use crate::rules::BucketName as B;
        let w = &self.weights;
        match bucket {
            B::Price => w.price_to_cash_flow,
            B::CashFlow => w.dscr + w.earnings_level,
            B::RealEstateOrLease => w.lease_term + w.rent_burden,
            B::Operations => {
                w.gallons
                    + w.inside_sales
                    + w.fuel_margin
                    + w.merchandise_margin
                    + w.owner_involvement
            }
            B::Risk => w.environmental + w.tanks + w.supply_contract + w.verifiability,
            B::LocationUpside => w.location + w.profit_centers + w.financing_signals,
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        let w = &self.weights;
        let all = [
            w.price_to_cash_flow,
            w.dscr,
            w.earnings_level,
            w.lease_term,
            w.rent_burden,
            w.gallons,
            w.inside_sales,
            w.fuel_margin,
            w.merchandise_margin,
            w.owner_involvement,
            w.environmental,
            w.tanks,
            w.supply_contract,
            w.verifiability,
            w.location,
            w.profit_centers,
            w.financing_signals,
        ];
        if all.iter().any(|x| !x.is_finite() || *x < 0.0) {
            return bad("weights must be finite and >= 0".into());
        }
        if (w.total() - 100.0).abs() > 1e-6 {
            return bad(format!("weights must add up to 100, got {}", w.total()));
        }
        let ladders: [(&str, &Vec<f64>, &Vec<f64>, bool); 11] = [
            (
                "price.business_only_bounds",
                &self.price.business_only_bounds,
                &self.price.band_shares,
                true,
            ),
            (
                "price.with_real_estate_bounds",
                &self.price.with_real_estate_bounds,
                &self.price.band_shares,
                true,
            ),
            (
                "sba.dscr_bounds",
                &self.sba.dscr_bounds,
                &self.sba.dscr_shares,
                false,
            ),
            (
                "earnings.median_ratio_bounds",
                &self.earnings.median_ratio_bounds,
                &self.earnings.shares,
                false,
            ),
            (
                "operations.gallons_bounds",
                &self.operations.gallons_bounds,
                &self.operations.gallons_shares,
                false,
            ),
            (
                "operations.inside_sales_bounds",
                &self.operations.inside_sales_bounds,
                &self.operations.inside_sales_shares,
                false,
            ),
            (
                "operations.fuel_margin_bounds",
                &self.operations.fuel_margin_bounds,
                &self.operations.fuel_margin_shares,
                false,
            ),
            (
                "operations.merchandise_margin_bounds",
                &self.operations.merchandise_margin_bounds,
                &self.operations.merchandise_margin_shares,
                false,
            ),
            (
                "lease.rent_to_gross_profit_bounds",
                &self.lease.rent_to_gross_profit_bounds,
                &self.lease.rent_shares,
                true,
            ),
            (
                "lease.rent_to_inside_sales_bounds",
                &self.lease.rent_to_inside_sales_bounds,
                &self.lease.rent_shares,
                true,
            ),
            (
                "risk.tank_age_bounds",
                &self.risk.tank_age_bounds,
                &self.risk.tank_age_shares,
                true,
            ),
        ];
        for (name, bounds, shares, ascending) in ladders {
            if bounds.is_empty() || shares.len() != bounds.len() + 1 {
                return bad(format!(
                    "{name}: needs at least one bound and exactly one more share than bounds"
                ));
            }
            let ordered = bounds
                .windows(2)
                .all(|p| if ascending { p[0] < p[1] } else { p[0] > p[1] });
            if !ordered || bounds.iter().any(|b| !b.is_finite()) {
                let dir = if ascending { "ascending" } else { "descending" };
                return bad(format!("{name}: bounds must be finite and strictly {dir}"));
            }
            if shares.iter().any(|s| !(0.0..=1.0).contains(s)) {
                return bad(format!("{name}: shares must be within 0..=1"));
            }
        }
        let single_shares = [
            self.operations.fuel_margin_verify_share,
            self.operations.absentee_share,
            self.operations.semi_absentee_share,
            self.operations.owner_operated_share,
            self.lease.yellow_share,
            self.risk.double_wall_share,
            self.risk.single_wall_share,
            self.risk.supply_branded_long_share,
            self.risk.supply_unbranded_share,
            self.risk.supply_branded_unknown_share,
            self.risk.supply_expiring_share,
            self.location.signal_share,
            self.location.profit_center_share,
        ];
        if single_shares.iter().any(|s| !(0.0..=1.0).contains(s)) {
            return bad("every *_share must be within 0..=1".into());
        }
        let s = &self.sba;
        if !(0.0..100.0).contains(&s.down_payment_percent)
            || !(0.0..=50.0).contains(&s.rate_percent)
            || s.term_years_business == 0
            || s.term_years_with_real_estate == 0
        {
            return bad("sba: down payment 0..100 %, rate 0..50 %, terms >= 1 year".into());
        }
        let m = self.price.infer_real_estate_min_multiple;
        if !(m.is_finite() && m > 0.0) {
            return bad(format!(
                "price.infer_real_estate_min_multiple must be a finite multiple > 0, got {m}"
            ));
        }
        let v = &self.valuation;
        let multiples = [
            v.business_multiple_low,
            v.business_multiple_high,
            v.with_real_estate_multiple_low,
            v.with_real_estate_multiple_high,
        ];
        if multiples.iter().any(|x| !x.is_finite())
            || v.business_multiple_low <= 0.0
            || v.business_multiple_low > v.business_multiple_high
            || v.with_real_estate_multiple_low <= 0.0
            || v.with_real_estate_multiple_low > v.with_real_estate_multiple_high
            || v.manager_wage_usd < 0
            || v.tank_capex_usd < 0
        {
            return bad("valuation: multiples must be > 0 and low <= high; amounts >= 0".into());
        }
        if self.lease.min_years > self.lease.good_years {
            return bad("lease: min_years must be <= good_years".into());
        }
        let b = &self.bands;
        if !(b.low <= b.medium && b.medium <= b.high && b.high <= 100) {
            return bad("bands: low <= medium <= high <= 100".into());
        }
        if self.caps.environmental_open > 100 || self.caps.dscr > 100 || self.caps.short_lease > 100
        {
            return bad("caps must be <= 100".into());
        }
        Ok(())
    }
}

/// Deep-merges `over` into `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_weights_total_100() {
        let cfg = ScoringConfig::default();
        assert_eq!(cfg.weights.total(), 100.0);
        assert_eq!(cfg.sba.term_years_with_real_estate, 25);
        assert_eq!(cfg.caps.environmental_open, 40);
    }

    #[test]
    fn override_merges_over_defaults_and_changes_model_version() {
        let base = ScoringConfig::default();
        let cfg = ScoringConfig::from_toml_str("[sba]\nrate_percent = 9.0\n").unwrap();
        assert_eq!(cfg.sba.rate_percent, 9.0);
        assert_eq!(cfg.sba.down_payment_percent, base.sba.down_payment_percent);
        assert_ne!(cfg.model_version(), base.model_version());
        assert!(base.model_version().starts_with("rules-4+cfg."));
        assert_eq!(base.model_version().len(), "rules-4+cfg.".len() + 8);
        // Comments and whitespace do not change the hash.
        let same = ScoringConfig::from_toml_str("# just a comment\n\n").unwrap();
        assert_eq!(same.model_version(), base.model_version());
    }

    #[test]
    fn unknown_key_and_bad_weights_are_rejected() {
        assert!(matches!(
            ScoringConfig::from_toml_str("[sba]\nrate_pct = 9.0\n"),
            Err(ConfigError::Parse(_))
        ));
        assert!(matches!(
            ScoringConfig::from_toml_str("[weights]\ndscr = 30.0\n"),
            Err(ConfigError::Invalid(_))
        ));
        assert!(matches!(
            ScoringConfig::from_toml_str("[price]\nband_shares = [1.0]\n"),
            Err(ConfigError::Invalid(_))
        ));
        // TOML has nan and inf: a multiple must be a real, positive number (nan and inf also
        // gave the same model_version hash).
        for v in ["nan", "inf", "-1.0", "0.0"] {
            assert!(
                matches!(
                    ScoringConfig::from_toml_str(&format!(
                        "[price]\ninfer_real_estate_min_multiple = {v}\n"
                    )),
                    Err(ConfigError::Invalid(_))
                ),
                "{v}"
            );
        }
        assert!(matches!(
            ScoringConfig::from_toml_str("[valuation]\nbusiness_multiple_high = inf\n"),
            Err(ConfigError::Invalid(_))
        ));
        assert!(
            ScoringConfig::from_toml_str("[price]\ninfer_real_estate_min_multiple = 7.5\n").is_ok()
        );
    }

    #[test]
    fn load_reports_missing_file() {
        let err = ScoringConfig::load(Path::new("/nonexistent/scoring.toml")).unwrap_err();
        assert!(matches!(err, ConfigError::Io { .. }));
    }
}
