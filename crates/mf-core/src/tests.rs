//! Tests of mf-core against slow, obviously-right references.

use crate::dynamics::{Velocity, Workspace, loss, reference_velocity, velocity};
use crate::streams::{Purpose, StreamRng, stream};
use crate::unit::{Rbf, Relu, Unit, UnitSpec};
use crate::{InitC, Mode, Network, PointSet, TrainConfig, Trainer, UnitKind};
use faer::Par;
use spin_target::SpinModel;

/// A unit that only implements the math (no kernel), so the reference batched passes run.
struct Reference<U: Unit>(U);

impl<U: Unit> Unit for Reference<U> {
    fn spec(&self) -> UnitSpec {
        UnitSpec::new(format!("reference-{}", self.0.spec().name), &[])
    }
    fn param_dim(&self, dim: usize) -> usize {
        self.0.param_dim(dim)
    }
    fn phi(&self, z: &[f64], x: &[f64]) -> f64 {
        self.0.phi(z, x)
    }
    fn grad_phi(&self, z: &[f64], x: &[f64], out: &mut [f64]) {
        self.0.grad_phi(z, x, out)
    }
    fn init_params(&self, rng: &mut StreamRng, dim: usize, radius: f64, z: &mut [f64]) {
        self.0.init_params(rng, dim, radius, z)
    }
}

fn setup(
    unit: &dyn Unit,
    d: usize,
    n: usize,
    p: usize,
    seed: u64,
) -> (SpinModel, Network, PointSet) {
    let model = SpinModel::new(d, seed).unwrap();
    let net = Network::init(
        unit,
        n,
        d,
        model.radius(),
        InitC::Normal,
        &mut stream(seed, 0, Purpose::Init),
    );
    let target = crate::SpinTarget::new(model.clone());
    let pts = PointSet::sample(&target, p, &mut stream(seed, 0, Purpose::Data), Par::Seq);
    (model, net, pts)
}

fn units() -> Vec<Box<dyn Unit>> {
    vec![Box::new(Rbf { sigma: 1.3 }), Box::new(Relu)]
}

#[test]
fn unit_gradients_match_finite_differences() {
    let d = 6;
    let mut rng = stream(1, 0, Purpose::Samples);
    for unit in units() {
        let q = unit.param_dim(d);
        let mut z = vec![0.0; q];
        let mut x = vec![0.0; q];
        for trial in 0..20 {
            unit.init_params(&mut rng, d, (d as f64).sqrt(), &mut z);
            unit.init_params(&mut rng, d, (d as f64).sqrt(), &mut x);
            if q > d {
                z[d] = 0.3 * (trial as f64 - 10.0) / 10.0;
            }
            let x = &x[..d];
            let mut g = vec![0.0; q];
            unit.grad_phi(&z, x, &mut g);
            let h = 1e-6;
            for k in 0..q {
                let mut zp = z.clone();
                zp[k] += h;
                let mut zm = z.clone();
                zm[k] -= h;
                let fd = (unit.phi(&zp, x) - unit.phi(&zm, x)) / (2.0 * h);
                // ReLU: skip points within h of the kink
                let pre: f64 = z[..d].iter().zip(x).map(|(a, b)| a * b).sum::<f64>()
                    + z.get(d).copied().unwrap_or(0.0);
                if unit.spec().name == "relu" && pre.abs() < 1e-4 {
                    continue;
                }
                assert!(
                    (fd - g[k]).abs() < 1e-7,
                    "{} k={k}: fd {fd} vs {}",
                    unit.spec().name,
                    g[k]
                );
            }
        }
    }
}

