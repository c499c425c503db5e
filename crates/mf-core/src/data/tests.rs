//! Readers against files written byte by byte as NumPy writes them, and every malformed input
//! we could think of.

use super::*;
use std::io::Write;

/// A `.npy` file (version 1.0) of `shape` with dtype `descr`, the raw data bytes given.
fn npy_bytes(descr: &str, fortran: bool, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let shape_txt = match shape {
        [a] => format!("({a},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape_txt}, }}",
        if fortran { "True" } else { "False" }
    );
    // magic (6) + version (2) + header length (2) + header, padded to 64 with a newline
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

fn f8(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|a| a.to_le_bytes()).collect()
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

/// x = [[1, 2], [3, 4], [5, 6]], y = [0.5, -1, 2].
const X: [f64; 6] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
const Y: [f64; 3] = [0.5, -1.0, 2.0];

fn expected() -> Dataset {
    Dataset::new(X.to_vec(), Y.to_vec(), 2, "arrays").unwrap()
}

fn npz(dir: &tempfile::TempDir, name: &str, entries: &[(&str, Vec<u8>)], deflate: bool) -> String {
    let p = dir.path().join(name);
    let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (n, bytes) in entries {
        z.start_file(format!("{n}.npy"), opts).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
    p.display().to_string()
}

#[test]
fn every_format_reads_the_same_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let want = expected();
    let x = npy_bytes("<f8", false, &[3, 2], &f8(&X));
    let y = npy_bytes("<f8", false, &[3], &f8(&Y));
    let files = [
        npz(&dir, "s.npz", &[("x", x.clone()), ("y", y.clone())], false),
        npz(&dir, "c.npz", &[("y", y.clone()), ("x", x.clone())], true),
        format!("{},{}", write(&dir, "x.npy", &x), write(&dir, "y.npy", &y)),
        write(
            &dir,
            "j.npy",
            &npy_bytes(
                "<f8",
                false,
                &[3, 3],
                &f8(&[1., 2., 0.5, 3., 4., -1., 5., 6., 2.]),
            ),
        ),
        write(
            &dir,
            "a.csv",
            b"x1,x2,y\n1,2,0.5\n3, 4, -1\n\n# a comment\n5,6,2 # end\n",
        ),
        write(&dir, "b.txt", b"1 2 0.5\n3 4 -1\n5 6 2\n"),
    ];
    for f in &files {
        let got = read_data(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(got, want, "{f}");
        assert_eq!(got.fingerprint(), want.fingerprint());
    }
}

#[test]
fn dtypes_byte_orders_and_fortran_order_are_converted() {
    let dir = tempfile::tempdir().unwrap();
    let want = expected();
    let y = npy_bytes("<f8", false, &[3], &f8(&Y));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "f4",
            npy_bytes(
                "<f4",
                false,
                &[3, 2],
                &X.iter()
                    .flat_map(|a| (*a as f32).to_le_bytes())
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "i4",
            npy_bytes(
                "<i4",
                false,
                &[3, 2],
                &X.iter()
                    .flat_map(|a| (*a as i32).to_le_bytes())
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "i8",
            npy_bytes(
                "<i8",
                false,
                &[3, 2],
                &X.iter()
                    .flat_map(|a| (*a as i64).to_le_bytes())
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "u1",
            npy_bytes(
                "|u1",
                false,
                &[3, 2],
                &X.iter().map(|a| *a as u8).collect::<Vec<_>>(),
            ),
        ),
        (
            "be",
            npy_bytes(
                ">f8",
                false,
                &[3, 2],
                &X.iter().flat_map(|a| a.to_be_bytes()).collect::<Vec<_>>(),
            ),
        ),
        (
            "fortran",
            npy_bytes("<f8", true, &[3, 2], &f8(&[1., 3., 5., 2., 4., 6.])),
        ),
    ];
    for (name, x) in cases {
        let f = npz(
            &dir,
            &format!("{name}.npz"),
            &[("x", x), ("y", y.clone())],
            false,
        );
        assert_eq!(read_data(&f).unwrap(), want, "{name}");
    }
    // y as P × 1 and x as P (d = 1)
    let f = npz(
        &dir,
        "col.npz",
        &[
            ("x", npy_bytes("<f8", false, &[3], &f8(&[1., 2., 3.]))),
            ("y", npy_bytes("<f8", false, &[3, 1], &f8(&Y))),
        ],
        true,
    );
    let d1 = read_data(&f).unwrap();
    assert_eq!((d1.dim(), d1.len(), d1.y()), (1, 3, &Y[..]));
}

/// The error of reading `f`, which must name the file and contain `needle`.
fn error_of(f: &str, needle: &str) {
    let e = read_data(f).expect_err(f).to_string();
    assert!(f.split(',').any(|part| e.contains(part)), "{e}");
    assert!(e.contains(needle), "{needle:?} not in: {e}");
}

#[test]
fn malformed_files_are_refused_with_the_file_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let x = npy_bytes("<f8", false, &[3, 2], &f8(&X));
    let y = npy_bytes("<f8", false, &[3], &f8(&Y));
    // truncated data, truncated header, not a .npy at all, empty file
    error_of(&write(&dir, "t.npy", &x[..x.len() - 5]), "truncated");
    error_of(&write(&dir, "h.npy", &x[..20]), "not a valid .npy");
    error_of(
        &write(&dir, "n.npy", b"hello world, not numpy"),
        "not a valid .npy",
    );
    error_of(&write(&dir, "e.npy", b""), "not a valid .npy");
    // a shape claiming far more data than the file has (no huge allocation)
    error_of(
        &write(
            &dir,
            "big.npy",
            &npy_bytes("<f8", false, &[1 << 20, 3], &f8(&X)),
        ),
        "truncated",
    );
    // beyond what is ever read: refused before reading
    error_of(
        &write(
            &dir,
            "huge.npy",
            &npy_bytes("<f8", false, &[1 << 40, 3], &f8(&X)),
        ),
        "at most",
    );
    error_of(
        &write(
            &dir,
            "wide.npy",
            &npy_bytes("<f8", false, &[2, 1 << 31], &f8(&X)),
        ),
        "at most",
    );
    // wrong shapes and mismatched P
    error_of(
        &write(
            &dir,
            "3d.npy",
            &npy_bytes("<f8", false, &[1, 2, 3], &f8(&X)),
        ),
        "shape",
    );
    error_of(
        &write(&dir, "1col.npy", &npy_bytes("<f8", false, &[6, 1], &f8(&X))),
        "column",
    );
    let y2 = npy_bytes("<f8", false, &[2], &f8(&Y[..2]));
    error_of(
        &npz(&dir, "p.npz", &[("x", x.clone()), ("y", y2)], false),
        "same P",
    );
    let ymat = npy_bytes("<f8", false, &[3, 2], &f8(&X));
    error_of(
        &npz(&dir, "ym.npz", &[("x", x.clone()), ("y", ymat)], false),
        "one value per point",
    );
    // missing array, not a zip, empty set, NaN, unsupported dtype
    error_of(
        &npz(&dir, "m.npz", &[("x", x.clone())], false),
        "no array \"y\"",
    );
    error_of(
        &write(&dir, "nz.npz", b"PK\x03\x04garbage"),
        "not a valid .npz",
    );
    let x0 = npy_bytes("<f8", false, &[0, 2], &[]);
    let y0 = npy_bytes("<f8", false, &[0], &[]);
    error_of(
        &npz(&dir, "0.npz", &[("x", x0), ("y", y0)], false),
        "no points",
    );
    let mut xn = X;
    xn[3] = f64::NAN;
    let xn = npy_bytes("<f8", false, &[3, 2], &f8(&xn));
    error_of(
        &npz(&dir, "nan.npz", &[("x", xn), ("y", y.clone())], true),
        "x[1, 1]",
    );
    let xs = npy_bytes("<U3", false, &[2], b"abcdefghijklmnopqrstuvwx");
    error_of(
        &npz(&dir, "u.npz", &[("x", xs), ("y", y.clone())], false),
        "dtype",
    );
    // a pair with a missing file
    let xf = write(&dir, "px.npy", &x);
    error_of(
        &format!("{xf},{}", dir.path().join("nope.npy").display()),
        "cannot be read",
    );
    // CSV: mixed dimensions, a non-number after the header, one column, empty, NaN, binary
    error_of(
        &write(&dir, "mix.csv", b"1,2,3\n4,5\n"),
        "line 2 has 2 values but line 1 has 3",
    );
    error_of(
        &write(&dir, "word.csv", b"a,b,y\n1,2,3\n4,x,6\n"),
        "line 3, column 2",
    );
    error_of(&write(&dir, "one.csv", b"1\n2\n"), "at least 2 columns");
    error_of(&write(&dir, "empty.csv", b"x,y\n\n"), "no points");
    error_of(&write(&dir, "nan.csv", b"1,2,nan\n"), "y[0]");
    error_of(&write(&dir, "bin.csv", b"\xff\xfe\x00"), "not a text file");
    error_of(
        &dir.path().join("missing.csv").display().to_string(),
        "cannot be read",
    );
}

#[test]
fn scale_loss_and_fingerprint_are_those_of_the_numbers() {
    let d = expected();
    // |x|² = 5, 25, 61 → R² = 91/3
    assert!((d.rms_radius() - (91.0f64 / 3.0).sqrt()).abs() < 1e-15);
    // ½ mean y² = ½ (0.25 + 1 + 4)/3
    assert!((d.zero_network_loss() - 0.875).abs() < 1e-15);
    // any change of one bit changes the fingerprint
    let mut x = X;
    x[5] = f64::from_bits(x[5].to_bits() + 1);
    let moved = Dataset::new(x.to_vec(), Y.to_vec(), 2, "arrays").unwrap();
    assert_ne!(moved.fingerprint(), d.fingerprint());
    // the record refuses a changed set
    let rec = d.source(None);
    assert!(rec.check(&d, "a").is_ok());
    let e = rec.check(&moved, "a").unwrap_err().to_string();
    assert!(e.contains("changed"), "{e}");
    // the point set holds the numbers with the ones column
    let p = d.point_set();
    assert_eq!(p.y(), &Y[..]);
    assert_eq!(p.x_aug()[(2, 1)], 6.0);
    assert_eq!(p.x_aug()[(2, 2)], 1.0);
}

#[test]
fn csv_line_endings_byte_order_mark_and_headers() {
    let want = Dataset::new(vec![1.0, 2.0, 4.0, 5.0], vec![3.0, 6.0], 2, "x").unwrap();
    for text in [
        "\u{feff}1,2,3\n4,5,6\n",
        "a,b,y\r1,2,3\r4,5,6",
        "a,b,y\r\n1,2,3\r\n4,5,6\r\n",
        "# c\n  1 2 3\n4\t5\t6\n",
    ] {
        assert_eq!(csv_file::parse_csv(text, "t").unwrap(), want, "{text:?}");
    }
    // a first line with a number is data, so a bad field there is an error, not a header
    let e = csv_file::parse_csv("1,2,3x\n4,5,6\n", "t")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 1, column 3"), "{e}");
    let e = csv_file::parse_csv("1,2,3,\n", "t")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 1, column 4: is empty"), "{e}");
}

#[test]
fn a_file_whose_name_has_a_comma_is_one_file_and_records_ignore_paths() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "a,b.csv", b"1,2,0.5\n3,4,-1\n5,6,2\n");
    assert_eq!(read_data(&f).unwrap(), expected());
    let d = expected();
    assert_eq!(d.source(Some("/one/place".into())), d.source(None));
    let other = Dataset::new(X.to_vec(), vec![0.5, -1.0, 2.5], 2, "x").unwrap();
    assert_ne!(other.source(None), d.source(None));
    // errors of arrays do not call them files
    let e = Dataset::from_arrays(vec![f64::NAN], vec![1.0], 1, "data arrays").unwrap_err();
    assert_eq!(e.to_string(), "data arrays: x[0, 0] = NaN is not finite");
}
