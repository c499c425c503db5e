//! Plotting for the scientific figure pipeline.
//!
//! [`render`] draws a [`Figure`] (a set of [`Series`] on linear or logarithmic axes) to a
//! 1000x700 PNG and to an SVG with the same content. Everything is drawn with `plotters`
//! using the embedded DejaVu Sans font (via `ab_glyph`), so no system font libraries are
//! needed.

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, Result};

use plotters::prelude::*;

mod axis;
mod draw;
mod layout;
mod style;
#[cfg(test)]
mod tests;

pub use style::{Figure, Panel, Series, Style};

use draw::draw;
use layout::Plan;
use style::{FONT, WIDTH};

/// Renders the figure to a PNG (1000x700 for one panel, [`style::LOWER_PANEL_HEIGHT`] taller per
/// further panel) and an SVG with the same content: title, axis labels, mesh, every series with
/// a distinct colour from a fixed palette (>= 8 colours, cycling), error bars or bands where
/// given, and a legend (series labels) in a corner box of each panel.
///
/// Axis ranges cover all plottable points and error bars with a small margin (the x axis over
/// every panel). On log axes only strictly positive values are used; non-finite and (on log
/// axes) non-positive points are skipped. Both files are written atomically (temporary file in
/// the same directory, then rename), and neither is written if rendering fails.
///
/// # Errors
/// Returns `Err` with a description if a panel has no series, nothing is plottable in a panel,
/// an `errors` vector has the wrong length, the data range cannot be represented, or drawing /
/// writing the files fails.
pub fn render(fig: &Figure, png: &Path, svg: &Path) -> Result<()> {
    ensure_fonts()?;
    let plan = Plan::new(fig)?;
    let size = (WIDTH, plan.height);
    // removed on drop, so nothing is left behind if drawing or writing fails
    let png_tmp = temp_beside(png, "png")?;
    let svg_tmp = temp_beside(svg, "svg")?;
    {
        let root = BitMapBackend::new(&png_tmp, size).into_drawing_area();
        draw(&root, &plan).with_context(|| format!("PNG {}", png.display()))?;
    }
    let mut svg_text = String::new();
    {
        let root = SVGBackend::with_string(&mut svg_text, size).into_drawing_area();
        draw(&root, &plan).with_context(|| format!("SVG {}", svg.display()))?;
    }
    fs::write(&svg_tmp, svg_text.as_bytes())
        .with_context(|| format!("cannot write {}", svg_tmp.display()))?;
    png_tmp
        .persist(png)
        .with_context(|| format!("cannot create {}", png.display()))?;
    svg_tmp
        .persist(svg)
        .with_context(|| format!("cannot create {}", svg.display()))?;
    Ok(())
}

/// A new temporary file in the folder of `target`, named `.NAME.XXXXXX.tmp.{ext}` (the bitmap
/// encoder picks the format from the extension), created like any other file (not with the
/// owner-only mode of `tempfile`'s default, which `persist` would keep).
fn temp_beside(target: &Path, ext: &str) -> Result<tempfile::TempPath> {
    let name = target
        .file_name()
        .with_context(|| format!("output path {} has no file name", target.display()))?;
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file = tempfile::Builder::new()
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .suffix(&format!(".tmp.{ext}"))
        .make_in(dir, |p| {
            fs::OpenOptions::new().write(true).create_new(true).open(p)
        })
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    Ok(file.into_temp_path())
}

/// Registers the embedded DejaVu fonts with plotters (once per process).
fn ensure_fonts() -> Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
                .map_err(|_| "cannot load embedded DejaVu Sans font".to_string())?;
            plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold())
                .map_err(|_| "cannot load embedded DejaVu Sans Bold font".to_string())
        })
        .clone()
        .map_err(anyhow::Error::msg)
}
