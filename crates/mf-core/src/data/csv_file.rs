//! CSV data sets: one point per line, `x_1, …, x_d, y` (module docs of [`super`]).

use super::{DataError, Dataset, read_bytes};

/// Reads a CSV data set (commas, or blanks when a line has no comma; `#` comments; a first
/// line that is not all numbers is a header).
pub(super) fn read_csv(path: &str) -> Result<Dataset, DataError> {
    let bytes = read_bytes(path)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        DataError::new(
            path,
            format!(
                "is not a text file (byte {} is not UTF-8); give .npy or .npz files a .npy or .npz name",
                e.valid_up_to()
            ),
        )
    })?;
    parse_csv(text, path)
}

/// Parses CSV text (see [`read_csv`]); `origin` names it in errors. Lines end with `\n`,
/// `\r\n` or `\r`; a byte-order mark is skipped; the first line is a header when none of its
/// fields is a number; an empty field is an error.
pub(super) fn parse_csv(text: &str, origin: &str) -> Result<Dataset, DataError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut x = Vec::new();
    let mut y = Vec::new();
    // (columns, line) of the first data line
    let mut first: Option<(usize, usize)> = None;
    let mut seen_line = false;
    for (k, raw) in text.split(['\n', '\r']).enumerate() {
        let line_no = k + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = if line.contains(',') {
            line.split(',').map(str::trim).collect()
        } else {
            line.split_whitespace().collect()
        };
        let parsed: Vec<Option<f64>> = fields.iter().map(|f| f.parse::<f64>().ok()).collect();
        // a header: the first non-empty line, when none of its fields is a number
        if !seen_line && parsed.iter().all(Option::is_none) {
            seen_line = true;
            continue;
        }
        if let Some(c) = parsed.iter().position(Option::is_none) {
            let what = if fields[c].is_empty() {
                "is empty".to_string()
            } else {
                format!("{:?} is not a number", fields[c])
            };
            return Err(DataError::new(
                origin,
                format!("line {line_no}, column {}: {what}", c + 1),
            ));
        }
        let values: Vec<f64> = parsed.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect();
        seen_line = true;
        match first {
            None => {
                if values.len() < 2 {
                    return Err(DataError::new(
                        origin,
                        format!(
                            "line {line_no} has {} value(s): each line needs d ≥ 1 inputs and the value y (at least 2 columns)",
                            values.len()
                        ),
                    ));
                }
                first = Some((values.len(), line_no));
            }
            Some((cols, at)) if cols != values.len() => {
                return Err(DataError::new(
                    origin,
                    format!(
                        "line {line_no} has {} values but line {at} has {cols}: every point needs the same dimension",
                        values.len()
                    ),
                ));
            }
            Some(_) => {}
        }
        let (inputs, value) = values.split_at(values.len() - 1);
        x.extend_from_slice(inputs);
        y.push(value[0]);
    }
    let Some((cols, _)) = first else {
        return Err(DataError::new(
            origin,
            "it has no points (no line of numbers)",
        ));
    };
    Dataset::new(x, y, cols - 1, origin)
}
