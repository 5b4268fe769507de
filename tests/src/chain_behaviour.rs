//! What every `Chain` backend must do alike. `tests/tests/bank/chain.rs`
//! runs each check on the embedded bank and `localnet/tests/node` runs the
//! same ones over JSON-RPC against a `ballast-localnet` process.

use ballast::errors::BallastError;
use ballast::instructions::{Observation, PriceInput};
use ballast_migrations::{deploy, Deployment};
use ballast_sdk::instructions::{self, HolderAccounts};
use ballast_sdk::{accounts, fixed, pda, token, Chain, ChainError, Keypair, Pubkey, Signer};

/// Sends `lamports` of SOL from `payer` to a new key.
pub fn funded_key(chain: &mut dyn Chain, payer: &Keypair, lamports: u64) -> Keypair {
    let key = Keypair::new();
    let transfer = solana_system_interface::instruction::transfer(&payer.pubkey(), &key.pubkey(), lamports);
    chain.send(&[transfer], payer, &[]).expect("fund a key");
    key
}

pub fn tokens_move(chain: &mut dyn Chain, payer: &Keypair) {
    let mint = Keypair::new();
    token::create_mint(chain, payer, &mint, &payer.pubkey(), 6).unwrap();
    let mine = token::associated_account(chain, payer, &payer.pubkey(), &mint.pubkey()).unwrap();
    token::mint_to(chain, payer, &mint.pubkey(), payer, &mine, 1_000).unwrap();
    let friend = Keypair::new();
    let theirs = token::associated_account(chain, payer, &friend.pubkey(), &mint.pubkey()).unwrap();
    token::transfer(chain, payer, &mine, &theirs, payer, 400).unwrap();
    assert_eq!(token::balance(chain, &mine).unwrap(), 600);
    assert_eq!(token::balance(chain, &theirs).unwrap(), 400);
    assert_eq!(token::mint(chain, &mint.pubkey()).unwrap().supply, 1_000);
}

/// The same instruction with the same signers is a replay unless the
/// backend moves to a new blockhash; each of these must land.
pub fn identical_transactions_land_as_new_ones(chain: &mut dyn Chain, payer: &Keypair) {
    let mint = Keypair::new();
    token::create_mint(chain, payer, &mint, &payer.pubkey(), 6).unwrap();
    let account = token::associated_account(chain, payer, &payer.pubkey(), &mint.pubkey()).unwrap();
    for _ in 0..3 {
        token::mint_to(chain, payer, &mint.pubkey(), payer, &account, 5).unwrap();
    }
    assert_eq!(token::balance(chain, &account).unwrap(), 15);
}

/// A refusal comes back as the program's named error, with its logs, and
/// changes nothing.
pub fn a_program_refusal_names_its_error(chain: &mut dyn Chain, payer: &Keypair) {
    let stranger = funded_key(chain, payer, 100_000_000);
    let initialize = instructions::initialize(&stranger.pubkey(), crate::default_args());
    let error = chain.send(&[initialize], &stranger, &[]).unwrap_err();
    assert!(error.is(BallastError::NotUpgradeAuthority), "{error}");
    assert!(error.to_string().contains("NotUpgradeAuthority"), "{error}");
    let ChainError::Transaction { logs, .. } = &error else {
        panic!("{error} is not a transaction error");
    };
    let code = format!("custom program error: {:#x}", u32::from(BallastError::NotUpgradeAuthority));
    assert!(logs.iter().any(|line| line.contains(&code)), "{logs:?}");
    assert!(chain.account(&pda::protocol()).unwrap().is_none());
}

pub fn missing_and_foreign_accounts_are_named(chain: &mut dyn Chain, payer: &Keypair) {
    let error = accounts::protocol(chain).unwrap_err().to_string();
    assert!(error.contains(&pda::protocol().to_string()) && error.contains("no such account"), "{error}");
    let error = accounts::asset(chain, &payer.pubkey()).unwrap_err().to_string();
    assert!(error.contains("not the Ballast program"), "{error}");
}

