//! The prepared evaluator [`Hyp0f1`]: everything that depends only on (b, m) precomputed.

use super::eft::*;
use super::gamma::*;
use super::tables::*;
use super::top::*;

/// Precomputed Hankel data of a [`Hyp0f1`]:
/// `coef[k-1] = [(-1)^k a_k(\nu), (-1)^k a_k(\nu+1)]` and
/// `kc = \ln\Gamma(c) + (c-1)\ln 2 - \tfrac12\ln 2\pi` (double-double).
#[derive(Clone, Debug, Default)]
pub(super) struct HankelData {
    pub(super) coef: Vec<[f64; 2]>,
    pub(super) kc_hi: f64,
    pub(super) kc_lo: f64,
}

/// Precomputed Debye data of a [`Hyp0f1`]: the expansion regrouped for
/// fixed `\nu` as polynomials in `w = \kappa/\rho`, `\kappa = \max(|\nu|, 1)`:
/// `U = \sum_n coef[n][0] w^n`, `W = \sum_n coef[n][1] w^n`, where
/// `coef[n] = \sum_{k+2j=n} [P_k]_j \nu^{2j} / \kappa^n` (resp. `Q_k`);
/// keeping `n \le 3(K-1)` keeps every `(k < K, j \le k)` term.
/// `sigma = \ln\Gamma(c) - (c-\tfrac12)\ln c + c - \tfrac12\ln 2\pi`.
#[derive(Clone, Debug, Default)]
pub(super) struct DebyeData {
    pub(super) coef: Vec<[f64; 2]>,
    pub(super) kappa: f64,
    pub(super) sigma: f64,
}

/// Prepared evaluator of `\ln {}_0F_1(;b;y)` and the `m` ratios
/// `R(b+k, y)`, `k < m`, for fixed `b` and `m` (the fast path for hot loops).
///
/// Same mathematics as [`ln_hyp0f1_and_ratios`](super::ln_hyp0f1_and_ratios), but everything that depends
/// only on `c = b + m - 1` is precomputed once:
///
/// * the series coefficients `A_k = Y^k / ((c)_k k!)` (double-double
///   recurrence, rounded once) and `k A_k`, with `Y` a power of two `\ge`
///   the top of the series range, so that `z = y/Y` is exact and
///   `\sum_k t_k = \sum_k A_k z^k` is evaluated with four independent power
///   chains and no division;
/// * the Hankel coefficients `(-1)^k a_k(\nu)`, `(-1)^k a_k(\nu+1)` and
///   `\ln\Gamma(c)`;
/// * the Debye expansion regrouped, for this `\nu`, into two polynomials of
///   degree `3(K-1)` in `\kappa/\rho` (evaluated as four Horner chains in
///   `(\kappa/\rho)^4`), valid for any `\nu` once `\rho \ge 24`;
/// * `1/((b+k)(b+k+1))` for the ratio recurrence.
///
/// Regimes in `y`: series below `y_debye`; Debye in `[y_debye, y_hankel)`;
/// Hankel above `y_hankel` (`= \infty` when `c - 1 \ge 14`).  `y_hankel` is
/// the validity limit `x \ge \max(20, c^2/3)` of the Hankel expansion, and
/// `y_debye` the point where the Debye expansion becomes cheaper than the
/// series (measured costs, see `series_vs_debye`); results are continuous to
/// rounding across both.
///
/// Building costs a few microseconds; the struct is `Clone + Send + Sync`.
///
/// # Example
/// ```
/// use mf_core::special::{Hyp0f1, ln_hyp0f1_and_ratios};
/// // b = d/2 for d = 5; ln 0F1(;b;y) and the ratios R(b), R(b+1), R(b+2)
/// let f = Hyp0f1::new(2.5, 3);
/// let mut r = [0.0; 3];
/// let ln_f = f.eval(400.0, &mut r);
/// let mut r2 = [0.0; 3];
/// assert!((ln_f - ln_hyp0f1_and_ratios(2.5, 400.0, 3, &mut r2)).abs() < 1e-13);
/// // 0F1(;b+1;y) = 0F1(;b;y) R(b,y), d/dy ln 0F1(;b;y) = R(b,y)/b, ...
/// let ln_f_b1 = ln_f + r[0].ln();
/// assert!(ln_f_b1 < ln_f);
/// ```
#[derive(Clone, Debug)]
pub struct Hyp0f1 {
    b: f64,
    m: usize,
    c: f64,
    y_debye: f64,
    y_hankel: f64,
    /// `1/((b+k)(b+k+1))`, `k < m - 1`.
    inv_cc: Vec<f64>,
    /// `1/Y`.
    ser_inv_scale: f64,
    /// `[A_k, k A_k]`, `k = 1..`, length a multiple of 4.
    ser_coef: Vec<[f64; 2]>,
    /// Per chunk `j` (terms `4j+1 ..= 4j+4`, `k = 4j + 4`): `(c+k)(k+1)/(2Y)`;
    /// the tail ratio is `\le 1/2` iff `z \le` this.
    ser_qmax: Vec<f64>,
    debye: DebyeData,
    hankel: HankelData,
}

