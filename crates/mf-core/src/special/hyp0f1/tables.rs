//! Constants and the Debye coefficient tables (built at compile time).

/// `\tfrac12\ln(2\pi)` as a double-double (high part).
pub(super) const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;
/// `\tfrac12\ln(2\pi)` as a double-double (low part).
pub(super) const HALF_LN_2PI_LO: f64 = -3.878_294_158_067_241_4e-17;
/// `\tfrac12\ln 2`.
pub(super) const HALF_LN_2: f64 = 0.346_573_590_279_972_64;

/// Relative truncation tolerance of all series, `2^{-56}`.
pub(super) const TOL: f64 = 1.0 / 72_057_594_037_927_936.0;

/// Below this `y` the first-order Taylor expansion is exact to double
/// precision: `\ln {}_0F_1 = y/b`, `R(b,y) = 1 - y/(b(b+1))`.
pub(super) const Y_TINY: f64 = 1e-30;

/// Orders `\nu = c - 1` from which the Debye expansion replaces Hankel's
/// (Hankel's cancellation `e^{\nu^2/x}` would force `x` too large).
pub(super) const NU_DEBYE: f64 = 14.0;
/// Minimal `x = 2\sqrt{y}` for the Hankel expansion (see module docs).
pub(super) const X_HANKEL: f64 = 20.0;

/// Stirling's series starts at this argument (shift by recurrence below).
pub(super) const STIRLING_MIN: f64 = 10.0;

/// `B_{2k} / (2k (2k-1))`, `k = 1..=9`.
pub(super) const STIRLING: [f64; 9] = [
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
pub(super) const HANKEL_MAX: usize = 63;

/// `1/k` for `k = 0..=HANKEL_MAX` (entry 0 unused).
pub(super) const INV_K: [f64; HANKEL_MAX + 1] = {
    let mut a = [0.0; HANKEL_MAX + 1];
    let mut k = 1;
    while k <= HANKEL_MAX {
        a[k] = 1.0 / k as f64;
        k += 1;
    }
    a
};

/// Maximal number of Debye terms.
pub(super) const DEBYE_K: usize = 20;
/// Number of coefficients of `P_0 .. P_{DEBYE_K-1}` (`P_k` has `k+1`).
pub(super) const DEBYE_NCOEF: usize = DEBYE_K * (DEBYE_K + 1) / 2;

/// `DEBYE_RHO[k]` is the smallest `\rho` for which `k` Debye terms suffice,
/// i.e. `\max(B_j, B^W_j/\rho) \rho^{-j} \le 10^{-17}` for all `j \ge k`
/// (`j < k + 5` checked), where `B_j = \max_{[0,1]} |P_j|`,
/// `B^W_j = \max_{[0,1]} |Q_j|`.  Computed offline from the exact rational
/// polynomials and rounded up; `test debye_term_table` re-checks it.
pub(super) const DEBYE_RHO: [f64; DEBYE_K + 1] = [
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
pub(super) struct DebyeTables {
    pub(super) p: [f64; DEBYE_NCOEF],
    pub(super) q: [f64; DEBYE_NCOEF],
}

/// Builds the Debye polynomials by the recurrence
/// `u_{k+1}(t) = \tfrac12 t^2 (1-t^2) u_k'(t) + \tfrac18 \int_0^t (1-5s^2) u_k(s) ds`.
/// A monomial `a t^p` of `u_k` (`p = k + 2j`) contributes
/// `a (p/2 + 1/(8(p+1))) t^{p+1}` (index `j` of `u_{k+1}`) and
/// `-a (p/2 + 5/(8(p+3))) t^{p+3}` (index `j+1`).
/// `Q_k` has the coefficients of `P_k` times `p + 1/2`: it represents
/// `\tfrac12 u_k + t u_k'`.
pub(super) const fn build_debye() -> DebyeTables {
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

pub(super) static DEBYE: DebyeTables = build_debye();
