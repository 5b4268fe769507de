//! The three stress scenarios of spec §5.1, as per-window flow parameters.

use serde::{Deserialize, Serialize};

use super::params::{FlowParams, HawkesParams};

/// The stress scenarios. The controller is not told which one it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    SingleShock,
    ProlongedClustering,
    FalseAlarm,
}

impl Scenario {
    pub const ALL: [Scenario; 3] = [
        Scenario::SingleShock,
        Scenario::ProlongedClustering,
        Scenario::FalseAlarm,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Scenario::SingleShock => "single shock",
            Scenario::ProlongedClustering => "prolonged clustering",
            Scenario::FalseAlarm => "false alarm",
        }
    }

    /// Whether the scenario contains a genuine redemption shock, for which
    /// responsiveness is defined [S].
    pub fn has_redemption_shock(self) -> bool {
        self != Scenario::FalseAlarm
    }
}

/// Shapes of the scenarios, times in days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScenarioSettings {
    /// Onset t_on of every scenario: day 30 [S].
    pub onset_day: f64,
    /// [C] Single shock: redemption baseline factor F = 3 (the value was stripped).
    pub shock_factor: f64,
    /// Single shock: end of the plateau, day 45 [S].
    pub shock_end_day: f64,
    /// Single shock: mean-reversion time constant afterwards, 10 days [S].
    pub shock_reversion_days: f64,
    /// Prolonged clustering: branching ratio 0.85 of both flows [S].
    pub clustering_branching: f64,
    /// Prolonged clustering: end, day 70 [S].
    pub clustering_end_day: f64,
    /// False alarm: mint baseline factor 3 ("μ_M triples") [S].
    pub false_alarm_mint_factor: f64,
    /// False alarm: end of the mint surge, day 32 [S].
    pub false_alarm_mint_end_day: f64,
    /// [C] False alarm: "modest" redemption factor 1.5 (the value was stripped).
    pub false_alarm_redemption_factor: f64,
    /// False alarm: end of the redemption increase, day 35 [S].
    pub false_alarm_redemption_end_day: f64,
}

impl Default for ScenarioSettings {
    fn default() -> Self {
        Self {
            onset_day: 30.0,
            shock_factor: 3.0,
            shock_end_day: 45.0,
            shock_reversion_days: 10.0,
            clustering_branching: 0.85,
            clustering_end_day: 70.0,
            false_alarm_mint_factor: 3.0,
            false_alarm_mint_end_day: 32.0,
            false_alarm_redemption_factor: 1.5,
            false_alarm_redemption_end_day: 35.0,
        }
    }
}

/// The true flow parameters of one window: baselines without the peg feedback.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowFlows {
    pub redemption: HawkesParams,
    pub mint: HawkesParams,
}

impl ScenarioSettings {
    /// [C] Flow parameters of the window starting on `day`, held constant over the
    /// window (every regime boundary falls on a window boundary).
    pub fn window_flows(&self, scenario: Scenario, nominal: &FlowParams, day: f64) -> WindowFlows {
        let mut redemption = nominal.redemption;
        let mut mint = nominal.mint;
        match scenario {
            Scenario::SingleShock => {
                let extra = self.shock_factor - 1.0;
                redemption.mu *= if day < self.onset_day {
                    1.0
                } else if day < self.shock_end_day {
                    self.shock_factor
                } else {
                    1.0 + extra * (-(day - self.shock_end_day) / self.shock_reversion_days).exp()
                };
            }
            Scenario::ProlongedClustering => {
                if (self.onset_day..self.clustering_end_day).contains(&day) {
                    redemption.alpha = self.clustering_branching * redemption.beta;
                    mint.alpha = self.clustering_branching * mint.beta;
                }
            }
            Scenario::FalseAlarm => {
                if (self.onset_day..self.false_alarm_mint_end_day).contains(&day) {
                    mint.mu *= self.false_alarm_mint_factor;
                }
                if (self.false_alarm_mint_end_day..self.false_alarm_redemption_end_day)
                    .contains(&day)
                {
                    redemption.mu *= self.false_alarm_redemption_factor;
                }
            }
        }
        WindowFlows { redemption, mint }
    }
}
