//! The return covariance Σ of an allocation problem: a dense matrix, or a
//! factor model Σ = B Ω Bᵀ + diag(s) with k ≪ n factors.
//!
//! Both describe the same QP; the factor form lets the solver keep Σ out of
//! its KKT matrix (k auxiliary variables f = Bᵀw instead of a dense n×n
//! block), which is how large universes are optimised in practice.

use std::fmt;

use serde::de::{self, value::MapAccessDeserializer, value::SeqAccessDeserializer, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::checks::{check_covariance, check_len, check_non_negative, check_rows};
use super::AllocationError;

/// Σ, in either form. In TOML or JSON, `sigma` is an array of n rows (dense)
/// or a table with `loadings`, `specific_variance` and optionally
/// `factor_covariance` (a factor model).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Covariance {
    /// n rows of n entries; symmetric positive semidefinite.
    Dense(Vec<Vec<f64>>),
    /// Σ = B Ω Bᵀ + diag(s).
    Factor(FactorModel),
}

/// A factor covariance Σ = B Ω Bᵀ + diag(s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactorModel {
    /// Loadings B: one row of k factor exposures per asset.
    pub loadings: Vec<Vec<f64>>,
    /// Covariance Ω of the factors, k rows of k, symmetric positive
    /// semidefinite; the identity when absent (orthonormal factors, as PCA gives).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor_covariance: Option<Vec<Vec<f64>>>,
    /// Specific (idiosyncratic) variance s_i of each asset, ≥ 0.
    pub specific_variance: Vec<f64>,
}

impl FactorModel {
    /// Number of factors k.
    pub fn factors(&self) -> usize {
        self.loadings.first().map_or(0, Vec::len)
    }

    /// Ω_lm, reading the upper triangle.
    pub fn factor_covariance_at(&self, l: usize, m: usize) -> f64 {
        match &self.factor_covariance {
            Some(omega) => omega[l.min(m)][l.max(m)],
            None => f64::from(l == m),
        }
    }

    /// Ω x for a vector x of k factor values.
    fn factor_covariance_times(&self, x: &[f64]) -> Vec<f64> {
        match &self.factor_covariance {
            Some(_) => (0..x.len())
                .map(|l| {
                    (0..x.len())
                        .map(|m| self.factor_covariance_at(l, m) * x[m])
                        .sum()
                })
                .collect(),
            None => x.to_vec(),
        }
    }

    /// Bᵀw: the portfolio's exposure to each factor.
    pub fn exposures(&self, w: &[f64]) -> Vec<f64> {
        let mut exposure = vec![0.0; self.factors()];
        for (row, wi) in self.loadings.iter().zip(w) {
            for (e, b) in exposure.iter_mut().zip(row) {
                *e += b * wi;
            }
        }
        exposure
    }

    fn validate(&self, n: usize) -> Result<(), AllocationError> {
        check_len("sigma.loadings", self.loadings.len(), n)?;
        check_len("sigma.specific_variance", self.specific_variance.len(), n)?;
        let k = self.factors();
        check_rows("sigma.loadings", &self.loadings, k)?;
        check_non_negative("sigma.specific_variance", &self.specific_variance)?;
        match &self.factor_covariance {
            Some(omega) => check_covariance("sigma.factor_covariance", omega, k),
            None => Ok(()),
        }
    }
}

impl Covariance {
    /// Checks that Σ is a finite, symmetric positive semidefinite n×n matrix
    /// (for a factor model: that B is n×k, Ω k×k PSD and s ≥ 0).
    pub fn validate(&self, n: usize) -> Result<(), AllocationError> {
        match self {
            Covariance::Dense(rows) => check_covariance("sigma", rows, n),
            Covariance::Factor(model) => model.validate(n),
        }
    }

    /// Σ_ij.
    pub fn entry(&self, i: usize, j: usize) -> f64 {
        match self {
            Covariance::Dense(rows) => rows[i.min(j)][i.max(j)],
            Covariance::Factor(model) => {
                let (bi, bj) = (&model.loadings[i], &model.loadings[j]);
                let systematic: f64 = (0..bi.len())
                    .map(|l| {
                        bi[l]
                            * (0..bj.len())
                                .map(|m| model.factor_covariance_at(l, m) * bj[m])
                                .sum::<f64>()
                    })
                    .sum();
                systematic
                    + if i == j {
                        model.specific_variance[i]
                    } else {
                        0.0
                    }
            }
        }
    }

    /// Σw (a dense Σ is read from its upper triangle).
    pub fn times(&self, w: &[f64]) -> Vec<f64> {
        match self {
            Covariance::Dense(rows) => {
                let mut product = vec![0.0; w.len()];
                for (i, row) in rows.iter().enumerate() {
                    product[i] += row[i] * w[i];
                    for j in i + 1..w.len() {
                        product[i] += row[j] * w[j];
                        product[j] += row[j] * w[i];
                    }
                }
                product
            }
            Covariance::Factor(model) => {
                let omega_exposure = model.factor_covariance_times(&model.exposures(w));
                model
                    .loadings
                    .iter()
                    .zip(&model.specific_variance)
                    .zip(w)
                    .map(|((b, s), wi)| {
                        b.iter()
                            .zip(&omega_exposure)
                            .map(|(x, y)| x * y)
                            .sum::<f64>()
                            + s * wi
                    })
                    .collect()
            }
        }
    }

    /// Σ times a non-negative factor (a covariance over a longer horizon).
    pub fn scaled(self, factor: f64) -> Covariance {
        match self {
            Covariance::Dense(rows) => Covariance::Dense(
                rows.into_iter()
                    .map(|row| row.into_iter().map(|x| x * factor).collect())
                    .collect(),
            ),
            Covariance::Factor(mut model) => {
                let root = factor.sqrt();
                for row in &mut model.loadings {
                    row.iter_mut().for_each(|b| *b *= root);
                }
                model
                    .specific_variance
                    .iter_mut()
                    .for_each(|s| *s *= factor);
                Covariance::Factor(model)
            }
        }
    }