#[test]
fn batched_passes_equal_the_reference() {
    // one block of units and one chunk; then several blocks (the last partial) and chunks
    let d = 5;
    for (n, p, unit) in [(37, 300), (300, 5000)]
        .into_iter()
        .flat_map(|(n, p)| units().into_iter().map(move |u| (n, p, u)))
    {
        let (_, net, pts) = setup(unit.as_ref(), d, n, p, 3);
        let q = unit.param_dim(d);
        let name = unit.spec().name;
        let mut ws = Workspace::new(unit.as_ref(), n, d, p);
        let mut v_fast = Velocity::zeros(n, q);
        let mut v_ref = Velocity::zeros(n, q);
        let l_fast = velocity(unit.as_ref(), &net, &pts, &mut ws, &mut v_fast, Par::Seq);
        let reference: Box<dyn Unit> = match name.as_str() {
            "rbf" => Box::new(Reference(Rbf { sigma: 1.3 })),
            _ => Box::new(Reference(Relu)),
        };
        let mut ws_ref = Workspace::new(reference.as_ref(), n, d, p);
        let l_ref = velocity(
            reference.as_ref(),
            &net,
            &pts,
            &mut ws_ref,
            &mut v_ref,
            Par::Seq,
        );
        assert!((l_fast - l_ref).abs() <= 1e-12 * l_ref, "{name}");
        // the kernel against the reference on one chunk, directly
        let b = p.min(300);
        let (x, _) = pts.chunk(0, b);
        let r: Vec<f64> = (0..b).map(|k| (k as f64 * 0.7).sin()).collect();
        let (df, dout) = crate::unit::reference::check_kernel(
            unit.as_ref(),
            unit.kernel().expect("a shipped kernel"),
            net.z.as_ref(),
            x,
            &net.c,
            &r,
        );
        assert!(df < 1e-12 && dout < 1e-11, "{name}: {df:e} {dout:e}");
        // f_n from the batched forward pass equals the definition
        let mut out = vec![0.0; p];
        crate::dynamics::outputs(
            unit.as_ref(),
            &net,
            pts.x_aug(),
            &mut ws,
            &mut out,
            Par::Seq,
        );
        for k in (0..p).step_by(31) {
            let xk: Vec<f64> = (0..d).map(|j| pts.x()[(k, j)]).collect();
            let direct = net.eval(unit.as_ref(), &xk);
            assert!(
                (out[k] - direct).abs() <= 1e-12 * (1.0 + direct.abs()),
                "{name}"
            );
        }
        let scale = v_ref.c.iter().map(|v| v.abs()).fold(1e-12, f64::max);
        for i in 0..n {
            assert!((v_fast.c[i] - v_ref.c[i]).abs() <= 1e-11 * scale);
            for k in 0..q {
                let (a, b) = (v_fast.z[(i, k)], v_ref.z[(i, k)]);
                assert!(
                    (a - b).abs() <= 1e-11 * (1.0 + b.abs()),
                    "{name} i={i} k={k}: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn velocity_is_minus_n_times_the_loss_gradient() {
    let (d, n, p) = (4, 9, 200);
    for unit in units() {
        let (_, net, pts) = setup(unit.as_ref(), d, n, p, 5);
        let q = unit.param_dim(d);
        let mut ws = Workspace::new(unit.as_ref(), n, d, p);
        let mut vel = Velocity::zeros(n, q);
        velocity(unit.as_ref(), &net, &pts, &mut ws, &mut vel, Par::Seq);
        let h = 1e-6;
        let mut lossf = |net: &Network| loss(unit.as_ref(), net, &pts, &mut ws, Par::Seq);
        for i in 0..n {
            let mut a = net.clone();
            a.c[i] += h;
            let mut b = net.clone();
            b.c[i] -= h;
            let fd = (lossf(&a) - lossf(&b)) / (2.0 * h);
            assert!(
                (fd + vel.c[i] / n as f64).abs() < 1e-8,
                "{} c_{i}: {fd} vs {}",
                unit.spec().name,
                -vel.c[i] / n as f64
            );
            for k in 0..q {
                let mut a = net.clone();
                a.z[(i, k)] += h;
                let mut b = net.clone();
                b.z[(i, k)] -= h;
                let fd = (lossf(&a) - lossf(&b)) / (2.0 * h);
                let an = -vel.z[(i, k)] / n as f64;
                assert!(
                    (fd - an).abs() < 1e-7 * (1.0 + an.abs()),
                    "{} z_{i}{k}: {fd} vs {an}",
                    unit.spec().name
                );
            }
        }
    }
}

#[test]
fn the_fast_step_equals_the_particle_step_in_f_k_form() {
    // dθ_i/dt = ∇F(θ_i) − (1/n) Σ_j ∇_θ K(θ_i, θ_j), F and K sample means on the batch, computed
    // literally (reference_velocity), against the residual form of the fast passes
    let (d, n, p) = (5, 23, 400);
    for unit in units() {
        let name = unit.spec().name;
        let (_, net, pts) = setup(unit.as_ref(), d, n, p, 7);
        let q = unit.param_dim(d);
        let mut ws = Workspace::new(unit.as_ref(), n, d, p);
        let (mut fast, mut slow) = (Velocity::zeros(n, q), Velocity::zeros(n, q));
        let lf = velocity(unit.as_ref(), &net, &pts, &mut ws, &mut fast, Par::Seq);
        let ls = reference_velocity(unit.as_ref(), &net, &pts, &mut slow);
        assert!((lf - ls).abs() <= 1e-10 * lf, "{name}: loss {lf} vs {ls}");
        let scale = slow.norm();
        let mut diff = fast.clone();
        diff.axpy(-1.0, &slow);
        assert!(
            diff.norm() <= 1e-10 * scale,
            "{name}: |Δv| = {:e} of {scale:e}",
            diff.norm()
        );
    }
}

fn small_config(units: UnitKind, mode: Mode) -> TrainConfig {
    let mut c = TrainConfig::new(units, 5, 32, 200, 0.2, 11);
    c.mode = mode;
    c.batch = 64;
    c.train_size = 500;
    c.test_size = 2000;
    c
}

#[test]
fn gd_decreases_the_training_loss_monotonically() {
    // "small Δt": well below the largest stable step of each unit at this width
    for (units, dt) in [
        (UnitKind::named("rbf"), 0.2),
        (UnitKind::named("relu"), 0.02),
    ] {
        let mut cfg = small_config(units.clone(), Mode::Gd);
        cfg.init_c = InitC::Normal;
        cfg.dt = dt;
        cfg.evals_per_decade = 1000;
        let mut t = Trainer::new(cfg, Par::Seq).unwrap();
        t.run(400, &mut |_| {}, &mut |_| Ok(())).unwrap();
        let tl: Vec<f64> = t.trace().iter().map(|r| r.train_loss.unwrap()).collect();
        assert!(tl.len() > 100);
        for w in tl.windows(2) {
            assert!(
                w[1] <= w[0],
                "{units:?}: train loss rose from {} to {}",
                w[0],
                w[1]
            );
        }
        eprintln!("{units:?}: {} -> {}", tl[0], tl.last().unwrap());
        assert!(tl.last().unwrap() < &(0.9 * tl[0]));
    }
}

fn bits(t: &Trainer) -> Vec<u64> {
    let net = t.network();
    let mut v: Vec<u64> = net.c.iter().map(|x| x.to_bits()).collect();
    for i in 0..net.width() {
        v.extend(net.z_row(i).iter().map(|x| x.to_bits()));
    }
    v.extend(t.trace().iter().map(|r| r.test_loss.to_bits()));
    v
}

#[test]
fn runs_are_bitwise_identical_for_one_and_two_threads() {
    for mode in [Mode::Gd, Mode::Sgd, Mode::Online] {
        for units in [UnitKind::named("rbf"), UnitKind::named("relu")] {
            let run = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                pool.install(|| {
                    let mut cfg = small_config(units.clone(), mode);
                    cfg.width = 300;
                    cfg.batch = 5000.min(cfg.train_size);
                    cfg.train_size = 6000;
                    cfg.batch = if mode == Mode::Online { 5000 } else { 1000 };
                    let mut t = Trainer::new(cfg, Par::rayon(0)).unwrap();
                    t.run(5, &mut |_| {}, &mut |_| Ok(())).unwrap();
                    bits(&t)
                })
            };
            assert_eq!(run(1), run(2), "{mode:?} {units:?}");
        }
    }
}

#[test]
fn resume_equals_an_uninterrupted_run() {
    for mode in [Mode::Gd, Mode::Sgd, Mode::Online] {
        let cfg = small_config(UnitKind::named("rbf"), mode);
        let mut whole = Trainer::new(cfg.clone(), Par::Seq).unwrap();
        whole.run(40, &mut |_| {}, &mut |_| Ok(())).unwrap();
        let mut first = Trainer::new(cfg, Par::Seq).unwrap();
        first.run(17, &mut |_| {}, &mut |_| Ok(())).unwrap();
        let ck = first.checkpoint();
        let json = serde_json::to_string(&ck).unwrap();
        let mut resumed =
            Trainer::from_checkpoint(serde_json::from_str(&json).unwrap(), Par::Seq).unwrap();
        resumed.run(40, &mut |_| {}, &mut |_| Ok(())).unwrap();
        assert_eq!(whole.network(), resumed.network(), "{mode:?}");
        let last = |t: &Trainer| t.trace().last().unwrap().test_loss.to_bits();
        assert_eq!(last(&whole), last(&resumed));
    }
}

#[test]
fn divergence_stops_with_the_step() {
    let mut cfg = small_config(UnitKind::named("relu"), Mode::Online);
    cfg.dt = 1e4;
    cfg.init_c = InitC::Normal;
    let mut t = Trainer::new(cfg, Par::Seq).unwrap();
    let err = t.run(200, &mut |_| {}, &mut |_| Ok(())).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, crate::TrainError::Diverged { .. }), "{msg}");
    assert!(msg.contains("step") && msg.contains("--dt"), "{msg}");
}

#[test]
fn bad_config_names_the_field() {
    let mut c = small_config(UnitKind::named("rbf"), Mode::Sgd);
    c.batch = 10_000;
    assert!(c.validate().unwrap_err().to_string().contains("--batch"));
    let mut c = small_config(UnitKind::named("rbf"), Mode::Online);
    c.dt = f64::NAN;
    assert!(c.validate().unwrap_err().to_string().contains("--dt"));
    c.dt = 0.1;
    c.width = 0;
    assert!(c.validate().unwrap_err().to_string().contains("--width"));
}

#[test]
fn lln_early_loss_decay_does_not_depend_on_width() {
    // Same target, same training set (gd), nested initial particles (the first n of 4n): the
    // decrease of the test loss up to t = 25 must converge as n grows, the gap between n and 4n
    // shrinking (CLT: like n^{-1/2}).
    let decrease = |width: usize| {
        let mut cfg = TrainConfig::new(UnitKind::named("rbf"), 5, width, 100, 0.25, 1);
        cfg.mode = Mode::Gd;
        cfg.train_size = 2000;
        cfg.test_size = 5000;
        cfg.evals_per_decade = 5;
        let mut t = Trainer::new(cfg, Par::rayon(0)).unwrap();
        t.run(100, &mut |_| {}, &mut |_| Ok(())).unwrap();
        let l0 = t.trace()[0].test_loss;
        t.trace()
            .iter()
            .filter(|r| r.time >= 4.0)
            .map(|r| l0 - r.test_loss)
            .collect::<Vec<_>>()
    };
    let curves: Vec<Vec<f64>> = [16, 64, 256, 1024].iter().map(|&n| decrease(n)).collect();
    let gap = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| ((x - y) / y).abs())
            .fold(0.0, f64::max)
    };
    let gaps: Vec<f64> = curves.windows(2).map(|w| gap(&w[0], &w[1])).collect();
    eprintln!("relative gaps of the loss decrease, n→4n: {gaps:?}");
    assert!(
        gaps[1] < 0.5 * gaps[0] && gaps[2] < 0.5 * gaps[1],
        "{gaps:?}"
    );
    assert!(gaps[2] < 0.02, "{gaps:?}");
}

