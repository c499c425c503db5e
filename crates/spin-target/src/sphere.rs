//! Uniform sampling on the sphere S^{d-1}(R) = { x ∈ ℝ^d : |x| = R }.
//!
//! A point is R g / |g| with g ~ N(0, I_d): the Gaussian is rotation invariant, so its direction is
//! uniform. Points are the rows of a P × d matrix.

use faer::MatMut;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// Fills every row of `out` (P × d) with an independent point uniform on S^{d-1}(`radius`).
///
/// Draws are consumed row by row (d normals per point), so the result depends only on the
/// generator's state, never on threads. A zero Gaussian vector (probability zero) is redrawn.
pub fn sample_sphere<R: Rng + ?Sized>(rng: &mut R, radius: f64, mut out: MatMut<'_, f64>) {
    let d = out.ncols();
    // a point is drawn into a buffer on the stack, then written once (the columns of `out` are
    // far apart in memory); same draws and same arithmetic as writing g and scaling in place
    let mut buf = [0.0f64; STACK_DIM];
    for p in 0..out.nrows() {
        loop {
            let mut norm2 = 0.0f64;
            for j in 0..d {
                let v: f64 = StandardNormal.sample(rng);
                if j < STACK_DIM {
                    buf[j] = v;
                } else {
                    out[(p, j)] = v;
                }
                norm2 += v * v;
            }
            if norm2 > 0.0 {
                let s = radius / norm2.sqrt();
                for j in 0..d {
                    let v = if j < STACK_DIM { buf[j] } else { out[(p, j)] };
                    out[(p, j)] = v * s;
                }
                break;
            }
        }
    }
}

/// Coordinates of one point held on the stack while it is drawn (the rest go through `out`).
const STACK_DIM: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::{Purpose, stream};
    use faer::Mat;

    #[test]
    fn points_on_sphere_with_isotropic_moments() {
        let (d, m) = (7usize, 200_000usize);
        let r = (d as f64).sqrt();
        let mut x = Mat::<f64>::zeros(m, d);
        sample_sphere(&mut stream(11, 0, Purpose::Samples), r, x.as_mut());
        for p in 0..m {
            let n: f64 = (0..d).map(|j| x[(p, j)].powi(2)).sum::<f64>().sqrt();
            assert!((n - r).abs() <= 1e-12 * r, "norm {n}");
        }
        // mean ≈ 0: Var(x_j) = R²/d = 1, so the standard error is 1/√m
        let se = 1.0 / (m as f64).sqrt();
        for j in 0..d {
            let mean: f64 = (0..m).map(|p| x[(p, j)]).sum::<f64>() / m as f64;
            assert!(mean.abs() < 5.0 * se, "mean {mean}");
        }
        // second moment ≈ R²/d I: diagonal entries have variance ≤ E x⁴ ≤ 3, off-diagonals ≤ 1
        for j in 0..d {
            for k in 0..d {
                let m2: f64 = (0..m).map(|p| x[(p, j)] * x[(p, k)]).sum::<f64>() / m as f64;
                let expect = if j == k { r * r / d as f64 } else { 0.0 };
                let tol = 5.0 * (3.0f64).sqrt() * se;
                assert!((m2 - expect).abs() < tol, "M2[{j},{k}] = {m2}");
            }
        }
    }
}
