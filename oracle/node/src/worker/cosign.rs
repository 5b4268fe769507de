//! Co-signing: every oracle node signs the same update transaction, and one
//! relayer gathers M signatures and submits it. The program checks the
//! signers (registered, distinct, quorum); a node checks, before signing,
//! that the message carries exactly the update it agrees with, and the
//! relayer checks each signature before spending a fee on it.

use ballast_sdk::program::instructions::OracleUpdate;
use ballast_sdk::{instructions, Hash, Keypair, Message, Pubkey, Signature, Signer, Transaction, PROGRAM_ID};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CosignError {
    #[error("oracle {oracle} refuses to sign: {reason}")]
    Refused { oracle: Pubkey, reason: &'static str },
    #[error("oracle {oracle} is not a signer of this message")]
    NotASigner { oracle: Pubkey },
    #[error("the signature from oracle {oracle} does not verify against this message")]
    BadSignature { oracle: Pubkey },
    #[error("signer {signer} has not signed")]
    MissingSignature { signer: Pubkey },
}

/// The message of a co-signed update: one top-level `submit_update`, paid
/// by `relayer`, with `oracles` as its signers.
pub fn update_message(
    update: OracleUpdate,
    reserve_assets: &[Pubkey],
    oracles: &[Pubkey],
    relayer: &Pubkey,
    blockhash: Hash,
) -> Message {
    let instruction = instructions::submit_update(update, reserve_assets, oracles);
    Message::new_with_blockhash(&[instruction], Some(relayer), &blockhash)
}

/// One oracle node's key.
pub struct OracleNode {
    keypair: Keypair,
}

impl OracleNode {
    pub fn new(keypair: Keypair) -> Self {
        Self { keypair }
    }

    pub fn pubkey(&self) -> Pubkey {
        self.keypair.pubkey()
    }

    /// Signs `message` only if it is a single top-level Ballast
    /// `submit_update` carrying exactly `expected` (the update this node
    /// computed itself) and names this node as a signer.
    pub fn cosign(&self, message: &Message, expected: &OracleUpdate) -> Result<Signature, CosignError> {
        let refuse = |reason| CosignError::Refused {
            oracle: self.pubkey(),
            reason,
        };
        let [instruction] = message.instructions.as_slice() else {
            return Err(refuse("the message must hold exactly one instruction"));
        };
        if message.account_keys.get(usize::from(instruction.program_id_index)) != Some(&PROGRAM_ID) {
            return Err(refuse("the instruction is not the Ballast program's"));
        }
        let expected_data = instructions::submit_update(expected.clone(), &[], &[]).data;
        if instruction.data != expected_data {
            return Err(refuse("the update differs from the one this node computed"));
        }
        if signer_position(message, &self.pubkey()).is_none() {
            return Err(CosignError::NotASigner { oracle: self.pubkey() });
        }
        Ok(self.keypair.sign_message(&message.serialize()))
    }
}

fn signer_position(message: &Message, key: &Pubkey) -> Option<usize> {
    let signers = usize::from(message.header.num_required_signatures);
    message.account_keys[..signers].iter().position(|k| k == key)
}

/// Builds the transaction from the relayer's own signature and the oracles'
/// `signatures`, each verified against the message first.
pub fn assemble(
    message: Message,
    relayer: &Keypair,
    signatures: &[(Pubkey, Signature)],
) -> Result<Transaction, CosignError> {
    let data = message.serialize();
    let blockhash = message.recent_blockhash;
    let mut transaction = Transaction::new_unsigned(message);
    transaction.partial_sign(&[relayer], blockhash);
    for (oracle, signature) in signatures {
        let position =
            signer_position(&transaction.message, oracle).ok_or(CosignError::NotASigner { oracle: *oracle })?;
        if !signature.verify(oracle.as_ref(), &data) {
            return Err(CosignError::BadSignature { oracle: *oracle });
        }
        transaction.signatures[position] = *signature;
    }
    if let Some(position) = transaction.signatures.iter().position(|s| *s == Signature::default()) {
        return Err(CosignError::MissingSignature {
            signer: transaction.message.account_keys[position],
        });
    }
    Ok(transaction)
}
