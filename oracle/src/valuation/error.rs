//! What can go wrong when valuing a loan.

use thiserror::Error;

/// Why a valuation input was rejected.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ValuationError {
    #[error("`{name}` = {value} is invalid: {requirement}")]
    InvalidParameter {
        name: &'static str,
        value: f64,
        requirement: &'static str,
    },
}

/// `Ok` when `condition` holds for the finite `value`.
pub(crate) fn require(
    name: &'static str,
    value: f64,
    condition: bool,
    requirement: &'static str,
) -> Result<(), ValuationError> {
    if value.is_finite() && condition {
        Ok(())
    } else {
        Err(ValuationError::InvalidParameter {
            name,
            value,
            requirement,
        })
    }
}
