use super::super::test_fields::{NoHessian, Separable, ctx, flat, integrate, start};
use super::*;
use faer::MatMut;

/// RODAS3 (Sandu et al. 1997) as PETSc's `TSROSWRODAS3` lists it: the transform must give the
/// u-form coefficients of [`super::super::rodas3`], written there from Hairer–Wanner.
const RODAS3: Tableau = Tableau {
    alpha: [
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0],
        [1.0, 0.0, 0.0, 0.0],
        [0.75, -0.25, 0.5, 0.0],
    ],
    gamma: [
        [0.5, 0.0, 0.0, 0.0],
        [1.0, 0.5, 0.0, 0.0],
        [-0.25, -0.25, 0.5, 0.0],
        [1.0 / 12.0, 1.0 / 12.0, -2.0 / 3.0, 0.5],
    ],
    b: [5.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0, 0.5],
    b_hat: [0.75, -0.25, 0.5, 0.0],
};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-13 * (1.0 + b.abs())
}

#[test]
fn the_transform_gives_the_known_u_form_of_rodas3() {
    let t = RODAS3.transformed();
    assert_eq!(t.gamma, 0.5);
    let want_a = [
        (2, 0, 2.0),
        (3, 0, 2.0),
        (3, 1, 0.0),
        (3, 2, 1.0),
        (1, 0, 0.0),
    ];
    for (i, j, v) in want_a {
        assert!(close(t.a[i][j], v), "a{i}{j} = {}", t.a[i][j]);
    }
    let want_c = [
        (1, 0, 4.0),
        (2, 0, 1.0),
        (2, 1, -1.0),
        (3, 0, 1.0),
        (3, 1, -1.0),
        (3, 2, -8.0 / 3.0),
    ];
    for (i, j, v) in want_c {
        assert!(close(t.c[i][j], v), "c{i}{j} = {}", t.c[i][j]);
    }
    for (j, v) in [2.0, 0.0, 1.0, 1.0].into_iter().enumerate() {
        assert!(close(t.m[j], v), "m{j} = {}", t.m[j]);
    }
    // the embedded solution of RODAS3 is its fourth stage point: e = u₄ (K₄ in rodas3.rs)
    for (j, v) in [0.0, 0.0, 0.0, 1.0].into_iter().enumerate() {
        assert!(close(t.e[j], v), "e{j} = {}", t.e[j]);
    }
}

#[test]
fn ros34pw2_is_consistent_and_stiffly_accurate() {
    let t = &ROS34PW2;
    assert!(close(t.b.iter().sum(), 1.0));
    assert!(close(t.b_hat.iter().sum(), 1.0));
    // stiffly accurate: b = α₄ + Γ₄ (θ' is the last stage point plus its increment)
    for j in 0..S {
        assert!(close(t.b[j], t.alpha[3][j] + t.gamma[3][j]), "b{j}");
    }
    // so θ' = θ + Σ m_j u_j with m = (a₄, 1)
    let u = t.transformed();
    for j in 0..3 {
        assert!(close(u.m[j], u.a[3][j]), "m{j}");
    }
    assert!(close(u.m[3], 1.0));
}

/// The Hessian of `inner` replaced by `scale` × it (0: a W-method with W = I/(γh)).
struct ScaledHessian {
    inner: Separable,
    scale: f64,
}

impl Field for ScaledHessian {
    fn velocity(&mut self, net: &Network, vel: &mut crate::network::Velocity) -> f64 {
        self.inner.velocity(net, vel)
    }
    fn loss(&mut self, net: &Network) -> f64 {
        self.inner.loss(net)
    }
    fn hessian(&mut self, net: &Network, mut out: MatMut<'_, f64>) -> Option<f64> {
        let l = self.inner.hessian(net, out.as_mut())?;
        for j in 0..out.ncols() {
            for i in 0..out.nrows() {
                out[(i, j)] *= self.scale;
            }
        }
        Some(l)
    }
    fn has_hessian(&self) -> bool {
        true
    }
}

const NEVER: RefreshPolicy = RefreshPolicy {
    grow: f64::INFINITY,
    max_age: u64::MAX,
    plan_error: f64::INFINITY,
};
const EVERY_STEP: RefreshPolicy = RefreshPolicy {
    grow: f64::INFINITY,
    max_age: 1,
    plan_error: f64::INFINITY,
};

