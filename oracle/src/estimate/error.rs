//! Errors of the estimators: what input was unusable and why.

/// Everything the estimators reject.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EstimateError {
    /// Not enough observations for the estimator.
    #[error("{estimator} needs at least {needed} observations, got {found}")]
    TooFewObservations {
        /// Estimator that refused.
        estimator: &'static str,
        /// Minimum it needs.
        needed: usize,
        /// What it was given.
        found: usize,
    },
    /// Two inputs that must have matching sizes do not.
    #[error("{what}: expected {expected}, found {found}")]
    DimensionMismatch {
        /// Which sizes disagree.
        what: &'static str,
        /// Required size.
        expected: usize,
        /// Actual size.
        found: usize,
    },
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
    /// An input contains NaN or an infinity.
    #[error("{what} contains a value that is not finite")]
    NotFinite {
        /// Which input.
        what: &'static str,
    },
}

/// `Ok(())` if every value is finite.
pub(super) fn require_finite<'a>(
    what: &'static str,
    values: impl IntoIterator<Item = &'a f64>,
) -> Result<(), EstimateError> {
    match values.into_iter().all(|v| v.is_finite()) {
        true => Ok(()),
        false => Err(EstimateError::NotFinite { what }),
    }
}
