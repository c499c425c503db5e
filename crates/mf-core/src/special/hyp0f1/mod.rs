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

mod eft;
mod gamma;
mod plan;
mod tables;
mod top;

pub use gamma::ln_gamma;
pub use plan::Hyp0f1;

use top::*;

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

#[cfg(test)]
mod tests {
    use super::tables::DEBYE;
    use super::*;

    // ---------------------------------------------------------------------------
    // Debye polynomial tables
    // ---------------------------------------------------------------------------

    #[test]
    fn debye_polynomials_known_values() {
        let (p, _q) = (&DEBYE.p[..], &DEBYE.q[..]);
        let poly = |k: usize, tau: f64| -> f64 {
            let off = k * (k + 1) / 2;
            p[off..=off + k].iter().rev().fold(0.0, |a, &c| a * tau + c)
        };
        // u_2 = (81 t^2 - 462 t^4 + 385 t^6)/1152
        let off = 3;
        assert_eq!(
            &p[off..off + 3],
            &[81.0 / 1152.0, -462.0 / 1152.0, 385.0 / 1152.0]
        );
        // u_3 = (30375 t^3 - 369603 t^5 + 765765 t^7 - 425425 t^9)/414720
        let want3 = [30375.0, -369_603.0, 765_765.0, -425_425.0].map(|c| c / 414_720.0);
        for j in 0..4 {
            assert!((p[6 + j] / want3[j] - 1.0).abs() < 1e-15);
        }
        // u_k(1): reciprocal Gamma* series 1, -1/12, 1/288, 139/51840, -571/2488320
        let want = [
            1.0,
            -1.0 / 12.0,
            1.0 / 288.0,
            139.0 / 51840.0,
            -571.0 / 2_488_320.0,
        ];
        for (k, w) in want.iter().enumerate() {
            assert!((poly(k, 1.0) - w).abs() < 4e-15, "k={k}");
        }
    }

    #[test]
    fn debye_term_table() {
        // For rho at a threshold, the first neglected terms are < 1.1e-17.
        let (p, q) = (&DEBYE.p[..], &DEBYE.q[..]);
        let eval = |c: &[f64], k: usize, tau: f64| -> f64 {
            let off = k * (k + 1) / 2;
            c[off..=off + k].iter().rev().fold(0.0, |a, &v| a * tau + v)
        };
        for &rho in &[
            24.0, 24.5, 30.0, 37.9, 45.0, 81.0, 170.0, 300.0, 700.0, 2000.0,
        ] {
            let k = debye_terms(rho);
            assert!(k <= 20);
            for j in k..20 {
                for i in 0..=400 {
                    let tau = i as f64 / 400.0;
                    let tp = eval(p, j, tau).abs() / rho.powi(j as i32);
                    let tq = eval(q, j, tau).abs() / rho.powi(j as i32 + 1);
                    assert!(
                        tp < 1.1e-17 && tq < 1.1e-17,
                        "rho={rho} k={k} j={j} tau={tau}"
                    );
                }
            }
        }
    }
}
