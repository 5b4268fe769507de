//! The keeper on the real program and SPL Token: it turns a crash into
//! breaker trip, auctions, waterfall and reset with every transaction
//! accepted, and with transport faults injected into its passes it reaches
//! the same end state with no action lost or sent twice.

use std::time::Duration;

use ballast_app::cli::{run_keeper, Cli, Command, KeeperCommand, KeeperRunArgs};
use ballast_app::keeper::{Keeper, KeeperAction, KeeperConfig, Policy, RetryPolicy, TripCause};
use ballast_sdk::program::errors::BallastError;
use ballast_sdk::program::math::{FixedBits, I80F48};
use ballast_sdk::program::state::InsuranceTotals;
use ballast_sdk::{
    fixed, pda, token, Account, BankChain, Chain, Fault, FaultyChain, Keypair, Pubkey, Signer,
};
use ballast_tests::*;
use clap::Parser;

const UNIT: u64 = 1_000_000;
const KEEPER_STABLECOINS: u64 = 150_000 * UNIT;

/// A keeper that defends the peg (as the backstop's own would): it takes an
/// auction at up to a 3% loss, which is where auctions restore CR fastest,
/// as in the stress test. A keeper after profit takes where collateral and
/// price are nearly even, which lifts CR by little per stablecoin.
fn config() -> KeeperConfig {
    KeeperConfig {
        policy: Policy {
            min_take_profit: I80F48::from_num(-0.03),
            ..Policy::default()
        },
        retry: RetryPolicy {
            max_failures: 8,
            initial_backoff: Duration::ZERO,
            max_backoff: Duration::ZERO,
        },
        interval: Duration::ZERO,
        ..KeeperConfig::default()
    }
}

/// The stress test's reserve (capital 30,000, Alice's mints, 20,000 staked)
/// and a keeper holding 150,000 of Alice's stablecoins and nothing else.
struct Run {
    h: Harness,
    alice: Keypair,
    keeper: Keeper,
    keeper_key: Pubkey,
    /// The keeper talks to the bank through this; the harness's own bank is
    /// swapped in for each pass.
    faulty: FaultyChain<BankChain>,
    lost_confirmations: usize,
}

impl Run {
    fn new() -> Self {
        let (mut h, alice, _staker) = Harness::backstopped(|_| {}, 20_000 * UNIT);
        // Alice funds a keeper that holds stablecoins only.
        let keeper = Keypair::new();
        let sol = solana_system_interface::instruction::transfer(
            &h.admin.pubkey(),
            &keeper.pubkey(),
            100_000_000,
        );
        h.send_admin(sol).unwrap();
        let (source, destination) = (h.stable_account(&alice), h.stable_account(&keeper));
        token::transfer(
            &mut h.chain,
            &h.admin,
            &source,
            &destination,
            &alice,
            KEEPER_STABLECOINS,
        )
        .unwrap();
        let keeper_key = keeper.pubkey();
        Run {
            h,
            alice,
            keeper: Keeper::new(keeper, config()),
            keeper_key,
            faulty: FaultyChain::new(BankChain::new().unwrap()),
            lost_confirmations: 0,
        }
    }

    /// Scripts faults for the keeper's coming sends and reads.
    fn inject(&mut self, sends: &[Option<Fault>], failing_reads: usize) {
        self.lost_confirmations += sends
            .iter()
            .filter(|f| **f == Some(Fault::LostConfirmation))
            .count();
        self.faulty.script_sends(sends.iter().copied());
        self.faulty.fail_reads(failing_reads);
    }

    /// One keeper pass, which must succeed: a program refusal would fail it.
    fn pass(&mut self) -> Vec<KeeperAction> {
        std::mem::swap(&mut self.h.chain, self.faulty.inner());
        let result = self.keeper.tick(&mut self.faulty);
        std::mem::swap(&mut self.h.chain, self.faulty.inner());
        result.unwrap_or_else(|error| panic!("keeper pass failed: {error}"))
    }

    fn post(&mut self, usdc: f64, wbtc: f64, sigma_p: f64) {
        let mut update = self.h.oracle_update(&[usdc, TBILL_PRICE, wbtc]);
        update.sigma_p = fixed(sigma_p);
        self.h.submit_update(update).unwrap();
    }

