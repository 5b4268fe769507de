//! A statistical factor model of a covariance: its k principal components as
//! factors, and the variance they leave to each asset as specific variance.
//!
//! Σ ≈ B Bᵀ + diag(s) with B = V_k Λ_k^½ (the top k eigenpairs) and
//! s_i = Σ_ii − Σ_l B_il², so every asset keeps its variance exactly and
//! only the correlations outside the k factors are dropped. The allocation
//! QP solves much faster on this form (see `allocate::Covariance`).

use nalgebra::DMatrix;

use super::EstimateError;
use crate::allocate::FactorModel;

/// The k-factor principal-component model of a symmetric PSD covariance.
pub fn principal_factor_model(
    covariance: &DMatrix<f64>,
    factors: usize,
) -> Result<FactorModel, EstimateError> {
    let n = covariance.nrows();
    if factors >= n {
        return Err(EstimateError::InvalidParameter {
            name: "estimation.factors",
            value: factors as f64,
            requirement: "fewer than the number of assets",
        });
    }
    super::error::require_finite("covariance", covariance.iter())?;
    let eigen = covariance.clone().symmetric_eigen();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    let loadings: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            order[..factors]
                .iter()
                .map(|&l| eigen.eigenvectors[(i, l)] * eigen.eigenvalues[l].max(0.0).sqrt())
                .collect()
        })
        .collect();
    // What the dropped components carry is PSD, so s ≥ 0 up to rounding.
    let specific_variance = loadings
        .iter()
        .enumerate()
        .map(|(i, row)| (covariance[(i, i)] - row.iter().map(|b| b * b).sum::<f64>()).max(0.0))
        .collect();
    Ok(FactorModel {
        loadings,
        factor_covariance: None,
        specific_variance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocate::Covariance;

    /// A covariance with a strong two-factor structure and unequal specific risk.
    fn two_factor_covariance(n: usize) -> DMatrix<f64> {
        let b = DMatrix::from_fn(n, 2, |i, l| {
            0.1 + 0.05 * ((i * (l + 2)) % 7) as f64 * if l == 1 { -1.0 } else { 1.0 }
        });
        let specific = DMatrix::from_fn(n, n, |i, j| {
            if i == j {
                0.001 * (1 + i % 3) as f64
            } else {
                0.0
            }
        });
        &b * b.transpose() + specific
    }

    #[test]
    fn keeps_every_variance_and_reproduces_a_low_rank_covariance_exactly() {
        let sigma = two_factor_covariance(8);
        let model = principal_factor_model(&sigma, 3).unwrap();
        let approximation = Covariance::Factor(model.clone());
        approximation.validate(8).unwrap();
        for i in 0..8 {
            assert!((approximation.entry(i, i) - sigma[(i, i)]).abs() < 1e-15);
        }
        // Rank two without specific variance: two components are all of it.
        let b = DMatrix::from_fn(6, 2, |i, l| (i + 2 * l) as f64 * 0.03 - 0.05);
        let low_rank = &b * b.transpose();
        let exact = Covariance::Factor(principal_factor_model(&low_rank, 2).unwrap());
        for i in 0..6 {
            for j in 0..6 {
                assert!((exact.entry(i, j) - low_rank[(i, j)]).abs() < 1e-14);
            }
        }
    }

    #[test]
    fn more_factors_approximate_better() {
        let sigma = two_factor_covariance(10);
        let error = |k: usize| -> f64 {
            let model = Covariance::Factor(principal_factor_model(&sigma, k).unwrap());
            (0..10)
                .flat_map(|i| (0..10).map(move |j| (i, j)))
                .map(|(i, j)| (model.entry(i, j) - sigma[(i, j)]).abs())
                .fold(0.0, f64::max)
        };
        let errors: Vec<f64> = (0..5).map(error).collect();
        assert!(
            errors.windows(2).all(|pair| pair[1] <= pair[0] + 1e-15),
            "{errors:?}"
        );
        // Two factors leave only the specific part's off-diagonal mixing.
        assert!(errors[2] < 0.1 * errors[0], "{errors:?}");
    }

    #[test]
    fn rejects_as_many_factors_as_assets() {
        let sigma = two_factor_covariance(4);
        assert!(matches!(
            principal_factor_model(&sigma, 4),
            Err(EstimateError::InvalidParameter {
                name: "estimation.factors",
                ..
            })
        ));
    }
}
