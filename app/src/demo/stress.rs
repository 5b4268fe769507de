//! The stress a run is put through on its stress day (halfway): the demo's
//! crypto crash, or one of the treasury study's redemption scenarios (spec
//! section 5.1: a single shock, prolonged clustering, a false alarm) laid
//! over the holders' flows with prices left alone.

use ballast_oracle::treasury::params::{FlowParams, HawkesParams};
use ballast_oracle::treasury::scenario::{Scenario, ScenarioSettings};
use serde::{Deserialize, Serialize};

use super::holders::FlowModel;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Stress {
    #[default]
    CryptoCrash,
    SingleShock,
    ProlongedClustering,
    FalseAlarm,
}

impl Stress {
    pub fn label(self) -> &'static str {
        match self.flow_scenario() {
            Some(scenario) => scenario.label(),
            None => "crypto crash",
        }
    }

    /// The redemption scenario, when the stress is one.
    pub fn flow_scenario(self) -> Option<Scenario> {
        match self {
            Stress::CryptoCrash => None,
            Stress::SingleShock => Some(Scenario::SingleShock),
            Stress::ProlongedClustering => Some(Scenario::ProlongedClustering),
            Stress::FalseAlarm => Some(Scenario::FalseAlarm),
        }
    }

    /// The holders' mint and redemption processes in window `day`, given
    /// the stress day: the scenario's onset falls on it, and its later
    /// regime changes the same number of days after it as in the study.
    pub fn flows(self, nominal: &FlowModel, day: u64, stress_day: u64) -> (HawkesParams, HawkesParams) {
        let Some(scenario) = self.flow_scenario() else { return (nominal.mint, nominal.redeem) };
        let settings = ScenarioSettings::default();
        let params = FlowParams {
            redemption: nominal.redeem,
            mint: nominal.mint,
            ..FlowParams::default()
        };
        let scenario_day = day as f64 - stress_day as f64 + settings.onset_day;
        let window = settings.window_flows(scenario, &params, scenario_day);
        (window.mint, window.redemption)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_scenario_starts_on_the_stress_day_and_the_crash_leaves_flows_alone() {
        let nominal = FlowModel::default();
        let redeem_mu = |stress: Stress, day| stress.flows(&nominal, day, 21).1.mu;
        assert_eq!(redeem_mu(Stress::SingleShock, 20), nominal.redeem.mu);
        assert_eq!(redeem_mu(Stress::SingleShock, 21), 3.0 * nominal.redeem.mu);
        assert_eq!(redeem_mu(Stress::CryptoCrash, 21), nominal.redeem.mu);
        // The false alarm's mints triple for two days from the onset.
        let mint_mu = |day| Stress::FalseAlarm.flows(&nominal, day, 21).0.mu;
        assert_eq!((mint_mu(20), mint_mu(22), mint_mu(23)), (nominal.mint.mu, 3.0 * nominal.mint.mu, nominal.mint.mu));
        // Clustering raises the branching ratio to 0.85 while it lasts.
        let (mint, redeem) = Stress::ProlongedClustering.flows(&nominal, 30, 21);
        assert!((redeem.alpha / redeem.beta - 0.85).abs() < 1e-12 && (mint.alpha / mint.beta - 0.85).abs() < 1e-12);
    }
}