    /// The dense n×n matrix.
    pub fn to_dense(&self) -> Vec<Vec<f64>> {
        match self {
            Covariance::Dense(rows) => rows.clone(),
            Covariance::Factor(model) => {
                let n = model.loadings.len();
                (0..n)
                    .map(|i| (0..n).map(|j| self.entry(i, j)).collect())
                    .collect()
            }
        }
    }
}

/// An array reads as a dense matrix and a table as a factor model, each with
/// its own error messages (an untagged enum would only say that neither matched).
impl<'de> Deserialize<'de> for Covariance {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CovarianceVisitor;

        impl<'de> Visitor<'de> for CovarianceVisitor {
            type Value = Covariance;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str(
                    "an array of n rows of n numbers, or a factor model table \
                     {loadings, specific_variance, factor_covariance}",
                )
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Covariance, A::Error> {
                Vec::deserialize(SeqAccessDeserializer::new(seq)).map(Covariance::Dense)
            }

            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Covariance, A::Error> {
                FactorModel::deserialize(MapAccessDeserializer::new(map)).map(Covariance::Factor)
            }
        }

        deserializer.deserialize_any(CovarianceVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two factors with a correlated Ω over three assets.
    fn model() -> FactorModel {
        FactorModel {
            loadings: vec![vec![0.1, 0.0], vec![0.2, -0.1], vec![0.05, 0.3]],
            factor_covariance: Some(vec![vec![1.0, 0.3], vec![0.3, 0.5]]),
            specific_variance: vec![0.01, 0.0, 0.02],
        }
    }

    /// B Ω Bᵀ + diag(s), written out with explicit loops.
    #[allow(clippy::needless_range_loop)]
    fn dense_by_hand(model: &FactorModel) -> Vec<Vec<f64>> {
        let n = model.loadings.len();
        let k = model.factors();
        let mut sigma = vec![vec![0.0; n]; n];
        for i in 0..n {
            for j in 0..n {
                for l in 0..k {
                    for m in 0..k {
                        sigma[i][j] += model.loadings[i][l]
                            * model.factor_covariance_at(l, m)
                            * model.loadings[j][m];
                    }
                }
            }
            sigma[i][i] += model.specific_variance[i];
        }
        sigma
    }

    #[test]
    fn factor_model_products_match_its_dense_matrix() {
        let factor = Covariance::Factor(model());
        let expected = dense_by_hand(&model());
        let dense = Covariance::Dense(factor.to_dense());
        dense.validate(3).unwrap();
        factor.validate(3).unwrap();
        let w = [0.5, -0.25, 0.75];
        for (i, row) in expected.iter().enumerate() {
            for (j, value) in row.iter().enumerate() {
                assert!((factor.entry(i, j) - value).abs() < 1e-15);
            }
        }
        for (a, b) in factor.times(&w).iter().zip(dense.times(&w)) {
            assert!((a - b).abs() < 1e-15);
        }
        let mut orthonormal = model();
        orthonormal.factor_covariance = None;
        let by_hand = dense_by_hand(&orthonormal);
        assert!((Covariance::Factor(orthonormal).entry(1, 2) - by_hand[1][2]).abs() < 1e-15);
    }

    #[test]
    fn reads_a_matrix_or_a_factor_table_and_names_what_is_wrong() {
        #[derive(Deserialize)]
        struct Input {
            sigma: Covariance,
        }
        let dense: Input = toml::from_str("sigma = [[1.0, 0.5], [0.5, 2.0]]").unwrap();
        assert_eq!(
            dense.sigma,
            Covariance::Dense(vec![vec![1.0, 0.5], vec![0.5, 2.0]])
        );
        let text = "[sigma]\nloadings = [[0.1], [0.2]]\nspecific_variance = [0.01, 0.02]\n";
        let factor: Input = toml::from_str(text).unwrap();
        assert!(matches!(factor.sigma, Covariance::Factor(ref m) if m.factors() == 1));

        let typo = text.replace("specific_variance", "specific");
        let message = toml::from_str::<Input>(&typo).err().unwrap().to_string();
        assert!(message.contains("unknown field `specific`"), "{message}");
        let message = toml::from_str::<Input>("sigma = 3.0")
            .err()
            .unwrap()
            .to_string();
        assert!(message.contains("factor model table"), "{message}");
    }

    #[test]
    fn validation_names_the_factor_model_field_at_fault() {
        let mut ragged = model();
        ragged.loadings[2].pop();
        assert_eq!(
            Covariance::Factor(ragged).validate(3),
            Err(AllocationError::RaggedRow {
                field: "sigma.loadings",
                row: 2,
                expected: 2,
                found: 1
            })
        );
        let mut negative = model();
        negative.specific_variance[1] = -1e-3;
        assert!(matches!(
            Covariance::Factor(negative).validate(3),
            Err(AllocationError::Negative {
                field: "sigma.specific_variance",
                index: 1,
                ..
            })
        ));
        let mut indefinite = model();
        indefinite.factor_covariance = Some(vec![vec![1.0, 2.0], vec![2.0, 1.0]]);
        assert!(matches!(
            Covariance::Factor(indefinite).validate(3),
            Err(AllocationError::CovarianceNotPsd {
                matrix: "sigma.factor_covariance",
                ..
            })
        ));
        assert!(matches!(
            Covariance::Factor(model()).validate(4),
            Err(AllocationError::DimensionMismatch {
                field: "sigma.loadings",
                expected: 4,
                found: 3
            })
        ));
    }
}
