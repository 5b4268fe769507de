//! Prices from on-chain accounts in the Pyth pull oracle's `PriceUpdateV2`
//! layout, decoded from its documented borsh layout (the published receiver
//! crate pins an Anchor this workspace does not use):
//!
//! ```text
//! [8]  discriminator  sha256("account:PriceUpdateV2")[..8]
//! 32   write_authority
//! 1+   verification_level  0 = Partial { num_signatures: u8 }, 1 = Full
//!      price_message: feed_id [32], price i64, conf u64, exponent i32,
//!                     publish_time i64, prev_publish_time i64,
//!                     ema_price i64, ema_conf u64
//! 8    posted_slot
//! ```
//!
//! Accounts are owned by the receiver program; a price is refused when it is
//! older than `max_age_seconds` by the chain's clock, wider than
//! `max_confidence` of itself, or only partially verified.

use borsh::{BorshDeserialize, BorshSerialize};
use ballast_sdk::{Chain, Pubkey};
use sha2::{Digest, Sha256};

use super::source::{MarketSource, MarketWindow, SourceError};

/// The Pyth pull oracle's receiver program, which owns price update accounts.
pub const RECEIVER_PROGRAM: Pubkey = Pubkey::from_str_const("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum VerificationLevel {
    Partial { num_signatures: u8 },
    Full,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PriceFeedMessage {
    pub feed_id: [u8; 32],
    pub price: i64,
    pub conf: u64,
    pub exponent: i32,
    pub publish_time: i64,
    pub prev_publish_time: i64,
    pub ema_price: i64,
    pub ema_conf: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PriceUpdateV2 {
    pub write_authority: [u8; 32],
    pub verification_level: VerificationLevel,
    pub price_message: PriceFeedMessage,
    pub posted_slot: u64,
}

impl PriceUpdateV2 {
    pub fn discriminator() -> [u8; 8] {
        let hash = Sha256::digest(b"account:PriceUpdateV2");
        hash[..8].try_into().expect("eight bytes")
    }

    /// The account data: discriminator, then the borsh encoding.
    pub fn to_account_data(&self) -> Vec<u8> {
        let mut data = Self::discriminator().to_vec();
        data.extend(borsh::to_vec(self).expect("borsh encodes"));
        data
    }

    pub fn from_account_data(data: &[u8]) -> Result<Self, String> {
        let (discriminator, mut rest) = data.split_at_checked(8).ok_or("shorter than a discriminator")?;
        if discriminator != Self::discriminator() {
            return Err("not a PriceUpdateV2 account".into());
        }
        Self::deserialize(&mut rest).map_err(|e| format!("not a PriceUpdateV2 layout: {e}"))
    }

    /// The price and its confidence in dollars.
    pub fn price_and_confidence(&self) -> (f64, f64) {
        let scale = 10f64.powi(self.price_message.exponent);
        (self.price_message.price as f64 * scale, self.price_message.conf as f64 * scale)
    }
}

/// Prices read from one `PriceUpdateV2` account per reserve asset.
pub struct PythAccounts {
    /// (symbol, account), in reserve order.
    pub feeds: Vec<(String, Pubkey)>,
    pub max_age_seconds: i64,
    pub max_confidence: f64,
}

impl MarketSource for PythAccounts {
    /// A live feed has only the present: every window reads the accounts now.
    fn window(&mut self, index: u64, chain: &mut dyn Chain) -> Result<MarketWindow, SourceError> {
        let clock = chain.clock().map_err(|e| SourceError::Chain(e.to_string()))?;
        let mut prices = Vec::with_capacity(self.feeds.len());
        for (symbol, address) in &self.feeds {
            let fail = |reason: String| SourceError::Feed {
                symbol: symbol.clone(),
                account: address.to_string(),
                reason,
            };
            let account = chain
                .account(address)
                .map_err(|e| SourceError::Chain(e.to_string()))?
                .ok_or_else(|| fail("no such account".into()))?;
            if account.owner != RECEIVER_PROGRAM {
                return Err(fail(format!("owned by {}, not the Pyth receiver", account.owner)));
            }
            let update = PriceUpdateV2::from_account_data(&account.data).map_err(fail)?;
            if update.verification_level != VerificationLevel::Full {
                return Err(fail("only partially verified".into()));
            }
            let age = clock.unix_timestamp - update.price_message.publish_time;
            if age > self.max_age_seconds {
                return Err(SourceError::Stale {
                    symbol: symbol.clone(),
                    account: address.to_string(),
                    age,
                    max: self.max_age_seconds,
                });
            }
            let (price, confidence) = update.price_and_confidence();
            if price <= 0.0 {
                return Err(fail(format!("a price of {price}")));
            }
            if confidence / price > self.max_confidence {
                return Err(SourceError::Unconfident {
                    symbol: symbol.clone(),
                    account: address.to_string(),
                    ratio: confidence / price,
                    max: self.max_confidence,
                });
            }
            prices.push(price);
        }
        let epoch = ballast_oracle::data::Date::from_ymd(1970, 1, 1).expect("a valid date");
        let date = epoch.add_days(clock.unix_timestamp.div_euclid(86_400));
        Ok(MarketWindow { index, date, prices })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn fixture(price: i64, conf: u64, exponent: i32, publish_time: i64) -> PriceUpdateV2 {
        PriceUpdateV2 {
            write_authority: [7; 32],
            verification_level: VerificationLevel::Full,
            price_message: PriceFeedMessage {
                feed_id: [9; 32],
                price,
                conf,
                exponent,
                publish_time,
                prev_publish_time: publish_time - 1,
                ema_price: price,
                ema_conf: conf,
            },
            posted_slot: 42,
        }
    }

    #[test]
    fn the_layout_round_trips_and_has_its_size() {
        let update = fixture(6_012_345_678_900, 1_234_500_000, -8, 1_700_000_000);
        let data = update.to_account_data();
        // 8 + 32 + 1 (Full) + 32 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 8.
        assert_eq!(data.len(), 133);
        assert_eq!(PriceUpdateV2::from_account_data(&data).unwrap(), update);
        let (price, confidence) = update.price_and_confidence();
        assert!((price - 60_123.456789).abs() < 1e-6 && (confidence - 12.345).abs() < 1e-9);
        let mut wrong = data.clone();
        wrong[0] ^= 1;
        assert!(PriceUpdateV2::from_account_data(&wrong).unwrap_err().contains("not a PriceUpdateV2"));
    }
}