    /// Posts the prices and holds them until the smoothed prices agree.
    fn settle(&mut self, usdc: f64, wbtc: f64, sigma_p: f64) {
        let mut update = self.h.oracle_update(&[usdc, TBILL_PRICE, wbtc]);
        update.sigma_p = fixed(sigma_p);
        self.h.settle(update).unwrap();
    }

    fn auctions_running(&mut self) -> bool {
        (0..3).any(|i| self.h.asset(i).raw.auction.remaining > 0)
    }

    /// Every amount the keeper's actions move, by asset index.
    fn outcome(&mut self) -> Outcome {
        let protocol = self.h.protocol().raw;
        let keeper = self.keeper_key;
        let mut balance =
            |mint: &Pubkey| token::associated_balance(&mut self.h.chain, &keeper, mint).unwrap();
        let keeper_balances = std::iter::once(pda::stable_mint())
            .chain(self.h.assets.iter().map(|a| a.mint))
            .map(|mint| balance(&mint))
            .collect();
        let assets = (0..self.h.assets.len())
            .map(|i| {
                let asset = self.h.asset(i).raw;
                (asset.vault_amount, asset.auction.remaining)
            })
            .collect();
        Outcome {
            supply: protocol.supply,
            stable_mint_supply: token::mint(&mut self.h.chain, &pda::stable_mint())
                .unwrap()
                .supply,
            redemption_rate: protocol.redemption_rate,
            breaker_paused: protocol.breaker_paused,
            auctions_in_flight: protocol.auctions_in_flight,
            insurance: protocol.insurance,
            insurance_pool: self.h.balance(&pda::insurance_vault()),
            total_staked: self.h.governance().total_staked,
            assets,
            keeper_balances,
        }
    }

    /// Actions with their mints named by asset index, to compare runs.
    fn described(&self, actions: &[KeeperAction]) -> Vec<String> {
        let name = |action: &KeeperAction| {
            let assets = self.h.assets.iter().enumerate();
            assets.fold(action.to_string(), |text, (i, a)| {
                text.replace(&a.mint.to_string(), &format!("asset {i}"))
            })
        };
        actions.iter().map(name).collect()
    }

    /// Every account the scenario can change, for comparing end states.
    fn state(&mut self) -> Vec<(Pubkey, Option<Account>)> {
        let mut extra = vec![
            pda::insurance_vault(),
            pda::governance(),
            pda::stake_vault(),
        ];
        for owner in [self.keeper_key, self.alice.pubkey()] {
            extra.push(token::associated_address(&owner, &pda::stable_mint()));
            extra.extend(
                self.h
                    .assets
                    .iter()
                    .map(|a| token::associated_address(&owner, &a.mint)),
            );
        }
        self.h.snapshot(&extra)
    }
}

#[derive(Debug, PartialEq)]
struct Outcome {
    supply: u64,
    stable_mint_supply: u64,
    redemption_rate: FixedBits,
    breaker_paused: u8,
    auctions_in_flight: u64,
    insurance: InsuranceTotals,
    insurance_pool: u64,
    total_staked: u64,
    /// (vault amount, auction remaining) per asset.
    assets: Vec<(u64, u64)>,
    /// Stablecoins, then each asset.
    keeper_balances: Vec<Option<u64>>,
}

/// Faults for each phase of the scenario; none for the reference run.
#[derive(Clone, Copy, PartialEq)]
enum Faults {
    None,
    Injected,
}