/// Is the (prepared) Debye expansion cheaper than the prepared series at
/// `(c, y)`?  Measured costs (ns, x86-64 without FMA): series
/// `\approx 36 + 0.55 N`, `N` the number of terms; Debye `\approx 48 + 0.6 K`.
pub(super) fn series_vs_debye(c: f64, y: f64) -> bool {
    let (rho, _) = rho_dd(c - 1.0, y);
    if rho < DEBYE_RHO[DEBYE_K] {
        return false;
    }
    let k = debye_terms(rho) as f64;
    36.0 + 0.55 * series_terms_est(c, y, rho) > 48.0 + 0.6 * k
}

impl Hyp0f1 {
    /// Prepares the evaluator for `\ln {}_0F_1(;b;y)` and `m` ratios.
    ///
    /// # Panics
    /// If `b` is not finite and positive.
    pub fn new(b: f64, m: usize) -> Self {
        Self::with_splits(b, m, None)
    }

    /// As [`Hyp0f1::new`], optionally forcing `(y_debye, y_hankel)` (for
    /// tuning and tests only; `y_hankel` is never put below the validity
    /// limit of the Hankel expansion).
    #[doc(hidden)]
    pub fn with_splits(b: f64, m: usize, splits: Option<(f64, f64)>) -> Self {
        assert!(
            b.is_finite() && b > 0.0,
            "Hyp0f1::new: b must be finite and > 0, got {b}"
        );
        let c = b + m.saturating_sub(1) as f64;
        let nu = c - 1.0;
        let y_hankel_min = if nu < NU_DEBYE {
            let xh = X_HANKEL.max(c * c / 3.0);
            0.25 * xh * xh
        } else {
            f64::INFINITY
        };
        let (y_debye, y_hankel) = match splits {
            Some((yd, yh)) => (yd, yh.max(y_hankel_min)),
            None => {
                // smallest y (on a fine geometric grid) where Debye wins
                let mut y = 1.0;
                while y < y_hankel_min && !series_vs_debye(c, y) {
                    y *= 1.02;
                }
                // no Debye band if it would be narrow
                let y = if y > 0.7 * y_hankel_min {
                    y_hankel_min
                } else {
                    y
                };
                (y, y_hankel_min)
            }
        };
        let y_debye = y_debye.min(y_hankel);
        let hankel = if y_hankel.is_finite() {
            Self::build_hankel(c, 2.0 * y_hankel.sqrt())
        } else {
            HankelData::default()
        };
        let debye = if y_debye < y_hankel {
            Self::build_debye(c)
        } else {
            DebyeData::default()
        };
        let (ser_inv_scale, ser_coef, ser_qmax) = Self::build_series(c, y_debye);
        Hyp0f1 {
            b,
            m,
            c,
            y_debye,
            y_hankel,
            inv_cc: (0..m.saturating_sub(1)).map(|k| inv_cc(b, k)).collect(),
            ser_inv_scale,
            ser_coef,
            ser_qmax,
            debye,
            hankel,
        }
    }

    fn build_series(c: f64, y_max: f64) -> (f64, Vec<[f64; 2]>, Vec<f64>) {
        // Y = 2^e >= y_max, so z = y/Y is exact.
        let e = y_max.max(1.0).log2().ceil() as i32;
        let scale = 2f64.powi(e);
        // number of terms the stopping rule needs at y_max (monotone in y)
        let mut t = 1.0_f64;
        let mut s1 = 0.0_f64;
        let mut k = 0.0_f64;
        loop {
            t *= y_max / ((c + k) * (k + 1.0));
            k += 1.0;
            s1 += k * t;
            if k * t <= TOL * s1 && 2.0 * y_max <= (c + k) * (k + 1.0) {
                break;
            }
        }
        let nchunks = (k as usize).div_ceil(4) + 1;
        let mut coef = Vec::with_capacity(4 * nchunks);
        let mut qmax = Vec::with_capacity(nchunks);
        // A_k = A_{k-1} Y / (c+k-1) / k in double-double, rounded once.
        let (mut hi, mut lo) = (1.0_f64, 0.0_f64);
        for kk in 1..=4 * nchunks {
            let kf = kk as f64;
            for d in [c + (kf - 1.0), kf] {
                let q = hi / d;
                let (p, pe) = two_prod(q, d);
                let q2 = (((hi - p) - pe) + lo) / d;
                let (h, l) = two_sum(q, q2);
                hi = h;
                lo = l;
            }
            hi *= scale;
            lo *= scale;
            coef.push([hi + lo, kf * (hi + lo)]);
            if kk % 4 == 0 {
                qmax.push((c + kf) * (kf + 1.0) / (2.0 * scale));
            }
        }
        (1.0 / scale, coef, qmax)
    }

