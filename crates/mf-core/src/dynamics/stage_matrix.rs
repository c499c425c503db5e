//! The stage matrix of a linearly implicit step, G = I/(γh) + H with H = n∇²ℓ symmetric,
//! factorised once and solved many times: the factorisation a Rosenbrock-W step reuses across
//! steps ([`super::ros34pw2`]).
//!
//! G is factorised in place in one N × N buffer (the field writes H into it first): by
//! Cholesky, G = L Lᵀ (N³/3 flops, half an LU), when G is positive definite — always once
//! 1/(γh) exceeds −λ_min(H), i.e. near a minimiser or for small h — and otherwise by LU with
//! partial pivoting (saddles and diverging directions make H, and G with a large h,
//! indefinite). Both run sequentially ([`Par::Seq`], as everything in [`super::dense`]), so the
//! bits do not depend on the thread count. A solve reads the factor once (two triangular
//! sweeps): N² memory reads, the cost of one matrix–vector product.

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::cholesky::llt;
use faer::linalg::lu::partial_pivoting::{factor as lu_factor, solve as lu_solve};
use faer::perm::PermRef;
use faer::{Conj, Mat, MatMut, Par};

/// The smallest accepted ratio of the smallest to the largest pivot magnitude (|u_ii| for LU,
/// l_ii² for Cholesky): below it G is singular to working precision and a solve would amplify
/// round-off beyond use (the value of [`super::dense::DenseLu`]).
pub const MIN_PIVOT_RATIO: f64 = 1e-14;

/// How G is factorised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Factorisation {
    /// Not factorised (or H was written since).
    None,
    /// G = L Lᵀ, L in the lower triangle.
    Cholesky,
    /// P G = L U with partial pivoting.
    Lu,
}

/// G is singular (or not finite) to working precision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SingularStage {
    /// The pivot ratio found (see [`MIN_PIVOT_RATIO`]).
    pub pivot_ratio: f64,
}

/// G = I/(γh) + H in one buffer, factorised in place (module docs).
#[derive(Debug)]
pub struct StageMatrix {
    buf: Mat<f64>,
    fwd: Vec<usize>,
    bwd: Vec<usize>,
    kind: Factorisation,
    /// Factorisations that fell back from Cholesky to LU.
    pub lu_fallbacks: u64,
}

impl StageMatrix {
    /// A buffer for N × N matrices.
    pub fn new(n: usize) -> Self {
        Self {
            buf: Mat::zeros(n, n),
            fwd: vec![0; n],
            bwd: vec![0; n],
            kind: Factorisation::None,
            lu_fallbacks: 0,
        }
    }

    /// The buffer H is written into (every entry; the field's [`super::Field::hessian`]).
    /// Invalidates the factorisation.
    pub fn hessian_buffer(&mut self) -> MatMut<'_, f64> {
        self.kind = Factorisation::None;
        self.buf.as_mut()
    }

    /// How G is factorised now.
    pub fn factorisation(&self) -> Factorisation {
        self.kind
    }

    /// Factorises G = H + `shift` I in place, H being the buffer's content (full, symmetric):
    /// Cholesky first; when G is not positive definite, H is rebuilt from the strict upper
    /// triangle (which Cholesky does not touch) and the saved diagonal, and factorised by LU.
    /// `Err` when G is singular to working precision; the buffer then no longer holds H.
    pub fn factor(&mut self, shift: f64) -> Result<Factorisation, SingularStage> {
        let n = self.buf.nrows();
        let diag: Vec<f64> = (0..n).map(|j| self.buf[(j, j)]).collect();
        for (j, d) in diag.iter().enumerate() {
            self.buf[(j, j)] = d + shift;
        }
        let mut mem = MemBuffer::new(llt::factor::cholesky_in_place_scratch::<f64>(
            n,
            Par::Seq,
            Default::default(),
        ));
        let chol = llt::factor::cholesky_in_place(
            self.buf.as_mut(),
            Default::default(),
            Par::Seq,
            MemStack::new(&mut mem),
            Default::default(),
        );
        if chol.is_ok() {
            let (lo, hi) = extreme_pivots((0..n).map(|j| self.buf[(j, j)].powi(2)));
            self.kind = Factorisation::Cholesky;
            return self.checked(lo / hi);
        }
        // G is indefinite: rebuild it (lower = upper transposed) and factorise by LU
        self.lu_fallbacks += 1;
        for (j, d) in diag.iter().enumerate() {
            self.buf[(j, j)] = d + shift;
            for i in j + 1..n {
                self.buf[(i, j)] = self.buf[(j, i)];
            }
        }
        let mut mem = MemBuffer::new(lu_factor::lu_in_place_scratch::<usize, f64>(
            n,
            n,
            Par::Seq,
            Default::default(),
        ));
        lu_factor::lu_in_place(
            self.buf.as_mut(),
            &mut self.fwd,
            &mut self.bwd,
            Par::Seq,
            MemStack::new(&mut mem),
            Default::default(),
        );
        let (lo, hi) = extreme_pivots((0..n).map(|j| self.buf[(j, j)].abs()));
        self.kind = Factorisation::Lu;
        self.checked(lo / hi)
    }

    fn checked(&mut self, ratio: f64) -> Result<Factorisation, SingularStage> {
        if ratio.is_finite() && ratio > MIN_PIVOT_RATIO {
            Ok(self.kind)
        } else {
            self.kind = Factorisation::None;
            Err(SingularStage { pivot_ratio: ratio })
        }
    }

    /// Solves G x = b in place (`b` of length N).
    ///
    /// # Panics
    /// When G is not factorised (a bug of the caller).
    pub fn solve(&self, b: &mut [f64]) {
        let n = b.len();
        let x = MatMut::from_column_major_slice_mut(b, n, 1);
        match self.kind {
            Factorisation::Cholesky => llt::solve::solve_in_place_with_conj(
                self.buf.as_ref(),
                Conj::No,
                x,
                Par::Seq,
                MemStack::new(&mut MemBuffer::new(StackReq::EMPTY)),
            ),
            Factorisation::Lu => {
                let mut mem = MemBuffer::new(lu_solve::solve_in_place_scratch::<usize, f64>(
                    n,
                    1,
                    Par::Seq,
                ));
                let perm = PermRef::new_checked(&self.fwd, &self.bwd, n);
                lu_solve::solve_in_place_with_conj(
                    self.buf.as_ref(),
                    self.buf.as_ref(),
                    perm,
                    Conj::No,
                    x,
                    Par::Seq,
                    MemStack::new(&mut mem),
                );
            }
            Factorisation::None => panic!("solve with a stage matrix that is not factorised"),
        }
    }
}