#[test]
fn online_sgd_learns_the_3_spin_target() {
    // RBF, d = 5, n = 256, σ = R/2, c_i(0) = 0, centres uniform on the sphere, online SGD with
    // P = 512 fresh points per step, Δt = 0.25, target seed 4: relative test loss (10⁴ test
    // points) below 0.35 by mean-field time 1000 (measured: 0.275). A loss near 1 would mean a
    // wrong time scaling, step or width.
    let mut cfg = TrainConfig::new(UnitKind::named("rbf"), 5, 256, 4000, 0.25, 4);
    cfg.batch = 512;
    cfg.test_size = 10_000;
    let mut t = Trainer::new(cfg, Par::rayon(0)).unwrap();
    t.run(4000, &mut |_| {}, &mut |_| Ok(())).unwrap();
    let last = t.trace().last().unwrap();
    assert_eq!(last.time, 1000.0);
    assert!(
        last.relative_test_loss < 0.35,
        "relative test loss {}",
        last.relative_test_loss
    );
}

fn exact_config(width: usize, steps: u64, dt: f64) -> TrainConfig {
    let mut c = TrainConfig::new(UnitKind::named("rbf"), 5, width, steps, dt, 1);
    c.mode = Mode::Exact;
    c.test_size = 1000;
    c.init_c = InitC::Normal;
    c
}

