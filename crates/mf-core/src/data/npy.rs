//! `.npy` and `.npz` data sets (NumPy's formats; parsing by `npyz`, archives by `zip`).

use super::{DataError, Dataset, read_bytes};
use npyz::{DType, NpyFile, Order, TypeChar};
use std::io::{Cursor, Read};

/// Most values an array may hold (2³⁰: 8 GiB as float64).
const MAX_VALUES: u64 = 1 << 30;

/// An array read from a `.npy`: its shape and its values in C (row-major) order.
struct Array {
    shape: Vec<usize>,
    data: Vec<f64>,
}

/// Reads one `.npy` array from `reader` holding at most `available` bytes; `what` names it
/// in errors (`x`, `y`, or the file).
fn read_array(
    reader: impl Read,
    available: u64,
    origin: &str,
    what: &str,
) -> Result<Array, DataError> {
    let err = |r: String| DataError::new(origin, r);
    let npy = NpyFile::new(reader).map_err(|e| {
        let first = e.to_string();
        let first = first.lines().next().unwrap_or("").trim().to_string();
        err(format!("{what} is not a valid .npy array ({first})"))
    })?;
    let shape: Vec<usize> = npy.shape().iter().map(|&s| s as usize).collect();
    let fortran = npy.order() == Order::Fortran;
    let DType::Plain(ts) = npy.dtype() else {
        return Err(err(format!(
            "{what} has the structured dtype {}; it must be a float or integer array",
            npy.dtype().descr()
        )));
    };
    let elems = shape
        .iter()
        .try_fold(1u64, |a, &s| a.checked_mul(s as u64))
        .ok_or_else(|| err(format!("{what} has the impossible shape {shape:?}")))?;
    // refuse sets beyond the limits before reading (a compressed entry may claim little on
    // disk and expand to more than memory)
    if shape
        .first()
        .is_some_and(|&p| p > crate::config::MAX_POINTS)
        || shape.get(1).is_some_and(|&d| d > super::MAX_DATA_DIM + 1)
        || elems > MAX_VALUES
    {
        return Err(err(format!(
            "{what} has shape {shape:?}: at most {} points of dimension at most {} ({} values) are read",
            crate::config::MAX_POINTS,
            super::MAX_DATA_DIM,
            MAX_VALUES
        )));
    }
    let bytes = ts.num_bytes().unwrap_or(0) as u64;
    if elems.saturating_mul(bytes) > available {
        return Err(err(format!(
            "{what} is truncated: its shape {shape:?} of {} needs {} bytes, the file has {available}",
            ts,
            elems.saturating_mul(bytes)
        )));
    }
    let read =
        |e: std::io::Error| err(format!("{what}: its data cannot be read ({e}; truncated?)"));
    let data: Vec<f64> = match (ts.type_char(), ts.size_field()) {
        (TypeChar::Float, 8) => npy.into_vec::<f64>().map_err(read)?,
        (TypeChar::Float, 4) => widen(npy.into_vec::<f32>().map_err(read)?),
        (TypeChar::Int, 8) => widen_i64(npy.into_vec::<i64>().map_err(read)?),
        (TypeChar::Int, 4) => widen(npy.into_vec::<i32>().map_err(read)?),
        (TypeChar::Int, 2) => widen(npy.into_vec::<i16>().map_err(read)?),
        (TypeChar::Int, 1) => widen(npy.into_vec::<i8>().map_err(read)?),
        (TypeChar::Uint, 8) => widen_u64(npy.into_vec::<u64>().map_err(read)?),
        (TypeChar::Uint, 4) => widen(npy.into_vec::<u32>().map_err(read)?),
        (TypeChar::Uint, 2) => widen(npy.into_vec::<u16>().map_err(read)?),
        (TypeChar::Uint, 1) => widen(npy.into_vec::<u8>().map_err(read)?),
        _ => {
            return Err(err(format!(
                "{what} has dtype {ts}; it must be float64, float32 or an integer type"
            )));
        }
    };
    if data.len() as u64 != elems {
        return Err(err(format!(
            "{what} is truncated: {} of its {elems} values are present",
            data.len()
        )));
    }
    let data = if fortran && shape.len() == 2 {
        // column-major to row-major
        let (rows, cols) = (shape[0], shape[1]);
        let mut c = vec![0.0; data.len()];
        for j in 0..cols {
            for i in 0..rows {
                c[i * cols + j] = data[j * rows + i];
            }
        }
        c
    } else {
        data
    };
    Ok(Array { shape, data })
}

