//! Evaluation at the top order c = b + m − 1: power series, Hankel or Debye expansion, then the
//! downward recurrence of the ratios.

use super::eft::*;
use super::gamma::*;
use super::tables::*;

/// Result at the top order `c`: `R(c, y) = r` and
/// `{}_0F_1(;c;y) = e^{hi + lo} (1 + v)` if `small`, `e^{hi + lo} v` otherwise.
#[derive(Clone, Copy, Debug)]
pub(super) struct Top {
    pub(super) hi: f64,
    pub(super) lo: f64,
    pub(super) v: f64,
    pub(super) small: bool,
    pub(super) r: f64,
}

/// Power series at order `c` (see crate docs, method 1), computing the terms
/// by recurrence (two per pass, one division).
#[inline]
pub(super) fn series_top(c: f64, y: f64) -> Top {
    let mut t = 1.0_f64;
    let mut k = 0.0_f64;
    let mut s0 = 0.0_f64;
    let mut s1 = 0.0_f64;
    // t_{k+1} = t_k y/d1, t_{k+2} = t_k y^2/(d1 d2).
    for _ in 0..100_000 {
        let k1 = k + 1.0;
        let k2 = k + 2.0;
        let d1 = (c + k) * k1;
        let d2 = (c + k1) * k2;
        let inv = y / (d1 * d2);
        let t1 = t * (d2 * inv);
        let t2 = t * (y * inv);
        s0 += t1 + t2;
        s1 += k1 * t1 + k2 * t2;
        t = t2;
        k = k2;
        if k * t <= TOL * s1 && 2.0 * y <= (c + k) * (k + 1.0) {
            break;
        }
    }
    Top {
        hi: 0.0,
        lo: 0.0,
        v: s0,
        small: true,
        r: c * s1 / (y * (1.0 + s0)),
    }
}

/// `x + x_lo = 2\sqrt{y}` to ~`2^{-104}` relative.
#[inline(always)]
pub(super) fn two_sqrt_y(y: f64) -> (f64, f64) {
    let s = y.sqrt();
    let (p, pe) = two_prod(s, s);
    (2.0 * s, ((y - p) - pe) / s)
}

/// Hankel expansion at order `c` (crate docs, method 2), coefficients by
/// recurrence; `x + x_lo = 2\sqrt y`.
#[inline]
pub(super) fn hankel_top(c: f64, x: f64, x_lo: f64) -> Top {
    let nu = c - 1.0;
    let mu0 = 4.0 * nu * nu;
    let mu1 = 4.0 * c * c;
    let inv8x = 0.125 / x;
    let (mut t0, mut t1, mut s0, mut s1) = (1.0_f64, 1.0_f64, 1.0_f64, 1.0_f64);
    let mut odd = 1.0_f64; // 2k - 1
    for &ik in &INV_K[1..] {
        let f = inv8x * ik;
        let o2 = odd * odd;
        t0 *= (o2 - mu0) * f;
        t1 *= (o2 - mu1) * f;
        s0 += t0;
        s1 += t1;
        if t0.abs() <= TOL * s0.abs() && t1.abs() <= TOL * s1.abs() {
            break;
        }
        odd += 2.0;
    }
    // ln Gamma(c) = ln Gamma(c') - ln Q, c' = c + n >= 10, Q = prod_{j<n} (c+j)
    let (cs, mant) = if c < STIRLING_MIN {
        let n = (STIRLING_MIN - c).ceil();
        let cs = c + n;
        let mut q = c;
        let mut pw = cs;
        let mut j = 1.0;
        while j < n {
            q *= c + j;
            pw *= cs;
            j += 1.0;
        }
        (cs, s0 * (pw / q))
    } else {
        (c, s0)
    };
    // ln F(c) = (c - 1/2) ln(2c'/x) + n ln c' - c' + x - ln(2)/2 + sigma(c') + ln(S c'^n / Q)
    let l = (2.0 * cs / x).ln() - x_lo / x;
    let (p, pe) = two_prod(c - 0.5, l);
    let (s, se) = two_sum(x, -cs);
    let (s2, se2) = two_sum(s, p);
    Top {
        hi: s2,
        lo: se2 + se + pe + x_lo - HALF_LN_2 + stirling_tail(cs),
        v: mant,
        small: false,
        r: (2.0 * c / x) * (s1 / s0),
    }
}

