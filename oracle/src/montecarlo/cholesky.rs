//! Cholesky factor of a covariance that may be only semi-definite: cash and
//! pegged assets have zero variance, which the standard factorisation rejects.

use super::McError;

/// Lower-triangular `L` with `L L^T = covariance`, row-major `n x n`.
///
/// A pivot below `1e-12` times the largest variance is treated as zero: its
/// column of `L` is zero, which is valid only if the rest of that column of
/// the Schur complement vanishes too (otherwise the matrix is not PSD).
pub fn psd_cholesky(covariance: &[Vec<f64>]) -> Result<Vec<f64>, McError> {
    let n = covariance.len();
    if let Some(row) = covariance.iter().find(|row| row.len() != n) {
        return Err(McError::DimensionMismatch {
            what: "covariance row",
            expected: n,
            found: row.len(),
        });
    }
    let scale = (0..n).map(|i| covariance[i][i].abs()).fold(0.0, f64::max);
    let tolerance = 1e-12 * scale.max(f64::MIN_POSITIVE);
    let mut lower = vec![0.0f64; n * n];
    for j in 0..n {
        for i in 0..n {
            let (a, b) = (covariance[i][j], covariance[j][i]);
            if !a.is_finite() || (a - b).abs() > 1e-12 * scale.max(a.abs()) {
                return Err(McError::NotPositiveSemiDefinite { asset: i.max(j) });
            }
        }
        let pivot = covariance[j][j] - (0..j).map(|k| lower[j * n + k].powi(2)).sum::<f64>();
        if pivot < -tolerance {
            return Err(McError::NotPositiveSemiDefinite { asset: j });
        }
        let root = if pivot > tolerance { pivot.sqrt() } else { 0.0 };
        lower[j * n + j] = root;
        for i in j + 1..n {
            let residual = covariance[i][j]
                - (0..j)
                    .map(|k| lower[i * n + k] * lower[j * n + k])
                    .sum::<f64>();
            if root > 0.0 {
                lower[i * n + j] = residual / root;
            } else if residual.abs() > (tolerance * covariance[i][i].abs()).sqrt() + tolerance {
                // PSD needs |residual| <= sqrt(pivot_j pivot_i), and pivot_j is ~0.
                return Err(McError::NotPositiveSemiDefinite { asset: i });
            }
        }
    }
    Ok(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reconstruct(lower: &[f64], n: usize) -> Vec<Vec<f64>> {
        (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| (0..n).map(|k| lower[i * n + k] * lower[j * n + k]).sum())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn factors_definite_and_semi_definite_matrices() {
        let cov = vec![
            vec![0.04, 0.012, 0.0],
            vec![0.012, 0.09, 0.0],
            vec![0.0, 0.0, 0.0], // cash
        ];
        let lower = psd_cholesky(&cov).unwrap();
        let back = reconstruct(&lower, 3);
        for i in 0..3 {
            for j in 0..3 {
                assert!((back[i][j] - cov[i][j]).abs() < 1e-15);
            }
            for j in i + 1..3 {
                assert_eq!(lower[i * 3 + j], 0.0, "upper triangle must be zero");
            }
        }
        // Perfectly correlated assets: rank one.
        let rank_one = vec![vec![0.04, 0.06], vec![0.06, 0.09]];
        let back = reconstruct(&psd_cholesky(&rank_one).unwrap(), 2);
        assert!((back[1][1] - 0.09).abs() < 1e-15);
    }

    #[test]
    fn rejects_indefinite_asymmetric_and_ragged_matrices() {
        let indefinite = vec![vec![0.04, 0.1], vec![0.1, 0.04]];
        assert_eq!(
            psd_cholesky(&indefinite),
            Err(McError::NotPositiveSemiDefinite { asset: 1 })
        );
        let asymmetric = vec![vec![0.04, 0.01], vec![0.0, 0.04]];
        assert!(psd_cholesky(&asymmetric).is_err());
        let zero_variance_but_covariance = vec![vec![0.0, 0.01], vec![0.01, 0.04]];
        assert!(psd_cholesky(&zero_variance_but_covariance).is_err());
        assert!(psd_cholesky(&[vec![1.0, 0.0]]).is_err());
    }
}
