//! End-to-end tests of the `mf` binary.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn mf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mf"))
        .args(args)
        .output()
        .expect("mf runs")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mf-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn target_prints_the_contract_fields() {
    let o = mf(&["target", "--dim", "4", "--seed", "3", "--samples", "5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["dim"], 4);
    assert_eq!(v["seed"], 3);
    assert_eq!(v["radius"].as_f64().unwrap(), 2.0);
    assert_eq!(v["scale"].as_f64().unwrap(), 0.25);
    let a: Vec<f64> = v["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(a.len(), 64);
    let pts = v["points"].as_array().unwrap();
    let e = v["energies"].as_array().unwrap();
    assert_eq!(pts.len(), 5);
    assert_eq!(e.len(), 5);
    // energies recomputed from the printed coefficients with the documented index
    for (p, ep) in pts.iter().zip(e) {
        let x: Vec<f64> = p
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let norm: f64 = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((norm - 2.0).abs() < 1e-12);
        let mut f = 0.0;
        for i in 0..4 {
            for j in 0..4 {
                for k in 0..4 {
                    f += a[(i * 4 + j) * 4 + k] * x[i] * x[j] * x[k];
                }
            }
        }
        f *= 0.25;
        assert!((f - ep.as_f64().unwrap()).abs() < 1e-12 * (1.0 + f.abs()));
    }
    assert!(v["mean_square"].as_f64().unwrap() > 0.0);
    // same seed, same output, byte for byte
    assert_eq!(
        o.stdout,
        mf(&["target", "--dim", "4", "--seed", "3", "--samples", "5"]).stdout
    );
}

#[test]
fn the_teacher_target_prints_a_network_that_reproduces_its_values() {
    let args = [
        "target",
        "--target",
        "teacher",
        "--dim",
        "3",
        "--teacher-width",
        "40",
        "--seed",
        "2",
        "--samples",
        "6",
    ];
    let o = mf(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["target"], "teacher");
    assert_eq!(v["width"], 40);
    let r = v["radius"].as_f64().unwrap();
    let sigma = v["sigma"].as_f64().unwrap();
    assert!((r - 3f64.sqrt()).abs() < 1e-15 && (sigma - r / 2.0).abs() < 1e-15);
    let floats = |x: &Value| -> Vec<f64> {
        x.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let c = floats(&v["c"]);
    let z: Vec<Vec<f64>> = v["z"].as_array().unwrap().iter().map(floats).collect();
    assert_eq!((c.len(), z.len()), (40, 40));
    for za in &z {
        let norm: f64 = za.iter().map(|u| u * u).sum::<f64>().sqrt();
        assert!((norm - r).abs() < 1e-12, "centres on the data sphere");
    }
    // f(x) = (1/k) Σ c_a exp(−|x − z_a|²/(2σ²)) from the printed numbers
    let pts = v["points"].as_array().unwrap();
    let e = floats(&v["energies"]);
    assert_eq!((pts.len(), e.len()), (6, 6));
    for (p, ep) in pts.iter().zip(&e) {
        let x = floats(p);
        let f: f64 = c
            .iter()
            .zip(&z)
            .map(|(ca, za)| {
                let d2: f64 = x.iter().zip(za).map(|(u, w)| (u - w) * (u - w)).sum();
                ca * (-d2 / (2.0 * sigma * sigma)).exp()
            })
            .sum::<f64>()
            / 40.0;
        assert!((f - ep).abs() < 1e-12 * (1.0 + f.abs()), "{f} vs {ep}");
    }
    assert!((v["mean_square"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert_eq!(o.stdout, mf(&args).stdout);
}

#[test]
fn exact_mode_trains_on_the_teacher_and_records_it_in_the_state() {
    let dir = tmp("teacher");
    let out = dir.to_str().unwrap();
    let o = mf(&[
        "train",
        "--target",
        "teacher",
        "--teacher-width",
        "64",
        "--mode",
        "exact",
        "--units",
        "rbf",
        "--dim",
        "3",
        "--width",
        "4",
        "--time",
        "20",
        "--dt",
        "0.5",
        "--test-size",
        "200",
        "--out",
        out,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let state: Value =
        serde_json::from_slice(&std::fs::read(dir.join("state.json")).unwrap()).unwrap();
    let t = &state["target"]["teacher"];
    assert_eq!(t["c"].as_array().unwrap().len(), 64);
    assert_eq!(t["z"].as_array().unwrap().len(), 64);
    assert!(state["target"]["coefficients"].is_null());
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["target"], "teacher");
    assert_eq!(summary["teacher_width"], 64);
    let rel = summary["relative_test_loss"].as_f64().unwrap();
    assert!(rel < 1.0 && rel > 0.0, "{rel}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn birth_death_runs_from_the_command_line_and_resumes_bit_for_bit() {
    let (whole, part) = (tmp("bd-whole"), tmp("bd-part"));
    let args = |out: &PathBuf, time: &'static str| -> Vec<String> {
        [
            "train",
            "--units",
            "rbf",
            "--dim",
            "3",
            "--width",
            "10",
            "--mode",
            "online",
            "--time",
            time,
            "--dt",
            "0.05",
            "--batch",
            "64",
            "--test-size",
            "200",
            "--init-c",
            "normal",
            "--birth-death",
            "20",
            "--birth-death-variant",
            "prior",
            "--out",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([out.to_str().unwrap().to_string()])
        .collect()
    };
    let run = |a: Vec<String>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = mf(&a);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    run(args(&whole, "10"));
    run(args(&part, "5"));
    let o = mf(&["train", "--resume", part.to_str().unwrap(), "--time", "10"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let read = |d: &PathBuf, f: &str| std::fs::read_to_string(d.join(f)).unwrap();
    let state = |d: &PathBuf| -> Value { serde_json::from_str(&read(d, "state.json")).unwrap() };
    assert_eq!(state(&whole)["c"], state(&part)["c"]);
    assert_eq!(state(&whole)["z"], state(&part)["z"]);
    let summary: Value = serde_json::from_str(&read(&whole, "summary.json")).unwrap();
    let jumps = summary["birth_death"]["births"].as_u64().unwrap()
        + summary["birth_death"]["deaths"].as_u64().unwrap();
    assert!(jumps > 0, "{summary}");
    assert_eq!(summary["birth_death"], {
        let s: Value = serde_json::from_str(&read(&part, "summary.json")).unwrap();
        s["birth_death"].clone()
    });
    for d in [whole, part] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// `args` with one more flag.
fn with(mut args: Vec<&'static str>, flag: &'static str) -> Vec<&'static str> {
    args.push(flag);
    args
}

#[test]
fn bad_input_is_one_line_naming_the_flag_with_status_2() {
    // a valid `mf train` with one flag changed (or added) per case
    let train = |changes: &[(&'static str, &'static str)]| {
        let mut flags = vec![
            ("--units", "rbf"),
            ("--dim", "3"),
            ("--width", "4"),
            ("--steps", "5"),
            ("--dt", "0.1"),
            ("--out", "/tmp/x"),
        ];
        for &(flag, value) in changes {
            match flags.iter_mut().find(|(f, _)| *f == flag) {
                Some(slot) => slot.1 = value,
                None => flags.push((flag, value)),
            }
        }
        let mut args = vec!["train"];
        args.extend(flags.into_iter().flat_map(|(f, v)| [f, v]));
        args
    };
    let scan = |extra: &[&'static str]| {
        let mut v = vec![
            "scan",
            "--units",
            "rbf",
            "--dim",
            "3",
            "--widths",
            "4,8",
            "--steps",
            "5",
            "--dt",
            "0.1",
            "--out",
            "/tmp/x-scan",
        ];
        v.extend_from_slice(extra);
        v
    };
    for (args, flag) in [
        (scan(&["--shard", "0/2"]), "--shard"),
        (scan(&["--shard", "3/2"]), "--shard"),
        (scan(&["--shard", "x"]), "--shard"),
        (scan(&["--batch-scaling", "n squared"]), "--batch-scaling"),
        (scan(&["--widths", "8,4"]), "--widths"),
        (vec!["target", "--dim", "0"], "--dim"),
        (vec!["target", "--dim", "600"], "--dim"),
        (vec!["target", "--dim", "x"], "--dim"),
        (
            vec!["target", "--dim", "500", "--samples", "10000000"],
            "--samples",
        ),
        (
            vec!["target", "--dim", "3", "--teacher-width", "8"],
            "--teacher-width",
        ),
        (
            vec![
                "target",
                "--dim",
                "3",
                "--target",
                "teacher",
                "--teacher-width",
                "0",
            ],
            "--teacher-width",
        ),
        (
            vec![
                "target", "--dim", "3", "--target", "teacher", "--sigma", "-1",
            ],
            "--sigma",
        ),
        (train(&[("--teacher-width", "8")]), "--teacher-width"),
        (
            train(&[("--target", "teacher"), ("--teacher-width", "70000")]),
            "--teacher-width",
        ),
        (
            train(&[
                ("--target", "teacher"),
                ("--mode", "exact"),
                ("--units", "relu"),
            ]),
            "--mode",
        ),
        (train(&[("--birth-death", "-1")]), "--birth-death"),
        (train(&[("--birth-death", "NaN")]), "--birth-death"),
        (
            train(&[("--birth-death", "1"), ("--birth-death-until", "0")]),
            "--birth-death-until",
        ),
        (
            train(&[("--birth-death", "1"), ("--birth-death-variant", "both")]),
            "--birth-death-variant",
        ),
        (train(&[("--birth-death-until", "5")]), "--birth-death"),
        (train(&[("--width", "0")]), "--width"),
        (train(&[("--dt", "-1")]), "--dt"),
        (train(&[("--dt", "NaN")]), "--dt"),
        (train(&[("--batch", "0")]), "--batch"),
        (train(&[("--units", "tanh")]), "--units"),
        (
            train(&[
                ("--mode", "sgd"),
                ("--batch", "100"),
                ("--train-size", "50"),
            ]),
            "--batch",
        ),
        (train(&[("--out", "/proc/forbidden/x")]), "--out"),
        (train(&[("--units", "relu"), ("--mode", "exact")]), "--mode"),
        (train(&[("--step-rule", "adaptive")]), "--step-rule"),
        (train(&[("--step-rule", "implicit")]), "--step-rule"),
        (train(&[("--step-rule", "ros34pw2")]), "--step-rule"),
        (
            train(&[
                ("--mode", "exact"),
                ("--step-rule", "ros34pw2"),
                ("--tol", "0"),
            ]),
            "--tol",
        ),
        (
            train(&[
                ("--mode", "exact"),
                ("--step-rule", "rosw"),
                ("--tol", "NaN"),
            ]),
            "--tol",
        ),
        (
            train(&[
                ("--mode", "exact"),
                ("--step-rule", "ros34pw2"),
                ("--dt-max", "-1"),
            ]),
            "--dt-max",
        ),
        (with(train(&[]), "--polish"), "--polish"),
        (
            with(
                train(&[("--mode", "exact"), ("--polish-tol", "0")]),
                "--polish",
            ),
            "--polish-tol",
        ),
        (
            with(
                train(&[("--mode", "exact"), ("--polish-tol", "-0.001")]),
                "--polish",
            ),
            "--polish-tol",
        ),
        (
            train(&[("--mode", "exact"), ("--polish-tol", "1e-8")]),
            "--polish-tol",
        ),
        (
            with(
                train(&[("--mode", "exact"), ("--polish-iterations", "0")]),
                "--polish",
            ),
            "--polish-iterations",
        ),
    ] {
        let o = mf(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert_eq!(e.trim_end().lines().count(), 1, "{args:?}: {e}");
        assert!(e.contains(flag), "{args:?}: {e}");
        assert!(!e.contains("panicked"), "{e}");
    }
}

#[test]
fn divergence_exits_with_a_message_naming_the_step() {
    let dir = tmp("diverge");
    let o = mf(&[
        "train",
        "--units",
        "relu",
        "--dim",
        "3",
        "--width",
        "10",
        "--steps",
        "100",
        "--dt",
        "10000",
        "--init-c",
        "normal",
        "--test-size",
        "100",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("diverged at step") && e.contains("--dt"), "{e}");
}

/// The registries' names reach the command line: a rule's descriptive name and its old alias
/// give the same run, the polish method and the target are chosen by name, `--unit-param`
/// sets a unit parameter; unknown names exit 2 naming the flag.
#[test]
fn registry_names_are_flags_and_old_names_still_work() {
    let base = |out: &PathBuf, extra: &[&str]| {
        let mut a = vec![
            "train",
            "--units",
            "rbf",
            "--dim",
            "4",
            "--width",
            "6",
            "--mode",
            "exact",
            "--time",
            "20",
            "--dt",
            "0.5",
            "--test-size",
            "300",
            "--seed",
            "2",
            "--out",
        ];
        a.push(out.to_str().unwrap());
        a.extend_from_slice(extra);
        mf(&a)
    };
    let read = |dir: &PathBuf, f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let (a, b) = (tmp("rule-new"), tmp("rule-old"));
    let o = base(&a, &["--step-rule", "bogacki-shampine"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = base(&b, &["--step-rule", "adaptive", "--target", "spin3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let state = |d: &PathBuf| -> Value { serde_json::from_str(&read(d, "state.json")).unwrap() };
    assert_eq!(state(&a)["c"], state(&b)["c"], "the alias is the same rule");
    let summary: Value = serde_json::from_str(&read(&a, "summary.json")).unwrap();
    assert_eq!(
        summary["step_rule"], "bogacki-shampine",
        "recorded as given"
    );
    // the polish method by name, recorded in summary.json
    let c = tmp("polish-method");
    let o = base(
        &c,
        &[
            "--polish",
            "--polish-method",
            "lbfgs",
            "--polish-iterations",
            "5",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: Value = serde_json::from_str(&read(&c, "summary.json")).unwrap();
    assert_eq!(summary["polish_method"], "lbfgs");
    // a unit parameter through --unit-param (sigma: the same as --sigma)
    let (d, e) = (tmp("unit-param"), tmp("sigma"));
    let o = base(&d, &["--unit-param", "sigma=1.3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = base(&e, &["--sigma", "1.3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(state(&d)["c"], state(&e)["c"]);
    assert_eq!(state(&d)["sigma"], 1.3);
    // unknown names and parameters: status 2, one line naming the flag
    for (extra, flag) in [
        (vec!["--step-rule", "rk4"], "--step-rule"),
        (
            vec!["--polish", "--polish-method", "newton"],
            "--polish-method",
        ),
        (vec!["--target", "relu-teacher"], "--target"),
        (vec!["--unit-param", "beta=2"], "--unit-param"),
        (vec!["--unit-param", "sigma"], "--unit-param"),
        (vec!["--polish-method", "lbfgs"], "--polish-method"),
    ] {
        let f = tmp("bad-registry");
        let o = base(&f, &extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(
            err.contains(flag) || err.contains(&flag.replace("--", "")),
            "{extra:?}: {err}"
        );
    }
    for dir in [a, b, c, d, e] {
        let _ = std::fs::remove_dir_all(dir);
    }
}