    fn build_debye(c: f64) -> DebyeData {
        let nu = c - 1.0;
        let kappa = nu.abs().max(1.0);
        let n_max = 3 * (DEBYE_K - 1);
        let mut coef = vec![[0.0_f64; 2]; (n_max + 1).next_multiple_of(4)];
        let v2 = (nu / kappa) * (nu / kappa);
        for k in 0..DEBYE_K {
            let off = k * (k + 1) / 2;
            let ik = kappa.powi(-(k as i32));
            let mut v2j = 1.0;
            for j in 0..=k {
                let f = ik * v2j;
                coef[k + 2 * j][0] += DEBYE.p[off + j] * f;
                coef[k + 2 * j][1] += DEBYE.q[off + j] * f;
                v2j *= v2;
            }
        }
        let sigma = if c >= STIRLING_MIN {
            stirling_tail(c)
        } else {
            let (g_hi, g_lo) = ln_gamma_parts(c);
            let (p, pe) = two_prod(c - 0.5, c.ln());
            let (s, se) = two_sum(g_hi, -p);
            let (s, se2) = two_sum(s, c);
            let (s, se3) = two_sum(s, -HALF_LN_2PI);
            s + (se + se2 + se3 + g_lo - pe - HALF_LN_2PI_LO)
        };
        DebyeData { coef, kappa, sigma }
    }

    fn build_hankel(c: f64, x_min: f64) -> HankelData {
        let nu = c - 1.0;
        let (mu0, mu1) = (4.0 * nu * nu, 4.0 * c * c);
        let (mut h0, mut h1) = (1.0_f64, 1.0_f64);
        let (mut s0, mut s1) = (1.0_f64, 1.0_f64);
        let mut coef = Vec::new();
        let mut xk = 1.0_f64;
        for k in 1..=HANKEL_MAX {
            let o = (2 * k - 1) as f64;
            let f = 0.125 / k as f64;
            h0 *= (o * o - mu0) * f;
            h1 *= (o * o - mu1) * f;
            coef.push([h0, h1]);
            // stopping rule at the smallest x of the range
            xk /= x_min;
            let (t0, t1) = (h0 * xk, h1 * xk);
            s0 += t0;
            s1 += t1;
            if t0.abs() <= TOL * s0.abs() && t1.abs() <= TOL * s1.abs() {
                break;
            }
        }
        // one spare pair, even length
        coef.push([0.0, 0.0]);
        if coef.len() % 2 == 1 {
            coef.push([0.0, 0.0]);
        }
        // kc = ln Gamma(c) + (c - 1) ln 2 - ln(2 pi)/2
        const LN2_LO: f64 = 2.319_046_813_846_299_6e-17;
        let (g_hi, g_lo) = ln_gamma_parts(c);
        let (p, pe) = two_prod(nu, std::f64::consts::LN_2);
        let (s, se) = two_sum(g_hi, p);
        let (s, se2) = two_sum(s, -HALF_LN_2PI);
        let (kc_hi, kc_lo) = two_sum(s, se + se2 + g_lo + pe + nu * LN2_LO - HALF_LN_2PI_LO);
        HankelData { coef, kc_hi, kc_lo }
    }

    /// `b`.
    pub fn b(&self) -> f64 {
        self.b
    }

    /// Number of ratios `m`.
    pub fn m(&self) -> usize {
        self.m
    }

    /// Regime boundaries `(y_debye, y_hankel)` (see the type docs).
    #[doc(hidden)]
    pub fn splits(&self) -> (f64, f64) {
        (self.y_debye, self.y_hankel)
    }

    /// `\ln {}_0F_1(;b;y)`, filling `out[k] = R(b+k, y)` for `k < m`.
    /// Same conventions as [`ln_hyp0f1_and_ratios`](super::ln_hyp0f1_and_ratios).
    ///
    /// # Panics
    /// If `out.len() < m`.
    #[inline]
    pub fn eval(&self, y: f64, out: &mut [f64]) -> f64 {
        let out = &mut out[..self.m];
        if let Some(v) = trivial(self.b, y, out) {
            return v;
        }
        let top = if y < self.y_debye {
            self.series(y)
        } else if y < self.y_hankel {
            self.debye(y)
        } else {
            self.hankel(y)
        };
        finish(top, y, out, |k| self.inv_cc[k])
    }

    /// `\ln {}_0F_1(;b;y)` only (the ratios are computed and discarded).
    pub fn ln(&self, y: f64) -> f64 {
        let mut buf = [0.0; 16];
        if self.m <= buf.len() {
            self.eval(y, &mut buf)
        } else {
            self.eval(y, &mut vec![0.0; self.m])
        }
    }

