//! # `hyp0f1`: the confluent hypergeometric limit function in log space
//!
//! For real `b > 0` and real `y >= 0` this crate evaluates
//!
//! ```text
//!   {}_0F_1(;b;y) = \sum_{k \ge 0} \frac{y^k}{(b)_k \, k!}
//!                 = \Gamma(b) \, y^{(1-b)/2} \, I_{b-1}(2\sqrt{y}),
//! ```
//!
//! where `(b)_k` is the Pochhammer symbol and `I_\nu` the modified Bessel
//! function of the first kind.  For large `y` the function grows like
//! `\exp(2\sqrt{y})`, so it is returned as a logarithm, `\ln {}_0F_1`.  The
//! ratio of contiguous functions
//!
//! ```text
//!   R(b, y) = {}_0F_1(;b+1;y) / {}_0F_1(;b;y),     R(b, 0) = 1,
//! ```
//!
//! which is what derivatives need (`\frac{d}{dy} {}_0F_1(;b;y) = {}_0F_1(;b+1;y)/b`,
//! hence `\frac{d}{dy} \ln {}_0F_1(;b;y) = R(b,y)/b`), is returned directly.
//!
//! ## Public API
//!
//! * [`ln_hyp0f1`]: `\ln {}_0F_1(;b;y)`;
//! * [`hyp0f1_ratio`]: `R(b,y)`;
//! * [`ln_hyp0f1_and_ratios`]: `\ln {}_0F_1(;b;y)` plus the `m` ratios
//!   `R(b+k, y)`, `k = 0..m`, for the price of (about) one evaluation;
//! * [`ln_gamma`]: `\ln\Gamma(x)` for `x > 0` (used internally, exported
//!   because it is generally useful and tested on its own).
//!
//! ## Method
//!
//! All work is done at the *top* order `c = b + m - 1` (`c = b` when only the
//! value or a single ratio is wanted).  There the pair
//! `(\ln {}_0F_1(;c;y), R(c,y))` is computed by one of three methods, chosen
//! from `\nu = c - 1`, `x = 2\sqrt{y}` and `\rho = \sqrt{\nu^2 + x^2}`:
//!
//! 1. **Power series** (small `y`, and all `y` below the crossovers of 2/3).
//!    With `t_k = y^k/((c)_k k!)` (all terms positive, so there is no
//!    cancellation) we accumulate `s_0 = \sum_{k\ge1} t_k` and
//!    `s_1 = \sum_{k\ge1} k t_k`.  Then `{}_0F_1(;c;y) = 1 + s_0` and, since
//!    `\frac{d}{dy}{}_0F_1(;c;y) = s_1 / y = {}_0F_1(;c+1;y)/c`,
//!    `R(c,y) = c s_1 / (y (1 + s_0))`.  The terms rise up to
//!    `k_0 \approx (\sqrt{c^2+4y}-c)/2` and then fall; the loop stops once
//!    `k t_k \le 2^{-56} s_1` *and* the term ratio `y/((c+k)(k+1)) \le 1/2`
//!    (so the neglected tail is below `2^{-54}` relatively).  Two terms are
//!    produced per iteration with a single division.  The series is only used
//!    for `y \lesssim 10^3` so no rescaling against overflow is needed, and
//!    `\ln(1+s_0)` is taken with `ln_1p`, which keeps full *relative* accuracy
//!    of `\ln {}_0F_1` as `y \to 0`.
//!
//! 2. **Hankel expansion** (`\nu < 14` and `x \ge \max(20, c^2/3)`):
//!
//!    ```text
//!    I_\nu(x) = \frac{e^x}{\sqrt{2\pi x}} S_\nu(x) \,(1 + O(e^{-2x})),
//!    S_\nu(x) = \sum_k (-1)^k \frac{a_k(\nu)}{x^k},
//!    a_k(\nu) = \frac{\prod_{j=1}^{k} (4\nu^2 - (2j-1)^2)}{k! \, 8^k}.
//!    ```
//!
//!    Both `S_\nu` and `S_{\nu+1}` are summed in one loop (no divisions) until
//!    the terms drop below `2^{-56}` of the sums.  The terms behave like
//!    `(\nu^2/2x)^k/k!` at first (loss of accuracy by cancellation
//!    `\approx e^{\nu^2/x}`, at most `\approx 20` at the crossover
//!    `x = c^2/3`), and like `(k-1)!/(2x)^k` later, whose minimum
//!    `\approx e^{-2x} < 4\cdot10^{-18}` for `x \ge 20`; the neglected
//!    exponentially small part of `I_\nu` is of the same size.  For
//!    half-integer `c` (hence half-integer `\nu`) the series terminates by
//!    itself after `|\nu| + 1/2` terms.  Then
//!
//!    ```text
//!    \ln {}_0F_1(;c;y) = \ln\Gamma(c) + x - (c - 1/2)\ln x + (c-1)\ln 2
//!                        - \tfrac12 \ln(2\pi) + \ln S_{c-1}(x),
//!    R(c, y) = \frac{2c}{x} \frac{S_c(x)}{S_{c-1}(x)}.
//!    ```
//!
//! 3. **Debye (uniform) expansion** (`\nu \ge 14`, `\rho \ge 24`, and `y`
//!    large enough that the series would be more expensive):
//!
//!    ```text
//!    I_\nu(x) = \frac{e^{\rho} (x/(\nu+\rho))^{\nu}}{\sqrt{2\pi\rho}} U,
//!    U = \sum_k \frac{u_k(t)}{\nu^k} = \sum_k \rho^{-k} P_k(\tau),
//!    t = \nu/\rho,\ \tau = t^2,
//!    ```
//!
//!    with Debye's polynomials `u_k(t) = t^k P_k(t^2)` generated (at compile
//!    time) from `u_{k+1} = \tfrac12 t^2(1-t^2) u_k' + \tfrac18\int_0^t (1-5s^2) u_k(s) ds`.
//!    Because `|P_k(\tau)| \le B_k` on `[0,1]` (`B_k \approx (k-1)!/2^k`) the
//!    number of terms `K(\rho)` needed for `2^{-56}` depends on `\rho` only
//!    (`K = 20` at `\rho = 24`, `10` at `\rho = 80`, `6` at `\rho = 621`); it is
//!    read from a threshold table.  With Stirling's series for `\ln\Gamma(c)`
//!    (`c \ge 15`) the large terms combine into
//!
//!    ```text
//!    \ln {}_0F_1(;c;y) = (c-1)\ln\frac{c}{h} + \tfrac12\ln\frac{c}{\rho}
//!                        + (\rho - c) + \sigma(c) + \ln U,
//!    h = (\nu + \rho)/2.
//!    ```
//!
//!    For the ratio the Debye expansion of `I'_\nu` gives
//!    `I_{\nu+1}/I_\nu = I'_\nu/I_\nu - \nu/x`; the would-be cancellation is
//!    removed analytically (`\rho - \nu = x^2/(\rho + \nu)` and
//!    `v_k - u_k = t(t^2-1)(u_{k-1}/2 + t u_{k-1}')`), leaving
//!
//!    ```text
//!    R(c, y) = \frac{2c}{\rho + \nu} - \frac{2c}{\rho^2} \frac{W}{U},
//!    W = \sum_k \rho^{-k} Q_k(\tau),\quad
//!    Q_k(\tau) = \sum_j (k + 2j + \tfrac12) [\tau^j] P_k
//!    ```
//!
//!    which is free of cancellation for all `x`.
//!
//! The remaining ratios follow from the contiguous relation
//! `{}_0F_1(;c-1;y) = {}_0F_1(;c;y) + \frac{y}{c(c-1)} {}_0F_1(;c+1;y)`, i.e.
//!
//! ```text
//!   R(c, y) = 1 / (1 + e_c),   e_c = \frac{y \, R(c+1, y)}{c (c+1)},
//! ```
//!
//! applied *downwards* (a contraction: relative errors are multiplied by
//! `e_c/(1+e_c) < 1`, i.e. this is the stable direction, equivalent to the
//! Gauss/Perron continued fraction for `I_{\nu+1}/I_\nu`).  The value at `b`
//! follows from `{}_0F_1(;b;y) = {}_0F_1(;c;y) \prod_{j<m-1} (1 + e_{b+j})`,
//! the product being folded into the single final logarithm.
//!
//! ## Accuracy
//!
//! Large terms (`x`, `\rho`, `(c-\tfrac12)\ln(\cdot)`, `\ln\Gamma`) are combined
//! with error-free transformations (TwoSum / Dekker TwoProduct, corrected
//! square roots), so the absolute error of `\ln {}_0F_1` is a few `10^{-15}`
//! plus the unavoidable rounding of the result itself (half an ulp of
//! `\ln {}_0F_1`, e.g. `2.8\cdot10^{-14}` around 300).  Ratios are accurate to a
//! few ulps.  See the tests for the measured errors against a double-double
//! reference.
//!
//! Invalid arguments (`b \le 0`, `y < 0`, NaN) give NaN.  `y = +\infty` gives
//! `\ln {}_0F_1 = +\infty` and ratios `0`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

