//! Closed forms against Monte-Carlo, gradients against finite differences.

use super::ExactRbf;
use super::ExactWorkspace;
use crate::dynamics::{Velocity, Workspace, loss};
use crate::streams::{Purpose, stream};
use crate::unit::{Rbf, Unit};
use crate::{InitC, Network, PointSet};
use faer::{Mat, Par};
use rand_distr::{Distribution, StandardNormal};
use spin_target::{SpinModel, sample_sphere};

/// Mean and standard error of each column of the samples produced by `draw`.
pub(super) fn mc_mean(
    m: usize,
    width: usize,
    mut draw: impl FnMut(usize, &mut [f64]),
) -> (Vec<f64>, Vec<f64>) {
    let mut s = vec![0.0; width];
    let mut s2 = vec![0.0; width];
    let mut buf = vec![0.0; width];
    for p in 0..m {
        draw(p, &mut buf);
        for k in 0..width {
            s[k] += buf[k];
            s2[k] += buf[k] * buf[k];
        }
    }
    let mf = m as f64;
    let mean: Vec<f64> = s.iter().map(|v| v / mf).collect();
    let se = s2
        .iter()
        .zip(&mean)
        .map(|(v, mu)| ((v / mf - mu * mu) / mf).max(0.0).sqrt())
        .collect();
    (mean, se)
}

/// The loss of `net` (RBF units of width `sigma`) on `m` test points of `target` and its
/// standard error (½ mean r², from the spread of ½ r² over the points).
pub(super) fn monte_carlo_loss(
    sigma: f64,
    net: &Network,
    target: &dyn crate::Target,
    m: usize,
) -> (f64, f64) {
    let pts = PointSet::sample(target, m, &mut stream(5, 0, Purpose::Test), Par::rayon(0));
    let unit = Rbf { sigma };
    let mut w = Workspace::new(&unit, net.width(), net.z.ncols(), m);
    let mc = loss(&unit, net, &pts, &mut w, Par::rayon(0));
    let mut out = vec![0.0; m];
    crate::dynamics::outputs(&unit, net, pts.x_aug(), &mut w, &mut out, Par::rayon(0));
    let h: Vec<f64> = pts
        .y()
        .iter()
        .zip(&out)
        .map(|(y, f)| 0.5 * (y - f).powi(2))
        .collect();
    let var = h.iter().map(|v| (v - mc).powi(2)).sum::<f64>() / (m - 1) as f64;
    (mc, (var / m as f64).sqrt())
}

fn random_centre(d: usize, radius: f64, scale: f64, seed: u64) -> Vec<f64> {
    let mut rng = stream(seed, 3, Purpose::Init);
    let mut z = Mat::<f64>::zeros(1, d);
    sample_sphere(&mut rng, radius * scale, z.as_mut());
    (0..d)
        .map(|k| {
            z[(0, k)]
                + 0.1 * {
                    let g: f64 = StandardNormal.sample(&mut rng);
                    g
                }
        })
        .collect()
}

#[test]
fn closed_forms_agree_with_monte_carlo() {
    for &d in &[3usize, 5, 25] {
        let model = SpinModel::new(d, 17).unwrap();
        let r = model.radius();
        let sigma = 0.5 * r;
        let ex = ExactRbf::new(model.clone(), sigma);
        let unit = Rbf { sigma };
        let z = random_centre(d, r, 0.9, 1);
        let zp = random_centre(d, r, 1.1, 2);
        let mut gf = vec![0.0; d];
        let mut gk = vec![0.0; d];
        let fh = ex.fhat(&z, &mut gf);
        let kh = ex.khat(&z, &zp, &mut gk);
        // Monte-Carlo over 10⁶ points, in chunks
        let m = 1_000_000;
        let chunk = 50_000;
        let mut x = Mat::<f64>::zeros(chunk, d);
        let mut f = vec![0.0; chunk];
        let mut rng = stream(99, 0, Purpose::Samples);
        let mut grad = vec![0.0; d];
        let mut xp = vec![0.0; d];
        let width = 2 + 2 * d;
        let (mean, se) = mc_mean(m, width, |p, out| {
            let k = p % chunk;
            if k == 0 {
                sample_sphere(&mut rng, r, x.as_mut());
                f = model.energies(x.as_ref());
            }
            for j in 0..d {
                xp[j] = x[(k, j)];
            }
            let phi = unit.phi(&z, &xp);
            let phip = unit.phi(&zp, &xp);
            unit.grad_phi(&z, &xp, &mut grad);
            out[0] = f[k] * phi;
            out[1] = phi * phip;
            for j in 0..d {
                out[2 + j] = f[k] * grad[j];
                out[2 + d + j] = grad[j] * phip;
            }
        });
        let exact: Vec<f64> = [fh, kh]
            .iter()
            .copied()
            .chain(gf.iter().copied())
            .chain(gk.iter().copied())
            .collect();
        for k in 0..width {
            let tol = 4.0 * se[k] + 1e-12 * exact[k].abs();
            assert!(
                (mean[k] - exact[k]).abs() < tol,
                "d={d} component {k}: MC {} ± {} vs exact {}",
                mean[k],
                se[k],
                exact[k]
            );
        }
    }
}