/// Eight oracle keys, the program's limit, would take `initialize` past the
/// 1,232-byte packet: `deploy` registers the set in a transaction of its
/// own, before any round. Once a round has opened, a file whose set differs
/// is refused with the way to change it.
pub fn eight_oracles_deploy_and_the_set_is_fixed_once_rounds_run(chain: &mut dyn Chain, payer: &Keypair) {
    let mut deployed = deploy_fresh_with(chain, payer, 8, 5);
    let protocol = accounts::protocol(chain).unwrap();
    let registered = &protocol.raw.oracles[..protocol.raw.oracle_count as usize];
    let keys: Vec<Pubkey> = deployed.oracles.iter().map(|k| k.pubkey()).collect();
    assert_eq!((registered, protocol.raw.oracle_quorum), (keys.as_slice(), 5));
    let stats = accounts::oracle_rounds(chain).unwrap().stats;
    assert!(stats.iter().zip(&keys).all(|(s, k)| s.oracle == *k), "the stats follow the set");

    // One observation opens round 1 (five are needed to finalize it).
    deployed.observe(chain, payer, 1);
    assert_eq!(accounts::oracle_rounds(chain).unwrap().round, 1);
    deployed.deployment.protocol.oracle_quorum = 4;
    let error = deploy(chain, payer, &deployed.deployment).unwrap_err().to_string();
    assert!(error.contains("through governance (SetOracles)"), "{error}");
}

/// A deployment with fresh mints, guardian and an oracle set.
pub struct Deployed {
    pub deployment: Deployment,
    pub oracles: Vec<Keypair>,
    pub mints: Vec<Pubkey>,
}

/// Deploys the embedded default deployment with new mints (of which
/// `operator` is the mint authority) and new oracle and guardian keys.
pub fn deploy_fresh(chain: &mut dyn Chain, operator: &Keypair) -> Deployed {
    deploy_fresh_with(chain, operator, 3, 2)
}

/// [`deploy_fresh`] with `oracles` keys of which `quorum` finalize a round.
pub fn deploy_fresh_with(chain: &mut dyn Chain, operator: &Keypair, oracles: usize, quorum: u8) -> Deployed {
    let mut deployment = Deployment::embedded_default();
    deployment.protocol.oracle_quorum = quorum;
    let oracles: Vec<Keypair> = (0..oracles).map(|_| Keypair::new()).collect();
    deployment.protocol.guardian = Some(Keypair::new().pubkey().to_string());
    deployment.protocol.oracles = Some(oracles.iter().map(|k| k.pubkey().to_string()).collect());
    let mut mints = Vec::new();
    for spec in deployment.assets.iter_mut() {
        let mint = Keypair::new();
        token::create_mint(chain, operator, &mint, &operator.pubkey(), spec.decimals).unwrap();
        spec.mint = Some(mint.pubkey().to_string());
        mints.push(mint.pubkey());
    }
    deploy(chain, operator, &deployment).expect("deploy");
    Deployed {
        deployment,
        oracles,
        mints,
    }
}

impl Deployed {
    /// Posts every asset's deployment price as the next round, which two
    /// of the oracles submit (each its own transaction) and so finalize.
    pub fn post_prices(&self, chain: &mut dyn Chain, payer: &Keypair) {
        let round = self.observe(chain, payer, 2);
        assert_eq!(accounts::protocol(chain).unwrap().raw.last_oracle_round, round, "the round finalized");
    }

