//! End-to-end: the long-time exact flow from the command line — the implicit rule, the end-state
//! diagnostics, the polish, `--resume` with `--polish`, and a scan that keeps all of it.

use serde_json::Value;
use std::path::{Path, PathBuf};

fn mf(args: &[&str]) -> u8 {
    let mut v = vec!["mf"];
    v.extend_from_slice(args);
    mf_cli::run(v)
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("meanfield-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The last row of a CSV as (header, values).
fn last_row(p: &Path) -> (Vec<String>, Vec<String>) {
    let mut r = csv::Reader::from_path(p).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let last = r.records().last().unwrap().unwrap();
    (header, last.iter().map(String::from).collect())
}

const EXACT: [&str; 14] = [
    "train",
    "--units",
    "rbf",
    "--dim",
    "5",
    "--width",
    "8",
    "--mode",
    "exact",
    "--dt",
    "0.5",
    "--test-size",
    "2000",
    "--step-rule",
];

#[test]
fn an_implicit_run_ends_with_its_diagnostics_and_a_polish_and_resumes_with_one() {
    let dir = tmp("implicit");
    let mut args: Vec<&str> = EXACT.to_vec();
    args.extend([
        "implicit",
        "--time",
        "20000",
        "--seed",
        "2",
        "--polish",
        "--polish-iterations",
        "20",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(mf(&args), 0);
    // trace.csv: the new columns beside the old ones, reaching t = 2·10⁴
    let (h, v) = last_row(&dir.join("trace.csv"));
    let col = |name: &str| -> f64 {
        v[h.iter().position(|x| x == name).unwrap()]
            .parse()
            .unwrap()
    };
    assert_eq!(col("time"), 20000.0);
    for k in [
        "grad_norm",
        "max_abs_c",
        "min_pair_distance",
        "dt",
        "rejected",
    ] {
        assert!(col(k).is_finite(), "{k}");
    }
    // the implicit rule's mean step over the last evaluations is far beyond Euler's stability
    assert!(col("dt") > 5.0, "mean step {}", col("dt"));
    let s = read_json(&dir.join("summary.json"));
    assert!(["stationary", "diverging", "running"].contains(&s["end_state"].as_str().unwrap()));
    for k in [
        "grad_norm",
        "max_abs_c",
        "min_pair_distance",
        "hessian_min_eigenvalue",
        "polished_test_loss",
        "polished_relative_test_loss",
        "polish_iterations",
    ] {
        assert!(s[k].is_number(), "summary.json: {k} = {}", s[k]);
    }
    let (flow, polished) = (
        s["test_loss"].as_f64().unwrap(),
        s["polished_test_loss"].as_f64().unwrap(),
    );
    assert!(polished <= flow, "{polished} > {flow}");
    let st = read_json(&dir.join("state.json"));
    assert_eq!(st["polished"]["c"].as_array().unwrap().len(), 8);
    assert_eq!(st["polished"]["z"][0].as_array().unwrap().len(), 5);
    // resume to a later time, polishing again
    assert_eq!(
        mf(&[
            "train",
            "--resume",
            dir.to_str().unwrap(),
            "--time",
            "40000",
            "--polish"
        ]),
        0
    );
    let s2 = read_json(&dir.join("summary.json"));
    assert_eq!(s2["time"], 40000.0);
    assert!(s2["test_loss"].as_f64().unwrap() <= flow);
    assert!(s2["polished_test_loss"].is_number());
}

#[test]
fn a_scan_with_the_implicit_rule_and_the_polish_keeps_the_end_states() {
    let dir = tmp("scan-long");
    let code = mf(&[
        "scan",
        "--units",
        "rbf",
        "--dim",
        "5",
        "--widths",
        "4,8",
        "--replicas",
        "2",
        "--mode",
        "exact",
        "--time",
        "2000",
        "--dt",
        "0.5",
        "--test-size",
        "500",
        "--probe-size",
        "20",
        "--bootstrap",
        "20",
        "--step-rule",
        "implicit",
        "--polish",
        "--polish-iterations",
        "5",
        "--seed",
        "3",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let mut r = csv::Reader::from_path(dir.join("ends.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 4, "one row per cell");
    let at = |row: &csv::StringRecord, name: &str| {
        row[h.iter().position(|x| x == name).unwrap()].to_string()
    };
    for row in &rows {
        assert!(["stationary", "diverging", "running"].contains(&at(row, "end_state").as_str()));
        let (l, p): (f64, f64) = (
            at(row, "test_loss").parse().unwrap(),
            at(row, "polished_test_loss").parse().unwrap(),
        );
        assert!(p <= l, "polished {p} above the flow's {l}");
        assert!(at(row, "hessian_min_eigenvalue").parse::<f64>().is_ok());
    }
    let runs = std::fs::read_to_string(dir.join("runs.csv")).unwrap();
    assert!(
        runs.lines()
            .next()
            .unwrap()
            .ends_with("grad_norm,max_abs_c,min_pair_distance")
    );
}

#[test]
fn the_w_rule_reports_its_work_and_resumes_bit_for_bit() {
    let (whole, part) = (tmp("w-whole"), tmp("w-part"));
    let run = |time: &str, dir: &Path| {
        let mut args: Vec<&str> = EXACT.to_vec();
        args.extend(["ros34pw2", "--time", time, "--seed", "4", "--out"]);
        args.push(dir.to_str().unwrap());
        mf(&args)
    };
    assert_eq!(run("5000", &whole), 0);
    let s = read_json(&whole.join("summary.json"));
    assert_eq!(s["step_rule"], "ros34pw2");
    let w = &s["work"];
    let (fact, solves) = (
        w["factorisations"].as_u64().unwrap(),
        w["solves"].as_u64().unwrap(),
    );
    assert!(fact > 0 && solves >= 4 * fact, "{w}");
    assert_eq!(w["hessians"], w["factorisations"]);
    // stopped at an evaluation time of the whole run (where its checkpoints are), then resumed
    let mut r = csv::Reader::from_path(whole.join("trace.csv")).unwrap();
    let col = r
        .headers()
        .unwrap()
        .iter()
        .position(|x| x == "time")
        .unwrap();
    let stop = r
        .records()
        .map(|x| x.unwrap()[col].to_string())
        .find(|t| t.parse::<f64>().unwrap() >= 1000.0)
        .unwrap();
    assert_eq!(run(&stop, &part), 0);
    let ck = read_json(&part.join("checkpoint.json"));
    assert!(
        ck["stepper_memory"].is_array(),
        "the W-rule's error model is checkpointed"
    );
    assert_eq!(
        mf(&[
            "train",
            "--resume",
            part.to_str().unwrap(),
            "--time",
            "5000"
        ]),
        0
    );
    let (a, b) = (
        read_json(&whole.join("state.json")),
        read_json(&part.join("state.json")),
    );
    assert_eq!(a["c"], b["c"]);
    assert_eq!(a["z"], b["z"]);
    assert_eq!(a["test_loss"], b["test_loss"]);
}