fn final_loss(cfg: TrainConfig) -> f64 {
    let steps = cfg.steps;
    let mut t = Trainer::new(cfg, Par::Seq).unwrap();
    t.run(steps, &mut |_| {}, &mut |_| Ok(())).unwrap();
    t.trace().last().unwrap().test_loss
}

#[test]
fn exact_euler_descends_monotonically_and_converges_at_first_order() {
    use crate::config::StepRule;
    // Euler with Δt = 0.1 on the exact loss: 3000 steps, every evaluation lower than the last
    let mut cfg = exact_config(16, 3000, 0.1);
    cfg.step_rule = Some(StepRule::named("fixed"));
    cfg.evals_per_decade = 1000;
    let mut t = Trainer::new(cfg.clone(), Par::Seq).unwrap();
    t.run(3000, &mut |_| {}, &mut |_| Ok(())).unwrap();
    let losses: Vec<f64> = t.trace().iter().map(|r| r.test_loss).collect();
    assert!(losses.len() > 500);
    for w in losses.windows(2) {
        assert!(w[1] < w[0], "exact loss rose: {} -> {}", w[0], w[1]);
    }
    // first order in Δt at t = 50: against a tight adaptive reference, halving Δt halves the error
    let at = |dt: f64| {
        let mut c = exact_config(16, (50.0 / dt) as u64, dt);
        c.step_rule = Some(StepRule::named("fixed"));
        final_loss(c)
    };
    let mut reference = exact_config(16, 100, 0.5);
    reference.tol = 1e-9;
    let l_ref = final_loss(reference);
    let e1 = at(0.5) - l_ref;
    let e2 = at(0.25) - l_ref;
    let e4 = at(0.125) - l_ref;
    eprintln!("Euler errors at t=50: {e1:e} {e2:e} {e4:e}");
    for ratio in [e1 / e2, e2 / e4] {
        assert!(
            (1.8..2.2).contains(&ratio),
            "error ratio {ratio} (first order: 2)"
        );
    }
    // and the classical form: (ℓ_Δt − ℓ_Δt/4) / (ℓ_Δt/2 − ℓ_Δt/4) = 3 for a first-order method
    let r = (e1 - e4) / (e2 - e4);
    assert!((2.7..3.3).contains(&r), "{r}");
}

#[test]
fn adaptive_steps_bound_the_time_error() {
    // loss at t = 1000 changes by less than 0.5 % when the tolerance is made 4× tighter
    let mut a = exact_config(32, 2000, 0.5);
    a.init_c = InitC::Zero;
    let mut b = a.clone();
    b.tol = a.tol / 4.0;
    let (la, lb) = (final_loss(a), final_loss(b));
    assert!(((la - lb) / lb).abs() < 5e-3, "{la} vs {lb}");
    // and the same with a 4× tighter step cap
    let mut c = exact_config(32, 2000, 0.5);
    c.init_c = InitC::Zero;
    c.dt_max = Some(0.5);
    let mut d = c.clone();
    d.dt_max = Some(0.125);
    let (lc, ld) = (final_loss(c), final_loss(d));
    assert!(((lc - ld) / ld).abs() < 5e-3, "{lc} vs {ld}");
    assert!(((la - ld) / ld).abs() < 5e-3, "{la} vs {ld}");
}

#[test]
fn gd_on_a_growing_training_set_converges_to_the_exact_flow() {
    use crate::config::StepRule;
    // same initial particles, same Euler steps: the gd particles approach the exact ones as M grows
    let run = |mode: Mode, m: usize| {
        let mut cfg = exact_config(16, 200, 0.25);
        cfg.mode = mode;
        cfg.train_size = m;
        cfg.step_rule = Some(StepRule::named("fixed"));
        let mut t = Trainer::new(cfg, Par::rayon(0)).unwrap();
        t.run(200, &mut |_| {}, &mut |_| Ok(())).unwrap();
        t.network().c.clone()
    };
    let exact = run(Mode::Exact, 1);
    let dist = |m: usize| {
        let c = run(Mode::Gd, m);
        let num: f64 = c.iter().zip(&exact).map(|(a, b)| (a - b).powi(2)).sum();
        let den: f64 = exact.iter().map(|b| b * b).sum();
        (num / den).sqrt()
    };
    let (d1, d2, d3) = (dist(1_000), dist(16_000), dist(256_000));
    eprintln!("relative distance of the charges to the exact flow: {d1:e} {d2:e} {d3:e}");
    // sampling error ∝ M^{-1/2}: each 16× step divides it by ≈ 4
    assert!(d2 < d1 / 2.0 && d3 < d2 / 2.0, "{d1} {d2} {d3}");
    assert!(d3 < 0.02, "{d3}");
}

