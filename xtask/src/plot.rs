//! Plotting for the scientific figure pipeline.
//!
//! [`render`] draws a [`Figure`] (a set of [`Series`] on linear or logarithmic axes) to a
//! 1000x700 PNG and to an SVG with the same content. Everything is drawn with `plotters`
//! using the embedded DejaVu Sans font (via `ab_glyph`), so no system font libraries are
//! needed.

use std::fs;
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, Result, anyhow, bail};

use plotters::coord::Shift;
use plotters::coord::combinators::{IntoLogRange, LogCoord};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::element::{DashedPathElement, ErrorBar};
use plotters::prelude::*;

/// Width of the rendered image in pixels.
const WIDTH: u32 = 1000;
/// Height of the rendered image of a one-panel figure in pixels.
const HEIGHT: u32 = 700;
/// Extra image height per panel below the first, in pixels.
pub const LOWER_PANEL_HEIGHT: u32 = 380;
/// Margin between stacked panels, in pixels (each side).
const PANEL_GAP: u32 = 6;
/// Font family name under which DejaVu Sans is registered.
const FONT: &str = "sans-serif";
/// Outer margin around the chart, in pixels.
const MARGIN: u32 = 20;
const TITLE_SIZE: f64 = 28.0;
const TICK_SIZE: f64 = 17.0;
const DESC_SIZE: f64 = 20.0;
const LEGEND_SIZE: f64 = 18.0;
/// Width reserved for the legend glyph (line / marker sample), in pixels.
const LEGEND_GLYPH: u32 = 34;
const LEGEND_MARGIN: u32 = 10;
const MARKER_RADIUS: u32 = 4;
/// Half-size of the triangles of [`Style::EdgeMarkers`], in pixels.
const EDGE_MARKER_SIZE: i32 = 7;
/// Opacity of the band of [`Style::Band`].
const BAND_OPACITY: f64 = 0.18;
/// Width of the caps of an error bar, in pixels.
const ERROR_CAP_WIDTH: u32 = 8;
const LINE_WIDTH: u32 = 2;

/// Colour palette (Tableau 10); series `i` uses `PALETTE[i % PALETTE.len()]`.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// Solid line through the points (isolated points are shown as small dots).
    #[default]
    Line,
    /// Dashed line through the points (e.g. for reference/guide lines).
    Dashed,
    /// Filled circular markers only, no connecting line.
    Markers,
    /// Solid line plus filled circular markers.
    LineMarkers,
    /// Solid line through the points over a translucent band filled between the `errors`
    /// bounds (e.g. the range of the replicas); without `errors`, a plain line.
    Band,
    /// Filled left-pointing triangles, for values drawn beside the data at its right edge (a
    /// limit such as a polished minimum, placed by the caller at an x beyond the data); a dotted
    /// vertical line separates them from the other series.
    EdgeMarkers,
    /// Filled left-pointing triangles at their own x among the data (e.g. a polished value at
    /// its own width), without a separating line.
    Triangles,
}

/// One data series of a [`Figure`] panel.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Legend text; series with an empty label get no legend entry.
    pub label: String,
    /// Data points `(x, y)`; non-finite points (and non-positive ones on log axes) are skipped,
    /// and lines are broken at skipped points.
    pub points: Vec<(f64, f64)>,
    /// optional vertical error interval (low, high) for each point (same length as points)
    ///
    /// The interval is given in absolute y values (not as deltas). Intervals with a
    /// non-finite end are skipped; on a log y axis a non-positive `low` is clipped to the
    /// bottom of the axis. Drawn as error bars, or as the band of [`Style::Band`].
    pub errors: Option<Vec<(f64, f64)>>,
    /// Drawing style.
    pub style: Style,
    /// Palette index of the colour (so that related series share one); `None`: the series'
    /// index in its panel.
    pub color: Option<usize>,
    /// No legend entry even with a label (the label still names the series in the CSV).
    pub hide_legend: bool,
}

/// A panel stacked below the first one of a [`Figure`], sharing its x axis.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Panel {
    /// Description of the panel's y axis (omitted when empty; prefixes its series in the CSV).
    pub y_label: String,
    /// Use a logarithmic y axis.
    pub log_y: bool,
    /// The series, drawn in order (colours as in [`Figure::series`]).
    pub series: Vec<Series>,
}

/// A complete figure: title, axis descriptions, axis scales and the series to draw; optionally
/// further panels stacked below, sharing the x axis (the x description and tick labels are
/// drawn under the bottom panel only).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figure {
    /// Title drawn above the chart (omitted when empty).
    pub title: String,
    /// Description of the x axis (omitted when empty).
    pub x_label: String,
    /// Description of the y axis of the first (top) panel (omitted when empty).
    pub y_label: String,
    /// Use a logarithmic x axis.
    pub log_x: bool,
    /// Use a logarithmic y axis in the first panel.
    pub log_y: bool,
    /// The series of the first panel, drawn in order; colours are assigned from a fixed palette
    /// by index (or [`Series::color`]).
    pub series: Vec<Series>,
    /// Panels below the first, top to bottom (empty: a one-panel figure).
    pub below: Vec<Panel>,
}

/// One panel of a figure, borrowed (see [`Figure::panels`]).
#[derive(Debug, Clone, Copy)]
pub struct PanelRef<'a> {
    /// Its y description.
    pub y_label: &'a str,
    /// Log y axis.
    pub log_y: bool,
    /// Its series.
    pub series: &'a [Series],
}

impl Figure {
    /// Every panel, top first: the figure's own `y_label`, `log_y`, `series`, then `below`.
    pub fn panels(&self) -> Vec<PanelRef<'_>> {
        std::iter::once(PanelRef {
            y_label: &self.y_label,
            log_y: self.log_y,
            series: &self.series,
        })
        .chain(self.below.iter().map(|p| PanelRef {
            y_label: &p.y_label,
            log_y: p.log_y,
            series: &p.series,
        }))
        .collect()
    }
}

/// Renders the figure to a PNG (1000x700 for one panel, [`LOWER_PANEL_HEIGHT`] taller per
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

fn plottable(v: f64, log: bool) -> bool {
    v.is_finite() && (!log || v > 0.0)
}

/// Exact power of ten (`0.0` / `inf` outside the f64 range).
fn pow10(k: i32) -> f64 {
    format!("1e{k}").parse().unwrap_or(0.0)
}

/// Rounds to `sig` significant digits (removes binary noise such as 0.30000000000000004).
fn round_sig(v: f64, sig: usize) -> f64 {
    let prec = sig.clamp(1, 17) - 1;
    format!("{v:.prec$e}").parse().unwrap_or(v)
}

/// Tick label format of one axis.
#[derive(Debug, Clone, Copy, PartialEq)]
enum TickFmt {
    /// Fixed-point with the given number of decimals.
    Fixed(usize),
    /// Shortest representation after rounding to `sig` significant digits; scientific
    /// notation if `sci`.
    Short { sci: bool, sig: usize },
}

