//! Exact moments of the 3-spin energy under the uniform measure ν on S^{d-1}(R).
//!
//! With the sixth moments of ν,
//! ```text
//! E[x_p x_q x_r x_s x_t x_u] = R⁶ / (d(d+2)(d+4)) · Σ_{15 pairings} δ δ δ,
//! ```
//! and a^S symmetric, the 15 pairings of (pqr)(stu) split into 6 that pair every index of the
//! first triple with one of the second and 9 that pair one index inside each triple:
//! ```text
//! ∫ f² dν = κ² R⁶ / (d(d+2)(d+4)) · [ 6 Σ_pqr (a^S_pqr)² + 9 Σ_r (Σ_p a^S_ppr)² ].
//! ```
//! C_f = ½ ∫ f² dν is the loss of the zero network.

use crate::model::SpinModel;

impl SpinModel {
    /// Exact ∫ f² dν (no sampling), by the formula of the module docs.
    pub fn mean_square(&self) -> f64 {
        let d = self.dim();
        let a = self.symmetric_matrix();
        let mut full = 0.0;
        for s in 0..d {
            for qr in 0..d * d {
                full += a[(s, qr)] * a[(s, qr)];
            }
        }
        let mut traces = 0.0;
        for r in 0..d {
            let t: f64 = (0..d).map(|p| a[(p, p * d + r)]).sum();
            traces += t * t;
        }
        let df = d as f64;
        let r6 = self.radius().powi(6);
        self.scale().powi(2) * r6 / (df * (df + 2.0) * (df + 4.0)) * (6.0 * full + 9.0 * traces)
    }

    /// C_f = ½ ∫ f² dν: the loss of the network f_n ≡ 0, the unit of every relative loss.
    pub fn zero_network_loss(&self) -> f64 {
        0.5 * self.mean_square()
    }
}
