//! The last contraction of the batched energy: f_p = κ Σ_{q ≤ r} x_pq x_pr H_{p,(q,r)}.
//!
//! With H = X Tᵀ (one product, P × m, T the m × d matrix of the model docs), the energy of point
//! p is the dot product of its m = d(d+1)/2 monomials x_q x_r (q ≤ r) with row p of H. The
//! monomials are formed on the fly and the sum runs over (q, r) in order, across a block of
//! points in SIMD lanes; no fused multiply-adds, so every processor path gives the same bits.

/// out_p = Σ_{q ≤ r} xcols[q]_p xcols[r]_p h[(q,r)]_p for a block of len = `out.len()` points:
/// column j of `xcols` is `xcols[j·len..(j+1)·len]`, column k of `h` is `h[k·len..(k+1)·len]`
/// (monomials in the order q = 0..d, r = q..d).
pub(crate) fn monomial_dot(d: usize, xcols: &[f64], h: &[f64], out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the feature was detected at run time.
            return unsafe { dot_avx512(d, xcols, h, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the feature was detected at run time.
            return unsafe { dot_avx2(d, xcols, h, out) };
        }
    }
    dot_body(d, xcols, h, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn dot_avx512(d: usize, xcols: &[f64], h: &[f64], out: &mut [f64]) {
    dot_body(d, xcols, h, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_avx2(d: usize, xcols: &[f64], h: &[f64], out: &mut [f64]) {
    dot_body(d, xcols, h, out)
}

#[inline(always)]
fn dot_body(d: usize, xcols: &[f64], h: &[f64], out: &mut [f64]) {
    let len = out.len();
    let col = |j: usize| &xcols[j * len..(j + 1) * len];
    out.fill(0.0);
    let mut k = 0;
    for q in 0..d {
        for r in q..d {
            let hk = &h[k * len..(k + 1) * len];
            for (((o, a), b), hv) in out.iter_mut().zip(col(q)).zip(col(r)).zip(hk) {
                *o += (a * b) * hv;
            }
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_gives_the_same_bits_as_the_definition_order() {
        let (d, len) = (7, 45);
        let m = d * (d + 1) / 2;
        let x: Vec<f64> = (0..d * len).map(|i| (i as f64 * 0.61).sin()).collect();
        let h: Vec<f64> = (0..m * len).map(|i| (i as f64 * 0.29).cos()).collect();
        let run = |f: &dyn Fn(&mut [f64])| {
            let mut out = vec![0.0; len];
            f(&mut out);
            out.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        };
        // the definition, summed in the same (q, r) order
        let mut direct = vec![0.0f64; len];
        for (p, o) in direct.iter_mut().enumerate() {
            let mut k = 0;
            for q in 0..d {
                for r in q..d {
                    *o += (x[q * len + p] * x[r * len + p]) * h[k * len + p];
                    k += 1;
                }
            }
        }
        let portable = run(&|o| dot_body(d, &x, &h, o));
        assert_eq!(
            portable,
            direct.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the feature was detected at run time.
                assert_eq!(run(&|o| unsafe { dot_avx512(d, &x, &h, o) }), portable);
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the feature was detected at run time.
                assert_eq!(run(&|o| unsafe { dot_avx2(d, &x, &h, o) }), portable);
            }
        }
        assert_eq!(run(&|o| monomial_dot(d, &x, &h, o)), portable);
    }
}
