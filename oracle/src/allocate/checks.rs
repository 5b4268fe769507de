//! Input checks shared by the allocation solvers.

use nalgebra::DMatrix;

use super::AllocationError;

/// Relative size of the asymmetry and of the diagonal jitter tolerated in a covariance.
const COVARIANCE_TOLERANCE: f64 = 1e-10;

pub(crate) fn check_len(
    field: &'static str,
    found: usize,
    expected: usize,
) -> Result<(), AllocationError> {
    if found == expected {
        Ok(())
    } else {
        Err(AllocationError::DimensionMismatch {
            field,
            expected,
            found,
        })
    }
}

pub(crate) fn check_finite(field: &'static str, values: &[f64]) -> Result<(), AllocationError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(AllocationError::NonFinite { field, index }),
        None => Ok(()),
    }
}

pub(crate) fn check_non_negative(
    field: &'static str,
    values: &[f64],
) -> Result<(), AllocationError> {
    check_finite(field, values)?;
    match values.iter().position(|v| *v < 0.0) {
        Some(index) => Err(AllocationError::Negative {
            field,
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// `Ok` when `condition` holds for the finite `value`, else an `InvalidParameter` error.
pub(crate) fn require(
    name: &'static str,
    value: f64,
    condition: bool,
    requirement: &'static str,
) -> Result<(), AllocationError> {
    if value.is_finite() && condition {
        Ok(())
    } else {
        Err(AllocationError::InvalidParameter {
            name,
            value,
            requirement,
        })
    }
}

/// Checks that every row of `field` has `expected` finite entries.
pub(crate) fn check_rows(
    field: &'static str,
    rows: &[Vec<f64>],
    expected: usize,
) -> Result<(), AllocationError> {
    for (index, row) in rows.iter().enumerate() {
        if row.len() != expected {
            return Err(AllocationError::RaggedRow {
                field,
                row: index,
                expected,
                found: row.len(),
            });
        }
        check_finite(field, row)?;
    }
    Ok(())
}

/// Checks that `rows`, the matrix named `matrix` in the input, is an n×n
/// finite, symmetric, positive semidefinite matrix.
///
/// PSD is tested by a Cholesky factorisation after adding a jitter of
/// `1e-10 · max diagonal` (so singular but PSD matrices pass); the eigenvalues
/// are computed only to report a failure.
pub(crate) fn check_covariance(
    matrix: &'static str,
    rows: &[Vec<f64>],
    n: usize,
) -> Result<(), AllocationError> {
    check_len(matrix, rows.len(), n)?;
    check_rows(matrix, rows, n)?;
    let scale = (0..n).map(|i| rows[i][i].abs()).fold(0.0, f64::max);
    let tolerance = COVARIANCE_TOLERANCE * scale.max(f64::MIN_POSITIVE);
    for i in 0..n {
        for j in i + 1..n {
            let difference = (rows[i][j] - rows[j][i]).abs();
            if difference > tolerance {
                return Err(AllocationError::CovarianceNotSymmetric {
                    matrix,
                    row: i,
                    col: j,
                    difference,
                });
            }
        }
    }
    let symmetric = DMatrix::from_fn(n, n, |i, j| rows[i.min(j)][i.max(j)]);
    let jittered = &symmetric + DMatrix::identity(n, n) * tolerance;
    if jittered.cholesky().is_some() {
        return Ok(());
    }
    let min_eigenvalue = symmetric.symmetric_eigenvalues().min();
    Err(AllocationError::CovarianceNotPsd {
        matrix,
        min_eigenvalue,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_psd_covariance_passes() {
        // Rank one: v vᵀ with v = (1, 2).
        assert!(check_covariance("sigma", &[vec![1.0, 2.0], vec![2.0, 4.0]], 2).is_ok());
    }

    #[test]
    fn indefinite_covariance_reports_its_negative_eigenvalue() {
        // Eigenvalues 3 and -1.
        let err = check_covariance("sigma", &[vec![1.0, 2.0], vec![2.0, 1.0]], 2).unwrap_err();
        match err {
            AllocationError::CovarianceNotPsd { min_eigenvalue, .. } => {
                assert!((min_eigenvalue + 1.0).abs() < 1e-12)
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn asymmetric_and_ragged_covariances_are_rejected() {
        assert!(matches!(
            check_covariance("sigma", &[vec![1.0, 0.1], vec![0.2, 1.0]], 2),
            Err(AllocationError::CovarianceNotSymmetric { row: 0, col: 1, .. })
        ));
        assert!(matches!(
            check_covariance("sigma", &[vec![1.0, 0.1], vec![0.1]], 2),
            Err(AllocationError::RaggedRow { row: 1, .. })
        ));
    }
}