fn widen<T: Into<f64>>(v: Vec<T>) -> Vec<f64> {
    v.into_iter().map(Into::into).collect()
}

fn widen_i64(v: Vec<i64>) -> Vec<f64> {
    v.into_iter().map(|a| a as f64).collect()
}

fn widen_u64(v: Vec<u64>) -> Vec<f64> {
    v.into_iter().map(|a| a as f64).collect()
}

/// Reads a whole `.npy` file as one array.
fn read_npy_file(path: &str, what: &str) -> Result<Array, DataError> {
    let bytes = read_bytes(path)?;
    let available = bytes.len() as u64;
    read_array(Cursor::new(bytes), available, path, what)
}

/// The data set of inputs `x` (P × d, or P for d = 1) and values `y` (P or P × 1).
fn from_x_y(x: Array, y: Array, origin: &str) -> Result<Dataset, DataError> {
    let err = |r: String| Err(DataError::new(origin, r));
    let (p, d) = match x.shape[..] {
        [p, d] => (p, d),
        [p] => (p, 1),
        _ => {
            return err(format!("x has shape {:?}; it must be P × d (2-D)", x.shape));
        }
    };
    let py = match y.shape[..] {
        [p] | [p, 1] => p,
        _ => {
            return err(format!(
                "y has shape {:?}; it must hold one value per point (P or P × 1)",
                y.shape
            ));
        }
    };
    if py != p {
        return err(format!(
            "x has {p} points (shape {:?}) but y has {py} (shape {:?}): they must have the same P",
            x.shape, y.shape
        ));
    }
    Dataset::new(x.data, y.data, d, origin)
}

/// Reads the pair `X.npy,Y.npy`.
pub(super) fn read_pair(xs: &str, ys: &str, origin: &str) -> Result<Dataset, DataError> {
    let x = read_npy_file(xs, "x")?;
    let y = read_npy_file(ys, "y")?;
    from_x_y(x, y, origin)
}

/// Reads one `.npy` of shape P × (d + 1), y in the last column.
pub(super) fn read_joined(path: &str) -> Result<Dataset, DataError> {
    let a = read_npy_file(path, "the array")?;
    let [p, cols] = a.shape[..] else {
        return Err(DataError::new(
            path,
            format!(
                "the array has shape {:?}; a single .npy must be P × (d + 1) with y in the last column (or give X.npy,Y.npy or an .npz with x and y)",
                a.shape
            ),
        ));
    };
    if cols < 2 {
        return Err(DataError::new(
            path,
            format!("the array has {cols} column(s): it needs d ≥ 1 input columns and y last"),
        ));
    }
    let d = cols - 1;
    let mut x = Vec::with_capacity(p * d);
    let mut y = Vec::with_capacity(p);
    for row in a.data.chunks_exact(cols) {
        x.extend_from_slice(&row[..d]);
        y.push(row[d]);
    }
    Dataset::new(x, y, d, path)
}

/// Reads arrays `x` and `y` of an `.npz` (stored or deflate-compressed).
pub(super) fn read_npz(path: &str) -> Result<Dataset, DataError> {
    let bytes = read_bytes(path)?;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| DataError::new(path, format!("is not a valid .npz (zip) archive ({e})")))?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|f| f.ok()?.strip_suffix(".npy").map(str::to_string))
        .collect();
    let mut get = |name: &str| -> Result<Array, DataError> {
        let file = zip.by_name(&format!("{name}.npy")).map_err(|_| {
            DataError::new(
                path,
                format!(
                    "has no array {name:?} (its arrays: {}); it needs x (P × d) and y (P)",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            )
        })?;
        let size = file.size();
        read_array(file, size, path, name)
    };
    let x = get("x")?;
    let y = get("y")?;
    from_x_y(x, y, path)
}
