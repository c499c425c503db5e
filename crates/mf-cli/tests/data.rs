//! `mf train --data FILE` / `mf scan --data FILE`: a training set of your own from the command
//! line, its record in the run's files, resume, and one-line errors (status 2) for every
//! malformed file and misuse.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mf"))
        .args(args)
        .output()
        .expect("mf runs")
}

fn mf_owned(args: &[String]) -> Output {
    mf(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mf-data-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// A `.npy` (version 1.0) of little-endian float64 values in C order.
fn npy(shape: &[usize], data: &[f64]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|s| s.to_string()).collect();
    let shape_txt = if shape.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape_txt}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend(data.iter().flat_map(|v| v.to_le_bytes()));
    out
}

/// P points in d = 4 at radii around 2, y a smooth function of them.
fn points(p: usize, shift: f64) -> (Vec<f64>, Vec<f64>) {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..p {
        let t = i as f64 + shift;
        let xi = [
            2.0 * (0.9 * t).sin(),
            1.5 * (1.7 * t).cos(),
            (0.3 * t).sin() + 0.5,
            (2.3 * t).cos(),
        ];
        y.push((xi[0] - 0.5 * xi[1]).tanh() + 0.2 * xi[2] * xi[3]);
        x.extend(xi);
    }
    (x, y)
}

/// Writes the training set as `.npz` (x, y stored) and the test set as CSV with a header.
fn files(dir: &Path) -> (String, String) {
    let (x, y) = points(120, 0.0);
    let npz = dir.join("train.npz");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&npz).unwrap());
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    use std::io::Write;
    z.start_file("x.npy", opts).unwrap();
    z.write_all(&npy(&[120, 4], &x)).unwrap();
    z.start_file("y.npy", opts).unwrap();
    z.write_all(&npy(&[120], &y)).unwrap();
    z.finish().unwrap();
    let (tx, ty) = points(50, 500.25);
    let mut csv = String::from("x1,x2,x3,x4,y\n");
    for (r, v) in tx.chunks(4).zip(&ty) {
        csv += &format!("{},{},{},{},{v}\n", r[0], r[1], r[2], r[3]);
    }
    let test = dir.join("test.csv");
    std::fs::write(&test, csv).unwrap();
    (npz.display().to_string(), test.display().to_string())
}

const RUN: [&str; 10] = [
    "train", "--units", "rbf", "--width", "8", "--mode", "gd", "--dt", "0.05", "--seed",
];

