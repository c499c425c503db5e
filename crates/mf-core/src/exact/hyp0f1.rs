//! The confluent hypergeometric limit function ₀F₁ in log space.
//!
//! For real `b > 0` and real `y >= 0` this module evaluates
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
//! * [`ln_hyp0f1`] computes `\ln {}_0F_1(;b;y)`;
//! * [`hyp0f1_ratio`] computes `R(b,y)`;
//! * [`ln_hyp0f1_and_ratios`] computes `\ln {}_0F_1(;b;y)` plus the `m` ratios
//!   `R(b+k, y)`, `k = 0..m`, for the price of (about) one evaluation;
//! * [`Hyp0f1`] computes the same as `ln_hyp0f1_and_ratios` for a fixed `(b, m)`
//!   with everything that depends only on `b` precomputed (the fast path for
//!   hot loops: 30-60 ns per call instead of 50-150 ns);
//! * [`ln_gamma`] computes `\ln\Gamma(x)` for `x > 0` (used internally, exported
//!   because it is generally useful and tested on its own).
//!
//! ## Method
//!
//! All work is done at the *top* order `c = b + m - 1` (`c = b` when only the
//! value or a single ratio is wanted).  There the pair
//! `(\ln {}_0F_1(;c;y), R(c,y))` is computed by one of three methods, chosen
//! from `\nu = c - 1`, `x = 2\sqrt{y}` and `\rho = \sqrt{\nu^2 + x^2}`:
//!
//! 1. **Power series** (small `y`).  With `t_k = y^k/((c)_k k!)` (all terms
//!    positive, so there is no cancellation) we accumulate
//!    `s_0 = \sum_{k\ge1} t_k` and `s_1 = \sum_{k\ge1} k t_k`.  Then
//!    `{}_0F_1(;c;y) = 1 + s_0` and, since
//!    `\frac{d}{dy}{}_0F_1(;c;y) = s_1 / y = {}_0F_1(;c+1;y)/c`,
//!    `R(c,y) = c s_1 / (y (1 + s_0))`.  The terms rise up to
//!    `k_0 \approx (\sqrt{c^2+4y}-c)/2` and then fall; summation stops once
//!    `k t_k \le 2^{-56} s_1` *and* the term ratio `y/((c+k)(k+1)) \le 1/2`
//!    (so the neglected tail is below `2^{-54}` relatively), i.e. after about
//!    `k_0 + 6.5\sqrt{k_0}` terms.  The free functions compute the terms by
//!    recurrence (two per pass, one division); [`Hyp0f1`] stores
//!    `A_k = Y^k/((c)_k k!)` (`Y` a power of two, so `z = y/Y` is exact) and
//!    sums `A_k z^k` with four independent power chains.  The series is used
//!    for `y \lesssim 10^3` only, so no rescaling against overflow is needed;
//!    `\ln(1+s_0)` is taken with `ln_1p` for small `s_0`, which keeps full
//!    *relative* accuracy of `\ln {}_0F_1` as `y \to 0`.
//!
//! 2. **Hankel expansion** (`\nu < 14` and `x \ge \max(20, c^2/3)`):
//!
//!    ```text
//!    I_\nu(x) = \frac{e^x}{\sqrt{2\pi x}} S_\nu(x) \,(1 + O(e^{-2x})),
//!    S_\nu(x) = \sum_k (-1)^k \frac{a_k(\nu)}{x^k},
//!    a_k(\nu) = \frac{\prod_{j=1}^{k} (4\nu^2 - (2j-1)^2)}{k! \, 8^k}.
//!    ```
//!
//!    Both `S_\nu` and `S_{\nu+1}` are summed in one division-free loop until
//!    the terms drop below `2^{-56}` of the sums.  The terms behave like
//!    `(\nu^2/2x)^k/k!` at first (loss of accuracy by cancellation
//!    `\approx e^{\nu^2/x}`, at most `\approx 20` at the crossover
//!    `x = c^2/3`), and like `(k-1)!/(2x)^k` later, whose minimum
//!    `\approx e^{-2x} < 4\cdot10^{-18}` for `x \ge 20`; the neglected
//!    exponentially small part of `I_\nu` is of the same size.  For
//!    half-integer `c` (hence half-integer `\nu`) the series terminates by
//!    itself after `|\nu| + 1/2` terms (e.g. 4 terms for `c = 4.5`).  Then
//!
//!    ```text
//!    \ln {}_0F_1(;c;y) = \ln\Gamma(c) + x - (c - 1/2)\ln x + (c-1)\ln 2
//!                        - \tfrac12 \ln(2\pi) + \ln S_{c-1}(x),
//!    R(c, y) = \frac{2c}{x} \frac{S_c(x)}{S_{c-1}(x)}.
//!    ```
//!
//! 3. **Debye (uniform) expansion** (`\rho \ge 24`, where the series would be
//!    more expensive; the free functions use it for `\nu \ge 14` only):
//!
//!    ```text
//!    I_\nu(x) = \frac{e^{\rho} (x/(\nu+\rho))^{\nu}}{\sqrt{2\pi\rho}} U,
//!    U = \sum_k \frac{u_k(t)}{\nu^k} = \sum_k \rho^{-k} P_k(\tau),
//!    t = \nu/\rho,\ \tau = t^2,
//!    ```
//!
//!    with Debye's polynomials `u_k(t) = t^k P_k(t^2)` generated (at compile
//!    time) from `u_{k+1} = \tfrac12 t^2(1-t^2) u_k' + \tfrac18\int_0^t (1-5s^2) u_k(s) ds`.
//!    Written this way it is an expansion in `1/\rho` whose coefficients
//!    `P_k(\tau)` are bounded on `[0,1]` by `B_k \approx (k-1)!/2^k`: the number
//!    of terms `K(\rho)` needed for `2^{-56}` depends on `\rho` only (`K = 20`
//!    at `\rho = 24`, `10` at `\rho = 80`, `6` at `\rho = 621`, read from a
//!    threshold table), uniformly in `\nu` (for `\nu \to 0` it reduces to the
//!    Hankel series; the tests check `\nu` from `-1` to `10^5`).  No
//!    coefficient sum cancels (`\sum_j |[P_k]_j| \tau^j \rho^{-k} \ll 1`).  With
//!    `\ln\Gamma(c) = (c-\tfrac12)\ln c - c + \tfrac12\ln 2\pi + \sigma(c)` the large
//!    terms combine into
//!
//!    ```text
//!    \ln {}_0F_1(;c;y) = (c-1)\ln\frac{c}{h} + \tfrac12\ln\frac{c}{\rho}
//!                        + (\rho - c) + \sigma(c) + \ln U,
//!    h = (\nu + \rho)/2,
//!    ```
//!
//!    `\ln(c/h)` being taken as `\mathrm{ln\_1p}((c-h)/h)` when `c/h \approx 1`.
//!    For the ratio, the Debye expansion of `I'_\nu` gives
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
//!    which is free of cancellation for all `x`.  [`Hyp0f1`] regroups `U` and
//!    `W`, for its fixed `\nu`, into polynomials of degree `3(K-1)` in
//!    `\kappa/\rho` (`\kappa = \max(|\nu|,1)`), evaluated as four Horner
//!    chains.
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
//! the product being folded into the single final logarithm (see `finish`:
//! the chain itself carries no division).
//!
//! ### Crossovers
//!
//! Free functions: `\nu < 14`: series for `x < \max(20, c^2/3)`, Hankel
//! above; `\nu \ge 14`: series until its estimated cost
//! `k_0 + 6.5\sqrt{k_0}` exceeds the Debye cost `K(K+1)/2 + 20` (in series
//! terms), Debye above.  [`Hyp0f1`]: series below `y_debye`, Debye in
//! `[y_debye, y_hankel)`, Hankel above `y_hankel = \max(20, c^2/3)^2/4`
//! (`\infty` for `\nu \ge 14`); `y_debye` is where the measured costs cross
//! (series `\approx 36 + 0.55 N` ns, Debye `\approx 48 + 0.6 K` ns).  For
//! `m = 3`: `b = 2.5` (`c = 4.5`): series `< 100 \le` Hankel; `b = 12.5`:
//! series `< 312 \le` Debye `< 1228 \le` Hankel; `b = 32`: series `< 454 \le`
//! Debye.
//!
//! ## Accuracy
//!
//! Large terms (`x`, `\rho`, `(c-\tfrac12)\ln(\cdot)`, `\ln\Gamma`) are combined
//! with error-free transformations (TwoSum / Dekker TwoProduct, corrected
//! square roots), so the absolute error of `\ln {}_0F_1` is a few `10^{-15}`
//! plus the unavoidable rounding of the result itself (half an ulp of
//! `\ln {}_0F_1`, e.g. `2.8\cdot10^{-14}` around 300, `1.1\cdot10^{-13}` around
//! 2000, i.e. `y \approx 10^6`).  Measured against a double-double reference
//! (tests): `|e^{\Delta\ln F} - 1| \le 2.2\cdot10^{-14}` for `y \le 3\cdot10^4`,
//! ratios `\le 1.5\cdot10^{-15}` relative.
//!
//! Invalid arguments (`b \le 0`, `y < 0`, NaN) give NaN.  `y = +\infty` gives
//! `\ln {}_0F_1 = +\infty` and ratios `0`.  No FMA or other target features
//! are assumed (building with `-C target-cpu=native` makes it ~10-20% faster).

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