impl TickFmt {
    fn format(self, v: f64) -> String {
        if v == 0.0 {
            return "0".to_string();
        }
        match self {
            TickFmt::Fixed(d) => format!("{v:.d$}"),
            TickFmt::Short { sci: false, sig } => format!("{}", round_sig(v, sig)),
            TickFmt::Short { sci: true, sig } => format!("{:e}", round_sig(v, sig)),
        }
    }
}

/// Computed layout of one axis (backend independent).
#[derive(Debug, Clone)]
struct AxisPlan {
    log: bool,
    lo: f64,
    hi: f64,
    bold: Vec<f64>,
    light: Vec<f64>,
    fmt: TickFmt,
}

/// Multiples of `step` inside `[lo, hi]` (at most `max` of them, else `None`).
fn multiples(lo: f64, hi: f64, step: f64, max: usize) -> Option<Vec<f64>> {
    if !(step.is_finite() && step > 0.0) {
        return None;
    }
    let k0 = (lo / step - 1e-9).ceil();
    let k1 = (hi / step + 1e-9).floor();
    if !(k0.is_finite() && k1.is_finite()) || k1 < k0 || k1 - k0 > max as f64 {
        return None;
    }
    let n = (k1 - k0) as usize;
    Some(
        (0..=n)
            .map(|i| {
                let v = (k0 + i as f64) * step;
                if v == 0.0 { 0.0 } else { v }
            })
            .collect(),
    )
}

/// The 1/2/5 x 10^k step closest (in ratio) to `raw`, and its number of minor subdivisions.
fn nice_step(raw: f64) -> (f64, f64) {
    let base = 10f64.powf(raw.log10().floor());
    let mut best = (base, 5.0);
    for (m, sub) in [(1.0, 5.0), (2.0, 4.0), (5.0, 5.0), (10.0, 5.0)] {
        let step = m * base;
        if (step / raw).ln().abs() < (best.0 / raw).ln().abs() {
            best = (step, sub);
        }
    }
    best
}

/// Nice linear ticks (bold, light, step) for `[lo, hi]`.
fn linear_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, Vec<f64>, f64) {
    let (step, sub) = nice_step((hi - lo) / target.max(1) as f64);
    match multiples(lo, hi, step, 1000) {
        Some(bold) if !bold.is_empty() => {
            let light = multiples(lo, hi, step / sub, 5000).unwrap_or_default();
            (bold, light, step)
        }
        _ => (vec![lo, hi], Vec::new(), hi - lo),
    }
}

impl AxisPlan {
    /// Plans an axis covering the data extent `[lo, hi]` (finite; positive if `log`).
    fn new(lo: f64, hi: f64, log: bool, target: usize, name: &str) -> Result<Self> {
        if log {
            Self::new_log(lo, hi, target)
        } else {
            Self::new_linear(lo, hi, target, name)
        }
    }

    fn new_linear(lo: f64, hi: f64, target: usize, name: &str) -> Result<Self> {
        let scale = lo.abs().max(hi.abs());
        let (lo, hi) = if hi - lo <= scale * 1e-12 {
            let c = 0.5 * lo + 0.5 * hi;
            let half = if c == 0.0 { 1.0 } else { c.abs() * 0.1 };
            (c - half, c + half)
        } else {
            let m = 0.05 * (hi - lo);
            ((lo - m).max(-f64::MAX), (hi + m).min(f64::MAX))
        };
        if !(lo.is_finite() && hi.is_finite() && (hi - lo).is_finite() && hi > lo) {
            bail!("{name} data range is too large to plot");
        }
        let (bold, light, step) = linear_ticks(lo, hi, target);
        let maxabs = bold.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mag = |v: f64| (v.log10() + 1e-9).floor();
        let fmt = if maxabs >= 1e5 || (maxabs > 0.0 && maxabs < 1e-3) {
            TickFmt::Short {
                sci: true,
                sig: (mag(maxabs) - mag(step) + 1.0).clamp(1.0, 17.0) as usize,
            }
        } else {
            TickFmt::Fixed((-mag(step)).clamp(0.0, 12.0) as usize)
        };
        Ok(Self {
            log: false,
            lo,
            hi,
            bold,
            light,
            fmt,
        })
    }

