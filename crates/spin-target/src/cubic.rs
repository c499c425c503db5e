//! Energies from the cubic monomials, vectorised across points.
//!
//! With the symmetrised tensor, f(x) = κ Σ_{p ≤ q ≤ r} b_pqr x_p x_q x_r, where
//! b_pqr = μ(p, q, r) a^S_pqr and μ is the number of distinct orderings of (p, q, r) (6, 3 or 1):
//! d(d+1)(d+2)/6 terms instead of d³. On a block of points (coordinates as columns, so every
//! operation runs across points in SIMD lanes) it is evaluated as nested sums
//!
//! ```text
//! w_pq = Σ_{r ≥ q} b_pqr x_r,    v_p = Σ_{q ≥ p} x_q ∘ w_pq,    f = κ Σ_p x_p ∘ v_p,
//! ```
//!
//! in this fixed order (≈ d³/6 multiply-adds per point, a third of the d(d+1)/2 × d product of
//! the monomial form and a sixth of the Kronecker form). No fused multiply-adds, so every
//! processor path gives the same bits.

use faer::MatRef;

/// b_pqr = μ(p, q, r) a^S_pqr for p ≤ q ≤ r, in the loop order p, q, r.
pub(crate) fn coefficients(sym: MatRef<'_, f64>) -> Vec<f64> {
    let d = sym.nrows();
    let mut b = Vec::with_capacity(d * (d + 1) * (d + 2) / 6);
    for p in 0..d {
        for q in p..d {
            for r in q..d {
                let orderings = match (p == q, q == r) {
                    (true, true) => 1.0,
                    (false, false) => 6.0,
                    _ => 3.0,
                };
                b.push(orderings * sym[(p, q * d + r)]);
            }
        }
    }
    b
}

/// Σ_{p ≤ q ≤ r} b_pqr x_p x_q x_r (without κ) for a block of points whose coordinates are
/// the columns of `xcols` (column j is `xcols[j·len..(j+1)·len]`, len = `out.len()`), into `out`.
pub(crate) fn block(b: &[f64], d: usize, xcols: &[f64], out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the feature was detected at run time.
            return unsafe { block_avx512(b, d, xcols, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the feature was detected at run time.
            return unsafe { block_avx2(b, d, xcols, out) };
        }
    }
    block_body(b, d, xcols, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn block_avx512(b: &[f64], d: usize, xcols: &[f64], out: &mut [f64]) {
    block_body(b, d, xcols, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn block_avx2(b: &[f64], d: usize, xcols: &[f64], out: &mut [f64]) {
    block_body(b, d, xcols, out)
}

/// Points evaluated together (their partial sums stay in registers: independent chains).
const GROUP: usize = 32;

#[inline(always)]
fn block_body(b: &[f64], d: usize, xcols: &[f64], out: &mut [f64]) {
    let len = out.len();
    let mut g0 = 0;
    while g0 + GROUP <= len {
        group::<GROUP>(b, d, xcols, len, g0, out);
        g0 += GROUP;
    }
    // the same operations for each remaining point, one at a time
    for p in g0..len {
        group::<1>(b, d, xcols, len, p, out);
    }
}

/// Points g0..g0+L of the block: the nested sums of the module docs, lane by lane.
#[inline(always)]
fn group<const L: usize>(
    b: &[f64],
    d: usize,
    xcols: &[f64],
    len: usize,
    g0: usize,
    out: &mut [f64],
) {
    let x = |j: usize| -> &[f64; L] {
        xcols[j * len + g0..][..L]
            .try_into()
            .expect("L coordinates")
    };
    let mut acc = [0.0; L];
    let mut k = 0;
    for p in 0..d {
        let mut v = [0.0; L];
        for q in p..d {
            let mut w = [0.0; L];
            for r in q..d {
                let (c, xr) = (b[k], x(r));
                k += 1;
                for l in 0..L {
                    w[l] += c * xr[l];
                }
            }
            let xq = x(q);
            for l in 0..L {
                v[l] += xq[l] * w[l];
            }
        }
        let xp = x(p);
        for l in 0..L {
            acc[l] += xp[l] * v[l];
        }
    }
    out[g0..g0 + L].copy_from_slice(&acc);
}