    /// The first `count` oracles submit the deployment's prices to the next
    /// round, each in its own transaction; returns the round.
    pub fn observe(&self, chain: &mut dyn Chain, payer: &Keypair, count: usize) -> u64 {
        let protocol = accounts::protocol(chain).unwrap();
        let rounds = accounts::oracle_rounds(chain).unwrap();
        let opens = rounds.opened_slot + protocol.raw.params.round_slots;
        if rounds.round > 0 && chain.slot().unwrap() < opens {
            chain.warp_to_slot(opens).expect("warp to the next round");
        }
        let prices = self
            .deployment
            .assets
            .iter()
            .map(|a| {
                let price = a.price.unwrap_or(1.0);
                PriceInput {
                    price: fixed(price),
                    confidence: fixed(price / 1000.0),
                }
            })
            .collect();
        let observation = Observation {
            round: rounds.round + 1,
            prices,
            target_weights: self.deployment.assets.iter().map(|a| fixed(a.target_weight)).collect(),
            sigma_p: fixed(0.05),
            breach_probability: fixed(0.0),
            breach_upper: fixed(0.0),
            lambda: fixed(2.0),
            reference_value: fixed(0.0),
            fee_mint: protocol.raw.fee_mint,
            fee_redeem: protocol.raw.fee_redeem,
            risk_scores: self.deployment.assets.iter().map(|a| fixed(a.risk_score)).collect(),
            stable: true,
            allocation_certified: true,
            loan_gamma: fixed(0.0),
            loan_theta: fixed(0.0),
        };
        for oracle in &self.oracles[..count] {
            let ix = instructions::submit_observation(&oracle.pubkey(), observation.clone(), &protocol.assets);
            chain.send(&[ix], payer, &[oracle]).expect("an observation");
        }
        rounds.round + 1
    }
}

/// Deploy, price, add capital, then a holder mints with USDC and redeems:
/// the program's books agree with the token program's afterwards.
pub fn a_holder_mints_and_redeems(chain: &mut dyn Chain, deployer: &Keypair) {
    let deployed = deploy_fresh(chain, deployer);
    deployed.post_prices(chain, deployer);
    let usdc = deployed.mints[0];
    let reserve = accounts::protocol(chain).unwrap().assets;

    let treasury = token::associated_account(chain, deployer, &deployer.pubkey(), &usdc).unwrap();
    token::mint_to(chain, deployer, &usdc, deployer, &treasury, 500_000_000).unwrap();
    let contribute = instructions::contribute(&deployer.pubkey(), &usdc, &treasury, 500_000_000);
    chain.send(&[contribute], deployer, &[]).unwrap();

    let holder = funded_key(chain, deployer, 100_000_000);
    let source = token::associated_account(chain, deployer, &holder.pubkey(), &usdc).unwrap();
    token::mint_to(chain, deployer, &usdc, deployer, &source, 1_000_000_000).unwrap();
    let stable = token::associated_account(chain, deployer, &holder.pubkey(), &pda::stable_mint()).unwrap();
    let accounts_for = |source, destination| HolderAccounts {
        user: holder.pubkey(),
        asset_mint: usdc,
        source,
        destination,
    };
    let mint = instructions::mint(&accounts_for(source, stable), 1_000_000_000, &reserve);
    chain.send(&[mint], deployer, &[&holder]).unwrap();
    let (protocol, asset) = (accounts::protocol(chain).unwrap(), accounts::asset(chain, &reserve[0]).unwrap());
    let price = asset.raw.price;
    let minted = token::balance(chain, &stable).unwrap();
    assert_eq!(minted, crate::expected::mint(1_000_000_000, 6, price, protocol.raw.fee_mint).2, "1,000 USDC less the 0.3% fee");
    let redeem = instructions::redeem(&accounts_for(stable, source), 100_000_000, &reserve);
    chain.send(&[redeem], deployer, &[&holder]).unwrap();
    assert_eq!(token::balance(chain, &stable).unwrap(), minted - 100_000_000);
    let (_, paid) = crate::expected::redeem(100_000_000, 6, price, protocol.raw.fee_redeem);
    assert_eq!(token::balance(chain, &source).unwrap(), paid, "100 less the 0.2% fee");

    let protocol = accounts::protocol(chain).unwrap();
    assert_eq!(protocol.supply, token::mint(chain, &pda::stable_mint()).unwrap().supply);
    let vault = accounts::asset(chain, &reserve[0]).unwrap();
    assert_eq!(vault.vault_amount, token::balance(chain, &vault.raw.vault).unwrap());
}