/// Error ratios e(h)/e(h/2) at h = 1/32, 1/64 for a fixed-step run to t = 1 of the
/// nonlinear flow ℓ = Σ a_j θ_j²/2 + θ_j⁴/8 with `tableau`, `policy` and the Hessian scaled by
/// `scale` (fine reference: the same rule at h = 1/8192 with a fresh Hessian every step).
fn error_ratios(tableau: &Tableau, policy: RefreshPolicy, scale: f64) -> [f64; 2] {
    let (n, q) = (2, 1);
    let len = n * (q + 1);
    let field = |scale: f64| ScaledHessian {
        inner: Separable {
            a: (0..len).map(|j| 1.0 + j as f64).collect(),
            b: 0.5,
            n: n as f64,
            evals: 0,
        },
        scale,
    };
    let run = |h: f64, policy: RefreshPolicy, scale: f64| {
        let mut net = start(n, q);
        let mut st = Ros34pw2::with(&ctx(&net, h, h, 1e9, f64::INFINITY), tableau, policy);
        integrate(&mut st, &mut net, &mut field(scale), 1.0, h);
        flat(&net)
    };
    let reference = run(1.0 / 8192.0, EVERY_STEP, 1.0);
    let err = |h: f64| {
        run(h, policy, scale)
            .iter()
            .zip(&reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
    };
    let (e1, e2, e3) = (err(1.0 / 32.0), err(1.0 / 64.0), err(1.0 / 128.0));
    [e1 / e2, e2 / e3]
}

#[test]
fn third_order_with_the_exact_a_lagged_a_frozen_and_no_hessian() {
    // a W-method: order 3 whatever stands in for the Jacobian
    let lagged = RefreshPolicy {
        grow: f64::INFINITY,
        max_age: 5,
        plan_error: f64::INFINITY,
    };
    for (what, policy, scale) in [
        ("exact every step", EVERY_STEP, 1.0),
        ("refreshed every 5 steps", lagged, 1.0),
        ("frozen at t = 0", NEVER, 1.0),
        ("twice the Hessian, frozen", NEVER, 2.0),
        ("no Hessian (W = I/(γh))", NEVER, 0.0),
        ("the shipped policy", REFRESH, 1.0),
    ] {
        let rs = error_ratios(&ROS34PW2, policy, scale);
        eprintln!("{what}: {rs:?}");
        for r in rs {
            assert!(
                (6.4..9.6).contains(&r),
                "{what}: error ratio {r} (order 3: 8)"
            );
        }
    }
}

#[test]
fn a_rosenbrock_method_that_is_not_a_w_method_loses_its_order_with_a_frozen_hessian() {
    // the test above can fail: RODAS3 is third order with the exact Hessian of every step
    for r in error_ratios(&RODAS3, EVERY_STEP, 1.0) {
        assert!((6.4..9.6).contains(&r), "RODAS3 exact: {r}");
    }
    // and not with one frozen at t = 0
    let r = error_ratios(&RODAS3, NEVER, 1.0);
    eprintln!("rodas3 frozen {r:?}");
    assert!(r.iter().all(|r| *r < 5.0), "RODAS3 frozen: {r:?}");
}

#[test]
fn stiff_linear_flow_is_solved_with_steps_far_beyond_the_explicit_limit_on_few_factorisations() {
    // curvatures from 1e-2 to 1e4 (stiffness ratio 1e6): θ_j(t) = θ_j(0) e^{−n a_j t}
    let (n, q) = (4, 2);
    let len = n * (q + 1);
    let a: Vec<f64> = (0..len)
        .map(|j| 10f64.powf(-2.0 + 6.0 * j as f64 / (len - 1) as f64))
        .collect();
    let mut f = Separable {
        a: a.clone(),
        b: 0.0,
        n: n as f64,
        evals: 0,
    };
    let mut net = start(n, q);
    let x0 = flat(&net);
    let (tol, t_end) = (1e-6, 50.0);
    let mut st = Ros34pw2::new(&ctx(&net, 1e-3, f64::INFINITY, tol, 0.0));
    let steps = integrate(&mut st, &mut net, &mut f, t_end, f64::NAN);
    let x = flat(&net);
    for j in 0..len {
        let exact = x0[j] * (-(n as f64) * a[j] * t_end).exp();
        assert!(
            (x[j] - exact).abs() <= 20.0 * tol * (1.0 + exact.abs()),
            "θ_{j}: {} vs {exact}",
            x[j]
        );
    }
    let explicit_limit = 2.0 / (n as f64 * a[len - 1]);
    let w = st.work().unwrap();
    eprintln!("{steps} steps, last h {:.3e}, {w:?}", st.core.h);
    assert!(steps < 1000, "{steps} steps (forward Euler: 10⁶)");
    assert!(st.core.h > 1000.0 * explicit_limit, "h = {}", st.core.h);
    // the factorisation is reused: far fewer factorisations than steps, four solves a step
    let attempts = st.core.accepted + st.core.rejected;
    assert!(w.factorisations * 4 < steps, "{w:?} for {steps} steps");
    assert_eq!(w.solves, 4 * (attempts - (w.factorisations - w.hessians)));
    assert_eq!(w.velocities, 1 + 4 * attempts);
}

#[test]
fn each_span_ends_exactly_after_equal_steps_on_one_factorisation() {
    // constant Hessian: the only refreshes are the spans' starts (policy 1)
    let (n, q) = (2, 1);
    let mut f = Separable {
        a: vec![1.0, 2.0, 3.0, 4.0],
        b: 0.0,
        n: n as f64,
        evals: 0,
    };
    let mut net = start(n, q);
    let mut st = Ros34pw2::with(&ctx(&net, 0.07, 0.07, 1e9, f64::INFINITY), &ROS34PW2, NEVER);
    for (start, span_end, k) in [(0.0, 1.0, 15u64), (1.0, 2.0, 15), (2.0, 2.5, 8)] {
        let before = (st.work.factorisations, st.core.accepted);
        let mut t = start;
        let mut hs = Vec::new();
        while t < span_end {
            let out = st.step(&mut net, &mut f, span_end - t).unwrap();
            t += out.dt;
            hs.push(out.dt);
        }
        assert_eq!(st.core.accepted - before.1, k, "span to {span_end}: {hs:?}");
        assert_eq!(st.work.factorisations - before.0, 1, "span to {span_end}");
        assert!(hs.iter().all(|h| (h - hs[0]).abs() <= 1e-12), "{hs:?}");
        assert!((t - span_end).abs() < 1e-12, "{t}");
    }
}

#[test]
fn a_rejected_step_refreshes_and_retries_smaller() {
    // ℓ = Σ θ_j⁴/8 · 50 from θ = 1 + 0.1 j: a first step of 10 is far beyond the tolerance
    let (n, q) = (2, 1);
    let mut f = Separable {
        a: vec![0.0; 4],
        b: 50.0,
        n: n as f64,
        evals: 0,
    };
    let mut net = start(n, q);
    let mut st = Ros34pw2::new(&ctx(&net, 10.0, f64::INFINITY, 1e-6, 0.0));
    let out = st.step(&mut net, &mut f, f64::INFINITY).unwrap();
    let rejected = st.core.rejected;
    assert!(rejected >= 1 && out.dt < 10.0, "{rejected} {out:?}");
    // one factorisation for the first try and one for each retry
    assert_eq!(st.work.factorisations, 1 + rejected);
    assert!(out.loss_after.unwrap() < out.loss_before);
}

#[test]
fn a_singular_stage_matrix_shrinks_the_step() {
    // H = n a I with n a = −1/(γh₀): G = 0 at the first step
    let (n, q) = (2, 1);
    let h0 = 0.5;
    let a = -1.0 / (G * h0 * n as f64);
    let mut f = Separable {
        a: vec![a; 4],
        b: 0.0,
        n: n as f64,
        evals: 0,
    };
    let mut net = start(n, q);
    let mut st = Ros34pw2::new(&ctx(&net, h0, f64::INFINITY, 1e-3, 0.0));
    let out = st.step(&mut net, &mut f, f64::INFINITY).unwrap();
    assert!(
        st.core.rejected >= 1 && out.dt <= SINGULAR_SHRINK * h0,
        "{out:?}"
    );
}

#[test]
fn a_field_without_a_hessian_is_a_clear_error() {
    let mut net = start(2, 1);
    let mut st = Ros34pw2::new(&ctx(&net, 0.1, 1.0, 1e-6, 0.0));
    let err = st.step(&mut net, &mut NoHessian, 1.0).unwrap_err();
    assert!(
        err.to_string().contains("Hessian") && err.to_string().contains("ros34pw2"),
        "{err}"
    );
}