#[test]
fn backtracking_euler_descends_and_reaches_the_time() {
    use crate::config::StepRule;
    let mut cfg = exact_config(12, 400, 0.5);
    cfg.step_rule = Some(StepRule::named("backtracking"));
    let mut t = Trainer::new(cfg, Par::Seq).unwrap();
    t.run(400, &mut |_| {}, &mut |_| Ok(())).unwrap();
    let tr = t.trace();
    assert_eq!(tr.last().unwrap().time, 200.0);
    for w in tr.windows(2) {
        assert!(
            w[1].test_loss <= w[0].test_loss + 1e-12,
            "{} -> {}",
            w[0].test_loss,
            w[1].test_loss
        );
    }
    // and it agrees with the error-controlled rule to within 1 % at t = 200
    let reference = final_loss(exact_config(12, 400, 0.5));
    let l = tr.last().unwrap().test_loss;
    assert!(
        ((l - reference) / reference).abs() < 0.01,
        "{l} vs {reference}"
    );
}

#[test]
fn euler_heun_bounds_the_time_error_with_one_evaluation_per_step() {
    use crate::config::StepRule;
    // t = 1000: 4× tighter tolerance changes the loss by < 0.5 %, and it agrees with the
    // Bogacki–Shampine rule to 0.5 %
    let mut a = exact_config(32, 2000, 0.5);
    a.init_c = InitC::Zero;
    a.step_rule = Some(StepRule::named("euler-heun"));
    a.tol = 1e-4;
    let mut b = a.clone();
    b.tol = a.tol / 4.0;
    let (la, lb) = (final_loss(a), final_loss(b));
    assert!(((la - lb) / lb).abs() < 5e-3, "{la} vs {lb}");
    let mut r = exact_config(32, 2000, 0.5);
    r.init_c = InitC::Zero;
    let lr = final_loss(r);
    assert!(((lb - lr) / lr).abs() < 5e-3, "{lb} vs {lr}");
}

#[test]
fn a_custom_target_trains_through_the_target_trait() {
    use crate::Target;
    use std::sync::Arc;
    /// f(x) = x₁ on S^{d-1}(R): C_f = ½ E x₁² = R²/(2d).
    struct FirstCoordinate {
        dim: usize,
    }
    impl Target for FirstCoordinate {
        fn dim(&self) -> usize {
            self.dim
        }
        fn radius(&self) -> f64 {
            (self.dim as f64).sqrt()
        }
        fn values_into(&self, x: faer::MatRef<'_, f64>, out: &mut [f64], _par: Par) {
            for (p, o) in out.iter_mut().enumerate() {
                *o = x[(p, 0)];
            }
        }
        fn zero_network_loss(&self) -> f64 {
            0.5 * self.radius().powi(2) / self.dim as f64
        }
    }
    let cfg = small_config(UnitKind::named("rbf"), Mode::Online);
    let target: Arc<dyn Target> = Arc::new(FirstCoordinate { dim: 5 });
    let mut t = Trainer::with_target(
        cfg.clone(),
        Box::new(Rbf {
            sigma: cfg.resolved_sigma(),
        }),
        target.clone(),
        Par::Seq,
    )
    .unwrap();
    t.run(1500, &mut |_| {}, &mut |_| Ok(())).unwrap();
    let (first, last) = (&t.trace()[0], t.trace().last().unwrap());
    // c(0) = 0: the initial loss is C_f up to the test set's sampling error
    assert!(
        (first.relative_test_loss - 1.0).abs() < 0.1,
        "{}",
        first.relative_test_loss
    );
    assert!(
        last.relative_test_loss < 0.5 * first.relative_test_loss,
        "{} -> {}",
        first.relative_test_loss,
        last.relative_test_loss
    );
    // exact mode needs the 3-spin target
    let mut ex = cfg;
    ex.mode = Mode::Exact;
    assert!(Trainer::with_target(ex, Box::new(Rbf { sigma: 1.0 }), target, Par::Seq).is_err());
}

#[test]
fn a_step_rule_plugs_into_the_trainer_and_heun_is_second_order() {
    use crate::config::StepRule;
    use crate::dynamics::{Field, StepError, StepOutcome, Stepper};
    /// The explicit midpoint rule, written here as a user would: k₁ = v(θ),
    /// k₂ = v(θ + Δt/2 k₁), θ ← θ + Δt k₂ (second order).
    struct Midpoint {
        k1: Velocity,
        k2: Velocity,
        stage: Network,
    }
    impl Stepper for Midpoint {
        fn name(&self) -> &'static str {
            "midpoint"
        }
        fn is_adaptive(&self) -> bool {
            false
        }
        fn step(
            &mut self,
            net: &mut Network,
            field: &mut dyn Field,
            span: f64,
        ) -> Result<StepOutcome, StepError> {
            let l = field.velocity(net, &mut self.k1);
            self.stage.set_lincomb(net, span, &[(0.5, &self.k1)]);
            field.velocity(&self.stage, &mut self.k2);
            net.axpy(span, &self.k2);
            Ok(StepOutcome {
                dt: span,
                loss_before: l,
                loss_after: None,
            })
        }
    }
    let run = |dt: f64, rule: Option<StepRule>| {
        let mut cfg = exact_config(8, (50.0 / dt) as u64, dt);
        cfg.step_rule = Some(rule.clone().unwrap_or(StepRule::named("fixed")));
        let steps = cfg.steps;
        let mut t = Trainer::new(cfg, Par::Seq).unwrap();
        if rule.is_none() {
            t = t.with_stepper(Box::new(Midpoint {
                k1: Velocity::zeros(8, 5),
                k2: Velocity::zeros(8, 5),
                stage: Network::zeros(8, 5),
            }));
        }
        t.run(steps, &mut |_| {}, &mut |_| Ok(())).unwrap();
        assert_eq!(t.time(), 50.0);
        t.trace().last().unwrap().test_loss
    };
    let mut reference = exact_config(8, 100, 0.5);
    reference.tol = 1e-10;
    let l_ref = final_loss(reference);
    // second order: halving Δt divides the error by ≈ 4 (Euler: 2)
    for rule in [None, Some(StepRule::named("heun"))] {
        let (e1, e2) = (
            run(1.0, rule.clone()) - l_ref,
            run(0.5, rule.clone()) - l_ref,
        );
        assert!(
            (3.0..5.5).contains(&(e1 / e2)),
            "{rule:?}: error ratio {} ({e1:e}, {e2:e})",
            e1 / e2
        );
    }
}