/// Number of Debye terms for a given `\rho \ge 24` (see [`DEBYE_RHO`]).
#[inline(always)]
pub(super) fn debye_terms(rho: f64) -> usize {
    let mut k = 3;
    while rho < DEBYE_RHO[k] {
        k += 1;
    }
    k
}

/// `\rho + \rho_lo = \sqrt{\nu^2 + 4y}` to ~`2^{-104}` relative.
#[inline(always)]
pub(super) fn rho_dd(nu: f64, y: f64) -> (f64, f64) {
    let (n2, n2e) = two_prod(nu, nu);
    let (a, ae) = two_sum(n2, 4.0 * y);
    sqrt_dd(a, ae + n2e)
}

/// `\ln(c/h)`, `h = (\nu + \rho + \rho_{lo})/2`, given `q \approx c/h`.
///
/// It is multiplied by `\nu`, so when `c/h` is close to 1 (`y \ll \nu^2`)
/// it is formed as `\mathrm{ln\_1p}((c-h)/h)` with
/// `c - h = ((c + 1 - \rho) - \rho_{lo})/2` (exact subtraction), which keeps
/// `\nu \ln(c/h)` accurate to a few ulps of itself rather than `\nu` ulps of 1.
#[inline(always)]
pub(super) fn ln_c_over_h(c: f64, rho: f64, rho_lo: f64, q: f64) -> f64 {
    if (0.75..=1.25).contains(&q) {
        let delta = 0.5 * ((c + 1.0 - rho) - rho_lo);
        (delta * q / c).ln_1p()
    } else {
        // the rho_lo correction to h: ln(c/h) -= rho_lo q/(2c)
        q.ln() - rho_lo * q * (0.5 / c)
    }
}

/// Debye expansion at order `c` (`c - 1 \ge 14`), `\rho + \rho_lo = \sqrt{(c-1)^2 + 4y}`,
/// `sigma = \sigma(c)` the Stirling tail (crate docs, method 3).
#[inline]
pub(super) fn debye_top(c: f64, rho: f64, rho_lo: f64, nterms: usize, sigma: f64) -> Top {
    let nu = c - 1.0;
    let r = 1.0 / rho;
    let t = nu * r;
    let tau = t * t;
    let mut u = 0.0_f64;
    let mut w = 0.0_f64;
    for k in (0..nterms).rev() {
        let off = k * (k + 1) / 2;
        let pk = &DEBYE.p[off..=off + k];
        let qk = &DEBYE.q[off..=off + k];
        let mut pu = 0.0_f64;
        let mut pw = 0.0_f64;
        for (&a, &b) in pk.iter().zip(qk).rev() {
            pu = pu * tau + a;
            pw = pw * tau + b;
        }
        u = u * r + pu;
        w = w * r + pw;
    }
    debye_assemble(c, rho, rho_lo, sigma, u * (c / rho).sqrt(), w / u)
}

/// The Debye result from its two sums: ln ₀F₁ = (ρ − c) + ν ln(c/h) + ρ_lo + σ in double-double
/// (ν = c − 1, c/h = 2c/(ν + ρ)), the scaled value `v` and the ratio from w/u (the direct and the
/// table evaluation share this step).
#[inline(always)]
pub(super) fn debye_assemble(
    c: f64,
    rho: f64,
    rho_lo: f64,
    sigma: f64,
    v: f64,
    w_over_u: f64,
) -> Top {
    let nu = c - 1.0;
    let r = 1.0 / rho;
    let q = 2.0 * c / (nu + rho); // c/h
    let l = ln_c_over_h(c, rho, rho_lo, q);
    let (p, pe) = two_prod(nu, l);
    let (s, se) = two_sum(rho, -c);
    let (s2, se2) = two_sum(s, p);
    Top {
        hi: s2,
        lo: se2 + se + pe + rho_lo + sigma,
        v,
        small: false,
        r: q - (2.0 * c * r * r) * w_over_u,
    }
}

/// Estimated number of series terms at order `c` (`\rho \approx \sqrt{c^2+4y}`).
#[inline(always)]
pub(super) fn series_terms_est(c: f64, y: f64, rho: f64) -> f64 {
    // peak index k0 = (sqrt(c^2 + 4y) - c)/2 ~ 2y/(rho + c); tail ~ 6.5 sqrt(k0)
    let k0 = 2.0 * y / (rho + c);
    k0 + 6.5 * k0.sqrt() + 4.0
}

