//! Errors of the simulations: which input was unusable and why.

/// Everything the Monte Carlo rejects.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum McError {
    /// A parameter is outside its domain.
    #[error("{name} = {value} is invalid: must be {requirement}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Value given.
        value: f64,
        /// Its domain, in words.
        requirement: &'static str,
    },
    /// An input's length does not match the number of assets.
    #[error("{what} has {found} entries for {expected} assets")]
    DimensionMismatch {
        /// Which input.
        what: &'static str,
        /// Number of assets.
        expected: usize,
        /// Entries found.
        found: usize,
    },
    /// The covariance matrix is not symmetric positive semi-definite.
    #[error("covariance is not symmetric positive semi-definite (at asset {asset})")]
    NotPositiveSemiDefinite {
        /// Index of the asset where the factorisation failed.
        asset: usize,
    },
    /// The position names an asset that has no return estimates.
    #[error("asset {0} is in the position but not in the price history")]
    UnknownAsset(String),
}

/// `Err(InvalidParameter)` unless `ok`.
pub(super) fn require(
    ok: bool,
    name: &'static str,
    value: f64,
    requirement: &'static str,
) -> Result<(), McError> {
    match ok {
        true => Ok(()),
        false => Err(McError::InvalidParameter {
            name,
            value,
            requirement,
        }),
    }
}
