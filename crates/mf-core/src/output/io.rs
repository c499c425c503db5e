//! Writing and reading the files of a run: atomic writes, JSON and CSV.

use crate::error::{FileAction, TrainError};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically: a temporary file in the same folder (`tempfile`),
/// synced, then renamed over `path`, so a reader never sees a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let io = |e: std::io::Error| TrainError::file(FileAction::Write, path, e);
    let mut f = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.as_file().sync_all().map_err(io)?;
    f.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Serialises `value` as pretty JSON and writes it atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), TrainError> {
    let mut s = serde_json::to_string_pretty(value)
        .map_err(|e| TrainError::file(FileAction::Serialise, path, e))?;
    s.push('\n');
    write_atomic(path, s.as_bytes())
}

/// Reads and parses a JSON file.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, TrainError> {
    let s =
        std::fs::read_to_string(path).map_err(|e| TrainError::file(FileAction::Read, path, e))?;
    serde_json::from_str(&s).map_err(|e| TrainError::file(FileAction::Parse, path, e))
}

/// Serialises `rows` as CSV (a header from the field names, absent values as empty fields).
pub fn csv_text<T: Serialize>(rows: &[T]) -> Result<String, TrainError> {
    let err = |e: &dyn std::fmt::Display| {
        TrainError::file(FileAction::Serialise, Path::new("CSV text"), e)
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).map_err(|e| err(&e))?;
    }
    let bytes = w.into_inner().map_err(|e| err(&e))?;
    String::from_utf8(bytes).map_err(|e| err(&e))
}