#[test]
fn train_on_a_data_file_records_it_and_resumes_bit_for_bit() {
    let dir = tmp("train");
    let (train, test) = files(&dir);
    let out = dir.join("run");
    let whole = dir.join("whole");
    let args = |out: &Path, time: &str| -> Vec<String> {
        let mut v: Vec<String> = RUN.iter().map(|s| s.to_string()).collect();
        v.extend(
            [
                "3",
                "--data",
                &train,
                "--test-data",
                &test,
                "--time",
                time,
                "--out",
            ]
            .map(String::from),
        );
        v.push(out.display().to_string());
        v
    };
    let a = args(&out, "2");
    let o = mf_owned(&a);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = json(&out.join("summary.json"));
    let data = &summary["data"];
    assert_eq!(data["train"]["points"], 120);
    assert_eq!(data["train"]["dim"], 4);
    assert_eq!(data["test"]["points"], 50);
    assert!(Path::new(data["train"]["path"].as_str().unwrap()).is_absolute());
    assert_eq!(summary["target"], "data");
    assert_eq!(summary["dim"], 4);
    assert_eq!(summary["train_size"], 120);
    assert_eq!(summary["test_size"], 50);
    let state = json(&out.join("state.json"));
    assert_eq!(
        state["target"]["data"]["train"]["fingerprint"],
        data["train"]["fingerprint"]
    );
    // σ = R/2 with R the RMS radius of the training inputs
    let (x, _) = points(120, 0.0);
    let r = (x.iter().map(|v| v * v).sum::<f64>() / 120.0).sqrt();
    assert!((summary["sigma_used"].as_f64().unwrap() - 0.5 * r).abs() < 1e-12);
    // resume to t = 4 from another folder equals a straight run
    let o = mf(&["train", "--resume", out.to_str().unwrap(), "--time", "4"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let b = args(&whole, "4");
    let o = mf_owned(&b);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        json(&out.join("state.json"))["c"],
        json(&whole.join("state.json"))["c"]
    );
    // a changed file refuses to resume, naming it
    std::fs::write(&test, "1,2,3,4,5\n").unwrap();
    let o = mf(&["train", "--resume", out.to_str().unwrap(), "--time", "6"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("changed") && stderr(&o).contains("test.csv"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn scan_on_a_data_file_fits_an_exponent() {
    let dir = tmp("scan");
    let (train, _) = files(&dir);
    let out = dir.join("scan");
    let o = mf(&[
        "scan",
        "--units",
        "rbf",
        "--mode",
        "sgd",
        "--batch",
        "32",
        "--dt",
        "0.05",
        "--time",
        "1",
        "--widths",
        "4,8,16",
        "--replicas",
        "2",
        "--data",
        &train,
        "--probe-size",
        "8",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let fit = json(&out.join("fit.json"));
    assert!(fit["beta"].as_f64().is_some(), "{fit}");
    // the probe points are the data set's: at t = 0 (f_n = 0) the squared bias is mean y² over
    // the first 8 points
    let (_, y) = points(120, 0.0);
    let want = y[..8].iter().map(|v| v * v).sum::<f64>() / 8.0;
    let text = std::fs::read_to_string(out.join("fluctuations.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "bias_sq").unwrap();
    let first: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    let got: f64 = first[col].parse().unwrap();
    assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
}

#[test]
fn malformed_files_and_misuse_are_one_line_with_status_2() {
    let dir = tmp("errors");
    let (train, test) = files(&dir);
    let trunc = dir.join("trunc.npy");
    let full = npy(&[10, 3], &[0.5; 30]);
    std::fs::write(&trunc, &full[..full.len() - 7]).unwrap();
    let mixed = dir.join("mixed.csv");
    std::fs::write(&mixed, "1,2,3\n4,5\n").unwrap();
    let nan = dir.join("nan.csv");
    std::fs::write(&nan, "1,2,3\n4,nan,6\n").unwrap();
    let missing = dir.join("missing.npz");
    let out = dir.join("o");
    let o_str = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--data", &train, "--mode", "online"], "--mode"),
        (vec!["--data", &train, "--mode", "exact"], "--mode"),
        (vec!["--data", trunc.to_str().unwrap()], "truncated"),
        (
            vec!["--data", mixed.to_str().unwrap()],
            "line 2 has 2 values",
        ),
        (vec!["--data", nan.to_str().unwrap()], "x[1, 1]"),
        (vec!["--data", missing.to_str().unwrap()], "missing.npz"),
        (vec!["--data", &train, "--dim", "7"], "--dim"),
        (vec!["--data", &train, "--train-size", "99"], "--train-size"),
        (vec!["--data", &train, "--target", "teacher"], "--target"),
        (vec!["--test-data", &test, "--dim", "4"], "--data"),
        (
            vec!["--data", &train, "--test-data", mixed.to_str().unwrap()],
            "mixed.csv",
        ),
        (vec!["--target", "data", "--dim", "4"], "--target"),
    ];
    for (extra, needle) in cases {
        let mut args = vec![
            "train", "--units", "rbf", "--width", "4", "--dt", "0.1", "--steps", "3", "--out",
            o_str,
        ];
        if !extra.contains(&"--mode") {
            args.extend(["--mode", "gd"]);
        }
        args.extend(extra.iter().copied());
        let o = mf(&args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert_eq!(e.trim().lines().count(), 1, "{args:?}: {e}");
        assert!(e.contains(needle), "{args:?}: {needle:?} not in {e}");
        assert!(!e.contains("panicked"), "{e}");
    }
}
