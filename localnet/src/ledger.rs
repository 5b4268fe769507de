//! The ledger directory: the node's keys and its checkpoint.
//!
//! A checkpoint is every account any transaction has touched, the slot, and
//! the recent transaction history, written to a temporary file, synced and
//! renamed over the last one. A rename is atomic, so a `kill -9` at any
//! moment leaves either the old checkpoint or the new one, never a torn
//! file; what is lost is at most the slots since the last checkpoint.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ballast_sdk::keypair::{read_keypair_file, write_keypair_file};
use ballast_sdk::{Account, Keypair, Pubkey};
use serde::{Deserialize, Serialize};

use crate::history::StoredTransaction;

/// Bumped whenever the checkpoint's layout changes: an old file is then
/// refused with a clear message rather than misread.
const CHECKPOINT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    pub slot: u64,
    pub accounts: Vec<(Pubkey, Account)>,
    pub transactions: Vec<StoredTransaction>,
}

pub struct Ledger {
    dir: PathBuf,
}

impl Ledger {
    /// The ledger at `dir`, created if missing; `reset` empties it first.
    pub fn open(dir: &Path, reset: bool) -> Result<Self> {
        if reset && dir.exists() {
            fs::remove_dir_all(dir).with_context(|| format!("could not reset the ledger {}", dir.display()))?;
        }
        fs::create_dir_all(dir).with_context(|| format!("could not create the ledger {}", dir.display()))?;
        Ok(Self { dir: dir.to_path_buf() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn checkpoint_path(&self) -> PathBuf {
        self.dir.join("checkpoint.bin")
    }

    /// The keypair stored as `name`, made on first use.
    pub fn keypair(&self, name: &str) -> Result<Keypair> {
        let path = self.dir.join(name);
        if path.exists() {
            return read_keypair_file(&path).with_context(|| format!("{} is not a keypair file", path.display()));
        }
        let keypair = Keypair::new();
        write_keypair_file(&keypair, &path).with_context(|| format!("could not write {}", path.display()))?;
        Ok(keypair)
    }

    /// The last checkpoint, if there is one.
    pub fn load(&self) -> Result<Option<Checkpoint>> {
        let path = self.checkpoint_path();
        if !path.exists() {
            return Ok(None);
        }
        let file = File::open(&path).with_context(|| format!("could not open {}", path.display()))?;
        let checkpoint: Checkpoint = bincode::deserialize_from(BufReader::new(file))
            .with_context(|| format!("{} is not a checkpoint this node can read", path.display()))?;
        if checkpoint.version != CHECKPOINT_VERSION {
            bail!(
                "{} has checkpoint version {}, this node writes {CHECKPOINT_VERSION}: start with --reset",
                path.display(),
                checkpoint.version
            );
        }
        Ok(Some(checkpoint))
    }

    /// Writes `checkpoint` so that it replaces the last one whole or not at all.
    pub fn save(&self, slot: u64, accounts: Vec<(Pubkey, Account)>, transactions: Vec<StoredTransaction>) -> Result<()> {
        let checkpoint = Checkpoint {
            version: CHECKPOINT_VERSION,
            slot,
            accounts,
            transactions,
        };
        let path = self.checkpoint_path();
        let temporary = self.dir.join("checkpoint.bin.tmp");
        {
            let file = File::create(&temporary).with_context(|| format!("could not create {}", temporary.display()))?;
            let mut writer = BufWriter::new(file);
            bincode::serialize_into(&mut writer, &checkpoint).context("could not encode the checkpoint")?;
            writer.flush()?;
            writer.get_ref().sync_all()?;
        }
        fs::rename(&temporary, &path).with_context(|| format!("could not replace {}", path.display()))?;
        File::open(&self.dir)?.sync_all()?;
        Ok(())
    }
}