/// Direct path: is the Debye expansion cheaper than the recurrence series?
/// (Costs in units of one series term: a Debye coefficient pair costs about
/// as much as a series term, plus a fixed overhead of ~20 terms.)
#[inline(always)]
pub(super) fn debye_preferred_direct(c: f64, y: f64, rho: f64, k: usize) -> bool {
    let kf = k as f64;
    series_terms_est(c, y, rho) > 0.5 * kf * (kf + 1.0) + 20.0
}

/// `(\ln {}_0F_1(;c;y), R(c,y))` at the top order by the direct path,
/// `Y_TINY \le y < \infty`.
#[inline]
pub(super) fn eval_top(c: f64, y: f64) -> Top {
    let nu = c - 1.0;
    if nu < NU_DEBYE {
        let (x, x_lo) = two_sqrt_y(y);
        if x >= X_HANKEL && 3.0 * x >= c * c {
            hankel_top(c, x, x_lo)
        } else {
            series_top(c, y)
        }
    } else {
        let (rho, rho_lo) = rho_dd(nu, y);
        if rho >= DEBYE_RHO[DEBYE_K] {
            let k = debye_terms(rho);
            if debye_preferred_direct(c, y, rho, k) {
                return debye_top(c, rho, rho_lo, k, stirling_tail(c));
            }
        }
        series_top(c, y)
    }
}

/// Downward ratio recurrence and final logarithm (crate docs, last part).
///
/// With `D_c = {}_0F_1(;c;y)/{}_0F_1(;c_{top};y)`: `D_{c_top} = 1`,
/// `D_{c_top+1} = R(c_{top})`, `D_c = D_{c+1} + y D_{c+2}/(c(c+1))`,
/// `R(c) = D_{c+1}/D_c`.  `D_c - 1` is accumulated as a sum of positive terms
/// (so `\ln D_b` keeps relative accuracy for small `y`), the chain carries no
/// division and the `m` divisions for the ratios are independent.
#[inline(always)]
pub(super) fn finish(top: Top, y: f64, out: &mut [f64], inv_cc: impl Fn(usize) -> f64) -> f64 {
    let mut g = 0.0_f64; // D_{c+1} - 1
    if let Some((last, rest)) = out.split_last_mut() {
        *last = top.r;
        let mut d2 = top.r; // D_{c+2}
        for (k, o) in rest.iter_mut().enumerate().rev() {
            // c = b + k;  inv_cc(k) = 1/(c(c+1))
            let yc = y * inv_cc(k);
            let d1 = 1.0 + g;
            g += yc * d2;
            *o = d1 / (1.0 + g);
            d2 = d1;
        }
    }
    // ln_1p only where it matters (F close to 1); ln is cheaper.
    let l = if top.small {
        let gg = top.v + g + top.v * g;
        if gg < 0.5 {
            gg.ln_1p()
        } else {
            (1.0 + gg).ln()
        }
    } else {
        (top.v + top.v * g).ln()
    };
    top.hi + (top.lo + l)
}

/// `1/((b+k)(b+k+1))`.
#[inline(always)]
pub(super) fn inv_cc(b: f64, k: usize) -> f64 {
    let c = b + k as f64;
    1.0 / (c * (c + 1.0))
}

/// Argument checks and trivial cases shared by all entry points; `None` if
/// the general code must run.
#[inline(always)]
pub(super) fn trivial(b: f64, y: f64, out: &mut [f64]) -> Option<f64> {
    if b.is_nan() || y.is_nan() || b <= 0.0 || y < 0.0 || b.is_infinite() {
        out.fill(f64::NAN);
        return Some(f64::NAN);
    }
    if y < Y_TINY {
        // ln F = y/b + O(y^2),  R(c) = 1 - y/(c(c+1)) + O(y^2)
        for (k, o) in out.iter_mut().enumerate() {
            let c = b + k as f64;
            *o = 1.0 - y / (c * (c + 1.0));
        }
        return Some(y / b);
    }
    if y.is_infinite() {
        out.fill(0.0);
        return Some(f64::INFINITY);
    }
    None
}