/// The stress path of tests/tests/bank/stress.rs, with the keeper doing every crank.
fn crash_and_recovery(faults: Faults) -> Run {
    use Fault::*;
    let mut run = Run::new();
    let inject = |run: &mut Run, sends: &[Option<Fault>], reads: usize| {
        if faults == Faults::Injected {
            run.inject(sends, reads);
        }
    };

    // Calm: nothing is due and nothing is sent, not even a fee is paid.
    inject(&mut run, &[], 2);
    let before = run.state();
    let lamports = run
        .h
        .chain
        .account(&run.keeper_key)
        .unwrap()
        .unwrap()
        .lamports;
    assert_eq!(run.pass(), vec![]);
    run.h.assert_unchanged(&before);
    assert_eq!(
        run.h
            .chain
            .account(&run.keeper_key)
            .unwrap()
            .unwrap()
            .lamports,
        lamports
    );

    // 1. WBTC falls to $45,000 with sigma_p at 1.2: the keeper trips the
    // breaker, once, though the first confirmation is lost.
    run.post(USDC_PRICE, 45_000.0, 1.2);
    inject(&mut run, &[Some(LostConfirmation)], 0);
    let sent = run.pass();
    if faults == Faults::None {
        assert_eq!(
            sent,
            vec![KeeperAction::TripBreaker {
                cause: TripCause::Volatility
            }]
        );
    }
    assert_ne!(run.h.protocol().raw.breaker_paused, 0);
    let alice = run.alice.insecure_clone();
    assert!(run
        .h
        .mint(&alice, USDC, UNIT)
        .unwrap_err()
        .is(BallastError::OperationPaused));

    // 2. WBTC at $30,000: 1 <= CR < CR_crit. The keeper starts auctions and
    // takes them once their price is worth it, pass after pass, 5 slots apart.
    run.post(USDC_PRICE, 30_000.0, 1.2);
    let cr = run.h.check_books().unwrap();
    assert!((1.0..1.05).contains(&cr), "CR {cr}");
    // Each auction is started and taken at once, round after round within
    // the 20% cap, all in one pass. Faults hit sends in turn: an unreachable
    // send is retried, a lost confirmation is seen in the state read next.
    inject(
        &mut run,
        &[
            Some(Unreachable),
            Some(LostConfirmation),
            Some(LostConfirmation),
            Some(Unreachable),
            Some(Unreachable),
            Some(LostConfirmation),
            None,
            Some(LostConfirmation),
        ],
        3,
    );
    let mut takes = 0;
    for pass in 0..20 {
        inject(&mut run, &[], pass % 3);
        takes += run
            .pass()
            .iter()
            .filter(|a| matches!(a, KeeperAction::TakeAuction { .. }))
            .count();
        if !run.auctions_running() && run.h.check_books().unwrap() >= 1.05 {
            break;
        }
        run.h.warp_slots(5);
    }
    assert!(!run.auctions_running(), "the auctions finished");
    let recovered = run.h.check_books().unwrap();
    assert!(recovered >= 1.05, "CR {recovered}");
    if faults == Faults::None {
        assert!(takes >= 2, "{takes} takes");
    }

    // 3. A deeper crash, CR < 1, held until the smoothed prices confirm it:
    // the keeper runs the waterfall, in order and to the unit.
    run.settle(0.85, 4_000.0, 1.5);
    let shortfall = u64::try_from(run.h.shortfall()).expect("CR below one");
    let pool = run.h.balance(&pda::insurance_vault());
    let staked = run.h.governance().total_staked;
    let insurance = run.h.protocol().raw.insurance;
    inject(&mut run, &[Some(Unreachable), Some(LostConfirmation)], 1);
    let sent = run.pass();
    if faults == Faults::None {
        assert_eq!(sent, vec![KeeperAction::AbsorbShortfall { shortfall }]);
    }
    let after = run.h.protocol().raw.insurance;
    let paid = after.paid_out - insurance.paid_out;
    let burned = after.backstop_burned - insurance.backstop_burned;
    let holders = after.holder_losses - insurance.holder_losses;
    assert_eq!(paid, pool.min(shortfall));
    assert_eq!(burned, ((shortfall - paid) / 2).min(staked));
    assert_eq!(
        paid + burned + holders,
        shortfall,
        "absorbed once, to the unit"
    );
    run.h.check_books();

    // 4. Calm returns: the keeper resets the breaker after its minimum pause.
    run.h.warp_slots(BREAKER_MIN_PAUSE_SLOTS);
    run.post(0.85, 4_000.0, 0.2);
    inject(&mut run, &[Some(Unreachable), Some(LostConfirmation)], 0);
    let sent = run.pass();
    if faults == Faults::None {
        assert_eq!(sent, vec![KeeperAction::ResetBreaker]);
    }
    assert_eq!(run.h.protocol().raw.breaker_paused, 0);
    assert_eq!(run.pass(), vec![], "nothing left to do");
    assert!(run.faulty.script_done(), "every scripted fault fired");
    run
}

