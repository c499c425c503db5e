//! The reference batched passes, written from φ and ∇_z φ alone: the kernel of every unit that
//! has no fast one, and the yardstick every fast kernel is tested against ([`check_kernel`]).
//!
//! Layout: Φ column-major in the buffer, column p (the point x_p) at `buf[p·n..(p+1)·n]`.

use super::{Unit, UnitKernel};
use faer::{Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

/// The reference kernel of a unit (correct for any unit; allocates, parallel over points and
/// units with every entry an independent computation, so thread-independent).
pub struct Reference<'a>(pub &'a dyn Unit);

impl UnitKernel for Reference<'_> {
    fn buffer_len(&self, n: usize, b: usize) -> usize {
        n * b
    }

    fn scratch_len(&self, _n: usize, _b: usize) -> usize {
        0
    }

    fn forward(
        &self,
        z: MatRef<'_, f64>,
        x: MatRef<'_, f64>,
        c: &[f64],
        _scratch: &mut [f64],
        buf: &mut [f64],
        fn_out: &mut [f64],
        _par: Par,
    ) {
        let (n, d) = (z.nrows(), x.ncols() - 1);
        let q = z.ncols();
        let inv_n = 1.0 / n as f64;
        buf[..n * x.nrows()]
            .par_chunks_mut(n)
            .zip(fn_out[..x.nrows()].par_iter_mut())
            .enumerate()
            .for_each(|(p, (col, f))| {
                let xp: Vec<f64> = (0..d).map(|j| x[(p, j)]).collect();
                let mut zi = vec![0.0; q];
                let mut acc = 0.0;
                for (i, v) in col.iter_mut().enumerate() {
                    for (k, zk) in zi.iter_mut().enumerate() {
                        *zk = z[(i, k)];
                    }
                    *v = self.0.phi(&zi, &xp);
                    acc += c[i] * *v;
                }
                *f = acc * inv_n;
            });
    }

    fn contract(
        &self,
        z: MatRef<'_, f64>,
        x: MatRef<'_, f64>,
        buf: &[f64],
        r: &[f64],
        _xr: MatMut<'_, f64>,
        mut out: MatMut<'_, f64>,
        _par: Par,
    ) {
        let (n, q, b, d) = (z.nrows(), z.ncols(), x.nrows(), x.ncols() - 1);
        let rows: Vec<Vec<f64>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let zi: Vec<f64> = (0..q).map(|k| z[(i, k)]).collect();
                let mut xp = vec![0.0; d];
                let mut grad = vec![0.0; q];
                let mut row = vec![0.0; q + 1];
                for p in 0..b {
                    row[q] += r[p] * buf[p * n + i];
                    for (j, v) in xp.iter_mut().enumerate() {
                        *v = x[(p, j)];
                    }
                    self.0.grad_phi(&zi, &xp, &mut grad);
                    for (hk, gk) in row.iter_mut().zip(&grad) {
                        *hk += r[p] * gk;
                    }
                }
                row
            })
            .collect();
        for (i, row) in rows.into_iter().enumerate() {
            for (k, v) in row.into_iter().enumerate() {
                out[(i, k)] = v;
            }
        }
    }
}

/// Runs `kernel` and the reference passes of `unit` on the same chunk (z: n × q, x: B × (d+1)
/// with the ones column, c, residuals r) and returns the largest differences
/// (max_p |Δf_n(x_p)|, max_ik |Δout_ik|) relative to the largest entry of each.
pub fn check_kernel(
    unit: &dyn Unit,
    kernel: &dyn UnitKernel,
    z: MatRef<'_, f64>,
    x: MatRef<'_, f64>,
    c: &[f64],
    r: &[f64],
) -> (f64, f64) {
    let (n, q, b) = (z.nrows(), z.ncols(), x.nrows());
    let run = |k: &dyn UnitKernel| {
        let mut buf = vec![0.0; k.buffer_len(n, b)];
        let mut scratch = vec![0.0; k.scratch_len(n, b)];
        let mut f = vec![0.0; b];
        // padded, for the layouts that want it
        let mut xr = Mat::<f64>::zeros(b + 64, x.ncols());
        let mut out = Mat::<f64>::zeros(n, q + 1);
        k.forward(z, x, c, &mut scratch, &mut buf, &mut f, Par::Seq);
        k.contract(
            z,
            x,
            &buf,
            r,
            xr.as_mut().subrows_mut(0, b),
            out.as_mut(),
            Par::Seq,
        );
        (f, out)
    };
    let (f0, o0) = run(&Reference(unit));
    let (f1, o1) = run(kernel);
    let rel = |a: &[f64], b: &[f64]| {
        let scale = a
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .max(f64::MIN_POSITIVE);
        a.iter()
            .zip(b)
            .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
            / scale
    };
    let flat = |m: &Mat<f64>| {
        (0..m.ncols())
            .flat_map(|k| m.col_as_slice(k).to_vec())
            .collect::<Vec<_>>()
    };
    (rel(&f0, &f1), rel(&flat(&o0), &flat(&o1)))
}