/// `\tfrac12\ln(2\pi)` as a double-double (high part).
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;
/// `\tfrac12\ln(2\pi)` as a double-double (low part).
const HALF_LN_2PI_LO: f64 = -3.878_294_158_067_241_4e-17;
/// `\tfrac12\ln 2`.
const HALF_LN_2: f64 = 0.346_573_590_279_972_64;

/// Relative truncation tolerance of all series, `2^{-56}`.
const TOL: f64 = 1.0 / 72_057_594_037_927_936.0;

/// Below this `y` the first-order Taylor expansion is exact to double
/// precision: `\ln {}_0F_1 = y/b`, `R(b,y) = 1 - y/(b(b+1))`.
const Y_TINY: f64 = 1e-30;

/// Orders `\nu = c - 1` from which the Debye expansion replaces Hankel's.
const NU_DEBYE: f64 = 14.0;
/// Minimal `x = 2\sqrt{y}` for the Hankel expansion (see module docs).
const X_HANKEL: f64 = 20.0;

/// Stirling's series starts at this argument (shift by recurrence below).
const STIRLING_MIN: f64 = 10.0;

/// `B_{2k} / (2k (2k-1))`, `k = 1..=9`.
const STIRLING: [f64; 9] = [
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360_360.0,
    1.0 / 156.0,
    -3617.0 / 122_400.0,
    43_867.0 / 244_188.0,
];

