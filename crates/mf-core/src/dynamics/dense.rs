//! Dense linear algebra of the implicit step and the diagnostics, through faer's low-level
//! routines, always **sequential** (`Par::Seq`, never faer's global setting).
//!
//! Why sequential: faer's parallel LU and symmetric eigensolver block the work by the thread
//! pool, and give results that differ in the last bits from the sequential ones — measured at
//! N = 768 (n = 128, d = 5): `Par::rayon(0)` on one thread, on two threads and `Par::Seq` gave
//! three different LU solves. A run is a function of its config and seed, whatever
//! RAYON_NUM_THREADS is, so every factorisation here runs on one thread (two threads gained
//! only ≈ 1.1× on the implicit rule at n = 64, d = 25). The parallel parts of a step (the
//! Hessian's assembly, the velocity) split their work into fixed chunks whose results do not
//! depend on the thread count.

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::{factor, solve};
use faer::perm::PermRef;
use faer::{Conj, Mat, MatMut, MatRef, Par};

/// An LU factorisation with partial pivoting, P A = L U, reused for several right-hand sides.
#[derive(Debug)]
pub struct DenseLu {
    lu: Mat<f64>,
    fwd: Vec<usize>,
    bwd: Vec<usize>,
}

/// The matrix is singular (or not finite) to working precision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Singular {
    /// |u_ii| min / max over the diagonal of U.
    pub pivot_ratio: f64,
}

impl DenseLu {
    /// Buffers for N × N matrices.
    pub fn new(n: usize) -> Self {
        Self {
            lu: Mat::zeros(n, n),
            fwd: vec![0; n],
            bwd: vec![0; n],
        }
    }

    /// Factorises `a`; `Err` when a pivot is zero, not finite, or below 1e-14 of the largest
    /// (the solves would amplify round-off beyond use).
    pub fn factor(&mut self, a: MatRef<'_, f64>) -> Result<(), Singular> {
        let n = a.nrows();
        self.lu.copy_from(a);
        let mut buf = MemBuffer::new(factor::lu_in_place_scratch::<usize, f64>(
            n,
            n,
            Par::Seq,
            Default::default(),
        ));
        factor::lu_in_place(
            self.lu.as_mut(),
            &mut self.fwd,
            &mut self.bwd,
            Par::Seq,
            MemStack::new(&mut buf),
            Default::default(),
        );
        let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
        for i in 0..n {
            let u = self.lu[(i, i)].abs();
            lo = lo.min(u);
            hi = hi.max(u);
        }
        let ratio = lo / hi;
        if !(ratio.is_finite() && ratio > 1e-14) {
            return Err(Singular { pivot_ratio: ratio });
        }
        Ok(())
    }

    /// Solves A x = b in place (`b` has N rows, any number of columns).
    pub fn solve_in_place(&self, b: MatMut<'_, f64>) {
        let n = self.lu.nrows();
        let k = b.ncols();
        let mut buf = MemBuffer::new(solve::solve_in_place_scratch::<usize, f64>(n, k, Par::Seq));
        // SAFETY-free: the permutation arrays come from `lu_in_place`
        let perm = PermRef::new_checked(&self.fwd, &self.bwd, n);
        solve::solve_in_place_with_conj(
            self.lu.as_ref(),
            self.lu.as_ref(),
            perm,
            Conj::No,
            b,
            Par::Seq,
            MemStack::new(&mut buf),
        );
    }

    /// Solves A x = b for one vector in place.
    pub fn solve_vec(&self, b: &mut [f64]) {
        let n = b.len();
        self.solve_in_place(MatMut::from_column_major_slice_mut(b, n, 1));
    }
}