    #[inline(always)]
    fn series(&self, y: f64) -> Top {
        let z = y * self.ser_inv_scale;
        let z2 = z * z;
        let z4 = z2 * z2;
        let (mut p1, mut p2, mut p3, mut p4) = (z, z2, z2 * z, z4);
        let (mut s0a, mut s0b, mut s1a, mut s1b) = (0.0_f64, 0.0_f64, 0.0_f64, 0.0_f64);
        for (ch, &q) in self.ser_coef.chunks_exact(4).zip(&self.ser_qmax) {
            s0a += ch[0][0] * p1 + ch[1][0] * p2;
            s0b += ch[2][0] * p3 + ch[3][0] * p4;
            let u4 = ch[3][1] * p4;
            s1a += ch[0][1] * p1 + ch[1][1] * p2;
            s1b += ch[2][1] * p3 + u4;
            if u4 <= TOL * (s1a + s1b) && z <= q {
                let (s0, s1) = (s0a + s0b, s1a + s1b);
                return Top {
                    hi: 0.0,
                    lo: 0.0,
                    v: s0,
                    small: true,
                    r: self.c * s1 / (y * (1.0 + s0)),
                };
            }
            p1 *= z4;
            p2 *= z4;
            p3 *= z4;
            p4 *= z4;
        }
        // not reached for y < y_debye; keep correct regardless
        series_top(self.c, y)
    }

    #[inline(always)]
    fn debye(&self, y: f64) -> Top {
        let DebyeData { coef, kappa, sigma } = &self.debye;
        let (kappa, sigma) = (*kappa, *sigma);
        let c = self.c;
        let nu = c - 1.0;
        let (rho, rho_lo) = rho_dd(nu, y);
        if rho < DEBYE_RHO[DEBYE_K] {
            // only reachable with a forced split
            return series_top(c, y);
        }
        let r = 1.0 / rho;
        let w = kappa * r;
        let w2 = w * w;
        let w4 = w2 * w2;
        // polynomials of degree 3(K-1) in w, split into four chains in w^4
        let nq = (3 * (debye_terms(rho) - 1)) / 4 + 1;
        let (mut u0, mut u1, mut u2, mut u3) = (0.0_f64, 0.0_f64, 0.0_f64, 0.0_f64);
        let (mut v0, mut v1, mut v2, mut v3) = (0.0_f64, 0.0_f64, 0.0_f64, 0.0_f64);
        for ch in coef[..4 * nq].chunks_exact(4).rev() {
            u0 = u0 * w4 + ch[0][0];
            u1 = u1 * w4 + ch[1][0];
            u2 = u2 * w4 + ch[2][0];
            u3 = u3 * w4 + ch[3][0];
            v0 = v0 * w4 + ch[0][1];
            v1 = v1 * w4 + ch[1][1];
            v2 = v2 * w4 + ch[2][1];
            v3 = v3 * w4 + ch[3][1];
        }
        let u = (u0 + w * u1) + w2 * (u2 + w * u3);
        let wsum = (v0 + w * v1) + w2 * (v2 + w * v3);
        debye_assemble(c, rho, rho_lo, sigma, u * (c * r).sqrt(), wsum / u)
    }

    #[inline(always)]
    fn hankel(&self, y: f64) -> Top {
        let HankelData { coef, kc_hi, kc_lo } = &self.hankel;
        let (kc_hi, kc_lo) = (*kc_hi, *kc_lo);
        let c = self.c;
        let (x, x_lo) = two_sqrt_y(y);
        let z = 1.0 / x;
        let z2 = z * z;
        let (mut p1, mut p2) = (z, z2);
        let (mut s0, mut s1) = (1.0_f64, 1.0_f64);
        let mut done = false;
        for ch in coef.chunks_exact(2) {
            let a2 = ch[1][0] * p2;
            let b2 = ch[1][1] * p2;
            s0 += ch[0][0] * p1 + a2;
            s1 += ch[0][1] * p1 + b2;
            if a2.abs() <= TOL * s0.abs() && b2.abs() <= TOL * s1.abs() {
                done = true;
                break;
            }
            p1 *= z2;
            p2 *= z2;
        }
        if !done {
            return hankel_top(c, x, x_lo);
        }
        // ln F(c) = kc + x - (c - 1/2) ln x + ln S
        let l = x.ln();
        let (p, pe) = two_prod(c - 0.5, l);
        let (s, se) = two_sum(kc_hi, x);
        let (s2, se2) = two_sum(s, -p);
        Top {
            hi: s2,
            lo: se + se2 - pe + kc_lo + x_lo * (1.0 - (c - 0.5) * z),
            v: s0,
            small: false,
            r: (2.0 * c * z) * (s1 / s0),
        }
    }
}
