//! Tests of the spin-target crate against slow, obviously-right references.

use crate::{EnergyWorkspace, Purpose, SpinModel, sample_sphere, stream};
use faer::{Mat, Par};

fn points(d: usize, m: usize, seed: u64, radius: f64) -> Mat<f64> {
    let mut x = Mat::<f64>::zeros(m, d);
    sample_sphere(&mut stream(seed, 0, Purpose::Samples), radius, x.as_mut());
    x
}

fn row(x: &Mat<f64>, p: usize) -> Vec<f64> {
    (0..x.ncols()).map(|j| x[(p, j)]).collect()
}

/// Naive triple sum with the raw (unsymmetrised) coefficients.
fn naive_energy(m: &SpinModel, x: &[f64]) -> f64 {
    let d = m.dim();
    let a = m.coefficients();
    let mut s = 0.0;
    for p in 0..d {
        for q in 0..d {
            for r in 0..d {
                s += a[(p * d + q) * d + r] * x[p] * x[q] * x[r];
            }
        }
    }
    m.scale() * s
}

#[test]
fn batched_energy_equals_triple_sum() {
    for &d in &[1usize, 2, 7, 25] {
        let model = SpinModel::new(d, 3).unwrap();
        // more rows than one chunk, to exercise chunking
        let x = points(d, 2 * crate::model::CHUNK_ROWS + 17, 4, model.radius());
        let batch = model.energies(x.as_ref());
        for p in (0..x.nrows()).step_by(97) {
            let xp = row(&x, p);
            let naive = naive_energy(&model, &xp);
            let single = model.energy(&xp);
            let scale = naive.abs().max(1e-3);
            assert!(
                (batch[p] - naive).abs() <= 1e-12 * scale,
                "d={d} p={p}: {} vs {naive}",
                batch[p]
            );
            assert!((single - naive).abs() <= 1e-12 * scale);
        }
    }
}

#[test]
fn gradient_matches_finite_differences_and_tangent_is_orthogonal() {
    for &d in &[2usize, 5, 25] {
        let model = SpinModel::new(d, 9).unwrap();
        let x = points(d, 5, 10, model.radius());
        let mut ws = EnergyWorkspace::new(d);
        let mut gb = Mat::<f64>::zeros(5, d);
        model.gradients_into(x.as_ref(), gb.as_mut(), &mut ws, Par::Seq);
        for p in 0..5 {
            let xp = row(&x, p);
            let mut g = vec![0.0; d];
            model.gradient(&xp, &mut g);
            let h = 1e-5;
            for s in 0..d {
                let mut xh = xp.clone();
                xh[s] += h;
                let fp = model.energy(&xh);
                xh[s] -= 2.0 * h;
                let fm = model.energy(&xh);
                let fd = (fp - fm) / (2.0 * h);
                let scale = g.iter().map(|v| v.abs()).fold(1e-3, f64::max);
                assert!(
                    (fd - g[s]).abs() < 1e-7 * scale,
                    "d={d} s={s}: fd {fd} vs {}",
                    g[s]
                );
                assert!((gb[(p, s)] - g[s]).abs() <= 1e-12 * scale);
            }
            let mut t = vec![0.0; d];
            model.tangent_gradient(&xp, &mut t);
            let dot: f64 = t.iter().zip(&xp).map(|(a, b)| a * b).sum();
            let tn: f64 = t.iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!(
                dot.abs() <= 1e-12 * tn.max(1.0) * model.radius(),
                "tangent·x = {dot}"
            );
            // Euler: x·∇f = 3 f for a cubic form
            let xg: f64 = g.iter().zip(&xp).map(|(a, b)| a * b).sum();
            let f = model.energy(&xp);
            assert!((xg - 3.0 * f).abs() <= 1e-10 * (f.abs() + 1.0));
        }
    }
}

/// E[x_p x_q x_r x_s x_t x_u] on S^{d-1}(R): R⁶/(d(d+2)(d+4)) × number of pairings of the six
/// indices into equal pairs.
fn sixth_moment(idx: [usize; 6], d: usize, radius: f64) -> f64 {
    fn pairings(rest: &[usize]) -> usize {
        if rest.is_empty() {
            return 1;
        }
        let first = rest[0];
        let mut count = 0;
        for k in 1..rest.len() {
            if rest[k] == first {
                let mut next: Vec<usize> = rest[1..].to_vec();
                next.remove(k - 1);
                count += pairings(&next);
            }
        }
        count
    }
    let df = d as f64;
    pairings(&idx) as f64 * radius.powi(6) / (df * (df + 2.0) * (df + 4.0))
}

#[test]
fn exact_mean_square_equals_six_index_formula() {
    for &d in &[1usize, 2, 3] {
        let model = SpinModel::with_normalisation(d, 5, 1.7, 0.3).unwrap();
        let a = model.coefficients();
        let n = d * d * d;
        let mut s = 0.0;
        for i in 0..n {
            for j in 0..n {
                let idx = [
                    i / (d * d),
                    (i / d) % d,
                    i % d,
                    j / (d * d),
                    (j / d) % d,
                    j % d,
                ];
                s += a[i] * a[j] * sixth_moment(idx, d, model.radius());
            }
        }
        let naive = model.scale().powi(2) * s;
        let exact = model.mean_square();
        assert!(
            (exact - naive).abs() <= 1e-12 * naive,
            "d={d}: {exact} vs {naive}"
        );
    }
}

#[test]
fn exact_mean_square_agrees_with_monte_carlo() {
    for &d in &[3usize, 25] {
        let model = SpinModel::new(d, 21).unwrap();
        let m = 1_000_000;
        let x = points(d, m, 22, model.radius());
        let f = model.energies(x.as_ref());
        let mean = f.iter().map(|v| v * v).sum::<f64>() / m as f64;
        let var = f.iter().map(|v| (v * v - mean).powi(2)).sum::<f64>() / (m - 1) as f64;
        let se = (var / m as f64).sqrt();
        let exact = model.mean_square();
        assert!(
            (mean - exact).abs() < 4.0 * se,
            "d={d}: MC {mean} ± {se} vs exact {exact}"
        );
    }
}

#[test]
fn same_seed_same_bits_for_any_thread_count() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let model = SpinModel::new(25, 77).unwrap();
            let x = points(25, 5000, 78, model.radius());
            let mut e = vec![0.0; 5000];
            let mut ws = EnergyWorkspace::new(25);
            model.energies_into(x.as_ref(), &mut e, &mut ws, Par::rayon(0));
            let xs: Vec<u64> = (0..5000).map(|p| x[(p, 3)].to_bits()).collect();
            let es: Vec<u64> = e.iter().map(|v| v.to_bits()).collect();
            let cs: Vec<u64> = model.coefficients().iter().map(|v| v.to_bits()).collect();
            (cs, xs, es)
        })
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn bad_input_is_an_error_naming_the_field() {
    let e = SpinModel::new(0, 1).unwrap_err().to_string();
    assert!(e.contains("dim") && e.contains("1..=512"), "{e}");
    assert!(SpinModel::new(513, 1).is_err());
    let e = SpinModel::with_normalisation(3, 1, -1.0, 1.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("radius"), "{e}");
}
