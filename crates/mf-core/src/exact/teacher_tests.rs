//! The teacher target in exact mode: closed forms against Monte-Carlo, a student equal to its
//! teacher at loss zero, the batched field against the reference path, gradients and the
//! Hessian against finite differences.

use super::{ExactRbf, ExactWorkspace};
use crate::dynamics::Velocity;
use crate::streams::{Purpose, stream};
use crate::target::{RbfTeacher, Target};
use crate::unit::{Rbf, Unit};
use crate::{InitC, Network};
use faer::{Mat, Par};
use rand_distr::{Distribution, StandardNormal};
use spin_target::sample_sphere;
use std::sync::Arc;

fn teacher(d: usize, k: usize, seed: u64) -> Arc<RbfTeacher> {
    let sigma = 0.5 * (d as f64).sqrt();
    Arc::new(RbfTeacher::random(d, k, sigma, seed).unwrap())
}

/// A student of n RBF units near the sphere, charges N(0, 1) × `c_scale`.
fn student(d: usize, n: usize, c_scale: f64, seed: u64) -> Network {
    let r = (d as f64).sqrt();
    let unit = Rbf { sigma: 0.5 * r };
    let mut net = Network::init(
        &unit,
        n,
        d,
        r,
        InitC::Normal,
        &mut stream(seed, 0, Purpose::Init),
    );
    let mut rng = stream(seed, 1, Purpose::Init);
    for i in 0..n {
        net.c[i] *= c_scale;
        for k in 0..d {
            let g: f64 = StandardNormal.sample(&mut rng);
            net.z[(i, k)] *= 1.0 + 0.2 * g / (d as f64).sqrt();
        }
    }
    net
}

#[test]
fn the_random_teacher_has_unit_mean_square_in_closed_form_and_by_monte_carlo() {
    for d in [5usize, 25] {
        let t = teacher(d, 64, 3);
        assert!(
            (t.mean_square() - 1.0).abs() < 1e-12,
            "d={d}: {}",
            t.mean_square()
        );
        assert!((t.zero_network_loss() - 0.5).abs() < 1e-12);
        // E f² over 4·10⁵ sphere points
        let m = 400_000;
        let mut x = Mat::<f64>::zeros(m, d);
        sample_sphere(&mut stream(7, 0, Purpose::Samples), t.radius(), x.as_mut());
        let mut f = vec![0.0; m];
        t.values_into(x.as_ref(), &mut f, Par::rayon(0));
        let sq: Vec<f64> = f.iter().map(|v| v * v).collect();
        let mean = sq.iter().sum::<f64>() / m as f64;
        let var = sq.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1) as f64;
        let se = (var / m as f64).sqrt();
        assert!((mean - 1.0).abs() < 4.0 * se, "d={d}: MC {mean} ± {se}");
        // one point against the definition
        let row: Vec<f64> = (0..d).map(|j| x[(0, j)]).collect();
        let direct: f64 = (0..t.width())
            .map(|a| {
                let d2: f64 = row
                    .iter()
                    .zip(t.centre(a))
                    .map(|(u, v)| (u - v).powi(2))
                    .sum();
                t.charges()[a] * (-d2 / (2.0 * t.sigma().powi(2))).exp()
            })
            .sum::<f64>()
            / t.width() as f64;
        assert!((direct - f[0]).abs() <= 1e-14 * direct.abs().max(1e-300) + 1e-16);
    }
}

#[test]
fn teacher_values_do_not_depend_on_threads() {
    let t = teacher(10, 300, 5);
    let mut x = Mat::<f64>::zeros(500, 10);
    sample_sphere(&mut stream(1, 0, Purpose::Samples), t.radius(), x.as_mut());
    let mut a = vec![0.0; 500];
    let mut b = vec![0.0; 500];
    t.values_into(x.as_ref(), &mut a, Par::Seq);
    t.values_into(x.as_ref(), &mut b, Par::rayon(2));
    assert_eq!(a, b);
}

