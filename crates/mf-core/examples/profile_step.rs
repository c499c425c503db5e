//! Where the time of one online RBF step goes (d = 25, P = 4096): the whole step, drawing the
//! points and their target, the velocity, the forward pass with and without the unit's map, and
//! the contraction (with the kernel alone beside a faer product of the same shape). Each line is
//! the minimum over 40 repetitions (the least disturbed run on a shared machine).
//!
//! `cargo run --release -p mf-core --example profile_step [n]` (n = 1024 by default).

use faer::{Mat, Par};
use mf_core::kernels::tiled::{partial_len, row_stride, tiled_forward};
use mf_core::*;
use std::time::Instant;

/// Minimum wall time of `reps` calls of `f` in ms (after one warm-up call).
fn min_ms<F: FnMut()>(reps: usize, mut f: F) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("n: a positive integer"))
        .unwrap_or(1024);
    let d = 25;
    let p = 4096;
    let reps = 40;
    let mut cfg = TrainConfig::new(UnitKind::named("rbf"), d, n, 1_000_000, 0.01, 1);
    cfg.mode = Mode::Online;
    cfg.batch = p;
    cfg.train_size = p;
    cfg.test_size = 1000;
    let mut t = Trainer::new(cfg, Par::rayon(0)).unwrap();
    println!(
        "step          {:.2} ms",
        min_ms(reps, || {
            t.step_once().unwrap();
        })
    );
    let target = SpinTarget::new(spin_target::SpinModel::new(d, 1).unwrap());
    let mut rng = streams::stream(1, 0, streams::Purpose::Samples);
    let mut pts = PointSet::zeros(p, d);
    println!(
        "sample        {:.2} ms",
        min_ms(reps, || spin_target::sample_sphere(
            &mut rng,
            5.0,
            pts.x_mut()
        ))
    );
    println!(
        "target        {:.2} ms",
        min_ms(reps, || pts.set_targets(&target, Par::rayon(0)))
    );
    let unit = Rbf { sigma: 2.5 };
    let mut rng2 = streams::stream(1, 0, streams::Purpose::Init);
    let mut z = Mat::<f64>::zeros(n, d);
    for i in 0..n {
        let mut row = vec![0.0; d];
        unit.init_params(&mut rng2, d, 5.0, &mut row);
        for k in 0..d {
            z[(i, k)] = row[k];
        }
    }
    let net = Network {
        c: vec![0.3; n],
        z: z.clone(),
    };
    let mut ws = Workspace::new(&unit, n, d, p);
    let mut vel = Velocity::zeros(n, d);
    println!(
        "velocity      {:.2} ms",
        min_ms(reps, || {
            dynamics::velocity(&unit, &net, &pts, &mut ws, &mut vel, Par::rayon(0));
        })
    );
    let mut rng3 = streams::stream(1, 0, streams::Purpose::Samples);
    println!(
        "resample+vel  {:.2} ms",
        min_ms(reps, || {
            pts.resample(&target, &mut rng3, Par::rayon(0));
            dynamics::velocity(&unit, &net, &pts, &mut ws, &mut vel, Par::rayon(0));
        })
    );
    println!(
        "resample      {:.2} ms",
        min_ms(reps, || {
            pts.resample(&target, &mut rng3, Par::rayon(0));
        })
    );
    let b = dynamics::chunk_len(n, p);
    let mut scratch = vec![0.0; n + b + partial_len(n, b)];
    let mut buf = vec![0.0; n * row_stride(b)];
    let mut fo = vec![0.0; b];
    let x = pts.x_aug();
    println!("chunk B = {b}");
    println!(
        "forward(all)  {:.2} ms",
        min_ms(reps, || for s in (0..p).step_by(b) {
            unit.forward(
                z.as_ref(),
                x.subrows(s, b),
                &net.c,
                &mut scratch,
                &mut buf,
                &mut fo,
                Par::rayon(0),
            );
        })
    );
    let mut partial = vec![0.0; partial_len(n, b)];
    println!(
        "tiles noop    {:.2} ms",
        min_ms(reps, || for s in (0..p).step_by(b) {
            tiled_forward(
                z.as_ref(),
                x.subrows(s, b).subcols(0, d),
                &mut partial,
                &mut buf,
                &mut fo,
                Par::rayon(0),
                |_, _, _, _| {},
            );
        })
    );
    let mut xr = Mat::<f64>::zeros(b, d + 1);
    let mut out = Mat::<f64>::zeros(n, d + 1);
    let r = vec![0.1; b];
    let xw = Mat::<f64>::from_fn(b, d + 1, |p, k| x[(p, k)] * 0.1);
    println!(
        "kernel only   {:.2} ms",
        min_ms(reps, || for _ in (0..p).step_by(b) {
            mf_core::kernels::contract::contract_points(
                &buf,
                row_stride(b),
                xw.as_ref(),
                out.as_mut(),
                Par::rayon(0),
            );
        })
    );
    println!(
        "faer only     {:.2} ms",
        min_ms(reps, || for _ in (0..p).step_by(b) {
            spin_target::linalg::matmul_rows(
                out.as_mut(),
                faer::Accum::Replace,
                faer::MatRef::from_row_major_slice_with_stride(&buf, n, b, row_stride(b)),
                xw.as_ref(),
                1.0,
                Par::rayon(0),
            );
        })
    );
    println!(
        "contract(all) {:.2} ms",
        min_ms(reps, || for s in (0..p).step_by(b) {
            unit.contract(
                z.as_ref(),
                x.subrows(s, b),
                &buf,
                &r,
                xr.as_mut().subrows_mut(0, b),
                out.as_mut(),
                Par::rayon(0),
            );
        })
    );
}
