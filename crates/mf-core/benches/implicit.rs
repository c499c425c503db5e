//! The pieces of one stiff step in exact mode, single-threaded as in scan cells: the dense
//! Hessian H = n∇²ℓ, the LU factorisation of G = I/(γh) + H and one solve with it (RODAS3,
//! `implicit`: all of them every step), the Cholesky factorisation of G and one solve with it
//! (ROS34PW2, `ros34pw2`: four solves a step, the factorisation when its plan refreshes), and
//! one exact velocity — at (n, d) = (32, 5), (128, 5), (64, 25), (128, 25), (256, 25)
//! (N = n(d + 1) parameters). `MF_BENCH_MAX_N` skips the larger sizes.

use criterion::{Criterion, criterion_group, criterion_main};
use faer::{Mat, Par};
use mf_core::dynamics::Velocity;
use mf_core::dynamics::dense::DenseLu;
use mf_core::dynamics::stage_matrix::{Factorisation, StageMatrix};
use mf_core::exact::{ExactRbf, ExactWorkspace};
use mf_core::streams::{Purpose, stream};
use mf_core::{InitC, Network, Rbf};
use spin_target::SpinModel;

fn bench_implicit(c: &mut Criterion) {
    let mut g = c.benchmark_group("implicit_step");
    g.sample_size(10);
    let max_n: usize = std::env::var("MF_BENCH_MAX_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX);
    for (n, d) in [(32usize, 5usize), (128, 5), (64, 25), (128, 25), (256, 25)] {
        if n * (d + 1) > max_n {
            continue;
        }
        let model = SpinModel::new(d, 1).unwrap();
        let sigma = 0.5 * model.radius();
        let net = Network::init(
            &Rbf { sigma },
            n,
            d,
            model.radius(),
            InitC::Normal,
            &mut stream(1, 0, Purpose::Init),
        );
        let ex = ExactRbf::new(model, sigma);
        let big = n * (d + 1);
        let mut h = Mat::<f64>::zeros(big, big);
        g.bench_function(format!("hessian_n{n}_d{d}"), |b| {
            b.iter(|| ex.hessian(&net, h.as_mut(), Par::Seq))
        });
        for j in 0..big {
            h[(j, j)] += 1.0;
        }
        let mut lu = DenseLu::new(big);
        g.bench_function(format!("lu_n{n}_d{d}"), |b| {
            b.iter(|| lu.factor(h.as_ref()).unwrap())
        });
        let mut rhs = vec![1.0; big];
        g.bench_function(format!("solve_n{n}_d{d}"), |b| {
            b.iter(|| lu.solve_vec(&mut rhs))
        });
        drop(lu);
        // the W-rule's factorisation (with the copy of H into its buffer), shifted by a
        // Gershgorin bound so that G is positive definite and Cholesky is what is timed
        let shift = (0..big)
            .map(|i| (0..big).map(|j| h[(i, j)].abs()).sum::<f64>())
            .fold(0.0, f64::max);
        let mut stage = StageMatrix::new(big);
        g.bench_function(format!("cholesky_n{n}_d{d}"), |b| {
            b.iter(|| {
                stage.hessian_buffer().copy_from(&h);
                assert_eq!(stage.factor(shift).unwrap(), Factorisation::Cholesky);
            })
        });
        g.bench_function(format!("cholesky_solve_n{n}_d{d}"), |b| {
            b.iter(|| stage.solve(&mut rhs))
        });
        drop(stage);
        let mut ws = ExactWorkspace::new(n, d);
        let mut vel = Velocity::zeros(n, d);
        g.bench_function(format!("velocity_n{n}_d{d}"), |b| {
            b.iter(|| ex.velocity(&net, &mut ws, &mut vel, Par::Seq))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_implicit);
criterion_main!(benches);