#[test]
fn a_student_equal_to_its_teacher_has_zero_loss_and_zero_velocity() {
    for d in [5usize, 25] {
        let k = 12;
        let t = teacher(d, k, 9);
        let ex = ExactRbf::with_teacher(t.clone());
        let mut z = Mat::zeros(k, d);
        for a in 0..k {
            for j in 0..d {
                z[(a, j)] = t.centre(a)[j];
            }
        }
        let net = Network {
            c: t.charges().to_vec(),
            z,
        };
        let mut ws = ExactWorkspace::new(k, d);
        let mut vel = Velocity::zeros(k, d);
        let l = ex.velocity(&net, &mut ws, &mut vel, Par::Seq);
        assert!(l.abs() < 1e-13, "d={d}: loss {l}");
        let vmax = vel
            .c
            .iter()
            .chain(vel.z.col_iter().flat_map(|c| c.iter()))
            .fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(vmax < 1e-12, "d={d}: velocity {vmax}");
        // a charge moved by δ: ℓ = ½ (δ/k)² K̂(z_0, z_0) exactly
        let mut other = net.clone();
        other.c[0] += 0.1;
        let k00 = ex.khat(t.centre(0), t.centre(0), &mut vec![0.0; d]);
        let expected = 0.5 * (0.1 / k as f64).powi(2) * k00;
        let got = ex.loss(&other, &mut ws, Par::Seq);
        assert!(
            (got - expected).abs() < 1e-6 * expected,
            "d={d}: {got} vs {expected}"
        );
    }
}

#[test]
fn teacher_fhat_agrees_with_monte_carlo() {
    for d in [5usize, 25] {
        let t = teacher(d, 40, 2);
        let ex = ExactRbf::with_teacher(t.clone());
        let unit = Rbf { sigma: t.sigma() };
        let r = t.radius();
        let z: Vec<f64> = t.centre(3).iter().map(|v| 0.9 * v + 0.1).collect();
        let mut g = vec![0.0; d];
        let fh = ex.fhat(&z, &mut g);
        let m = 400_000;
        let mut x = Mat::<f64>::zeros(m, d);
        sample_sphere(&mut stream(11, 0, Purpose::Samples), r, x.as_mut());
        let mut f = vec![0.0; m];
        t.values_into(x.as_ref(), &mut f, Par::rayon(0));
        let mut xp = vec![0.0; d];
        let mut grad = vec![0.0; d];
        let (mean, se) = super::tests::mc_mean(m, 1 + d, |p, out| {
            for j in 0..d {
                xp[j] = x[(p, j)];
            }
            let phi = unit.phi(&z, &xp);
            unit.grad_phi(&z, &xp, &mut grad);
            out[0] = f[p] * phi;
            for j in 0..d {
                out[1 + j] = f[p] * grad[j];
            }
        });
        let exact: Vec<f64> = std::iter::once(fh).chain(g.iter().copied()).collect();
        for q in 0..=d {
            assert!(
                (mean[q] - exact[q]).abs() < 4.0 * se[q] + 1e-12,
                "d={d} component {q}: MC {} ± {} vs {}",
                mean[q],
                se[q],
                exact[q]
            );
        }
    }
}

#[test]
fn the_batched_teacher_field_matches_the_reference_path_and_the_loss_gradient() {
    for d in [3usize, 5, 25] {
        let n = 7;
        let t = teacher(d, 50, 4);
        let ex = ExactRbf::with_teacher(t);
        let net = student(d, n, 1.0, 6);
        let mut ws = ExactWorkspace::new(n, d);
        let mut vel = Velocity::zeros(n, d);
        let l = ex.velocity(&net, &mut ws, &mut vel, Par::Seq);
        // reference: F̂ unit by unit, K̂ pair by pair
        let inv_n = 1.0 / n as f64;
        let mut g = vec![0.0; d];
        let mut lin = 0.0;
        let mut quad = 0.0;
        for i in 0..n {
            let zi: Vec<f64> = (0..d).map(|k| net.z[(i, k)]).collect();
            let fi = ex.fhat(&zi, &mut g);
            lin += net.c[i] * fi;
            let mut kc = 0.0;
            for j in 0..n {
                let zj: Vec<f64> = (0..d).map(|k| net.z[(j, k)]).collect();
                kc += net.c[j] * ex.khat(&zi, &zj, &mut vec![0.0; d]);
            }
            quad += net.c[i] * kc;
            let vc = fi - inv_n * kc;
            assert!(
                (vel.c[i] - vc).abs() < 1e-12 * (1.0 + vc.abs()),
                "d={d} c_{i}"
            );
        }
        let reference = ex.zero_network_loss() - inv_n * lin + 0.5 * inv_n * inv_n * quad;
        assert!((l - reference).abs() < 1e-13, "d={d}: {l} vs {reference}");
        // v = −n ∇ℓ by central differences
        let h = 1e-6;
        let mut lossf = |net: &Network| ex.loss(net, &mut ws, Par::Seq);
        for i in 0..n {
            for k in 0..=d {
                let (mut a, mut b) = (net.clone(), net.clone());
                let an = if k == 0 {
                    a.c[i] += h;
                    b.c[i] -= h;
                    -vel.c[i] * inv_n
                } else {
                    a.z[(i, k - 1)] += h;
                    b.z[(i, k - 1)] -= h;
                    -vel.z[(i, k - 1)] * inv_n
                };
                let fd = (lossf(&a) - lossf(&b)) / (2.0 * h);
                assert!(
                    (fd - an).abs() < 1e-7 * (1.0 + an.abs()),
                    "d={d} ({i},{k}): fd {fd} vs {an}"
                );
            }
        }
    }
}