/// Largest number of Hankel terms ever needed (with the crossovers above the
/// maximum is about 30, at `x = 20`).
const HANKEL_MAX: usize = 63;

/// `1/k` for `k = 0..=HANKEL_MAX` (entry 0 unused).
const INV_K: [f64; HANKEL_MAX + 1] = {
    let mut a = [0.0; HANKEL_MAX + 1];
    let mut k = 1;
    while k <= HANKEL_MAX {
        a[k] = 1.0 / k as f64;
        k += 1;
    }
    a
};

/// Maximal number of Debye terms.
const DEBYE_K: usize = 20;
/// Number of coefficients of `P_0 .. P_{DEBYE_K-1}` (`P_k` has `k+1`).
const DEBYE_NCOEF: usize = DEBYE_K * (DEBYE_K + 1) / 2;

/// `DEBYE_RHO[k]` is the smallest `\rho` for which `k` Debye terms suffice,
/// i.e. `\max(B_j, B^W_j/\rho) \rho^{-j} \le 10^{-17}` for all `j \ge k`
/// (`j < k + 5` checked), where `B_j = \max_{[0,1]} |P_j|`,
/// `B^W_j = \max_{[0,1]} |Q_j|`.  Computed offline from the exact rational
/// polynomials and rounded up; `test debye_term_table` re-checks it.
const DEBYE_RHO: [f64; DEBYE_K + 1] = [
    f64::INFINITY,
    f64::INFINITY,
    f64::INFINITY,
    194_300.0,
    10_300.0,
    1870.0,
    621.0,
    291.0,
    168.0,
    111.0,
    80.5,
    62.5,
    51.0,
    43.3,
    37.8,
    33.8,
    30.8,
    28.5,
    26.6,
    25.1,
    24.0,
];

