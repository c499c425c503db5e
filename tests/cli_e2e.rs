//! End-to-end tests of the workspace: `mf` driven in-process through `mf_cli::run` (its exit
//! status; stderr goes to the test's output), checking the files a user and outside scripts
//! read. The tests of `mf`'s one-line error messages, which read stderr, are in
//! `crates/mf-cli/tests/cli.rs`.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// The exit status of an in-process `mf` run.
struct Status(u8);

impl Status {
    fn success(&self) -> bool {
        self.0 == 0
    }
    fn code(&self) -> Option<i32> {
        Some(self.0 as i32)
    }
}

/// What a run returns (the shape of `std::process::Output` the tests use).
struct Output {
    status: Status,
}

fn mf(args: &[&str]) -> Output {
    let mut v = vec!["mf"];
    v.extend_from_slice(args);
    Output {
        status: Status(mf_cli::run(v)),
    }
}

/// Messages went to the test's stderr (shown by the harness on failure).
fn stderr(_o: &Output) -> &'static str {
    "(see the captured stderr above)"
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("meanfield-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn train_writes_trace_summary_and_state() {
    for units in ["rbf", "relu"] {
        let dir = tmp(&format!("train-{units}"));
        let o = mf(&[
            "train",
            "--units",
            units,
            "--dim",
            "4",
            "--width",
            "8",
            "--mode",
            "sgd",
            "--time",
            "2",
            "--dt",
            "0.1",
            "--batch",
            "16",
            "--train-size",
            "64",
            "--test-size",
            "500",
            "--seed",
            "2",
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let trace = std::fs::read_to_string(dir.join("trace.csv")).unwrap();
        let header = trace.lines().next().unwrap();
        assert!(
            header.starts_with("step,time,test_loss,relative_test_loss"),
            "{header}"
        );
        let last = trace.lines().last().unwrap();
        let fields: Vec<&str> = last.split(',').collect();
        assert_eq!(fields[0], "20", "{last}");
        assert_eq!(fields[1].parse::<f64>().unwrap(), 2.0, "{last}");
        let s = read_json(&dir.join("summary.json"));
        for k in [
            "initial_test_loss",
            "test_loss",
            "relative_test_loss",
            "steps",
            "wall_seconds",
            "dt",
            "width",
            "seed",
        ] {
            assert!(!s[k].is_null(), "summary.json lacks {k}");
        }
        assert_eq!(s["steps"], 20);
        let st = read_json(&dir.join("state.json"));
        assert_eq!(st["units"], units);
        assert_eq!(st["dim"], 4);
        assert_eq!(st["c"].as_array().unwrap().len(), 8);
        assert_eq!(st["z"].as_array().unwrap().len(), 8);
        assert_eq!(st["z"][0].as_array().unwrap().len(), 4);
        assert_eq!(st["target"]["coefficients"].as_array().unwrap().len(), 64);
        assert_eq!(st["b"].is_null(), units == "rbf");
        assert_eq!(st["sigma"].is_null(), units == "relu");
        assert_eq!(st["test_loss"], s["test_loss"]);
    }
}

#[test]
fn state_json_suffices_to_evaluate_the_network() {
    // Recompute the test loss of state.json on fresh points with no code of ours but the formulas.
    let dir = tmp("state-eval");
    let o = mf(&[
        "train",
        "--units",
        "rbf",
        "--dim",
        "3",
        "--width",
        "6",
        "--steps",
        "30",
        "--dt",
        "0.5",
        "--batch",
        "64",
        "--test-size",
        "200000",
        "--seed",
        "5",
        "--init-c",
        "normal",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let st = read_json(&dir.join("state.json"));
    let f64s = |v: &Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let a = f64s(&st["target"]["coefficients"]);
    let (r, kappa, sigma) = (
        st["target"]["radius"].as_f64().unwrap(),
        st["target"]["scale"].as_f64().unwrap(),
        st["sigma"].as_f64().unwrap(),
    );
    let c = f64s(&st["c"]);
    let z: Vec<Vec<f64>> = st["z"].as_array().unwrap().iter().map(f64s).collect();
    // deterministic quasi-random points on S²(R): a Fibonacci lattice
    let m = 20_000;
    let mut sq = 0.0;
    for k in 0..m {
        let zc = 1.0 - (2.0 * k as f64 + 1.0) / m as f64;
        let phi = k as f64 * std::f64::consts::PI * (3.0 - 5f64.sqrt());
        let s = (1.0 - zc * zc).sqrt();
        let x = [r * s * phi.cos(), r * s * phi.sin(), r * zc];
        let mut f = 0.0;
        for i in 0..3 {
            for j in 0..3 {
                for l in 0..3 {
                    f += a[(i * 3 + j) * 3 + l] * x[i] * x[j] * x[l];
                }
            }
        }
        f *= kappa;
        let fnx: f64 = c
            .iter()
            .zip(&z)
            .map(|(ci, zi)| {
                let d2: f64 = zi.iter().zip(&x).map(|(u, v)| (u - v) * (u - v)).sum();
                ci * (-d2 / (2.0 * sigma * sigma)).exp()
            })
            .sum::<f64>()
            / c.len() as f64;
        sq += (f - fnx).powi(2);
    }
    let lattice_loss = 0.5 * sq / m as f64;
    let reported = st["test_loss"].as_f64().unwrap();
    // 2·10⁵ Monte-Carlo points: relative error ≈ √(2/N) ≈ 0.3 %; allow 2 %
    assert!(
        (lattice_loss - reported).abs() < 0.02 * reported,
        "{lattice_loss} vs {reported}"
    );
}

#[test]
fn resume_continues_bit_for_bit() {
    let whole = tmp("resume-whole");
    let part = tmp("resume-part");
    let base = |steps: &str, out: &Path| {
        mf(&[
            "train",
            "--units",
            "rbf",
            "--dim",
            "3",
            "--width",
            "10",
            "--mode",
            "online",
            "--steps",
            steps,
            "--dt",
            "0.3",
            "--batch",
            "32",
            "--test-size",
            "1000",
            "--seed",
            "9",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    assert!(base("50", &whole).status.success());
    assert!(base("23", &part).status.success());
    let o = mf(&["train", "--resume", part.to_str().unwrap(), "--steps", "50"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let a = read_json(&whole.join("state.json"));
    let b = read_json(&part.join("state.json"));
    assert_eq!(a["c"], b["c"]);
    assert_eq!(a["z"], b["z"]);
    assert_eq!(a["test_loss"], b["test_loss"]);
}

#[test]
fn exact_mode_writes_the_adaptive_columns() {
    let dir = tmp("exact");
    let o = mf(&[
        "train",
        "--units",
        "rbf",
        "--dim",
        "5",
        "--width",
        "12",
        "--mode",
        "exact",
        "--time",
        "200",
        "--dt",
        "0.5",
        "--test-size",
        "20000",
        "--seed",
        "3",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let trace = std::fs::read_to_string(dir.join("trace.csv")).unwrap();
    let header: Vec<&str> = trace.lines().next().unwrap().split(',').collect();
    for col in [
        "step",
        "time",
        "test_loss",
        "relative_test_loss",
        "dt",
        "rejected",
        "mc_test_loss",
    ] {
        assert!(header.contains(&col), "{header:?} lacks {col}");
    }
    let last: Vec<&str> = trace.lines().last().unwrap().split(',').collect();
    let col = |name: &str| {
        last[header.iter().position(|h| *h == name).unwrap()]
            .parse::<f64>()
            .unwrap()
    };
    assert_eq!(col("time"), 200.0);
    // exact loss and Monte-Carlo loss on 2·10⁴ points agree within a few percent
    assert!((col("test_loss") - col("mc_test_loss")).abs() < 0.05 * col("test_loss"));
    assert!(col("relative_test_loss") < 0.95);
    let s = read_json(&dir.join("summary.json"));
    assert_eq!(s["mode"], "exact");
}

#[test]
fn scan_and_merge_write_the_contract_files() {
    let whole = tmp("scan-whole");
    let args = |out: &Path, shard: Option<&str>| {
        let mut v: Vec<String> = [
            "scan",
            "--units",
            "rbf",
            "--dim",
            "3",
            "--widths",
            "4,8",
            "--replicas",
            "2",
            "--mode",
            "online",
            "--steps",
            "20",
            "--dt",
            "0.3",
            "--batch-scaling",
            "2*n^(2*0.5)",
            "--test-size",
            "300",
            "--probe-size",
            "30",
            "--bootstrap",
            "20",
            "--seed",
            "5",
            "--out",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.push(out.to_str().unwrap().to_string());
        if let Some(s) = shard {
            v.push("--shard".into());
            v.push(s.into());
        }
        v
    };
    let run = |v: Vec<String>| {
        let refs: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
        mf(&refs)
    };
    let o = run(args(&whole, None));
    assert!(o.status.success(), "{}", stderr(&o));
    let runs = std::fs::read_to_string(whole.join("runs.csv")).unwrap();
    assert!(runs.starts_with("n,replica,"), "{runs}");
    for col in [
        "n",
        "replica",
        "step",
        "time",
        "test_loss",
        "relative_test_loss",
    ] {
        assert!(
            runs.lines().next().unwrap().split(',').any(|c| c == col),
            "runs.csv lacks {col}"
        );
    }
    let fl = std::fs::read_to_string(whole.join("fluctuations.csv")).unwrap();
    for col in ["n", "step", "time", "n_var", "bias_sq"] {
        assert!(
            fl.lines().next().unwrap().split(',').any(|c| c == col),
            "fluctuations.csv lacks {col}"
        );
    }
    let fit = read_json(&whole.join("fit.json"));
    for k in [
        "beta",
        "beta_interval",
        "prefactor",
        "fit_range",
        "quantity",
    ] {
        assert!(!fit[k].is_null(), "fit.json lacks {k}");
    }
    assert_eq!(fit["quantity"], "final_test_loss");
    let scan = read_json(&whole.join("scan.json"));
    assert_eq!(scan["widths"], serde_json::json!([4, 8]));
    let (s1, s2, merged) = (tmp("scan-s1"), tmp("scan-s2"), tmp("scan-merged"));
    assert!(run(args(&s1, Some("1/2"))).status.success());
    assert!(run(args(&s2, Some("2/2"))).status.success());
    let o = mf(&[
        "merge",
        s1.to_str().unwrap(),
        s2.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["runs.csv", "fluctuations.csv", "fit.json", "scan.json"] {
        assert_eq!(
            std::fs::read(whole.join(f)).unwrap(),
            std::fs::read(merged.join(f)).unwrap(),
            "{f}"
        );
    }
    for bad in ["0/2", "3/2", "x"] {
        let o = run(args(&tmp("scan-bad"), Some(bad)));
        // exit status 2 (the message naming the flag: crates/mf-cli/tests/cli.rs)
        assert_eq!(o.status.code(), Some(2));
    }
    let mut v = args(&tmp("scan-bad2"), None);
    let i = v.iter().position(|s| s == "2*n^(2*0.5)").unwrap();
    v[i] = "n squared".into();
    let o = run(v);
    assert_eq!(o.status.code(), Some(2));
}