#[test]
fn exact_teacher_loss_agrees_with_the_monte_carlo_test_loss() {
    let (d, n) = (5, 30);
    let t = teacher(d, 200, 8);
    let ex = ExactRbf::with_teacher(t.clone());
    let net = student(d, n, 0.5, 2);
    let mut ws = ExactWorkspace::new(n, d);
    let exact = ex.loss(&net, &mut ws, Par::rayon(0));
    let (mc, se) = super::tests::monte_carlo_loss(ex.sigma(), &net, t.as_ref(), 400_000);
    assert!(
        (mc - exact).abs() < 4.0 * se,
        "MC {mc} ± {se} vs exact {exact}"
    );
}

#[test]
fn the_teacher_field_does_not_depend_on_threads() {
    let (d, n) = (5, 64);
    let ex = ExactRbf::with_teacher(teacher(d, 500, 1));
    let net = student(d, n, 2.0, 3);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut ws = ExactWorkspace::new(n, d);
            let mut vel = Velocity::zeros(n, d);
            let l = ex.velocity(&net, &mut ws, &mut vel, Par::rayon(0));
            let big = n * (d + 1);
            let mut h = Mat::zeros(big, big);
            ex.hessian(&net, h.as_mut(), Par::rayon(0));
            let mut bits: Vec<u64> = vel.c.iter().map(|v| v.to_bits()).collect();
            bits.push(l.to_bits());
            bits.extend(
                (0..n)
                    .flat_map(|i| (0..d).map(move |k| (i, k)))
                    .map(|(i, k)| vel.z[(i, k)].to_bits()),
            );
            bits.extend(
                h.col_iter()
                    .flat_map(|c| c.iter().map(|v| v.to_bits()).collect::<Vec<_>>()),
            );
            bits
        })
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn the_teacher_hessian_matches_finite_differences_of_the_velocity() {
    for (d, n) in [(5usize, 5usize), (25, 3)] {
        let ex = ExactRbf::with_teacher(teacher(d, 30, 12));
        let net = student(d, n, 3.0, 4);
        let big = n * (d + 1);
        let mut h = Mat::zeros(big, big);
        let l = ex.hessian(&net, h.as_mut(), Par::Seq);
        let mut ws = ExactWorkspace::new(n, d);
        assert!((l - ex.loss(&net, &mut ws, Par::Seq)).abs() < 1e-12 * (1.0 + l.abs()));
        let flat = |net: &Network| {
            let mut ws = ExactWorkspace::new(n, d);
            let mut vel = Velocity::zeros(n, d);
            ex.velocity(net, &mut ws, &mut vel, Par::Seq);
            let mut v = vel.c.clone();
            for k in 0..d {
                v.extend((0..n).map(|i| vel.z[(i, k)]));
            }
            v
        };
        let mut worst: f64 = 0.0;
        for j in 0..big {
            let (mut a, mut b) = (net.clone(), net.clone());
            let step = 1e-5;
            if j < n {
                a.c[j] += step;
                b.c[j] -= step;
            } else {
                let (k, i) = ((j - n) / n, (j - n) % n);
                a.z[(i, k)] += step;
                b.z[(i, k)] -= step;
            }
            let (va, vb) = (flat(&a), flat(&b));
            let scale = (0..big).map(|i| h[(i, j)].abs()).fold(0.0, f64::max);
            for i in 0..big {
                let fd = -(va[i] - vb[i]) / (2.0 * step);
                worst = worst.max((h[(i, j)] - fd).abs() / scale);
                assert_eq!(h[(i, j)].to_bits(), h[(j, i)].to_bits(), "symmetry");
            }
        }
        assert!(worst < 1e-7, "d={d}: FD error {worst:e}");
    }
}
