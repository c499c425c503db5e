//! Fast path for the pair work: piecewise Chebyshev tables of ln ₀F₁(; β; s²) and of the ratio
//! ρ(β, s²) = ₀F₁(; β+1; s²)/₀F₁(; β; s²) in s = √y.
//!
//! Both are even analytic functions of s whose nearest singularities are the zeros of ₀F₁ on the
//! imaginary s-axis (|s| ≥ j_{β−1,1}/2 > 1.2 for β ≥ 1/2). On intervals of width h = 1/2 the
//! Bernstein ellipse through them has parameter > 10, so degree 15 leaves a truncation error
//! below 1e-15: the table reproduces the reference to ~1e-14 (tested at 1e-12, on ln ₀F₁ as
//! an absolute error, i.e. on ₀F₁ as a relative error). Beyond `s_max` the direct evaluation
//! is used.

use crate::special::ln_hyp0f1_and_ratios;

/// Chebyshev degree per interval.
const DEG: usize = 11;
/// Interval width in s.
const WIDTH: f64 = 0.25;

/// Tables of ln ₀F₁(; β; y) and ρ(β, y) for one β on y ∈ [0, s_max²].
#[derive(Clone, Debug)]
pub struct PairTable {
    beta: f64,
    s_max: f64,
    /// Per interval, DEG + 1 coefficients of ln ₀F₁ then DEG + 1 of ρ.
    coef: Vec<f64>,
}

impl PairTable {
    /// Builds the tables for β on s ∈ [0, s_max] (2(DEG+1) reference evaluations per interval).
    pub fn new(beta: f64, s_max: f64) -> Self {
        let intervals = (s_max / WIDTH).ceil() as usize;
        let s_max = intervals as f64 * WIDTH;
        let m = DEG + 1;
        let nodes: Vec<f64> = (0..m)
            .map(|k| (std::f64::consts::PI * (k as f64 + 0.5) / m as f64).cos())
            .collect();
        let mut coef = vec![0.0; intervals * 2 * m];
        let mut vl = vec![0.0; m];
        let mut vr = vec![0.0; m];
        for iv in 0..intervals {
            let a = iv as f64 * WIDTH;
            for (k, t) in nodes.iter().enumerate() {
                let s = a + 0.5 * WIDTH * (t + 1.0);
                let mut rho = [0.0];
                vl[k] = ln_hyp0f1_and_ratios(beta, s * s, 1, &mut rho);
                vr[k] = rho[0];
            }
            let base = iv * 2 * m;
            for j in 0..m {
                let mut cl = 0.0;
                let mut cr = 0.0;
                for k in 0..m {
                    let w = (std::f64::consts::PI * j as f64 * (k as f64 + 0.5) / m as f64).cos();
                    cl += vl[k] * w;
                    cr += vr[k] * w;
                }
                let f = if j == 0 {
                    1.0 / m as f64
                } else {
                    2.0 / m as f64
                };
                coef[base + j] = cl * f;
                coef[base + m + j] = cr * f;
            }
        }
        Self { beta, s_max, coef }
    }

    /// (ln ₀F₁(; β; y), ρ(β, y)) for y ≥ 0.
    #[inline]
    pub fn eval(&self, y: f64) -> (f64, f64) {
        let s = y.sqrt();
        if s >= self.s_max || s.is_nan() {
            let mut rho = [0.0];
            let l = ln_hyp0f1_and_ratios(self.beta, y, 1, &mut rho);
            return (l, rho[0]);
        }
        let u = s * (1.0 / WIDTH);
        let iv = u as usize;
        let t = 2.0 * (u - iv as f64) - 1.0;
        let m = DEG + 1;
        let c = &self.coef[iv * 2 * m..(iv + 1) * 2 * m];
        // Clenshaw for both series at once
        let (mut b1l, mut b2l, mut b1r, mut b2r) = (0.0, 0.0, 0.0, 0.0);
        let t2 = 2.0 * t;
        for j in (1..m).rev() {
            let bl = c[j] + t2 * b1l - b2l;
            let br = c[m + j] + t2 * b1r - b2r;
            b2l = b1l;
            b1l = bl;
            b2r = b1r;
            b1r = br;
        }
        (c[0] + t * b1l - b2l, c[m] + t * b1r - b2r)
    }