#[test]
fn the_keeper_turns_a_crash_into_trip_auctions_waterfall_and_reset() {
    let mut run = crash_and_recovery(Faults::None);
    assert_eq!(run.faulty.injected, 0);
    assert_eq!(run.keeper.transport_failures, 0);
    let names: Vec<&str> = run.keeper.history.iter().map(|a| a.name()).collect();
    assert_eq!(names.first(), Some(&"trip_breaker"));
    assert!(names.contains(&"start_auction") && names.contains(&"take_auction"));
    assert_eq!(names.last(), Some(&"reset_breaker"));
    run.h.check_books();
}

#[test]
fn with_transport_faults_the_keeper_ends_where_it_would_have_with_none() {
    let mut reference = crash_and_recovery(Faults::None);
    let mut faulty = crash_and_recovery(Faults::Injected);
    assert!(
        faulty.faulty.injected >= 15,
        "{} faults injected",
        faulty.faulty.injected
    );
    assert_eq!(
        faulty.keeper.transport_failures,
        faulty.faulty.injected as u64
    );

    // The two banks differ in keys, and in slots by their own ticking, so
    // compare what the keeper moves: every amount, balance and total.
    assert_eq!(
        faulty.outcome(),
        reference.outcome(),
        "nothing lost, nothing done twice"
    );
    // The keeper confirmed every action of the reference run except those
    // whose confirmation was lost, which landed all the same.
    let all = reference.described(&reference.keeper.history);
    let confirmed = faulty.described(&faulty.keeper.history);
    assert_eq!(all.len(), confirmed.len() + faulty.lost_confirmations);
    let mut rest = all.iter();
    assert!(
        confirmed.iter().all(|action| rest.any(|a| a == action)),
        "confirmed actions follow the reference order: {confirmed:?} in {all:?}"
    );
}

fn parse_run(args: &[&str]) -> (bool, KeeperRunArgs) {
    let cli = Cli::try_parse_from(["ballast"].iter().chain(args)).unwrap();
    match cli.command {
        Command::Keeper {
            command: KeeperCommand::Run(run),
        } => (cli.json, run),
        _ => unreachable!(),
    }
}

fn keeper_run(chain: &mut dyn Chain, keeper: &Keypair, args: &[&str]) -> anyhow::Result<String> {
    let (json, args) = parse_run(args);
    let mut out = Vec::new();
    run_keeper(chain, keeper.insecure_clone(), &args, json, &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

#[test]
fn keeper_run_once_prints_what_it_did() {
    let (mut h, alice, _staker) = Harness::backstopped(|_| {}, 20_000 * UNIT);
    let mut update = h.oracle_update(&[USDC_PRICE, TBILL_PRICE, 45_000.0]);
    update.sigma_p = fixed(1.2);
    h.submit_update(update).unwrap();

    let out = keeper_run(&mut h.chain, &alice, &["--json", "keeper", "run", "--once"]).unwrap();
    let line: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        line,
        serde_json::json!({ "tick": 0, "actions": [{ "action": "trip_breaker", "cause": "volatility" }] })
    );
    assert_ne!(h.protocol().raw.breaker_paused, 0);

    let out = keeper_run(&mut h.chain, &alice, &["keeper", "run", "--once"]).unwrap();
    assert_eq!(out, "tick 0: nothing due\n");
    let out = keeper_run(
        &mut h.chain,
        &alice,
        &["keeper", "run", "--ticks", "3", "--interval-ms", "0"],
    )
    .unwrap();
    assert_eq!(out.lines().count(), 3, "{out}");
}

#[test]
fn keeper_run_once_fails_clearly_without_a_protocol() {
    let mut h = Harness::empty();
    let keeper = Keypair::new();
    let error = keeper_run(&mut h.chain, &keeper, &["keeper", "run", "--once"])
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("cannot read the protocol's state") && error.contains("no such account"),
        "{error}"
    );
    let (_, args) = parse_run(&[
        "keeper",
        "run",
        "--min-take-profit",
        "0.01",
        "--min-swap-value",
        "2.5",
    ]);
    let config = ballast_app::cli::keeper_config(&args).unwrap();
    assert_eq!(config.policy.min_swap_value, 2_500_000);
    assert!((config.policy.min_take_profit.to_num::<f64>() - 0.01).abs() < 1e-12);
    let (_, args) = parse_run(&["keeper", "run", "--min-take-profit", "-0.03"]);
    assert!(
        ballast_app::cli::keeper_config(&args)
            .unwrap()
            .policy
            .min_take_profit
            < 0
    );
}