/// A rule given to `Trainer::with_stepper` is recorded in the config and its checkpoint, and a
/// run of it resumes bit for bit through a factory; without one, resuming names the field.
#[test]
fn a_custom_step_rule_resumes_bit_for_bit() {
    use crate::dynamics::{Field, RuleContext, StepError, StepOutcome, Stepper};
    use crate::train::Extensions;
    /// Forward Euler with half the step twice, under a name of its own.
    struct HalfSteps(Velocity);
    impl Stepper for HalfSteps {
        fn name(&self) -> &'static str {
            "half-steps"
        }
        fn is_adaptive(&self) -> bool {
            false
        }
        fn step(
            &mut self,
            net: &mut Network,
            field: &mut dyn Field,
            span: f64,
        ) -> Result<StepOutcome, StepError> {
            let l = field.velocity(net, &mut self.0);
            net.axpy(0.5 * span, &self.0);
            field.velocity(net, &mut self.0);
            net.axpy(0.5 * span, &self.0);
            Ok(StepOutcome {
                dt: span,
                loss_before: l,
                loss_after: None,
            })
        }
    }
    let make = |ctx: &RuleContext<'_>| {
        Box::new(HalfSteps(Velocity::zeros(
            ctx.net.width(),
            ctx.net.param_dim(),
        ))) as Box<dyn Stepper>
    };
    let cfg = small_config(UnitKind::named("rbf"), Mode::Online);
    let fresh = || {
        let t = Trainer::new(cfg.clone(), Par::Seq).unwrap();
        let rule = make(&RuleContext {
            net: t.network(),
            dt: 0.2,
            h_max: 1.0,
            tol: 1e-5,
            floor: 0.0,
        });
        t.with_stepper(rule)
    };
    let mut whole = fresh();
    assert_eq!(
        whole.config().step_rule.as_ref().map(|r| r.as_str()),
        Some("half-steps")
    );
    whole.run(40, &mut |_| {}, &mut |_| Ok(())).unwrap();
    let mut first = fresh();
    first.run(17, &mut |_| {}, &mut |_| Ok(())).unwrap();
    let ck = first.checkpoint();
    // without a factory that knows the rule: a config error naming --step-rule
    let err = Trainer::from_checkpoint(ck.clone(), Par::Seq)
        .err()
        .unwrap();
    assert!(err.to_string().starts_with("invalid --step-rule"), "{err}");
    let factory =
        move |name: &str, ctx: &RuleContext<'_>| (name == "half-steps").then(|| make(ctx));
    let ext = Extensions {
        steppers: &factory,
        ..Extensions::default()
    };
    let mut resumed = Trainer::from_checkpoint_with(ck, &ext, Par::Seq).unwrap();
    assert_eq!(resumed.stepper().name(), "half-steps");
    resumed.run(40, &mut |_| {}, &mut |_| Ok(())).unwrap();
    // the same particles and final loss (the resumed trace also has the row of step 17)
    assert_eq!(resumed.network(), whole.network());
    assert_eq!(
        resumed.trace().last().unwrap().test_loss.to_bits(),
        whole.trace().last().unwrap().test_loss.to_bits()
    );
}

#[test]
fn chunks_fit_the_cache_budget_and_never_exceed_the_points() {
    use crate::dynamics::sampled::{CHUNK, CHUNK_BYTES, chunk_len};
    use crate::kernels::tiled::TILE_COLS;
    for n in [1usize, 7, 128, 300, 1024, 4096, 1 << 20] {
        for points in [1usize, 100, 256, 1000, 4096, 100_000] {
            let b = chunk_len(n, points);
            assert!(b >= 1 && b <= points.min(CHUNK), "n={n} P={points}: B={b}");
            if b < points {
                // a full chunk: a multiple of the tile width, within the budget unless minimal
                assert_eq!(b % TILE_COLS, 0, "n={n} P={points}: B={b}");
                assert!(b == TILE_COLS || n * b * 8 <= CHUNK_BYTES, "n={n}: B={b}");
            }
        }
    }
    assert_eq!(chunk_len(1024, 4096), 1024);
}

/// A sigmoid ridge unit φ(x, (a, b)) = s(a·x + b), as a user would write it (no kernel).
struct Sigmoid;