fn network(d: usize, n: usize, seed: u64) -> (ExactRbf, Network) {
    let model = SpinModel::new(d, seed).unwrap();
    let r = model.radius();
    let sigma = 0.5 * r;
    let unit = Rbf { sigma };
    let mut net = Network::init(
        &unit,
        n,
        d,
        r,
        InitC::Normal,
        &mut stream(seed, 0, Purpose::Init),
    );
    // move the centres off the sphere a little, as the dynamics does
    let mut rng = stream(seed, 1, Purpose::Init);
    for i in 0..n {
        for k in 0..d {
            net.z[(i, k)] *= 1.0
                + 0.2 * {
                    let g: f64 = StandardNormal.sample(&mut rng);
                    g
                } / (d as f64).sqrt();
        }
    }
    (ExactRbf::new(model, sigma), net)
}

#[test]
fn exact_velocity_is_minus_n_times_the_exact_loss_gradient() {
    for &d in &[3usize, 5, 25] {
        let n = 6;
        let (ex, net) = network(d, n, 4);
        let mut ws = ExactWorkspace::new(n, d);
        let mut vel = Velocity::zeros(n, d);
        let l = ex.velocity(&net, &mut ws, &mut vel, Par::Seq);
        assert!((l - ex.loss(&net, &mut ws, Par::Seq)).abs() <= 1e-14 * l);
        let h = 1e-6;
        let mut lossf = |net: &Network| ex.loss(net, &mut ws, Par::Seq);
        for i in 0..n {
            let mut a = net.clone();
            a.c[i] += h;
            let mut b = net.clone();
            b.c[i] -= h;
            let fd = (lossf(&a) - lossf(&b)) / (2.0 * h);
            let an = -vel.c[i] / n as f64;
            assert!(
                (fd - an).abs() < 1e-7 * (1.0 + an.abs()),
                "d={d} c_{i}: fd {fd} vs {an}"
            );
            for k in 0..d {
                let mut a = net.clone();
                a.z[(i, k)] += h;
                let mut b = net.clone();
                b.z[(i, k)] -= h;
                let fd = (lossf(&a) - lossf(&b)) / (2.0 * h);
                let an = -vel.z[(i, k)] / n as f64;
                assert!(
                    (fd - an).abs() < 1e-7 * (1.0 + an.abs()),
                    "d={d} z_{i},{k}: fd {fd} vs {an}"
                );
            }
        }
    }
}

#[test]
fn exact_loss_agrees_with_the_monte_carlo_test_loss() {
    for &d in &[5usize, 25] {
        let n = 40;
        let (ex, net) = network(d, n, 8);
        let mut ws = ExactWorkspace::new(n, d);
        let exact = ex.loss(&net, &mut ws, Par::rayon(0));
        let target = crate::SpinTarget::new(ex.spin_model().unwrap().clone());
        let (mc, se) = monte_carlo_loss(ex.sigma(), &net, &target, 1_000_000);
        assert!(
            (mc - exact).abs() < 4.0 * se,
            "d={d}: MC {mc} ± {se} vs exact {exact}"
        );
    }
}

#[test]
fn pair_work_is_symmetric_and_thread_independent() {
    let (d, n) = (5, 300);
    let (ex, net) = network(d, n, 12);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut ws = ExactWorkspace::new(n, d);
            let mut vel = Velocity::zeros(n, d);
            let l = ex.velocity(&net, &mut ws, &mut vel, Par::rayon(0));
            let mut bits: Vec<u64> = vel.c.iter().map(|v| v.to_bits()).collect();
            bits.push(l.to_bits());
            for i in 0..n {
                bits.extend((0..d).map(|k| vel.z[(i, k)].to_bits()));
            }
            bits
        })
    };
    assert_eq!(run(1), run(2));
}