    fn new_log(lo: f64, hi: f64, target: usize) -> Result<Self> {
        let (data_lo, data_hi) = (lo, hi);
        let (mut l0, mut l1) = (lo.log10(), hi.log10());
        if l1 - l0 < 1e-9 {
            l0 -= 0.5;
            l1 += 0.5;
        } else {
            let m = 0.05 * (l1 - l0);
            l0 -= m;
            l1 += m;
        }
        let mut lo = 10f64.powf(l0);
        let mut hi = 10f64.powf(l1);
        if !(lo > 0.0 && lo.is_finite()) {
            lo = data_lo;
        }
        if !hi.is_finite() {
            hi = f64::MAX;
        }
        if hi <= lo {
            hi = data_hi.max(lo * 10.0).min(f64::MAX);
        }
        if !(lo > 0.0 && hi.is_finite() && hi > lo) {
            bail!("log axis range cannot be represented");
        }
        let inside = |v: f64| v >= lo * (1.0 - 1e-12) && v <= hi * (1.0 + 1e-12);
        let k0 = (lo.log10() - 1e-9).floor() as i32;
        let k1 = (hi.log10() + 1e-9).ceil() as i32;
        let with_mantissas = |ms: &[u32]| -> Vec<f64> {
            let mut v: Vec<f64> = (k0..=k1)
                .flat_map(|k| {
                    ms.iter()
                        .map(move |m| format!("{m}e{k}").parse().unwrap_or(0.0))
                })
                .filter(|&v| inside(v))
                .collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let decades = with_mantissas(&[1]);
        let all_minor = with_mantissas(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let (bold, light) = if decades.len() >= 2 {
            let stride = decades.len().div_ceil(target.max(1)).max(1) as i32;
            let bold: Vec<f64> = (k0..=k1)
                .filter(|k| k.rem_euclid(stride) == 0)
                .map(pow10)
                .filter(|&v| inside(v))
                .collect();
            let light = if decades.len() <= 30 {
                all_minor
            } else {
                decades.clone()
            };
            if bold.len() >= 2 {
                (bold, light)
            } else {
                (decades.clone(), light)
            }
        } else {
            let one_two_five = with_mantissas(&[1, 2, 5]);
            if one_two_five.len() >= 3 {
                (one_two_five, all_minor)
            } else if all_minor.len() >= 3 {
                (all_minor.clone(), all_minor)
            } else {
                let (bold, light, _) = linear_ticks(lo, hi, 5);
                (bold, light)
            }
        };
        let sci = bold.iter().any(|v| !(1e-3..1e5).contains(&v.abs()));
        Ok(Self {
            log: true,
            lo,
            hi,
            bold,
            light,
            fmt: TickFmt::Short { sci, sig: 6 },
        })
    }

    /// Position of `v` on the axis, normalised to `[0, 1]`.
    fn normalize(&self, v: f64) -> f64 {
        if self.log {
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    fn coord(&self) -> Axis {
        let coord = if self.log {
            AxisCoord::Log(LogCoord::from((self.lo..self.hi).log_scale()))
        } else {
            AxisCoord::Linear(RangedCoordf64::from(self.lo..self.hi))
        };
        Axis {
            coord,
            bold: self.bold.clone(),
            light: self.light.clone(),
        }
    }
}

/// Linear or plotters log coordinate.
enum AxisCoord {
    Linear(RangedCoordf64),
    Log(LogCoord<f64>),
}

/// Plotters coordinate spec with precomputed tick positions. The log ticks are planned by
/// [`AxisPlan`] rather than by plotters' `LogCoord::key_points`, which puts ticks only at powers of
/// ten and so leaves an axis spanning less than a decade (common for the losses here) unlabelled.
struct Axis {
    coord: AxisCoord,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        match &self.coord {
            AxisCoord::Linear(c) => c.map(value, limit),
            AxisCoord::Log(c) => c.map(value, limit),
        }
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        match &self.coord {
            AxisCoord::Linear(c) => c.range(),
            AxisCoord::Log(c) => c.range(),
        }
    }
}

/// A vertical error bar at point (x, y); `lo == None` means clipped at the bottom of a log axis.
#[derive(Debug, Clone, Copy)]
struct Bar {
    x: f64,
    y: f64,
    lo: Option<f64>,
    hi: f64,
}

/// A series reduced to its plottable parts.
#[derive(Debug, Clone)]
struct PlanSeries {
    label: String,
    /// Whether it has a legend entry.
    legend: bool,
    style: Style,
    color: RGBColor,
    /// Maximal runs of consecutive plottable points.
    runs: Vec<Vec<(f64, f64)>>,
    /// Error bars (every style but [`Style::Band`]).
    bars: Vec<Bar>,
    /// [`Style::Band`]: maximal runs of consecutive points with a plottable interval.
    bands: Vec<Vec<Bar>>,
}

/// One panel, planned.
struct PanelPlan {
    y_label: String,
    y: AxisPlan,
    series: Vec<PlanSeries>,
    legend: Option<SeriesLabelPosition>,
    /// Height of the panel's drawing area, in pixels.
    height: u32,
    /// x of the dotted line between the data and the edge markers of this panel.
    edge_sep: Option<f64>,
}

/// Everything needed to draw a figure on any backend.
struct Plan {
    title: String,
    x_label: String,
    /// The x axis, shared by the panels.
    x: AxisPlan,
    /// Top to bottom.
    panels: Vec<PanelPlan>,
    /// Height of the x label area (under the bottom panel).
    x_area: u32,
    /// Width of the y label area (the same in every panel, so the plots line up).
    y_area: u32,
    /// Image height, in pixels.
    height: u32,
}

fn text_size(text: &str, size: f64) -> (u32, u32) {
    FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Normal)
        .box_size(text)
        .unwrap_or((
            (text.chars().count() as f64 * size * 0.6) as u32,
            size as u32,
        ))
}

fn extend(ext: &mut Option<(f64, f64)>, v: f64) {
    *ext = Some(match *ext {
        None => (v, v),
        Some((a, b)) => (a.min(v), b.max(v)),
    });
}

/// The plottable parts of the series of one panel, extending the x and y extents; also the
/// largest x of the data and the smallest x of the edge markers.
struct PanelData {
    series: Vec<PlanSeries>,
    yext: Option<(f64, f64)>,
    data_x_max: Option<f64>,
    edge_x_min: Option<f64>,
}

fn plan_series(
    series: &[Series],
    lx: bool,
    ly: bool,
    xext: &mut Option<(f64, f64)>,
    panel: Option<usize>,
) -> Result<PanelData> {
    let mut yext = None;
    let (mut data_x, mut edge_x) = (None, None);
    let mut out = Vec::with_capacity(series.len());
    for (i, s) in series.iter().enumerate() {
        if let Some(errs) = &s.errors
            && errs.len() != s.points.len()
        {
            let whose = panel.map(|p| format!("panel {p}, ")).unwrap_or_default();
            bail!(
                "{whose}series {i} ('{}'): {} error intervals for {} points",
                s.label,
                errs.len(),
                s.points.len()
            );
        }
        let band = s.style == Style::Band;
        let edge = s.style == Style::EdgeMarkers;
        let mut runs = Vec::new();
        let mut run = Vec::new();
        let mut bars = Vec::new();
        let mut bands = Vec::new();
        let mut band_run = Vec::new();
        for (j, &(x, y)) in s.points.iter().enumerate() {
            if !(plottable(x, lx) && plottable(y, ly)) {
                if !run.is_empty() {
                    runs.push(std::mem::take(&mut run));
                }
                if !band_run.is_empty() {
                    bands.push(std::mem::take(&mut band_run));
                }
                continue;
            }
            run.push((x, y));
            extend(xext, x);
            extend(&mut yext, y);
            extend(if edge { &mut edge_x } else { &mut data_x }, x);
            let bar = s
                .errors
                .as_ref()
                .and_then(|e| e.get(j))
                .filter(|(a, b)| a.is_finite() && b.is_finite())
                .map(|&(a, b)| (a.min(b), a.max(b)))
                .filter(|&(_, hi)| !(ly && hi <= 0.0))
                .map(|(lo, hi)| {
                    extend(&mut yext, hi);
                    let lo = plottable(lo, ly).then(|| {
                        extend(&mut yext, lo);
                        lo
                    });
                    Bar { x, y, lo, hi }
                });
            match (bar, band) {
                (Some(b), true) => band_run.push(b),
                (Some(b), false) => bars.push(b),
                (None, true) if !band_run.is_empty() => {
                    bands.push(std::mem::take(&mut band_run));
                }
                (None, _) => {}
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
        if !band_run.is_empty() {
            bands.push(band_run);
        }
        out.push(PlanSeries {
            label: s.label.clone(),
            legend: !s.label.is_empty() && !s.hide_legend,
            style: s.style,
            color: PALETTE[s.color.unwrap_or(i) % PALETTE.len()],
            runs,
            bars,
            bands,
        });
    }
    Ok(PanelData {
        series: out,
        yext,
        data_x_max: data_x.map(|e| e.1),
        edge_x_min: edge_x.map(|e| e.0),
    })
}

impl Plan {
    fn new(fig: &Figure) -> Result<Self> {
        let panels = fig.panels();
        let multi = panels.len() > 1;
        let lx = fig.log_x;
        let mut xext = None;
        let mut data = Vec::with_capacity(panels.len());
        for (k, p) in panels.iter().enumerate() {
            if p.series.is_empty() {
                if multi {
                    bail!("panel {} has no series to plot", k + 1);
                }
                bail!("figure has no series to plot");
            }
            data.push(plan_series(
                p.series,
                lx,
                p.log_y,
                &mut xext,
                multi.then_some(k + 1),
            )?);
        }
        let what = |ly: bool| match (lx, ly) {
            (false, false) => "finite data points",
            (true, false) => "finite data points with x > 0 (log x axis)",
            (false, true) => "finite data points with y > 0 (log y axis)",
            (true, true) => "finite data points with x > 0 and y > 0 (log-log axes)",
        };
        let Some((x0, x1)) = xext else {
            bail!(
                "nothing to plot: the figure has no {}",
                what(panels.iter().any(|p| p.log_y))
            );
        };
        let x = AxisPlan::new(x0, x1, lx, if lx { 12 } else { 8 }, "x")?;
        // the line between the data and the edge markers, over every panel's data
        let data_max = data.iter().filter_map(|d| d.data_x_max).reduce(f64::max);
        let edge_min = data.iter().filter_map(|d| d.edge_x_min).reduce(f64::min);
        let sep = match (data_max, edge_min) {
            (Some(a), Some(b)) if b > a => Some(if lx { (a * b).sqrt() } else { 0.5 * (a + b) }),
            _ => None,
        };
        let mut ys = Vec::with_capacity(panels.len());
        for (k, (p, d)) in panels.iter().zip(&data).enumerate() {
            let Some((y0, y1)) = d.yext else {
                bail!(
                    "nothing to plot in panel {}: it has no {}",
                    k + 1,
                    what(p.log_y)
                );
            };
            let target = match (p.log_y, k == 0) {
                (true, true) => 10,
                (false, true) => 7,
                (true, false) => 6,
                (false, false) => 5,
            };
            ys.push(AxisPlan::new(y0, y1, p.log_y, target, "y")?);
        }

        // Label areas: tick labels + tick marks + axis description.
        let tick_w = |a: &AxisPlan| {
            a.bold
                .iter()
                .map(|&v| text_size(&a.fmt.format(v), TICK_SIZE).0)
                .max()
                .unwrap_or(0)
        };
        let desc_h = |s: &str| {
            if s.is_empty() {
                0
            } else {
                text_size(s, DESC_SIZE).1 + 14
            }
        };
        let x_area = TICK_SIZE as u32 + 20 + desc_h(&fig.x_label);
        let y_area = panels
            .iter()
            .zip(&ys)
            .map(|(p, y)| (tick_w(y) + 20 + desc_h(p.y_label)).clamp(50, 300))
            .max()
            .unwrap_or(50);
        let title_h = if fig.title.is_empty() {
            0
        } else {
            text_size(&fig.title, TITLE_SIZE).1 + 12
        };
        let last = panels.len() - 1;
        let plot_w = WIDTH.saturating_sub(2 * MARGIN + y_area).max(1);
        let mut out = Vec::with_capacity(panels.len());
        for (k, ((p, d), y)) in panels.iter().zip(data).zip(ys).enumerate() {
            let height = match (k, multi) {
                (0, false) => HEIGHT,
                (0, true) => HEIGHT - x_area,
                (k, _) if k == last => LOWER_PANEL_HEIGHT + x_area,
                _ => LOWER_PANEL_HEIGHT,
            };
            let (top, bottom) = panel_margins(k, last);
            let used = top + bottom + if k == 0 { title_h } else { 0 };
            let used = used + if k == last { x_area } else { 0 };
            let plot_h = height.saturating_sub(used).max(1);
            let legend = legend_position(&d.series, &x, &y, plot_w, plot_h);
            out.push(PanelPlan {
                y_label: p.y_label.to_string(),
                edge_sep: sep.filter(|_| d.edge_x_min.is_some()),
                y,
                series: d.series,
                legend,
                height,
            });
        }
        Ok(Plan {
            title: fig.title.clone(),
            x_label: fig.x_label.clone(),
            x,
            height: out.iter().map(|p| p.height).sum(),
            panels: out,
            x_area,
            y_area,
        })
    }
}

/// Top and bottom margins of panel `k` of `0..=last`: the outer margin at the image's edges,
/// a small gap between panels.
fn panel_margins(k: usize, last: usize) -> (u32, u32) {
    (
        if k == 0 { MARGIN } else { PANEL_GAP },
        if k == last { MARGIN } else { PANEL_GAP },
    )
}

/// Picks the plot corner whose legend box would cover the fewest data samples
/// (`None` if no series has a legend entry).
fn legend_position(
    series: &[PlanSeries],
    x: &AxisPlan,
    y: &AxisPlan,
    plot_w: u32,
    plot_h: u32,
) -> Option<SeriesLabelPosition> {
    let labels: Vec<&str> = series
        .iter()
        .filter(|s| s.legend)
        .map(|s| s.label.as_str())
        .collect();
    if labels.is_empty() {
        return None;
    }
    let (mut tw, mut th) = (0u32, 0u32);
    for l in &labels {
        let (w, h) = text_size(l, LEGEND_SIZE);
        tw = tw.max(w);
        th += h.max(LEGEND_SIZE as u32) + 4;
    }
    // Box size plus the gap plotters leaves to the plot border, as plot fractions.
    let wf = f64::from(tw + LEGEND_GLYPH + 2 * LEGEND_MARGIN + 20) / f64::from(plot_w);
    let hf = f64::from(th + 2 * LEGEND_MARGIN + 20) / f64::from(plot_h);

    let mut samples: Vec<(f64, f64)> = Vec::new();
    let total: usize = series.iter().flat_map(|s| &s.runs).map(Vec::len).sum();
    let sub = if total > 5000 { 1 } else { 8 };
    for s in series {
        let connected = !matches!(
            s.style,
            Style::Markers | Style::EdgeMarkers | Style::Triangles
        );
        for run in &s.runs {
            for (k, &(px, py)) in run.iter().enumerate() {
                let p = (x.normalize(px), y.normalize(py));
                samples.push(p);
                if connected && k + 1 < run.len() {
                    let (x2, y2) = run[k + 1];
                    let q = (x.normalize(x2), y.normalize(y2));
                    for t in 1..sub {
                        let t = t as f64 / sub as f64;
                        samples.push((p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1)));
                    }
                }
            }
        }
        for b in s.bars.iter().chain(s.bands.iter().flatten()) {
            let u = x.normalize(b.x);
            samples.push((u, y.normalize(b.hi)));
            if let Some(lo) = b.lo {
                samples.push((u, y.normalize(lo)));
            }
        }
    }
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let count = |right: bool, upper: bool| {
        samples
            .iter()
            .filter(|&&(u, v)| {
                let in_x = if right { u >= 1.0 - wf } else { u <= wf };
                let in_y = if upper { v >= 1.0 - hf } else { v <= hf };
                in_x && in_y
            })
            .count()
    };
    let mut best = (SeriesLabelPosition::UpperRight, usize::MAX);
    for (pos, right, upper) in corners {
        let c = count(right, upper);
        if c < best.1 {
            best = (pos, c);
        }
    }
    Some(best.0)
}

/// Draws the planned figure on `root` and presents it: the panels top to bottom.
fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, plan: &Plan) -> Result<()> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e}");
    root.fill(&WHITE).map_err(err)?;
    let last = plan.panels.len() - 1;
    let mut rest = root.clone();
    for (k, p) in plan.panels.iter().enumerate() {
        let area = if k < last {
            let (a, b) = rest.split_vertically(p.height);
            rest = b;
            a
        } else {
            rest.clone()
        };
        draw_panel(&area, plan, p, k, last)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// Left-pointing triangle of [`Style::EdgeMarkers`], in pixels around its point.
fn edge_triangle() -> Vec<(i32, i32)> {
    let s = EDGE_MARKER_SIZE;
    vec![(-s, 0), (s, -s), (s, s)]
}

/// Draws panel `k` of `0..=last` on `area`: the title above the first, the x tick labels and
/// description under the last.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    plan: &Plan,
    p: &PanelPlan,
    k: usize,
    last: usize,
) -> Result<()> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e}");
    let (top, bottom) = panel_margins(k, last);
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(top)
        .margin_bottom(bottom)
        .margin_left(MARGIN)
        .margin_right(MARGIN)
        .x_label_area_size(if k == last { plan.x_area } else { 0 })
        .y_label_area_size(plan.y_area);
    if k == 0 && !plan.title.is_empty() {
        builder.caption(
            &plan.title,
            FontDesc::new(FontFamily::Name(FONT), TITLE_SIZE, FontStyle::Bold),
        );
    }
    let mut chart = builder
        .build_cartesian_2d(plan.x.coord(), p.y.coord())
        .map_err(err)?;

    let fx = |v: &f64| plan.x.fmt.format(*v);
    let fy = |v: &f64| p.y.fmt.format(*v);
    let axis = BLACK.mix(0.8);
    {
        let mut mesh = chart.configure_mesh();
        mesh.x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .label_style((FONT, TICK_SIZE))
            .axis_desc_style((FONT, DESC_SIZE))
            .bold_line_style(BLACK.mix(0.18))
            .light_line_style(BLACK.mix(0.06))
            .axis_style(axis);
        if k == last && !plan.x_label.is_empty() {
            mesh.x_desc(plan.x_label.as_str());
        }
        if !p.y_label.is_empty() {
            mesh.y_desc(p.y_label.as_str());
        }
        mesh.draw().map_err(err)?;
    }
    if k < last {
        // the x axis line of a panel without its own x label area
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(plan.x.lo, p.y.lo), (plan.x.hi, p.y.lo)],
                axis,
            )))
            .map_err(err)?;
    }
    if let Some(sep) = p.edge_sep {
        chart
            .draw_series(DashedLineSeries::new(
                [(sep, p.y.lo), (sep, p.y.hi)],
                4,
                4,
                BLACK.mix(0.45).stroke_width(1),
            ))
            .map_err(err)?;
    }

    // Bands first, under every line.
    for s in &p.series {
        let fill = s.color.mix(BAND_OPACITY).filled();
        for run in &s.bands {
            if run.len() >= 2 {
                let poly: Vec<(f64, f64)> = run
                    .iter()
                    .map(|b| (b.x, b.hi))
                    .chain(run.iter().rev().map(|b| (b.x, b.lo.unwrap_or(p.y.lo))))
                    .collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(poly, fill)))
                    .map_err(err)?;
            } else {
                let thin = s.color.stroke_width(1);
                chart
                    .draw_series(run.iter().map(|b| {
                        let lo = b.lo.unwrap_or(p.y.lo);
                        ErrorBar::new_vertical(b.x, lo, b.y, b.hi, thin, ERROR_CAP_WIDTH)
                    }))
                    .map_err(err)?;
            }
        }
    }

    for s in &p.series {
        let color = s.color;
        let line = color.stroke_width(LINE_WIDTH);
        let thin = color.stroke_width(1);
        let outline = BLACK.mix(0.7).stroke_width(1);

        // Error bars (a bar clipped at the bottom of a log axis ends on the axis).
        chart
            .draw_series(s.bars.iter().map(|b| {
                let lo = b.lo.unwrap_or(p.y.lo);
                ErrorBar::new_vertical(b.x, lo, b.y, b.hi, thin, ERROR_CAP_WIDTH)
            }))
            .map_err(err)?;

        let lines = matches!(
            s.style,
            Style::Line | Style::Dashed | Style::LineMarkers | Style::Band
        );
        let markers = matches!(s.style, Style::Markers | Style::LineMarkers);
        for run in &s.runs {
            if lines && run.len() >= 2 {
                if s.style == Style::Dashed {
                    chart
                        .draw_series(DashedLineSeries::new(run.iter().copied(), 10, 6, line))
                        .map_err(err)?;
                } else {
                    chart
                        .draw_series(LineSeries::new(run.iter().copied(), line))
                        .map_err(err)?;
                }
            } else if lines && !markers {
                // An isolated point of a line series would be invisible otherwise.
                chart
                    .draw_series(run.iter().map(|&p| Circle::new(p, 2, color.filled())))
                    .map_err(err)?;
            }
            if markers {
                chart
                    .draw_series(
                        run.iter()
                            .map(|&p| Circle::new(p, MARKER_RADIUS, color.filled())),
                    )
                    .map_err(err)?;
            }
            if matches!(s.style, Style::EdgeMarkers | Style::Triangles) {
                chart
                    .draw_series(run.iter().map(|&p| {
                        let mut rim = edge_triangle();
                        rim.push(rim[0]);
                        EmptyElement::at(p)
                            + Polygon::new(edge_triangle(), color.filled())
                            + PathElement::new(rim, outline)
                    }))
                    .map_err(err)?;
            }
        }

        if s.legend {
            let w = LEGEND_GLYPH as i32 - 6;
            let anno = chart
                .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
                .map_err(err)?;
            anno.label(s.label.as_str());
            match s.style {
                Style::Line => {
                    anno.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + w, y)], line));
                }
                Style::Dashed => {
                    anno.legend(move |(x, y)| {
                        DashedPathElement::new(vec![(x, y), (x + w, y)], 7, 4, line)
                    });
                }
                Style::Markers => {
                    anno.legend(move |(x, y)| {
                        Circle::new((x + w / 2, y), MARKER_RADIUS, color.filled())
                    });
                }
                Style::LineMarkers => {
                    anno.legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + PathElement::new(vec![(0, 0), (w, 0)], line)
                            + Circle::new((w / 2, 0), MARKER_RADIUS, color.filled())
                    });
                }
                Style::Band => {
                    let fill = color.mix(BAND_OPACITY).filled();
                    anno.legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + Rectangle::new([(0, -6), (w, 6)], fill)
                            + PathElement::new(vec![(0, 0), (w, 0)], line)
                    });
                }
                Style::EdgeMarkers | Style::Triangles => {
                    anno.legend(move |(x, y)| {
                        let tri: Vec<(i32, i32)> = edge_triangle()
                            .into_iter()
                            .map(|(a, b)| (a + w / 2, b))
                            .collect();
                        let rim = vec![tri[0], tri[1], tri[2], tri[0]];
                        EmptyElement::at((x, y))
                            + Polygon::new(tri, color.filled())
                            + PathElement::new(rim, outline)
                    });
                }
            }
        }
    }

    if let Some(pos) = &p.legend {
        chart
            .configure_series_labels()
            .position(pos.clone())
            .margin(LEGEND_MARGIN)
            .legend_area_size(LEGEND_GLYPH)
            .label_font((FONT, LEGEND_SIZE))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.5))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("plot-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn render_in(fig: &Figure, dir: &Path) -> Result<(Vec<u8>, String)> {
        let (png, svg) = (dir.join("fig.png"), dir.join("fig.svg"));
        render(fig, &png, &svg)?;
        Ok((fs::read(png).unwrap(), fs::read_to_string(svg).unwrap()))
    }

    fn loglog_figure(with_errors: bool) -> Figure {
        let ns: Vec<f64> = (0..13).map(|k| 10f64 * 2f64.powi(k)).collect();
        let err: Vec<(f64, f64)> = ns.iter().map(|n| (0.7 / n, 1.4 / n)).collect();
        Figure {
            title: "Convergence of the test scheme".into(),
            x_label: "number of cells n".into(),
            y_label: "relative error |e_n|".into(),
            log_x: true,
            log_y: true,
            series: vec![
                Series {
                    label: "measured error".into(),
                    points: ns.iter().map(|&n| (n, 1.0 / n)).collect(),
                    errors: with_errors.then_some(err),
                    style: Style::LineMarkers,
                    ..Series::default()
                },
                Series {
                    label: "guide n^-2".into(),
                    points: ns.iter().map(|&n| (n, 5.0 / (n * n))).collect(),
                    errors: None,
                    style: Style::Dashed,
                    ..Series::default()
                },
                Series {
                    label: "samples".into(),
                    points: ns.iter().map(|&n| (n, 0.5 / n.sqrt())).collect(),
                    errors: None,
                    style: Style::Markers,
                    ..Series::default()
                },
            ],
            ..Figure::default()
        }
    }

    fn count_strokes(svg: &str) -> usize {
        svg.matches("<polyline").count()
            + svg.matches("<line").count()
            + svg.matches("<path").count()
    }

    fn png_size(png: &[u8]) -> (u32, u32) {
        let i = png.windows(4).position(|w| w == b"IHDR").unwrap() + 4;
        let w = u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
        let h = u32::from_be_bytes(png[i + 4..i + 8].try_into().unwrap());
        (w, h)
    }

    /// Contents of all `<text>` elements (trimmed, still XML-escaped).
    fn svg_texts(svg: &str) -> Vec<&str> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = &t[t.find('>')? + 1..];
                Some(body[..body.find("</text>")?].trim())
            })
            .collect()
    }

    fn has_text(svg: &str, text: &str) -> bool {
        svg_texts(svg).contains(&text)
    }

    #[test]
    fn loglog_with_error_bars_renders_png_and_svg() {
        let dir = tmpdir("loglog");
        let fig = loglog_figure(true);
        let (png, svg) = render_in(&fig, &dir).unwrap();

        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(png_size(&png), (WIDTH, HEIGHT));
        assert!(png.len() > 5_000, "PNG only {} bytes", png.len());

        let body = svg.trim_start();
        let body = if body.starts_with("<?xml") {
            &body[body.find("?>").unwrap() + 2..]
        } else {
            body
        };
        assert!(
            body.trim_start().starts_with("<svg"),
            "{}",
            &svg[..80.min(svg.len())]
        );
        for t in [&fig.title, &fig.x_label, &fig.y_label] {
            assert!(has_text(&svg, t), "missing text {t:?} in {dir:?}");
        }
        for s in &fig.series {
            assert!(has_text(&svg, &s.label), "missing legend {:?}", s.label);
        }
        // Log tick labels.
        assert!(
            has_text(&svg, "100") && has_text(&svg, "1e-6"),
            "log tick labels"
        );

        let n_bars = fig.series[0].points.len();
        let strokes = count_strokes(&svg);
        assert!(strokes >= n_bars, "{strokes} strokes < {n_bars} error bars");
        // The error bars themselves add at least one stroke each.
        let (_, svg_plain) = render_in(&loglog_figure(false), &dir).unwrap();
        let diff = strokes - count_strokes(&svg_plain);
        assert!(diff >= n_bars, "error bars added only {diff} strokes");

        // No temporary files are left behind.
        let names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        if std::env::var_os("PLOT_KEEP").is_none() {
            fs::remove_dir_all(dir).unwrap();
        }
    }

    /// Writes `sample.png` / `sample.svg` into the system temporary folder for visual
    /// inspection (`cargo test --release -- --ignored`).
    #[test]
    #[ignore]
    fn write_sample() {
        let dir = std::env::temp_dir();
        let dir = dir.as_path();
        let fig = loglog_figure(true);
        render(&fig, &dir.join("sample.png"), &dir.join("sample.svg")).unwrap();
        let mut lin = fig.clone();
        lin.log_x = false;
        lin.log_y = false;
        lin.title = "Linear axes".into();
        for s in &mut lin.series {
            for p in &mut s.points {
                p.1 = -p.1.ln();
            }
            s.errors = None;
        }
        render(
            &lin,
            &dir.join("sample_lin.png"),
            &dir.join("sample_lin.svg"),
        )
        .unwrap();
    }

    /// Two panels: bands and edge markers on log–log axes above, a linear panel below.
    fn two_panel_figure() -> Figure {
        let ts: Vec<f64> = (0..30).map(|k| 10f64.powf(k as f64 / 8.0)).collect();
        let band = |a: f64, color: usize| Series {
            label: format!("n = {a}"),
            points: ts.iter().map(|&t| (t, a / (1.0 + t))).collect(),
            errors: Some(
                ts.iter()
                    .map(|&t| (0.8 * a / (1.0 + t), 1.2 * a / (1.0 + t)))
                    .collect(),
            ),
            style: Style::Band,
            color: Some(color),
            ..Series::default()
        };
        let t_end = *ts.last().unwrap();
        Figure {
            title: "Two panels".into(),
            x_label: "time t".into(),
            y_label: "loss".into(),
            log_x: true,
            log_y: true,
            series: vec![
                band(1.0, 0),
                band(2.0, 1),
                Series {
                    label: "edge of n = 1".into(),
                    points: vec![(2.0 * t_end, 1e-4)],
                    errors: Some(vec![(5e-5, 2e-4)]),
                    style: Style::EdgeMarkers,
                    color: Some(0),
                    hide_legend: true,
                },
                Series {
                    label: "limits".into(),
                    style: Style::EdgeMarkers,
                    color: Some(7),
                    ..Series::default()
                },
            ],
            below: vec![Panel {
                y_label: "charge".into(),
                log_y: false,
                series: vec![Series {
                    label: "hidden c".into(),
                    points: ts.iter().map(|&t| (t, t.ln())).collect(),
                    style: Style::Line,
                    hide_legend: true,
                    ..Series::default()
                }],
            }],
        }
    }

    #[test]
    fn two_panels_share_the_x_axis_and_render() {
        let dir = tmpdir("panels");
        let fig = two_panel_figure();
        let (png, svg) = render_in(&fig, &dir).unwrap();
        assert_eq!(png_size(&png), (WIDTH, HEIGHT + LOWER_PANEL_HEIGHT));
        for t in [
            "Two panels",
            "time t",
            "loss",
            "charge",
            "n = 1",
            "n = 2",
            "limits",
        ] {
            assert!(has_text(&svg, t), "missing text {t:?}");
        }
        assert!(!has_text(&svg, "hidden c") && !has_text(&svg, "edge of n = 1"));
        assert_eq!(
            svg_texts(&svg).iter().filter(|t| **t == "time t").count(),
            1,
            "one x description, under the bottom panel"
        );
        // bands (2), the edge marker (1) and the legend glyphs (2 bands' boxes are rects,
        // 1 triangle) are polygons
        assert!(svg.matches("<polygon").count() >= 4, "polygons");

        let plan = Plan::new(&fig).unwrap();
        assert_eq!(plan.panels.len(), 2);
        assert_eq!(plan.height, HEIGHT + LOWER_PANEL_HEIGHT);
        let t_end = 10f64.powf(29.0 / 8.0);
        assert!(
            plan.x.hi > 2.0 * t_end && plan.x.lo < 1.0,
            "x covers the edge marker"
        );
        let top = &plan.panels[0];
        assert_eq!(top.series[0].bands.len(), 1);
        assert!(top.series[0].bars.is_empty(), "a band draws no error bars");
        assert_eq!(top.series[2].bars.len(), 1, "edge markers keep their bars");
        assert_eq!(top.series[1].color, PALETTE[1]);
        assert_eq!(top.series[3].color, PALETTE[7]);
        let sep = top.edge_sep.unwrap();
        assert!(sep > t_end && sep < 2.0 * t_end, "{sep}");
        assert_eq!(plan.panels[1].edge_sep, None);
        assert!(plan.panels[1].legend.is_none(), "only hidden labels");
        assert!(!plan.panels[1].y.log && plan.panels[1].y.lo < 0.1);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn band_breaks_at_missing_intervals_and_clips_on_log_axes() {
        let fig = Figure {
            log_y: true,
            series: vec![Series {
                points: vec![(1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (4.0, 4.0)],
                errors: Some(vec![(0.5, 1.5), (-1.0, 3.0), (f64::NAN, 1.0), (3.0, 5.0)]),
                style: Style::Band,
                ..Series::default()
            }],
            ..Figure::default()
        };
        let plan = Plan::new(&fig).unwrap();
        let b = &plan.panels[0].series[0].bands;
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].len(), 2);
        assert_eq!(b[0][1].lo, None, "a non-positive low end is clipped");
        assert_eq!(b[1].len(), 1);
        let dir = tmpdir("band");
        render_in(&fig, &dir).unwrap();
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn empty_or_unplottable_lower_panels_are_errors() {
        let mut fig = loglog_figure(false);
        fig.below.push(Panel::default());
        let e = Plan::new(&fig).err().unwrap().to_string();
        assert!(e.contains("panel 2 has no series"), "{e}");
        fig.below[0] = Panel {
            log_y: true,
            series: vec![Series {
                points: vec![(100.0, -1.0)],
                ..Series::default()
            }],
            ..Panel::default()
        };
        let e = Plan::new(&fig).err().unwrap().to_string();
        assert!(e.contains("nothing to plot in panel 2"), "{e}");
        fig.below[0].series[0].errors = Some(vec![]);
        let e = Plan::new(&fig).err().unwrap().to_string();
        assert!(e.contains("panel 2, series 0"), "{e}");
    }

    #[test]
    fn linear_axes_with_negative_values_render() {
        let dir = tmpdir("linear");
        let xs: Vec<f64> = (0..50).map(|i| -5.0 + 0.2 * i as f64).collect();
        let fig = Figure {
            title: "Linear <axes> & negatives".into(),
            x_label: "x".into(),
            y_label: "f(x)".into(),
            log_x: false,
            log_y: false,
            series: vec![
                Series {
                    label: "sin".into(),
                    points: xs.iter().map(|&x| (x, -3.0 * x.sin())).collect(),
                    errors: Some(
                        xs.iter()
                            .map(|&x| (-3.0 * x.sin() - 0.3, -3.0 * x.sin() + 0.3))
                            .collect(),
                    ),
                    style: Style::Line,
                    ..Series::default()
                },
                Series {
                    label: "line".into(),
                    points: xs.iter().map(|&x| (x, 0.5 * x - 1.0)).collect(),
                    errors: None,
                    style: Style::Dashed,
                    ..Series::default()
                },
            ],
            ..Figure::default()
        };
        let (png, svg) = render_in(&fig, &dir).unwrap();
        assert_eq!(png_size(&png), (WIDTH, HEIGHT));
        assert!(
            has_text(&svg, "Linear &lt;axes&gt; &amp; negatives"),
            "escaped title"
        );
        assert!(
            has_text(&svg, "-4") && has_text(&svg, "-2"),
            "negative tick labels"
        );
        let plan = Plan::new(&fig).unwrap();
        assert!(plan.x.lo < -5.0 && plan.x.hi > 4.8);
        assert!(plan.panels[0].y.lo < -3.3 && plan.panels[0].y.hi > 3.3);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn log_axis_skips_non_positive_values() {
        let fig = Figure {
            log_y: true,
            series: vec![Series {
                label: "a".into(),
                points: vec![
                    (1.0, 10.0),
                    (2.0, 0.0),
                    (3.0, -5.0),
                    (4.0, 1000.0),
                    (f64::NAN, 1.0),
                ],
                errors: Some(vec![
                    (-1.0, 20.0),
                    (0.0, 1.0),
                    (1.0, 2.0),
                    (500.0, 2000.0),
                    (1.0, 2.0),
                ]),
                style: Style::LineMarkers,
                ..Series::default()
            }],
            ..Figure::default()
        };
        let plan = Plan::new(&fig).unwrap();
        let s = &plan.panels[0].series[0];
        assert_eq!(s.runs, vec![vec![(1.0, 10.0)], vec![(4.0, 1000.0)]]);
        assert_eq!(s.bars.len(), 2);
        assert_eq!(s.bars[0].lo, None, "non-positive low end is clipped");
        assert!(
            plan.panels[0].y.lo > 0.0 && plan.panels[0].y.lo < 10.0 && plan.panels[0].y.hi > 2000.0
        );
        assert!(plan.panels[0].y.bold.iter().all(|&v| v > 0.0));

        let dir = tmpdir("logskip");
        render_in(&fig, &dir).unwrap();
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn only_non_positive_data_on_log_axis_is_an_error() {
        let dir = tmpdir("lognone");
        let fig = Figure {
            log_x: true,
            series: vec![Series {
                label: "a".into(),
                points: vec![(0.0, 1.0), (-1.0, 2.0), (f64::INFINITY, 3.0)],
                ..Series::default()
            }],
            ..Figure::default()
        };
        let e = render_in(&fig, &dir).unwrap_err().to_string();
        assert!(e.contains("nothing to plot") && e.contains("x > 0"), "{e}");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0, "no files written");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn empty_figure_is_an_error() {
        let dir = tmpdir("empty");
        let e = render_in(&Figure::default(), &dir).unwrap_err().to_string();
        assert!(e.contains("no series"), "{e}");
        let fig = Figure {
            series: vec![Series::default(), Series::default()],
            ..Figure::default()
        };
        assert!(
            render_in(&fig, &dir)
                .unwrap_err()
                .to_string()
                .contains("nothing to plot")
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn mismatched_error_length_is_an_error() {
        let fig = Figure {
            series: vec![Series {
                points: vec![(1.0, 1.0), (2.0, 2.0)],
                errors: Some(vec![(0.0, 1.0)]),
                ..Series::default()
            }],
            ..Figure::default()
        };
        assert!(
            Plan::new(&fig)
                .err()
                .unwrap()
                .to_string()
                .contains("1 error intervals for 2 points")
        );
    }

    #[test]
    fn degenerate_ranges_are_widened() {
        for (log, v) in [
            (false, 3.0),
            (false, 0.0),
            (false, -1e-9),
            (true, 5.0),
            (true, 1e-300),
        ] {
            let fig = Figure {
                log_x: log,
                log_y: log,
                series: vec![Series {
                    points: vec![(v, v), (v, v)],
                    ..Series::default()
                }],
                ..Figure::default()
            };
            let plan = Plan::new(&fig).unwrap();
            for a in [&plan.x, &plan.panels[0].y] {
                assert!(a.lo < v && a.hi > v, "{log} {v}: {a:?}");
                assert!(a.bold.len() >= 2, "{log} {v}: {a:?}");
            }
        }
    }

    #[test]
    fn tick_labels_are_readable() {
        let a = AxisPlan::new(1e-7, 1.0, true, 8, "y").unwrap();
        let labels: Vec<String> = a.bold.iter().map(|&v| a.fmt.format(v)).collect();
        assert!(labels.contains(&"1e-6".to_string()), "{labels:?}");
        let a = AxisPlan::new(10.0, 1000.0, true, 8, "x").unwrap();
        let labels: Vec<String> = a.bold.iter().map(|&v| a.fmt.format(v)).collect();
        assert_eq!(labels, ["10", "100", "1000"]);
        let a = AxisPlan::new(2.0, 3.0, true, 8, "x").unwrap();
        assert!(a.bold.len() >= 3, "{a:?}");
        let a = AxisPlan::new(0.0, 1.0, false, 10, "x").unwrap();
        let labels: Vec<String> = a.bold.iter().map(|&v| a.fmt.format(v)).collect();
        assert!(
            labels.contains(&"0.4".to_string()) && labels.contains(&"0".to_string()),
            "{labels:?}"
        );
        let a = AxisPlan::new(-3e6, 2e6, false, 10, "x").unwrap();
        let labels: Vec<String> = a.bold.iter().map(|&v| a.fmt.format(v)).collect();
        assert!(labels.contains(&"-1e6".to_string()), "{labels:?}");
        assert!(labels.contains(&"-2.5e6".to_string()), "{labels:?}");
        let a = AxisPlan::new(1e6, 1e6 + 3.0, false, 8, "x").unwrap();
        let labels: Vec<String> = a.bold.iter().map(|&v| a.fmt.format(v)).collect();
        assert!(labels.contains(&"1.0000005e6".to_string()), "{labels:?}");
    }

    #[test]
    fn palette_is_distinct_and_cycles() {
        assert!(PALETTE.len() >= 8);
        for (i, a) in PALETTE.iter().enumerate() {
            assert!(PALETTE[i + 1..].iter().all(|b| a != b));
        }
        let fig = Figure {
            series: (0..12)
                .map(|i| Series {
                    points: vec![(0.0, i as f64)],
                    ..Series::default()
                })
                .collect(),
            ..Figure::default()
        };
        let plan = Plan::new(&fig).unwrap();
        assert_eq!(
            plan.panels[0].series[10].color,
            plan.panels[0].series[0].color
        );
        assert_ne!(
            plan.panels[0].series[1].color,
            plan.panels[0].series[0].color
        );
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let dir = tmpdir("hostile");
        let weird = [
            vec![(f64::NAN, f64::NAN)],
            vec![(0.0, f64::INFINITY), (1.0, f64::NEG_INFINITY)],
            vec![(-f64::MAX, f64::MAX), (f64::MAX, -f64::MAX)],
            vec![(f64::MAX, f64::MAX), (f64::MAX / 2.0, 1.0)],
            vec![(f64::MIN_POSITIVE, 5e-324), (1e-310, 1e-320)],
            vec![(1.0, 1.0 + 1e-15), (1.0 + 1e-15, 1.0)],
            vec![(1e300, -1e300), (-1e300, 1e300)],
            vec![(1.0, 2.0)],
            vec![],
        ];
        let mut ok = 0;
        for points in &weird {
            for (lx, ly) in [(false, false), (true, false), (false, true), (true, true)] {
                for style in [
                    Style::Line,
                    Style::Dashed,
                    Style::Markers,
                    Style::LineMarkers,
                    Style::Band,
                    Style::EdgeMarkers,
                    Style::Triangles,
                ] {
                    let fig = Figure {
                        title: "t".into(),
                        log_x: lx,
                        log_y: ly,
                        series: vec![Series {
                            label: "s".into(),
                            points: points.clone(),
                            errors: Some(vec![(f64::NEG_INFINITY, f64::NAN); points.len()]),
                            style,
                            ..Series::default()
                        }],
                        ..Figure::default()
                    };
                    let _ = Plan::new(&fig);
                }
            }
            let fig = Figure {
                log_x: true,
                log_y: true,
                series: vec![Series {
                    label: "s".into(),
                    points: points.clone(),
                    errors: Some(vec![(-1.0, 1e308); points.len()]),
                    style: Style::LineMarkers,
                    ..Series::default()
                }],
                ..Figure::default()
            };
            ok += usize::from(render_in(&fig, &dir).is_ok());
            let fig = Figure {
                log_x: false,
                log_y: false,
                ..fig
            };
            ok += usize::from(render_in(&fig, &dir).is_ok());
        }
        assert!(ok >= 8, "only {ok} hostile figures rendered");
        // Bad output location is an error, not a panic.
        let fig = loglog_figure(false);
        assert!(render(&fig, &dir.join("missing/a.png"), &dir.join("missing/a.svg")).is_err());
        assert!(render(&fig, Path::new("/"), &dir.join("a.svg")).is_err());
        fs::remove_dir_all(dir).unwrap();
    }
}