/// The eigenvalues of the symmetric matrix `a` (lower triangle read), in increasing order.
pub fn symmetric_eigenvalues(a: MatRef<'_, f64>) -> Option<Vec<f64>> {
    let par = Par::Seq;
    use faer::linalg::evd;
    let n = a.nrows();
    let mut s = Diag::<f64>::zeros(n);
    let mut buf = MemBuffer::new(evd::self_adjoint_evd_scratch::<f64>(
        n,
        evd::ComputeEigenvectors::No,
        par,
        Default::default(),
    ));
    evd::self_adjoint_evd(
        a,
        s.as_mut(),
        None,
        par,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .ok()?;
    let mut v: Vec<f64> = s.column_vector().iter().copied().collect();
    v.sort_by(|x, y| x.total_cmp(y));
    Some(v)
}

/// The eigendecomposition A = Q Λ Qᵀ of the symmetric matrix `a` (lower triangle read):
/// eigenvalues in increasing order and the orthonormal eigenvectors as the columns of Q.
pub fn symmetric_eigen(a: MatRef<'_, f64>) -> Option<(Vec<f64>, Mat<f64>)> {
    let par = Par::Seq;
    use faer::linalg::evd;
    let n = a.nrows();
    let mut s = Diag::<f64>::zeros(n);
    let mut u = Mat::<f64>::zeros(n, n);
    let mut buf = MemBuffer::new(evd::self_adjoint_evd_scratch::<f64>(
        n,
        evd::ComputeEigenvectors::Yes,
        par,
        Default::default(),
    ));
    evd::self_adjoint_evd(
        a,
        s.as_mut(),
        Some(u.as_mut()),
        par,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .ok()?;
    let v: Vec<f64> = s.column_vector().iter().copied().collect();
    // faer returns them in nondecreasing order; check rather than assume
    v.windows(2).all(|w| w[0] <= w[1]).then_some((v, u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lu_solves_a_known_system_and_flags_a_singular_one() {
        let n = 40;
        // a symmetric indefinite matrix with known solution x_j = sin j
        let a = Mat::from_fn(n, n, |i, j| {
            if i == j {
                (i as f64) - 15.5
            } else {
                1.0 / (1.0 + (i as f64 - j as f64).abs())
            }
        });
        let x: Vec<f64> = (0..n).map(|j| (j as f64).sin()).collect();
        let mut b: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| a[(i, j)] * x[j]).sum())
            .collect();
        let mut lu = DenseLu::new(n);
        lu.factor(a.as_ref()).unwrap();
        let mut y = b.clone();
        lu.solve_vec(&mut y);
        for j in 0..n {
            assert!((y[j] - x[j]).abs() < 1e-12, "{j}: {} vs {}", y[j], x[j]);
        }
        b.clear();
        let sing = Mat::from_fn(n, n, |i, j| ((i + 1) * (j + 1)) as f64);
        assert!(DenseLu::new(n).factor(sing.as_ref()).is_err());
    }

    #[test]
    fn eigenvectors_reconstruct_the_matrix() {
        let n = 12;
        let a = Mat::from_fn(n, n, |i, j| {
            1.0 / (1.0 + i as f64 + j as f64) + if i == j { 0.5 } else { 0.0 }
        });
        let (ev, q) = symmetric_eigen(a.as_ref()).unwrap();
        for i in 0..n {
            for j in 0..n {
                let r: f64 = (0..n).map(|k| q[(i, k)] * ev[k] * q[(j, k)]).sum();
                assert!(
                    (r - a[(i, j)]).abs() < 1e-13,
                    "({i},{j}): {r} vs {}",
                    a[(i, j)]
                );
            }
        }
    }

    #[test]
    fn eigenvalues_of_a_known_matrix() {
        // the second-difference matrix: λ_k = 2 − 2 cos(kπ/(n+1))
        let n = 30;
        let a = Mat::from_fn(n, n, |i, j| match i.abs_diff(j) {
            0 => 2.0,
            1 => -1.0,
            _ => 0.0,
        });
        let ev = symmetric_eigenvalues(a.as_ref()).unwrap();
        for (k, v) in ev.iter().enumerate() {
            let want = 2.0 - 2.0 * ((k + 1) as f64 * std::f64::consts::PI / (n + 1) as f64).cos();
            assert!((v - want).abs() < 1e-13, "{k}: {v} vs {want}");
        }
    }
}