impl Unit for Sigmoid {
    fn spec(&self) -> UnitSpec {
        UnitSpec::new("sigmoid", &[])
    }
    fn param_dim(&self, dim: usize) -> usize {
        dim + 1
    }
    fn phi(&self, z: &[f64], x: &[f64]) -> f64 {
        let u = z[..x.len()].iter().zip(x).map(|(a, b)| a * b).sum::<f64>() + z[x.len()];
        1.0 / (1.0 + (-u).exp())
    }
    fn grad_phi(&self, z: &[f64], x: &[f64], out: &mut [f64]) {
        let s = self.phi(z, x);
        for (o, xk) in out.iter_mut().zip(x) {
            *o = s * (1.0 - s) * xk;
        }
        out[x.len()] = s * (1.0 - s);
    }
    fn init_params(&self, rng: &mut StreamRng, dim: usize, radius: f64, z: &mut [f64]) {
        Relu.init_params(rng, dim, radius, z);
    }
}

fn sigmoid_factory(spec: &UnitSpec) -> Option<Box<dyn Unit>> {
    (spec.name == "sigmoid").then(|| Box::new(Sigmoid) as Box<dyn Unit>)
}

#[test]
fn a_resumed_custom_unit_run_equals_the_uninterrupted_one_bit_for_bit() {
    let mut cfg = small_config(UnitKind::CUSTOM, Mode::Online);
    cfg.width = 12;
    cfg.test_size = 500;
    let mut whole = Trainer::with_unit(cfg.clone(), Box::new(Sigmoid), Par::Seq).unwrap();
    whole.run(30, &mut |_| {}, &mut |_| Ok(())).unwrap();
    let mut first = Trainer::with_unit(cfg, Box::new(Sigmoid), Par::Seq).unwrap();
    first.run(11, &mut |_| {}, &mut |_| Ok(())).unwrap();
    let json = serde_json::to_string(&first.checkpoint()).unwrap();
    let ck: crate::Checkpoint = serde_json::from_str(&json).unwrap();
    assert_eq!(ck.unit.as_ref().unwrap().name, "sigmoid");
    // the built-in factory does not know it: an error, never a silent ReLU
    let err = Trainer::from_checkpoint(ck.clone(), Par::Seq)
        .err()
        .expect("an error");
    assert!(matches!(err, crate::TrainError::Unit(_)), "{err}");
    assert!(err.to_string().contains("sigmoid"), "{err}");
    // a factory that builds another unit for the spec is caught too
    let wrong = |_: &UnitSpec| Some(Box::new(Relu) as Box<dyn Unit>);
    assert!(matches!(
        Trainer::from_checkpoint_with(
            ck.clone(),
            &crate::train::Extensions {
                units: &wrong,
                ..crate::train::Extensions::default()
            },
            Par::Seq
        ),
        Err(crate::TrainError::Unit(_))
    ));
    let ext = crate::train::Extensions {
        units: &sigmoid_factory,
        ..crate::train::Extensions::default()
    };
    let mut resumed = Trainer::from_checkpoint_with(ck, &ext, Par::Seq).unwrap();
    assert_eq!(resumed.unit().spec().name, "sigmoid");
    resumed.run(30, &mut |_| {}, &mut |_| Ok(())).unwrap();
    // same particles and final test loss, bit for bit (the resumed trace also has the row of
    // the stop at step 11)
    assert_eq!(whole.network(), resumed.network());
    let last = |t: &Trainer| t.trace().last().unwrap().test_loss.to_bits();
    assert_eq!(last(&whole), last(&resumed));
}

#[test]
fn a_unit_that_is_not_the_configs_is_refused() {
    // the config says relu, the unit is a sigmoid: refused (it used to run, labelled relu)
    let cfg = small_config(UnitKind::named("relu"), Mode::Online);
    let err = Trainer::with_unit(cfg.clone(), Box::new(Sigmoid), Par::Seq)
        .err()
        .unwrap();
    assert!(matches!(err, crate::TrainError::Unit(_)), "{err}");
    // an RBF of another width than the config's sigma: refused, in exact mode too
    let mut ex = small_config(UnitKind::named("rbf"), Mode::Exact);
    ex.sigma = Some(1.0);
    assert!(Trainer::with_unit(ex.clone(), Box::new(Rbf { sigma: 2.0 }), Par::Seq).is_err());
    let t = Trainer::with_unit(ex, Box::new(Rbf { sigma: 1.0 }), Par::Seq).unwrap();
    assert_eq!(t.unit().gaussian_width(), Some(1.0));
    // a custom unit may not borrow a shipped unit's name
    let mut custom = cfg;
    custom.units = UnitKind::CUSTOM;
    assert!(Trainer::with_unit(custom.clone(), Box::new(Relu), Par::Seq).is_err());
    assert!(Trainer::new(custom, Par::Seq).is_err());
}

#[test]
fn the_reference_minimiser_reaches_the_minimum_of_a_known_quadratic() {
    use crate::dynamics::test_fields::Quadratic;
    use crate::dynamics::{Minimiser, SteepestDescent, Stop, StopRule};
    let (n, q) = (4, 2);
    let len = n * (q + 1);
    let mut field = Quadratic {
        a: (0..len).map(|j| 1.0 + j as f64).collect(),
        m: (0..len).map(|j| (j as f64 * 0.7).sin()).collect(),
        n: n as f64,
    };
    let mut net = Network::zeros(n, q);
    let rule = StopRule {
        grad_tol: 1e-10,
        ..StopRule::default()
    };
    let report = SteepestDescent.minimise(&mut net, &mut field, &rule);
    assert_eq!(report.stop, Stop::Converged, "{report:?}");
    assert!(report.loss_after < report.loss_before);
    let mut x = vec![0.0; len];
    net.to_flat(&mut x);
    for (j, (xj, mj)) in x.iter().zip(&field.m).enumerate() {
        assert!((xj - mj).abs() < 1e-9, "θ_{j} = {xj} vs {mj}");
    }
}

