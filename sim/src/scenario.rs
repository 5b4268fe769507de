//! A run's setting in a file (`sim/scenarios/*.toml`): the stresses it is
//! put through and the agent mix, every key optional. Unknown keys and bad
//! values are refused with the file, line and field.

use std::path::Path;

use anyhow::{Context, Result};
use ballast_app::demo::Stress;
use serde::Deserialize;

use crate::agents::bank_run::BankRunConfig;
use crate::agents::governance::GovernanceConfig;
use crate::agents::{AgentMix, MarketConfig};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Each stress is run on its own (default: the crypto crash).
    #[serde(default = "crypto_crash")]
    pub stress: Vec<Stress>,
    #[serde(default)]
    pub market: MarketConfig,
    pub governance: Option<GovernanceConfig>,
    pub bank_run: Option<BankRunConfig>,
}

fn crypto_crash() -> Vec<Stress> {
    vec![Stress::CryptoCrash]
}

impl Scenario {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("{}: invalid scenario", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self> {
        let scenario: Self = toml::from_str(text)?;
        anyhow::ensure!(!scenario.stress.is_empty(), "`stress` names no stress to run");
        Ok(scenario)
    }

    pub fn mix(&self) -> AgentMix {
        AgentMix {
            market: self.market.clone(),
            governance: self.governance.clone(),
            bank_run: self.bank_run,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_optional_and_a_bad_one_is_named_with_its_line() {
        let scenario = Scenario::parse("").unwrap();
        assert_eq!(scenario.stress, vec![Stress::CryptoCrash]);
        assert!(scenario.governance.is_none() && scenario.bank_run.is_none());

        let text = "stress = [\"single_shock\"]\n[governance]\nmaximisers = 4\n[market.maker]\npolicy = { kind = \"fixed\", spread = 0.006 }\n";
        let scenario = Scenario::parse(text).unwrap();
        assert_eq!(scenario.governance.unwrap().maximisers, 4);
        assert!(scenario.market.maker.is_some());

        let error = format!("{:#}", Scenario::parse("[governance]\nmaximisers = 4\nyield_share = 0.6\n").unwrap_err());
        assert!(error.contains("line 3") && error.contains("yield_share"), "{error}");
        assert!(Scenario::parse("[market]\nmaker = \"none\"\n").unwrap().market.maker.is_none());
        let error = format!("{:#}", Scenario::parse("[market]\nmaker = \"some\"\n").unwrap_err());
        assert!(error.contains("a [market.maker] table or \"none\""), "{error}");
        let error = format!("{:#}", Scenario::parse("stress = [\"meteor\"]\n").unwrap_err());
        assert!(error.contains("line 1") && error.contains("meteor"), "{error}");
    }
}