/// Orders `\nu = c - 1` from which the Debye expansion replaces Hankel's
/// (Hankel's cancellation `e^{\nu^2/x}` would force `x` too large).
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
    let (hi, lo) = ln_gamma_parts(x);
    hi + lo
}

/// `\ln\Gamma(x)` for finite `x > 0` as an unevaluated sum `hi + lo`.
fn ln_gamma_parts(x: f64) -> (f64, f64) {
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

/// Result at the top order `c`: `R(c, y) = r` and
/// `{}_0F_1(;c;y) = e^{hi + lo} (1 + v)` if `small`, `e^{hi + lo} v` otherwise.
#[derive(Clone, Copy, Debug)]
struct Top {
    hi: f64,
    lo: f64,
    v: f64,
    small: bool,
    r: f64,
}

/// Power series at order `c` (see crate docs, method 1), computing the terms
/// by recurrence (two per pass, one division).
#[inline]
fn series_top(c: f64, y: f64) -> Top {
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
fn two_sqrt_y(y: f64) -> (f64, f64) {
    let s = y.sqrt();
    let (p, pe) = two_prod(s, s);
    (2.0 * s, ((y - p) - pe) / s)
}

/// Hankel expansion at order `c` (crate docs, method 2), coefficients by
/// recurrence; `x + x_lo = 2\sqrt y`.
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
fn debye_terms(rho: f64) -> usize {
    let mut k = 3;
    while rho < DEBYE_RHO[k] {
        k += 1;
    }
    k
}

/// `\rho + \rho_lo = \sqrt{\nu^2 + 4y}` to ~`2^{-104}` relative.
#[inline(always)]
fn rho_dd(nu: f64, y: f64) -> (f64, f64) {
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
fn ln_c_over_h(c: f64, rho: f64, rho_lo: f64, q: f64) -> f64 {
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
fn debye_top(c: f64, rho: f64, rho_lo: f64, nterms: usize, sigma: f64) -> Top {
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
fn debye_assemble(c: f64, rho: f64, rho_lo: f64, sigma: f64, v: f64, w_over_u: f64) -> Top {
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
fn series_terms_est(c: f64, y: f64, rho: f64) -> f64 {
    // peak index k0 = (sqrt(c^2 + 4y) - c)/2 ~ 2y/(rho + c); tail ~ 6.5 sqrt(k0)
    let k0 = 2.0 * y / (rho + c);
    k0 + 6.5 * k0.sqrt() + 4.0
}

/// Direct path: is the Debye expansion cheaper than the recurrence series?
/// (Costs in units of one series term: a Debye coefficient pair costs about
/// as much as a series term, plus a fixed overhead of ~20 terms.)
#[inline(always)]
fn debye_preferred_direct(c: f64, y: f64, rho: f64, k: usize) -> bool {
    let kf = k as f64;
    series_terms_est(c, y, rho) > 0.5 * kf * (kf + 1.0) + 20.0
}

/// `(\ln {}_0F_1(;c;y), R(c,y))` at the top order by the direct path,
/// `Y_TINY \le y < \infty`.
#[inline]
fn eval_top(c: f64, y: f64) -> Top {
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
fn finish(top: Top, y: f64, out: &mut [f64], inv_cc: impl Fn(usize) -> f64) -> f64 {
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
fn inv_cc(b: f64, k: usize) -> f64 {
    let c = b + k as f64;
    1.0 / (c * (c + 1.0))
}

/// Argument checks and trivial cases shared by all entry points; `None` if
/// the general code must run.
#[inline(always)]
fn trivial(b: f64, y: f64, out: &mut [f64]) -> Option<f64> {
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

// ---------------------------------------------------------------------------
// Public API: free functions
// ---------------------------------------------------------------------------

/// `\ln {}_0F_1(;b;y)` together with the contiguous ratios
/// `out[k] = R(b+k, y) = {}_0F_1(;b+k+1;y) / {}_0F_1(;b+k;y)` for `k < m`.
///
/// The top ratio `R(b+m-1, y)` and `\ln {}_0F_1(;b+m-1;y)` are computed
/// directly (series, Hankel or Debye; see the crate docs); the other ratios by
/// the stable downward recurrence `R(c,y) = 1/(1 + y R(c+1,y)/(c(c+1)))`, and
/// `\ln {}_0F_1(;b;y) = \ln {}_0F_1(;b+m-1;y) + \ln\prod_{c=b}^{b+m-2} (1 + y R(c+1,y)/(c(c+1)))`,
/// folded into the single final logarithm.  So `m = 3` costs one evaluation
/// plus a few flops and `m` independent divisions.
///
/// This entry point precomputes nothing; when `b` and `m` are fixed over many
/// calls, [`Hyp0f1`] is faster (same results to a few ulps).
///
/// Requires `b > 0`, `y \ge 0` (otherwise NaN is returned and `out[..m]` is
/// NaN).  At `y = 0`: returns `0` and ratios `1`.  Finite results for
/// `y \le 10^{300}`, `b \le 10^{150}`; `m` should be moderate (`\lesssim 50`;
/// the intermediate products are not rescaled).
///
/// # Panics
/// If `out.len() < m`.
pub fn ln_hyp0f1_and_ratios(b: f64, y: f64, m: usize, out: &mut [f64]) -> f64 {
    let out = &mut out[..m];
    if let Some(v) = trivial(b, y, out) {
        return v;
    }
    let top = eval_top(b + m.saturating_sub(1) as f64, y);
    finish(top, y, out, |k| inv_cc(b, k))
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

// ---------------------------------------------------------------------------
// Public API: prepared evaluator
// ---------------------------------------------------------------------------

/// Precomputed Hankel data of a [`Hyp0f1`]:
/// `coef[k-1] = [(-1)^k a_k(\nu), (-1)^k a_k(\nu+1)]` and
/// `kc = \ln\Gamma(c) + (c-1)\ln 2 - \tfrac12\ln 2\pi` (double-double).
#[derive(Clone, Debug, Default)]
struct HankelData {
    coef: Vec<[f64; 2]>,
    kc_hi: f64,
    kc_lo: f64,
}

/// Precomputed Debye data of a [`Hyp0f1`]: the expansion regrouped for
/// fixed `\nu` as polynomials in `w = \kappa/\rho`, `\kappa = \max(|\nu|, 1)`:
/// `U = \sum_n coef[n][0] w^n`, `W = \sum_n coef[n][1] w^n`, where
/// `coef[n] = \sum_{k+2j=n} [P_k]_j \nu^{2j} / \kappa^n` (resp. `Q_k`);
/// keeping `n \le 3(K-1)` keeps every `(k < K, j \le k)` term.
/// `sigma = \ln\Gamma(c) - (c-\tfrac12)\ln c + c - \tfrac12\ln 2\pi`.
#[derive(Clone, Debug, Default)]
struct DebyeData {
    coef: Vec<[f64; 2]>,
    kappa: f64,
    sigma: f64,
}

/// Prepared evaluator of `\ln {}_0F_1(;b;y)` and the `m` ratios
/// `R(b+k, y)`, `k < m`, for fixed `b` and `m` (the fast path for hot loops).
///
/// Same mathematics as [`ln_hyp0f1_and_ratios`], but everything that depends
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
/// use mf_core::exact::hyp0f1::{Hyp0f1, ln_hyp0f1_and_ratios};
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
fn series_vs_debye(c: f64, y: f64) -> bool {
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
    /// Same conventions as [`ln_hyp0f1_and_ratios`].
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

/// Internal entry points, exposed only for the benchmark/tuning example.
#[doc(hidden)]
pub mod internals {
    /// `(ln F(c), R(c))` by the power series.
    pub fn series(c: f64, y: f64) -> (f64, f64) {
        let t = super::series_top(c, y);
        (super::finish(t, y, &mut [], |_| 0.0), t.r)
    }
    /// `(ln F(c), R(c))` by the Hankel expansion.
    pub fn hankel(c: f64, y: f64) -> (f64, f64) {
        let (x, x_lo) = super::two_sqrt_y(y);
        let t = super::hankel_top(c, x, x_lo);
        (super::finish(t, y, &mut [], |_| 0.0), t.r)
    }
    /// `(ln F(c), R(c))` by the Debye expansion (`None` if `\rho < 24`).
    pub fn debye(c: f64, y: f64) -> Option<(f64, f64)> {
        let (rho, rho_lo) = super::rho_dd(c - 1.0, y);
        if rho < super::DEBYE_RHO[super::DEBYE_K] {
            return None;
        }
        let t = super::debye_top(
            c,
            rho,
            rho_lo,
            super::debye_terms(rho),
            super::stirling_tail(c),
        );
        Some((super::finish(t, y, &mut [], |_| 0.0), t.r))
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