#[test]
fn the_implicit_rule_agrees_with_the_adaptive_one_and_does_not_depend_on_threads() {
    use crate::config::StepRule;
    // the accuracy target: at t = 1000 (n = 32, d = 5, c(0) = 0) the two rules agree to
    // 1e-4 relative (measured: 3e-6)
    let cfg = |rule: StepRule| {
        let mut c = exact_config(32, 2000, 0.5);
        c.init_c = InitC::Zero;
        c.step_rule = Some(rule);
        c
    };
    let adaptive = final_loss(cfg(StepRule::named("adaptive")));
    let implicit = final_loss(cfg(StepRule::named("implicit")));
    assert!(
        ((implicit - adaptive) / adaptive).abs() < 1e-4,
        "{implicit} vs {adaptive}"
    );
    // the same bits on 1 and 2 threads (Hessian, LU and solves included)
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut c = cfg(StepRule::named("implicit"));
            c.steps = 200;
            let mut t = Trainer::new(c, Par::rayon(0)).unwrap();
            t.run(200, &mut |_| {}, &mut |_| Ok(())).unwrap();
            bits(&t)
        })
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn a_run_ends_with_its_diagnostics_and_a_polish_that_does_not_raise_the_loss() {
    use crate::config::{Polish, StepRule};
    let mut c = exact_config(8, 400, 0.5);
    c.init_c = InitC::Zero;
    c.step_rule = Some(StepRule::named("implicit"));
    c.polish = Some(Polish::new(1e-10, 50));
    let mut t = Trainer::new(c, Par::Seq).unwrap();
    t.run(400, &mut |_| {}, &mut |_| Ok(())).unwrap();
    let last = t.trace().last().unwrap().clone();
    assert!(last.grad_norm.unwrap() > 0.0 && last.max_abs_c.unwrap() > 0.0);
    assert_eq!(last.max_abs_c, Some(t.network().max_abs_c()));
    // the trainer runs its configured polish at the end (the default method)
    let end = t.finish().unwrap().clone();
    assert!(
        end.hessian_min_eigenvalue.is_some(),
        "exact mode has a Hessian"
    );
    assert!(!end.end_state_reason.is_empty());
    let r = t.polished().expect("the configured polish ran").0.clone();
    assert_eq!(r.polish_method, "trust-region-newton");
    assert!(r.polished_test_loss <= last.test_loss, "{r:?}");
    // the flow's state is untouched; state.json carries both
    assert_eq!(t.trace().last().unwrap().test_loss, last.test_loss);
    let json = serde_json::to_value(t.state_json()).unwrap();
    assert_eq!(json["polished"]["c"].as_array().unwrap().len(), 8);
    let s = serde_json::to_value(t.summary(0.0)).unwrap();
    for k in [
        "grad_norm",
        "max_abs_c",
        "min_pair_distance",
        "hessian_min_eigenvalue",
        "end_state",
        "polished_test_loss",
        "polished_relative_test_loss",
        "polish_iterations",
    ] {
        assert!(!s[k].is_null(), "summary.json lacks {k}");
    }
    // outside exact mode the polish is refused with the flag named
    let mut g = small_config(UnitKind::named("rbf"), Mode::Gd);
    g.polish = Some(Polish::new(1e-8, 10));
    assert!(g.validate().unwrap_err().to_string().contains("--polish"));
}

#[test]
fn the_run_files_are_written_at_the_first_evaluation_then_at_their_cadence_and_the_end() {
    use crate::output::{Checkpoint, CheckpointFile, RunWriter, read_json};
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_config(UnitKind::named("rbf"), Mode::Gd);
    let mut t = Trainer::new(cfg, Par::Seq).unwrap();
    // a clock that advances one second per evaluation; files at most every 3 s
    let mut w = RunWriter::new(dir.path(), 3.0);
    let (mut clock, mut evals, mut written_at) = (0.0, 0usize, Vec::new());
    t.run(200, &mut |_| {}, &mut |t| {
        evals += 1;
        if w.at_evaluation(t, clock)? {
            written_at.push(t.step());
        }
        clock += 1.0;
        Ok(())
    })
    .unwrap();
    assert!(evals > 10, "{evals}");
    // the first evaluation (step 0), then every third
    assert_eq!(written_at.len(), evals.div_ceil(3), "{written_at:?}");
    assert_eq!(written_at[0], 0);
    let ck: CheckpointFile = read_json(&dir.path().join("checkpoint.json")).unwrap();
    assert_eq!(ck.checkpoint.step, *written_at.last().unwrap());
    // the end write makes the files the run's last state, and a resume from any write goes on
    w.write(&t, clock).unwrap();
    let ck: Checkpoint = read_json::<CheckpointFile>(&dir.path().join("checkpoint.json"))
        .unwrap()
        .checkpoint;
    assert_eq!(ck.step, t.step());
    assert_eq!(w.writes as usize, written_at.len() + 1);
}