/// (min, max) of the pivot magnitudes.
fn extreme_pivots(p: impl Iterator<Item = f64>) -> (f64, f64) {
    p.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A symmetric test matrix with eigenvalues spread over [lo, lo + 40).
    fn sym(n: usize, lo: f64) -> Mat<f64> {
        Mat::from_fn(n, n, |i, j| {
            if i == j {
                lo + 40.0 * i as f64 / n as f64
            } else {
                0.3 / (1.0 + (i as f64 - j as f64).abs())
            }
        })
    }

    fn solves(h: &Mat<f64>, shift: f64, want: Factorisation) {
        let n = h.nrows();
        let mut g = StageMatrix::new(n);
        g.hessian_buffer().copy_from(h);
        assert_eq!(g.factor(shift).unwrap(), want);
        let x: Vec<f64> = (0..n).map(|j| (j as f64).sin()).collect();
        let mut b: Vec<f64> = (0..n)
            .map(|i| shift * x[i] + (0..n).map(|j| h[(i, j)] * x[j]).sum::<f64>())
            .collect();
        g.solve(&mut b);
        // a second solve with the same factor
        let mut b2: Vec<f64> = (0..n)
            .map(|i| shift * x[i] + (0..n).map(|j| h[(i, j)] * x[j]).sum::<f64>())
            .collect();
        g.solve(&mut b2);
        for j in 0..n {
            assert!(
                (b[j] - x[j]).abs() < 1e-11,
                "{want:?} {j}: {} vs {}",
                b[j],
                x[j]
            );
            assert_eq!(b[j], b2[j]);
        }
    }

    #[test]
    fn a_definite_stage_matrix_is_factorised_by_cholesky_and_an_indefinite_one_by_lu() {
        let n = 50;
        // λ(H) ≥ 1 − 0.3·2·Σ 1/k > 0 after the shift 2: definite
        solves(&sym(n, 1.0), 2.0, Factorisation::Cholesky);
        // λ(H) down to ≈ −20: G = H + 0.5 I indefinite
        let mut g = StageMatrix::new(n);
        solves(&sym(n, -20.0), 0.5, Factorisation::Lu);
        // and the fallback is counted
        g.hessian_buffer().copy_from(sym(n, -20.0));
        g.factor(0.5).unwrap();
        assert_eq!(g.lu_fallbacks, 1);
    }

    #[test]
    fn a_singular_stage_matrix_is_an_error() {
        let n = 6;
        let mut g = StageMatrix::new(n);
        // H = −I, shift 1: G = 0
        g.hessian_buffer()
            .copy_from(Mat::from_fn(n, n, |i, j| if i == j { -1.0 } else { 0.0 }));
        assert!(g.factor(1.0).is_err());
        assert_eq!(g.factorisation(), Factorisation::None);
    }
}