/// Coefficients of `P_k(\tau)` (`u_k(t) = t^k P_k(t^2)`) and of `Q_k(\tau)`,
/// stored as `[P_0 | P_1 | ...]` with `P_k` at offset `k(k+1)/2`, ascending
/// powers.
struct DebyeTables {
    p: [f64; DEBYE_NCOEF],
    q: [f64; DEBYE_NCOEF],
}

/// Builds the Debye polynomials by the recurrence
/// `u_{k+1}(t) = \tfrac12 t^2 (1-t^2) u_k'(t) + \tfrac18 \int_0^t (1-5s^2) u_k(s) ds`.
/// A monomial `a t^p` of `u_k` (`p = k + 2j`) contributes
/// `a (p/2 + 1/(8(p+1))) t^{p+1}` (index `j` of `u_{k+1}`) and
/// `-a (p/2 + 5/(8(p+3))) t^{p+3}` (index `j+1`).
/// `Q_k` has the coefficients of `P_k` times `p + 1/2`: it represents
/// `\tfrac12 u_k + t u_k'`.
const fn build_debye() -> DebyeTables {
    let mut p = [0.0; DEBYE_NCOEF];
    let mut q = [0.0; DEBYE_NCOEF];
    p[0] = 1.0;
    let mut k = 0;
    while k + 1 < DEBYE_K {
        let off = k * (k + 1) / 2;
        let noff = (k + 1) * (k + 2) / 2;
        let mut j = 0;
        while j <= k {
            let a = p[off + j];
            let pw = (k + 2 * j) as f64;
            p[noff + j] += a * (0.5 * pw + 1.0 / (8.0 * (pw + 1.0)));
            p[noff + j + 1] -= a * (0.5 * pw + 5.0 / (8.0 * (pw + 3.0)));
            j += 1;
        }
        k += 1;
    }
    let mut k = 0;
    while k < DEBYE_K {
        let off = k * (k + 1) / 2;
        let mut j = 0;
        while j <= k {
            q[off + j] = p[off + j] * ((k + 2 * j) as f64 + 0.5);
            j += 1;
        }
        k += 1;
    }
    DebyeTables { p, q }
}

static DEBYE: DebyeTables = build_debye();

// ---------------------------------------------------------------------------
// Error-free transformations (no FMA needed: portable and inlinable)
// ---------------------------------------------------------------------------

/// Knuth's TwoSum: `s + e = a + b` exactly.
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// Veltkamp splitting.
#[inline(always)]
fn split(a: f64) -> (f64, f64) {
    let t = 134_217_729.0 * a; // 2^27 + 1
    let hi = t - (t - a);
    (hi, a - hi)
}

/// Dekker's TwoProduct: `p + e = a b` exactly (barring over/underflow).
#[inline(always)]
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    let (ah, al) = split(a);
    let (bh, bl) = split(b);
    (p, ((ah * bh - p) + ah * bl + al * bh) + al * bl)
}

/// `\sqrt{a + a_lo}` as `(r, r_lo)` with `r + r_lo` accurate to ~`2^{-104}`.
#[inline(always)]
fn sqrt_dd(a: f64, a_lo: f64) -> (f64, f64) {
    let r = a.sqrt();
    let (p, pe) = two_prod(r, r);
    (r, ((a - p) - pe + a_lo) / (2.0 * r))
}

