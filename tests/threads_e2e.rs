//! The same bits on any thread count, at every entry point: `mf train` on rayon pools of one
//! and two threads writes byte-identical `state.json` (the implicit rule's Hessian,
//! factorisation and solves included) at sizes where the parallel paths are taken, and a cell
//! of `mf scan` (which runs each cell sequentially) is exactly the `mf train` of the same
//! config.

use serde_json::Value;
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("meanfield-threads-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// `mf ARGS --out DIR` on a rayon pool of `threads` threads; its exit status.
fn mf_on(threads: usize, args: &[&str], out: &Path) -> u8 {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let mut v = vec!["mf".to_string()];
    v.extend(args.iter().map(|s| s.to_string()));
    v.push("--out".into());
    v.push(out.to_str().unwrap().into());
    pool.install(|| mf_cli::run(v))
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `summary.json` without its wall time.
fn summary_without_time(dir: &Path) -> Value {
    let mut v: Value = serde_json::from_str(&read(&dir.join("summary.json"))).unwrap();
    v.as_object_mut().unwrap().remove("wall_seconds");
    v
}

/// Trains `args` on 1 and on 2 threads; `state.json` and `trace.csv` byte-identical, the
/// summary identical but for the wall time. Returns the 1-thread folder.
fn same_on_one_and_two_threads(name: &str, args: &[&str]) -> PathBuf {
    let (one, two) = (tmp(&format!("{name}-1")), tmp(&format!("{name}-2")));
    assert_eq!(mf_on(1, args, &one), 0, "{name}: 1 thread");
    assert_eq!(mf_on(2, args, &two), 0, "{name}: 2 threads");
    for file in ["state.json", "trace.csv"] {
        assert!(
            read(&one.join(file)) == read(&two.join(file)),
            "{name}: {file} differs between 1 and 2 threads"
        );
    }
    assert_eq!(
        summary_without_time(&one),
        summary_without_time(&two),
        "{name}"
    );
    let _ = std::fs::remove_dir_all(&two);
    one
}

/// The case: the implicit rule at n = 128, d = 5 to t = 1000 (N = 768; the 1- and
/// 2-thread runs used to differ in the last bits of the loss), then the polish.
#[test]
fn the_implicit_rule_at_n128_d5_gives_the_same_bytes_on_one_and_two_threads() {
    let dir = same_on_one_and_two_threads(
        "implicit-d5",
        &[
            "train",
            "--units",
            "rbf",
            "--dim",
            "5",
            "--width",
            "128",
            "--mode",
            "exact",
            "--step-rule",
            "implicit",
            "--time",
            "1000",
            "--dt",
            "0.5",
            "--test-size",
            "2000",
            "--polish",
            "--polish-iterations",
            "5",
            "--seed",
            "1",
        ],
    );
    let state: Value = serde_json::from_str(&read(&dir.join("state.json"))).unwrap();
    assert_eq!(state["time"], 1000.0);
    assert!(state["polished"].is_object());
    let _ = std::fs::remove_dir_all(&dir);
}

/// d = 25 at n = 64 (N = 1664), a few implicit and W-rule steps, and the other modes at widths where
/// their kernels split the work.
#[test]
fn every_mode_gives_the_same_bytes_on_one_and_two_threads() {
    let cases: [(&str, &[&str]); 6] = [
        (
            "w-rule-d25",
            &[
                "--dim",
                "25",
                "--width",
                "64",
                "--mode",
                "exact",
                "--step-rule",
                "ros34pw2",
                "--time",
                "40",
                "--dt",
                "1",
            ],
        ),
        (
            "implicit-d25",
            &[
                "--dim",
                "25",
                "--width",
                "64",
                "--mode",
                "exact",
                "--step-rule",
                "implicit",
                "--time",
                "20",
                "--dt",
                "1",
            ],
        ),
        (
            "adaptive-d5",
            &[
                "--dim",
                "5",
                "--width",
                "128",
                "--mode",
                "exact",
                "--step-rule",
                "adaptive",
                "--time",
                "20",
                "--dt",
                "0.5",
            ],
        ),
        (
            "gd",
            &[
                "--dim",
                "5",
                "--width",
                "256",
                "--mode",
                "gd",
                "--train-size",
                "4000",
                "--steps",
                "5",
                "--dt",
                "0.2",
            ],
        ),
        (
            "sgd",
            &[
                "--dim",
                "5",
                "--width",
                "256",
                "--mode",
                "sgd",
                "--train-size",
                "4000",
                "--batch",
                "1000",
                "--steps",
                "5",
                "--dt",
                "0.2",
            ],
        ),
        (
            "online",
            &[
                "--dim", "10", "--width", "256", "--mode", "online", "--batch", "3000", "--steps",
                "5", "--dt", "0.2",
            ],
        ),
    ];
    for (name, rest) in cases {
        let mut args = vec![
            "train",
            "--units",
            "rbf",
            "--test-size",
            "3000",
            "--seed",
            "2",
        ];
        args.extend_from_slice(rest);
        let dir = same_on_one_and_two_threads(name, &args);
        let _ = std::fs::remove_dir_all(&dir);
    }
    let relu = same_on_one_and_two_threads(
        "relu-online",
        &[
            "train",
            "--units",
            "relu",
            "--dim",
            "25",
            "--width",
            "256",
            "--mode",
            "online",
            "--batch",
            "3000",
            "--steps",
            "5",
            "--dt",
            "0.2",
            "--test-size",
            "3000",
            "--seed",
            "3",
        ],
    );
    let _ = std::fs::remove_dir_all(&relu);
}

/// A cell of `mf scan` is exactly the `mf train` of its config (width n, replica r): the same
/// final particles and trace, bit for bit, whatever the threads of either.
#[test]
fn a_scan_cell_is_exactly_mf_train() {
    let common = [
        "--units",
        "rbf",
        "--dim",
        "5",
        "--mode",
        "exact",
        "--step-rule",
        "implicit",
        "--time",
        "200",
        "--dt",
        "0.5",
        "--test-size",
        "1000",
        "--seed",
        "4",
    ];
    let scan = tmp("scan");
    let mut args = vec![
        "scan",
        "--widths",
        "96",
        "--replicas",
        "2",
        "--probe-size",
        "16",
    ];
    args.extend_from_slice(&common);
    assert_eq!(mf_on(2, &args, &scan), 0);
    let cells = scan.join("cells");
    let cell_file = std::fs::read_dir(&cells)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_str().unwrap().ends_with("_r00001.json"))
        .expect("cell of replica 1");
    let cell: Value = serde_json::from_str(&read(&cell_file)).unwrap();
    let cell = &cell["cell"];
    for threads in [1, 2] {
        let train = tmp(&format!("train-{threads}"));
        let mut args = vec!["train", "--width", "96", "--replica", "1"];
        args.extend_from_slice(&common);
        assert_eq!(mf_on(threads, &args, &train), 0);
        let state: Value = serde_json::from_str(&read(&train.join("state.json"))).unwrap();
        assert_eq!(state["c"], cell["final_c"], "{threads} thread(s): charges");
        assert_eq!(state["z"], cell["final_z"], "{threads} thread(s): centres");
        let summary = summary_without_time(&train);
        let last = cell["trace"].as_array().unwrap().last().unwrap();
        assert_eq!(summary["test_loss"], last["test_loss"]);
        let _ = std::fs::remove_dir_all(&train);
    }
    let _ = std::fs::remove_dir_all(&scan);
}
