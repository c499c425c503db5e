//! Scans: cells equal single runs, shards merge to the whole, resume redoes only what is missing.

use mf_stats::mf_core::faer::Par;
use mf_stats::mf_core::{Mode, TrainConfig, Trainer, UnitKind};
use mf_stats::scan::{BatchScaling, ScanConfig, cell_path, merge, read_cell, run_scan};
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mf-stats-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn tiny() -> ScanConfig {
    let mut base = TrainConfig::new(UnitKind::named("rbf"), 3, 1, 30, 0.3, 7);
    base.mode = Mode::Online;
    base.test_size = 500;
    let mut s = ScanConfig::new(base, vec![4, 8, 16], 3);
    s.batch_scaling = Some(BatchScaling::parse("2*n^(2*0.5)").unwrap());
    s.probe_size = 40;
    s.bootstrap = 50;
    s
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for name in ["scan.json", "runs.csv", "fluctuations.csv", "fit.json"] {
        v.push((name.to_string(), std::fs::read(dir.join(name)).unwrap()));
    }
    let mut cells: Vec<_> = std::fs::read_dir(dir.join("cells"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cells.sort();
    for c in cells {
        v.push((
            c.file_name().unwrap().to_string_lossy().into_owned(),
            std::fs::read(&c).unwrap(),
        ));
    }
    v
}

#[test]
fn batch_scaling_parses_the_documented_forms() {
    let s = BatchScaling::parse("4*n^(2*0.5)").unwrap();
    assert_eq!((s.p0, s.exponent), (4.0, 1.0));
    assert_eq!(s.batch(16), 64);
    assert_eq!(BatchScaling::parse("16 * n^2").unwrap().batch(3), 144);
    assert!(BatchScaling::parse("n^2").is_none());
    assert!(BatchScaling::parse("-1*n^2").is_none());
}

#[test]
fn a_cell_is_the_single_run_of_the_same_stream() {
    let cfg = tiny();
    let dir = tmp("cell");
    run_scan(&cfg, &dir, None, &|_, _| {}).unwrap();
    for (n, r) in [(8usize, 2u64), (16, 0)] {
        let cell = read_cell(&dir, n, r).unwrap();
        let tc = cfg.cell_config(n, r);
        assert_eq!(tc.batch, 2 * n);
        let mut t = Trainer::new(tc, Par::rayon(0)).unwrap();
        t.run(30, &mut |_| {}, &mut |_| Ok(())).unwrap();
        assert_eq!(cell.trace, t.trace(), "n={n} r={r}");
    }
}

#[test]
fn shards_merge_to_the_unsharded_scan_byte_for_byte() {
    let cfg = tiny();
    let whole = tmp("whole");
    run_scan(&cfg, &whole, None, &|_, _| {}).unwrap();
    let shards: Vec<PathBuf> = (1..=3).map(|k| tmp(&format!("shard{k}"))).collect();
    let mut total = 0;
    for (k, d) in shards.iter().enumerate() {
        total += run_scan(&cfg, d, Some((k + 1, 3)), &|_, _| {})
            .unwrap()
            .computed;
    }
    assert_eq!(total, 9);
    let merged = tmp("merged");
    assert_eq!(merge(&shards, &merged).unwrap(), 9);
    assert_eq!(files(&whole), files(&merged));
    // the fit and fluctuations are really there
    let fit = std::fs::read_to_string(whole.join("fit.json")).unwrap();
    assert!(
        fit.contains("\"beta\"")
            && fit.contains("\"beta_interval\"")
            && fit.contains("\"quantity\"")
    );
    let fl = std::fs::read_to_string(whole.join("fluctuations.csv")).unwrap();
    assert!(fl.starts_with("n,step,time,n_var,bias_sq"));
    assert!(
        fl.lines()
            .any(|l| l.starts_with("4,") && l.split(',').nth(6).is_some_and(|v| !v.is_empty())),
        "LLN distance n→4n"
    );
}

#[test]
fn resume_redoes_only_missing_or_damaged_cells() {
    let cfg = tiny();
    let dir = tmp("resume");
    let first = run_scan(&cfg, &dir, None, &|_, _| {}).unwrap();
    assert_eq!((first.computed, first.reused), (9, 0));
    let before = files(&dir);
    // a "kill": one cell never written, one half-written
    std::fs::remove_file(cell_path(&dir, 8, 1)).unwrap();
    let p = cell_path(&dir, 16, 2);
    let text = std::fs::read(&p).unwrap();
    std::fs::write(&p, &text[..text.len() / 2]).unwrap();
    let again = run_scan(&cfg, &dir, None, &|_, _| {}).unwrap();
    assert_eq!((again.computed, again.reused), (2, 7));
    assert_eq!(before, files(&dir));
    // nothing left to do
    let third = run_scan(&cfg, &dir, None, &|_, _| {}).unwrap();
    assert_eq!((third.computed, third.reused), (0, 9));
}

#[test]
fn a_different_scan_in_the_same_folder_is_refused() {
    let cfg = tiny();
    let dir = tmp("refuse");
    run_scan(&cfg, &dir, Some((1, 9)), &|_, _| {}).unwrap();
    let mut other = cfg.clone();
    other.replicas = 4;
    let e = run_scan(&other, &dir, None, &|_, _| {}).unwrap_err();
    assert!(e.to_string().contains("different scan"), "{e}");
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let cfg = tiny();
    let run = |threads: usize| {
        let dir = tmp(&format!("threads{threads}"));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| run_scan(&cfg, &dir, None, &|_, _| {}).unwrap());
        files(&dir)
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn variance_fit_recovers_a_known_exponent() {
    use mf_stats::mf_core::output::TraceRow;
    use mf_stats::scan::{CellResult, FitQuantity, ProbeRow, fit_groups, probe_set};
    use rand_distr::{Distribution, StandardNormal};
    // synthetic cells: f_n^{(r)}(x_k) = f(x_k) + ξ_rk / √n, so ½ mean Var = 1/(2n): β = −1
    let mut cfg = tiny();
    cfg.widths = vec![8, 16, 32, 64, 128];
    cfg.replicas = 40;
    cfg.quantity = FitQuantity::FinalVariance;
    cfg.bootstrap = 300;
    let probe = probe_set(&cfg).unwrap();
    let mut rng =
        mf_stats::mf_core::streams::stream(5, 0, mf_stats::mf_core::streams::Purpose::Probe);
    let groups: Vec<(usize, Vec<CellResult>)> = cfg
        .widths
        .iter()
        .map(|&n| {
            let cells = (0..cfg.replicas)
                .map(|r| {
                    let outputs = probe
                        .y()
                        .iter()
                        .map(|y| {
                            let g: f64 = StandardNormal.sample(&mut rng);
                            y + g / (n as f64).sqrt()
                        })
                        .collect();
                    CellResult {
                        n,
                        replica: r,
                        batch: 1,
                        trace: vec![TraceRow {
                            step: 1,
                            time: 1.0,
                            test_loss: 1.0,
                            relative_test_loss: 1.0,
                            train_loss: None,
                            batch_loss: None,
                            dt: None,
                            rejected: None,
                            mc_test_loss: None,
                            grad_norm: None,
                            max_abs_c: None,
                            min_pair_distance: None,
                        }],
                        probe: vec![ProbeRow {
                            step: 1,
                            time: 1.0,
                            outputs,
                        }],
                        final_c: vec![],
                        final_z: vec![],
                        end: None,
                        polish: None,
                        polished_c: None,
                        polished_z: None,
                    }
                })
                .collect();
            (n, cells)
        })
        .collect();
    let (fit, data) = fit_groups(&cfg, &groups, &probe);
    let f = fit.unwrap();
    assert!(
        f.beta_interval[0] < -1.0 && -1.0 < f.beta_interval[1],
        "{f:?}"
    );
    assert!((f.beta + 1.0).abs() < 0.1, "{f:?}");
    // the per-width value is ½ mean Var ≈ 1/(2n)
    for (n, v, _, _) in data {
        assert!((v * 2.0 * n as f64 - 1.0).abs() < 0.15, "n={n}: {v}");
    }
}

#[test]
fn the_probe_values_are_those_of_the_scans_target() {
    use mf_stats::mf_core::target::{TargetName, target_for};
    use mf_stats::scan::probe_set;
    // the 3-spin model (the default) and a teacher network: f at the probe points
    for teacher in [false, true] {
        let mut cfg = tiny();
        if teacher {
            cfg.base.target = TargetName::named("teacher");
            cfg.base.teacher_width = Some(7);
        }
        let probe = probe_set(&cfg).unwrap();
        let target = target_for(&cfg.base).unwrap();
        let mut want = vec![0.0; probe.len()];
        target.values_into(probe.x(), &mut want, Par::Seq);
        assert_eq!(probe.y(), &want[..], "teacher: {teacher}");
        // the points lie on the sphere of radius √d
        let x = probe.x();
        let r2: f64 = (0..3).map(|k| x[(0, k)] * x[(0, k)]).sum();
        assert!((r2 - 3.0).abs() < 1e-12);
    }
    // the teacher's values are not the 3-spin model's
    let mut t = tiny();
    t.base.target = TargetName::named("teacher");
    t.base.teacher_width = Some(7);
    assert_ne!(probe_set(&t).unwrap().y(), probe_set(&tiny()).unwrap().y());
}