// ---------------------------------------------------------------------------
// ln Gamma
// ---------------------------------------------------------------------------

/// Stirling tail `\sigma(x) = \ln\Gamma(x) - (x-\tfrac12)\ln x + x - \tfrac12\ln 2\pi
/// = \sum_{k=1}^{9} \frac{B_{2k}}{2k(2k-1) x^{2k-1}}`, for `x \ge 10`
/// (truncation error `< 2\cdot10^{-19}`).
#[inline(always)]
fn stirling_tail(x: f64) -> f64 {
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
    if x >= STIRLING_MIN {
        let (hi, lo) = ln_gamma_stirling(x);
        return hi + lo;
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
    s + (se + se2 + se3 + pe + lr_lo + rel + HALF_LN_2PI_LO + stirling_tail(xs) - 0.5 * dx / xs)
}

/// `\ln v` for `v > 0` normal as `hi + lo` with absolute error `\lesssim 3\cdot10^{-17}`
/// (plus `|e| \cdot 10^{-32}`): `v = m 2^e`, `m \in [2^{-1/2}, 2^{1/2})`,
/// `\ln v = \ln m + e \ln 2` with `\ln 2` in double-double.
fn ln_split(v: f64) -> (f64, f64) {
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
fn ln_gamma_stirling(x: f64) -> (f64, f64) {
    let l = x.ln();
    let (p, pe) = two_prod(x - 0.5, l);
    let (s, se) = two_sum(p, -x);
    let (s2, se2) = two_sum(s, HALF_LN_2PI);
    (s2, se2 + se + pe + HALF_LN_2PI_LO + stirling_tail(x))
}

// ---------------------------------------------------------------------------
// Evaluation at the top order
// ---------------------------------------------------------------------------

/// Result at the top order `c`:
/// `\ln {}_0F_1(;c;y) = hi + lo + \mathrm{ln\_1p}(g)`, `r = R(c, y)`.
#[derive(Clone, Copy, Debug)]
struct Top {
    hi: f64,
    lo: f64,
    g: f64,
    r: f64,
}

/// Power series at order `c` (see module docs, method 1).
#[inline]
fn series_top(c: f64, y: f64) -> Top {
    let mut t = 1.0_f64;
    let mut k = 0.0_f64;
    let mut s0 = 0.0_f64;
    let mut s1 = 0.0_f64;
    // Two terms per pass: t_{k+1} = t_k y/d1, t_{k+2} = t_k y^2/(d1 d2).
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
        g: s0,
        r: c * s1 / (y * (1.0 + s0)),
    }
}

/// Hankel expansion at order `c` (module docs, method 2); `x + x_lo = 2\sqrt y`.
#[inline]
fn hankel_top(c: f64, x: f64, x_lo: f64) -> Top {
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
    // ln F(c) = (c - 1/2) ln(2c'/x) + n ln c' - c' + x - ln(2)/2 + sigma(c') + ln(S Q^{-1})
    let l = (2.0 * cs / x).ln() - x_lo / x;
    let (p, pe) = two_prod(c - 0.5, l);
    let (s, se) = two_sum(x, -cs);
    let (s2, se2) = two_sum(s, p);
    Top {
        hi: s2,
        lo: se2 + se + pe + x_lo - HALF_LN_2 + stirling_tail(cs),
        g: mant - 1.0,
        r: (2.0 * c / x) * (s1 / s0),
    }
}

/// Number of Debye terms for a given `\rho \ge 24` (see [`DEBYE_RHO`]).
#[inline(always)]
fn debye_terms(rho: f64) -> usize {
    let mut k = 3;
    while rho < DEBYE_RHO[k] {
        k += 1;
    }
    k
}

/// Debye expansion at order `c` (`c - 1 \ge 14`), `\rho + \rho_lo = \sqrt{(c-1)^2 + 4y}`
/// (module docs, method 3).
#[inline]
fn debye_top(c: f64, rho: f64, rho_lo: f64, nterms: usize) -> Top {
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
    let h = 0.5 * (nu + rho);
    // ln(c/h) with h corrected by rho_lo/2.
    let l = (c / h).ln() - 0.5 * rho_lo / h;
    let (p, pe) = two_prod(nu, l);
    let (s, se) = two_sum(rho, -c);
    let (s2, se2) = two_sum(s, p);
    Top {
        hi: s2,
        lo: se2 + se + pe + rho_lo + stirling_tail(c),
        g: u * (c / rho).sqrt() - 1.0,
        r: 2.0 * c / (rho + nu) - (2.0 * c * r * r) * (w / u),
    }
}

/// Estimated cost of the series, in units of one series term.
#[inline(always)]
fn series_cost(c: f64, y: f64, rho: f64) -> f64 {
    // peak index k0 ~ (sqrt(c^2 + 4y) - c)/2 ~ 2y/(rho + c); tail ~ 6.5 sqrt(k0)
    let k0 = 2.0 * y / (rho + c);
    k0 + 6.5 * k0.sqrt() + 4.0
}

/// Estimated cost of the Debye expansion with `k` terms, in series-term units.
#[inline(always)]
fn debye_cost(k: usize) -> f64 {
    let k = k as f64;
    0.5 * k * (k + 1.0) + 20.0
}

/// `(\ln {}_0F_1(;c;y), R(c,y))` at the top order, `y \ge Y_TINY` finite.
#[inline]
fn eval_top(c: f64, y: f64) -> Top {
    let nu = c - 1.0;
    if nu < NU_DEBYE {
        let s = y.sqrt();
        let (p, pe) = two_prod(s, s);
        let s_lo = ((y - p) - pe) / (2.0 * s);
        let x = 2.0 * s;
        if x >= X_HANKEL && 3.0 * x >= c * c {
            hankel_top(c, x, 2.0 * s_lo)
        } else {
            series_top(c, y)
        }
    } else {
        let (n2, n2e) = two_prod(nu, nu);
        let (a, ae) = two_sum(n2, 4.0 * y);
        let (rho, rho_lo) = sqrt_dd(a, ae + n2e);
        if rho >= DEBYE_RHO[DEBYE_K] {
            let k = debye_terms(rho);
            if series_cost(c, y, rho) > debye_cost(k) {
                return debye_top(c, rho, rho_lo, k);
            }
        }
        series_top(c, y)
    }
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// `\ln {}_0F_1(;b;y)` together with the contiguous ratios
/// `out[k] = R(b+k, y) = {}_0F_1(;b+k+1;y) / {}_0F_1(;b+k;y)` for `k < m`.
///
/// The top ratio `R(b+m-1, y)` and `\ln {}_0F_1(;b+m-1;y)` are computed
/// directly (series, Hankel or Debye; see the crate docs); the other ratios by
/// the stable downward recurrence `R(c,y) = 1/(1 + y R(c+1,y)/(c(c+1)))`, and
/// `\ln {}_0F_1(;b;y) = \ln {}_0F_1(;b+m-1;y) + \ln\prod_{c=b}^{b+m-2} (1 + y R(c+1,y)/(c(c+1)))`.
/// So `m = 3` costs one evaluation plus three divisions.
///
/// Requires `b > 0`, `y \ge 0` (otherwise NaN is returned and `out[..m]` is
/// NaN).  At `y = 0`: returns `0` and ratios `1`.
///
/// # Panics
/// If `out.len() < m`.
pub fn ln_hyp0f1_and_ratios(b: f64, y: f64, m: usize, out: &mut [f64]) -> f64 {
    let out = &mut out[..m];
    if b.is_nan() || y.is_nan() || b <= 0.0 || y < 0.0 || b.is_infinite() {
        out.fill(f64::NAN);
        return f64::NAN;
    }
    if y < Y_TINY {
        // ln F = y/b + O(y^2),  R(c) = 1 - y/(c(c+1)) + O(y^2)
        for (k, o) in out.iter_mut().enumerate() {
            let c = b + k as f64;
            *o = 1.0 - y / (c * (c + 1.0));
        }
        return y / b;
    }
    if y.is_infinite() {
        out.fill(0.0);
        return f64::INFINITY;
    }
    let c_top = b + m.saturating_sub(1) as f64;
    let top = eval_top(c_top, y);
    let mut g = top.g;
    if let Some((last, rest)) = out.split_last_mut() {
        let mut r = top.r;
        *last = r;
        for (k, o) in rest.iter_mut().enumerate().rev() {
            let c = b + k as f64;
            let e = y * r / (c * (c + 1.0));
            g += e + g * e; // (1 + g)(1 + e) - 1
            r = 1.0 / (1.0 + e);
            *o = r;
        }
    }
    top.hi + (top.lo + g.ln_1p())
}

/// `\ln {}_0F_1(;b;y) = \ln \sum_{k\ge0} \frac{y^k}{(b)_k k!}` for `b > 0`,
/// `y \ge 0` (NaN otherwise).
///
/// Equals `\ln\Gamma(b) + \frac{1-b}{2}\ln y + \ln I_{b-1}(2\sqrt y)`; grows
/// like `2\sqrt y` for large `y`.  See the crate docs for the method.
pub fn ln_hyp0f1(b: f64, y: f64) -> f64 {
    ln_hyp0f1_and_ratios(b, y, 0, &mut [])
}

/// `R(b, y) = {}_0F_1(;b+1;y) / {}_0F_1(;b;y)` for `b > 0`, `y \ge 0`
/// (NaN otherwise), computed without forming either function.
///
/// `R(b, 0) = 1`, `R` decreases to `0` like `b/\sqrt y` as `y \to \infty`;
/// `\frac{d}{dy}\ln {}_0F_1(;b;y) = R(b,y)/b`.  In Bessel terms
/// `R(b,y) = \frac{b}{\sqrt y} \frac{I_b(2\sqrt y)}{I_{b-1}(2\sqrt y)}`.
pub fn hyp0f1_ratio(b: f64, y: f64) -> f64 {
    let mut r = [0.0];
    ln_hyp0f1_and_ratios(b, y, 1, &mut r);
    r[0]
}

/// Internal entry points, exposed only for the benchmark/tuning example.
#[doc(hidden)]
pub mod internals {
    /// `(ln F(c), R(c))` by the power series.
    pub fn series(c: f64, y: f64) -> (f64, f64) {
        let t = super::series_top(c, y);
        (t.hi + (t.lo + t.g.ln_1p()), t.r)
    }
    /// `(ln F(c), R(c))` by the Hankel expansion.
    pub fn hankel(c: f64, y: f64) -> (f64, f64) {
        let s = y.sqrt();
        let t = super::hankel_top(c, 2.0 * s, 0.0);
        (t.hi + (t.lo + t.g.ln_1p()), t.r)
    }
    /// `(ln F(c), R(c))` by the Debye expansion (`None` if `\rho < 24`).
    pub fn debye(c: f64, y: f64) -> Option<(f64, f64)> {
        let nu = c - 1.0;
        let rho = (nu * nu + 4.0 * y).sqrt();
        if rho < super::DEBYE_RHO[super::DEBYE_K] {
            return None;
        }
        let t = super::debye_top(c, rho, 0.0, super::debye_terms(rho));
        Some((t.hi + (t.lo + t.g.ln_1p()), t.r))
    }
    /// Number of Debye terms used at `\rho`.
    pub fn debye_terms(rho: f64) -> usize {
        super::debye_terms(rho)
    }
    /// Debye polynomial coefficient tables `(P, Q)`.
    pub fn debye_tables() -> (&'static [f64], &'static [f64]) {
        (&super::DEBYE.p, &super::DEBYE.q)
    }
}
