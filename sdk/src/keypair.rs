//! Keypair files in the solana-keygen format: a JSON array of the 64 bytes
//! of the secret and public key.

use std::fs;
use std::path::Path;

use solana_sdk::signature::Keypair;

#[derive(Debug, thiserror::Error)]
pub enum KeypairFileError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: not a solana-keygen keypair file (a JSON array of 64 numbers from 0 to 255): {reason}")]
    Format { path: String, reason: String },
}

pub fn read_keypair_file(path: impl AsRef<Path>) -> Result<Keypair, KeypairFileError> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let text = fs::read_to_string(path).map_err(|source| KeypairFileError::Io {
        path: shown.clone(),
        source,
    })?;
    let format = |reason: String| KeypairFileError::Format {
        path: shown.clone(),
        reason,
    };
    let bytes: Vec<u8> = serde_json::from_str(&text).map_err(|e| format(e.to_string()))?;
    if bytes.len() != 64 {
        return Err(format(format!("it holds {} bytes", bytes.len())));
    }
    Keypair::try_from(bytes.as_slice()).map_err(|e| format(e.to_string()))
}

/// Writes `keypair` to `path`, creating parent directories, readable only by
/// its owner where the platform allows.
pub fn write_keypair_file(keypair: &Keypair, path: impl AsRef<Path>) -> Result<(), KeypairFileError> {
    let path = path.as_ref();
    let io = |source| KeypairFileError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(io)?;
    }
    let json = serde_json::to_string(&keypair.to_bytes().to_vec()).expect("bytes serialise");
    fs::write(path, json).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_sdk::signature::Signer;

    #[test]
    fn round_trips_through_a_file() {
        let dir = std::env::temp_dir().join(format!("ballast-keypair-{}", std::process::id()));
        let path = dir.join("id.json");
        let keypair = Keypair::new();
        write_keypair_file(&keypair, &path).unwrap();
        assert_eq!(read_keypair_file(&path).unwrap().pubkey(), keypair.pubkey());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_files_name_the_path_and_the_problem() {
        let dir = std::env::temp_dir().join(format!("ballast-badkey-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let short = dir.join("short.json");
        fs::write(&short, "[1,2,3]").unwrap();
        let message = read_keypair_file(&short).unwrap_err().to_string();
        assert!(message.contains("short.json") && message.contains("3 bytes"), "{message}");

        let garbage = dir.join("garbage.json");
        fs::write(&garbage, "not json").unwrap();
        let message = read_keypair_file(&garbage).unwrap_err().to_string();
        assert!(message.contains("garbage.json") && message.contains("line 1"), "{message}");

        let missing = read_keypair_file(dir.join("missing.json")).unwrap_err().to_string();
        assert!(missing.contains("missing.json"), "{missing}");
        fs::remove_dir_all(dir).unwrap();
    }
}
