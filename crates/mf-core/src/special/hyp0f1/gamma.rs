//! ln Γ(x) with a double-double result (Stirling series above 10, recurrence below).

use super::eft::*;
use super::tables::*;

/// Stirling tail `\sigma(x) = \ln\Gamma(x) - (x-\tfrac12)\ln x + x - \tfrac12\ln 2\pi
/// = \sum_{k=1}^{9} \frac{B_{2k}}{2k(2k-1) x^{2k-1}}`, for `x \ge 10`
/// (truncation error `< 2\cdot10^{-19}`).
#[inline(always)]
pub(super) fn stirling_tail(x: f64) -> f64 {
    let r = 1.0 / x;
    let z = r * r;
    let mut s = STIRLING[8];
    for &c in STIRLING[..8].iter().rev() {
        s = s * z + c;
    }
    s * r
}

/// `\ln\Gamma(x)` for `x > 0`.
///
/// For `x \ge 10`: Stirling's series
/// `\ln\Gamma(x) = (x-\tfrac12)\ln x - x + \tfrac12\ln(2\pi) + \sum_{k=1}^{9} \frac{B_{2k}}{2k(2k-1)x^{2k-1}}`,
/// the large terms being added with TwoProduct/TwoSum so that only the
/// rounding of `\ln x` (times `x - 1/2`) and of the result remain.  For
/// `x < 10`: `\ln\Gamma(x) = \ln\Gamma(x+n) - \ln\prod_{j<n}(x+j)`.
/// Absolute error `\lesssim 2\cdot10^{-15}` for `x < 10`, relative error
/// `\lesssim 2\cdot10^{-16}` above.  Returns NaN for `x \le 0` or NaN.
pub fn ln_gamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x.is_infinite() {
        return f64::INFINITY;
    }
    let (hi, lo) = ln_gamma_parts(x);
    hi + lo
}

/// `\ln\Gamma(x)` for finite `x > 0` as an unevaluated sum `hi + lo`.
pub(super) fn ln_gamma_parts(x: f64) -> (f64, f64) {
    const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
    if x >= STIRLING_MIN {
        return ln_gamma_stirling(x);
    }
    if x < 1e-300 {
        // ln Gamma(x) = -ln x - gamma x + O(x^2)
        return (-x.ln(), -EULER_GAMMA * x);
    }
    // Shift: x' = x + n >= 10 (xs + dx = x + n exactly), Q = prod_{j<n} (x + j).
    // With (x'-1/2) ln x' = (x-1/2) ln x' + n ln x' the large parts of
    // ln Gamma(x') and ln Q cancel analytically:
    //   ln Gamma(x) = (x - 1/2) ln xs + ln(xs^n / Q) - xs + ln(2 pi)/2 + sigma(xs) - dx/(2 xs),
    // the last term being psi(xs) dx - dx ln xs to first order.  Q and xs^n
    // are formed with TwoSum/TwoProduct, their relative rounding errors being
    // carried in `rel`.
    let n = (STIRLING_MIN - x).ceil();
    let (xs, dx) = two_sum(x, n);
    let mut q = x;
    let mut pw = xs;
    let mut rel = 0.0;
    let mut j = 1.0;
    while j < n {
        let (f, fe) = two_sum(x, j);
        let (p, pe) = two_prod(q, f);
        let (w, we) = two_prod(pw, xs);
        rel += we / w - pe / p - fe / f;
        q = p;
        pw = w;
        j += 1.0;
    }
    let ratio = pw / q;
    let (rq, rqe) = two_prod(ratio, q);
    rel += ((pw - rq) - rqe) / pw;
    let (lr, lr_lo) = ln_split(ratio);
    let (p, pe) = two_prod(x - 0.5, xs.ln());
    let (s, se) = two_sum(lr, -xs);
    let (s, se2) = two_sum(s, p);
    let (s, se3) = two_sum(s, HALF_LN_2PI);
    let lo = se + se2 + se3 + pe + lr_lo + rel + HALF_LN_2PI_LO + stirling_tail(xs);
    two_sum(s, lo - 0.5 * dx / xs)
}

/// `\ln v` for `v > 0` normal as `hi + lo` with absolute error `\lesssim 3\cdot10^{-17}`
/// (plus `|e| \cdot 10^{-32}`): `v = m 2^e`, `m \in [2^{-1/2}, 2^{1/2})`,
/// `\ln v = \ln m + e \ln 2` with `\ln 2` in double-double.
pub(super) fn ln_split(v: f64) -> (f64, f64) {
    const LN2_LO: f64 = 2.319_046_813_846_299_6e-17;
    let bits = v.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | (1023_u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let ef = e as f64;
    let (p, pe) = two_prod(ef, std::f64::consts::LN_2);
    let (s, se) = two_sum(p, m.ln());
    (s, se + pe + ef * LN2_LO)
}

/// `\ln\Gamma(x)` for `x \ge 10` as an unevaluated sum `hi + lo`.
#[inline(always)]
pub(super) fn ln_gamma_stirling(x: f64) -> (f64, f64) {
    let l = x.ln();
    let (p, pe) = two_prod(x - 0.5, l);
    let (s, se) = two_sum(p, -x);
    let (s2, se2) = two_sum(s, HALF_LN_2PI);
    (s2, se2 + se + pe + HALF_LN_2PI_LO + stirling_tail(x))
}
