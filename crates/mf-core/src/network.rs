//! The network f_n(x) = (1/n) Σ_i c_i φ(x, z_i) as n particles θ_i = (c_i, z_i).

use crate::streams::StreamRng;
use crate::unit::Unit;
use faer::Mat;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Initial law of the charges c_i.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum InitC {
    /// c_i = 0: the network starts at f_n ≡ 0 (loss C_f).
    #[default]
    Zero,
    /// c_i i.i.d. N(0, 1).
    Normal,
}

/// Initial law of the unit parameters z_i.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum InitZ {
    /// The unit's own law: RBF centres uniform on S^{d-1}(R), ReLU weights a uniform on
    /// S^{d-1}(1) with b = 0.
    #[default]
    Sphere,
}

/// n particles: charges c (length n) and unit parameters z (n × q, row i is z_i).
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// Charges c_i (output weights).
    pub c: Vec<f64>,
    /// Unit parameters z_i, one row per unit.
    pub z: Mat<f64>,
}

impl Network {
    /// Draws n particles i.i.d. from the initial law: for each i in order, first z_i (by the
    /// unit's [`Unit::init_params`]) then, if `init_c` is `Normal`, c_i.
    pub fn init(
        unit: &dyn Unit,
        width: usize,
        dim: usize,
        radius: f64,
        init_c: InitC,
        rng: &mut StreamRng,
    ) -> Self {
        let q = unit.param_dim(dim);
        let mut z = Mat::zeros(width, q);
        let mut c = vec![0.0; width];
        let mut zi = vec![0.0; q];
        for i in 0..width {
            unit.init_params(rng, dim, radius, &mut zi);
            for (k, v) in zi.iter().enumerate() {
                z[(i, k)] = *v;
            }
            if init_c == InitC::Normal {
                c[i] = StandardNormal.sample(rng);
            }
        }
        Self { c, z }
    }

    /// Width n.
    pub fn width(&self) -> usize {
        self.c.len()
    }

    /// z_i as a vector.
    pub fn z_row(&self, i: usize) -> Vec<f64> {
        (0..self.z.ncols()).map(|k| self.z[(i, k)]).collect()
    }

    /// f_n(x) at one point, directly from the definition (reference for tests).
    pub fn eval(&self, unit: &dyn Unit, x: &[f64]) -> f64 {
        let n = self.width();
        let s: f64 = (0..n)
            .map(|i| self.c[i] * unit.phi(&self.z_row(i), x))
            .sum();
        s / n as f64
    }

    /// True when every parameter is finite.
    pub fn is_finite(&self) -> bool {
        self.c.iter().all(|v| v.is_finite())
            && (0..self.z.ncols()).all(|k| (0..self.z.nrows()).all(|i| self.z[(i, k)].is_finite()))
    }
}
