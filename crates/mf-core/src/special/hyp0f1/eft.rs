//! Error-free transformations (no FMA needed: portable and inlinable).

/// Knuth's TwoSum: `s + e = a + b` exactly.
#[inline(always)]
pub(super) fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// Veltkamp splitting.
#[inline(always)]
pub(super) fn split(a: f64) -> (f64, f64) {
    let t = 134_217_729.0 * a; // 2^27 + 1
    let hi = t - (t - a);
    (hi, a - hi)
}

/// Dekker's TwoProduct: `p + e = a b` exactly (barring over/underflow).
#[inline(always)]
pub(super) fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    let (ah, al) = split(a);
    let (bh, bl) = split(b);
    (p, ((ah * bh - p) + ah * bl + al * bh) + al * bl)
}

/// `\sqrt{a + a_lo}` as `(r, r_lo)` with `r + r_lo` accurate to ~`2^{-104}`.
#[inline(always)]
pub(super) fn sqrt_dd(a: f64, a_lo: f64) -> (f64, f64) {
    let r = a.sqrt();
    let (p, pe) = two_prod(r, r);
    (r, ((a - p) - pe + a_lo) / (2.0 * r))
}
