//! The ROS34PW2 tableau as published and its form in the variables u_i = Σ_j γ_ij k_j.

/// Stages of the method.
pub const S: usize = 4;

/// A Rosenbrock(-W) tableau as published: k_i = h v(θ + Σ α_ij k_j) + h J Σ_{j≤i} γ_ij k_j,
/// θ' = θ + Σ b_i k_i, the embedded solution with b̂.
#[derive(Clone, Copy, Debug)]
pub struct Tableau {
    /// α (strictly lower triangular).
    pub alpha: [[f64; S]; S],
    /// Γ (lower triangular, diagonal γ).
    pub gamma: [[f64; S]; S],
    /// b.
    pub b: [f64; S],
    /// b̂ (the embedded solution).
    pub b_hat: [f64; S],
}

/// γ of ROS34PW2.
pub const G: f64 = 4.358_665_215_084_59e-1;

/// ROS34PW2 (Rang & Angermann 2005), the coefficients as PETSc's `TSROSWRA34PW2` lists them
/// (17 significant digits, kept as published).
#[allow(clippy::excessive_precision)]
pub const ROS34PW2: Tableau = Tableau {
    alpha: [
        [0.0, 0.0, 0.0, 0.0],
        [8.717_330_430_169_180_1e-1, 0.0, 0.0, 0.0],
        [
            8.445_706_001_536_942_3e-1,
            -1.129_906_423_648_418_5e-1,
            0.0,
            0.0,
        ],
        [0.0, 0.0, 1.0, 0.0],
    ],
    gamma: [
        [G, 0.0, 0.0, 0.0],
        [-8.717_330_430_169_180_1e-1, G, 0.0, 0.0],
        [
            -9.033_805_701_304_408_2e-1,
            5.418_067_238_809_532_6e-2,
            G,
            0.0,
        ],
        [
            2.421_238_070_609_534_6e-1,
            -1.223_250_583_904_514_7,
            5.452_602_553_351_021_4e-1,
            G,
        ],
    ],
    b: [
        2.421_238_070_609_534_6e-1,
        -1.223_250_583_904_514_7,
        1.545_260_255_335_102,
        4.358_665_215_084_59e-1,
    ],
    b_hat: [
        3.781_090_314_581_936_9e-1,
        -9.604_229_221_242_317_8e-2,
        5.0e-1,
        2.179_332_607_542_295e-1,
    ],
};

/// A tableau in the variables u_i = Σ_j γ_ij k_j (module docs).
#[derive(Clone, Copy, Debug)]
pub struct Transformed {
    /// γ (the diagonal of Γ, equal for every stage).
    pub gamma: f64,
    /// a = α Γ⁻¹.
    pub a: [[f64; S]; S],
    /// c = diag(1/γ) − Γ⁻¹.
    pub c: [[f64; S]; S],
    /// m = bᵀ Γ⁻¹.
    pub m: [f64; S],
    /// m − m̂: the error estimate's weights.
    pub e: [f64; S],
}

impl Tableau {
    /// The coefficients of the u-form (module docs).
    pub fn transformed(&self) -> Transformed {
        let gamma = self.gamma[0][0];
        // Γ⁻¹ by forward substitution, column by column
        let mut inv = [[0.0; S]; S];
        for col in 0..S {
            for i in 0..S {
                let mut v = if i == col { 1.0 } else { 0.0 };
                for (j, row) in inv.iter().enumerate().take(i) {
                    v -= self.gamma[i][j] * row[col];
                }
                inv[i][col] = v / self.gamma[i][i];
            }
        }
        let mut a = [[0.0; S]; S];
        let mut c = [[0.0; S]; S];
        for i in 0..S {
            for j in 0..S {
                a[i][j] = (0..S).map(|k| self.alpha[i][k] * inv[k][j]).sum();
                c[i][j] = if i == j { 1.0 / gamma } else { 0.0 } - inv[i][j];
            }
        }
        let row = |w: &[f64; S]| -> [f64; S] {
            std::array::from_fn(|j| (0..S).map(|i| w[i] * inv[i][j]).sum())
        };
        let (m, m_hat) = (row(&self.b), row(&self.b_hat));
        Transformed {
            gamma,
            a,
            c,
            m,
            e: std::array::from_fn(|j| m[j] - m_hat[j]),
        }
    }
}
