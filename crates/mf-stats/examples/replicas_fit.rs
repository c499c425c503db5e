//! Replicas and a power-law fit: a small scan of online SGD (RBF, d = 5) over widths × replicas,
//! then the fluctuation field n·Var (O(1) by the CLT) and the fitted exponent of the variance part
//! of the loss (−1). Run: `cargo run --release --example replicas_fit`
use mf_stats::mf_core::{Mode, TrainConfig, UnitKind};
use mf_stats::scan::{
    BatchScaling, FitQuantity, ScanConfig, fit_groups, fluctuation_rows, load_cells, probe_set,
    run_scan,
};

fn main() -> Result<(), mf_stats::ScanError> {
    let mut base = TrainConfig::new(UnitKind::named("rbf"), 5, 8, 200, 0.25, 1);
    base.mode = Mode::Online;
    base.test_size = 2000;
    let mut cfg = ScanConfig::new(base, vec![8, 16, 32, 64], 8);
    cfg.batch_scaling = Some(BatchScaling {
        p0: 1.0,
        exponent: 2.0,
    }); // P = n²
    cfg.quantity = FitQuantity::FinalVariance;
    let dir = std::env::temp_dir().join("mf-stats-example-replicas");
    run_scan(&cfg, &dir, None, &|done, total| {
        eprint!("\rcells {done}/{total}")
    })?;
    eprintln!();
    let groups = load_cells(&cfg, &dir);
    let probe = probe_set(&cfg)?;
    for row in fluctuation_rows(&cfg, &groups, &probe)
        .iter()
        .filter(|r| r.step == 200)
    {
        println!(
            "n = {:>3}: n·Var = {:.4}, mean loss = {:.4} ± {:.4}",
            row.n, row.n_var, row.mean_test_loss, row.test_loss_se
        );
    }
    let (fit, _) = fit_groups(&cfg, &groups, &probe);
    if let Some(f) = fit {
        println!(
            "variance part ∝ n^β: β = {:.3}, 95 % interval [{:.3}, {:.3}]",
            f.beta, f.beta_interval[0], f.beta_interval[1]
        );
    }
    Ok(())
}