    /// In place over a slice: on entry `l` holds arguments y ≥ 0; on exit `l[i]` = ln ₀F₁(; β; y_i)
    /// and `r[i]` = ρ(β, y_i). Eight arguments advance in lockstep so that the Clenshaw
    /// recurrences of different lanes overlap (same arithmetic as [`PairTable::eval`], same bits).
    pub fn eval_in_place(&self, l: &mut [f64], r: &mut [f64]) {
        const LANES: usize = 8;
        let m = DEG + 1;
        let n = l.len();
        let mut start = 0;
        while start + LANES <= n {
            let ys: [f64; LANES] = l[start..start + LANES].try_into().expect("lanes");
            let mut ivs = [0usize; LANES];
            let mut t = [0.0; LANES];
            let mut inside = true;
            for k in 0..LANES {
                let s = ys[k].sqrt();
                inside &= s < self.s_max;
                let u = s * (1.0 / WIDTH);
                let iv = if s < self.s_max { u as usize } else { 0 };
                ivs[k] = iv;
                t[k] = 2.0 * (u - iv as f64) - 1.0;
            }
            if !inside {
                for k in 0..LANES {
                    let (a, b) = self.eval(ys[k]);
                    l[start + k] = a;
                    r[start + k] = b;
                }
                start += LANES;
                continue;
            }
            let mut b1l = [0.0; LANES];
            let mut b2l = [0.0; LANES];
            let mut b1r = [0.0; LANES];
            let mut b2r = [0.0; LANES];
            for j in (1..m).rev() {
                for k in 0..LANES {
                    let c = &self.coef[ivs[k] * 2 * m..];
                    let t2 = 2.0 * t[k];
                    let bl = c[j] + t2 * b1l[k] - b2l[k];
                    let br = c[m + j] + t2 * b1r[k] - b2r[k];
                    b2l[k] = b1l[k];
                    b1l[k] = bl;
                    b2r[k] = b1r[k];
                    b1r[k] = br;
                }
            }
            for k in 0..LANES {
                let c = &self.coef[ivs[k] * 2 * m..];
                l[start + k] = c[0] + t[k] * b1l[k] - b2l[k];
                r[start + k] = c[m] + t[k] * b1r[k] - b2r[k];
            }
            start += LANES;
        }
        for k in start..n {
            let (a, b) = self.eval(l[k]);
            l[k] = a;
            r[k] = b;
        }
    }

    /// β of the table.
    pub fn beta(&self) -> f64 {
        self.beta
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_the_direct_evaluation_to_1e_12() {
        for beta in [0.5, 1.0, 1.5, 2.5, 12.5, 32.0] {
            let table = PairTable::new(beta, 60.0);
            let mut worst_l: f64 = 0.0;
            let mut worst_r: f64 = 0.0;
            for k in 0..20_000 {
                // dense in s, including interval ends
                let s = 61.0 * k as f64 / 20_000.0 + 1e-3 * (k % 7) as f64;
                let y = s * s;
                let (l, r) = table.eval(y);
                let mut rho = [0.0];
                let l0 = ln_hyp0f1_and_ratios(beta, y, 1, &mut rho);
                worst_l = worst_l.max((l - l0).abs());
                worst_r = worst_r.max(((r - rho[0]) / rho[0]).abs());
            }
            assert!(worst_l < 1e-12, "β={beta}: ln 0F1 error {worst_l:e}");
            // the lockstep path gives the same bits as the scalar one, inside and beyond s_max
            let ys: Vec<f64> = (0..203).map(|k| (0.37 * k as f64).powi(2)).collect();
            let mut l = ys.clone();
            let mut r = vec![0.0; ys.len()];
            table.eval_in_place(&mut l, &mut r);
            for (k, y) in ys.iter().enumerate() {
                let (a, b) = table.eval(*y);
                assert_eq!(
                    (l[k].to_bits(), r[k].to_bits()),
                    (a.to_bits(), b.to_bits()),
                    "y={y}"
                );
            }
            assert!(worst_r < 1e-12, "β={beta}: ratio error {worst_r:e}");
        }
    }
}
