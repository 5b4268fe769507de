//! Protocol events as the dashboard sees them: what changed between two
//! consecutive reads (the breaker, pauses, CR crossing a threshold, oracle
//! rounds closing, proposals opening or changing status).

use serde::Serialize;

use crate::read::Snapshot;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub slot: u64,
    pub read_at: u64,
    /// breaker, pause, collateral, oracle or governance.
    pub kind: &'static str,
    pub what: String,
}

/// The events between `before` and `after`, oldest first.
pub fn between(before: &Snapshot, after: &Snapshot) -> Vec<Event> {
    let mut events = Vec::new();
    let mut push = |kind, what: String| events.push(Event { slot: after.slot, read_at: after.read_at, kind, what });
    let (was, now) = (&before.safety, &after.safety);
    if now.breaker_tripped != was.breaker_tripped {
        push("breaker", if now.breaker_tripped { "the circuit breaker tripped".into() } else { "the circuit breaker was reset or lapsed".into() });
    }
    if now.paused != was.paused {
        let paused = if now.paused.is_empty() { "nothing".to_string() } else { now.paused.join(", ") };
        push("pause", format!("paused now: {paused}"));
    }
    let reserve = &after.reserve;
    for (name, level) in [("CR_crit", reserve.cr_crit), ("CR_min", reserve.cr_min)] {
        match (before.reserve.collateral_ratio, reserve.collateral_ratio) {
            (Some(old), Some(new)) if old >= level && new < level => push("collateral", format!("CR fell below {name} ({level:.2}) to {new:.4}")),
            (Some(old), Some(new)) if old < level && new >= level => push("collateral", format!("CR is back above {name} ({level:.2}) at {new:.4}")),
            _ => {}
        }
    }
    let newest_before = before.oracle.rounds.first().map_or(0, |r| r.round);
    for round in after.oracle.rounds.iter().rev().filter(|r| r.round > newest_before) {
        let detail = match round.outliers.len() {
            0 => String::new(),
            n => format!(", {n} kept out as outliers"),
        };
        let early = round.trigger.map(|why| format!(", opened early: {why}")).unwrap_or_default();
        push("oracle", format!("round {} {} with {} observations{detail}{early}", round.round, round.status, round.submitted_by.len()));
    }
    for proposal in after.governance.proposals.iter().rev() {
        match before.governance.proposals.iter().find(|p| p.id == proposal.id) {
            None => push("governance", format!("proposal #{} opened: {}", proposal.id, proposal.what)),
            Some(old) if old.status != proposal.status => push("governance", format!("proposal #{} ({}) is {}", proposal.id, proposal.what, proposal.status)),
            Some(_) => {}
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{Governance, LoanGreeks, Oracle, Proposal, Reserve, Round, Safety};
    use ballast_sdk::CapitalStatus;

    fn snapshot(slot: u64, cr: f64) -> Snapshot {
        Snapshot {
            slot,
            read_at: slot,
            reserve: Reserve {
                assets: Vec::new(),
                value: cr * 100.0,
                supply: 100.0,
                collateral_ratio: Some(cr),
                cr_crit: 1.05,
                cr_min: 1.1,
                cr_target: 1.2,
                redemption_rate: 1.0,
                fee_mint: 0.0,
                fee_redeem: 0.0,
                capital: CapitalStatus {
                    minimum_capital_ratio: None,
                    min_capital_ratio: 0.0,
                    countercyclical_buffer: None,
                    min_countercyclical_buffer: 0.0,
                },
            },
            safety: Safety {
                paused: Vec::new(),
                breaker_tripped: false,
                insurance_pool: 0.0,
                backstop_stake: 0.0,
                mint_limit_used: 0.0,
                mint_limit: 1.0,
                redeem_limit_used: 0.0,
                redeem_limit: 1.0,
            },
            oracle: Oracle {
                last_round: 1,
                quorum: 2,
                oracles: 3,
                sigma_p: 0.1,
                breach_probability: 0.0,
                breach_upper: 0.0,
                breach_epsilon: 0.05,
                certified: true,
                stable: true,
                loan_book: LoanGreeks { gamma: 0.0, theta: 0.0, max_gamma: 0.5, max_theta: 0.05 },
                rounds: vec![round(1)],
            },
            governance: Governance { total_staked: Some(0.0), proposals: Vec::new() },
        }
    }

    fn round(number: u64) -> Round {
        Round {
            round: number,
            status: "finalized",
            opened_slot: 0,
            closed_slot: 0,
            trigger: None,
            submitted_by: vec!["a".into(), "b".into()],
            outliers: Vec::new(),
            price_spreads: Vec::new(),
        }
    }

    #[test]
    fn a_crash_read_after_a_calm_one_gives_each_change_once() {
        let calm = snapshot(10, 1.15);
        let mut crash = snapshot(20, 1.02);
        crash.safety.breaker_tripped = true;
        crash.safety.paused = vec!["mint", "redeem"];
        crash.oracle.rounds = vec![round(3), round(2), round(1)];
        crash.governance.proposals.push(Proposal {
            id: 0,
            what: "set cr_min".into(),
            status: "voting",
            mean: None,
            yes_share: None,
            turnout: 0.0,
            quorum: 0.2,
            timelock_slots_left: 10,
        });
        let what: Vec<String> = between(&calm, &crash).into_iter().map(|e| e.what).collect();
        assert_eq!(
            what,
            [
                "the circuit breaker tripped",
                "paused now: mint, redeem",
                "CR fell below CR_crit (1.05) to 1.0200",
                "CR fell below CR_min (1.10) to 1.0200",
                "round 2 finalized with 2 observations",
                "round 3 finalized with 2 observations",
                "proposal #0 opened: set cr_min",
            ]
        );
        assert!(between(&crash, &crash).is_empty(), "no change, no event");
        let mut executed = crash.clone();
        executed.governance.proposals[0].status = "executed";
        executed.reserve.collateral_ratio = Some(1.12);
        let what: Vec<String> = between(&crash, &executed).into_iter().map(|e| e.what).collect();
        assert_eq!(what, ["CR is back above CR_crit (1.05) at 1.1200", "CR is back above CR_min (1.10) at 1.1200", "proposal #0 (set cr_min) is executed"]);
    }
}
