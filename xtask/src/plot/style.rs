//! What a figure is: its types (figure, panels, series, styles) and the drawing constants
//! (sizes, margins, palette) every part of the plotting shares.

use plotters::prelude::*;

/// Width of the rendered image in pixels.
pub(super) const WIDTH: u32 = 1000;
/// Height of the rendered image of a one-panel figure in pixels.
pub(super) const HEIGHT: u32 = 700;
/// Extra image height per panel below the first, in pixels.
pub const LOWER_PANEL_HEIGHT: u32 = 380;
/// Margin between stacked panels, in pixels (each side).
pub(super) const PANEL_GAP: u32 = 6;
/// Font family name under which DejaVu Sans is registered.
pub(super) const FONT: &str = "sans-serif";
/// Outer margin around the chart, in pixels.
pub(super) const MARGIN: u32 = 20;
pub(super) const TITLE_SIZE: f64 = 28.0;
pub(super) const TICK_SIZE: f64 = 17.0;
pub(super) const DESC_SIZE: f64 = 20.0;
pub(super) const LEGEND_SIZE: f64 = 18.0;
/// Width reserved for the legend glyph (line / marker sample), in pixels.
pub(super) const LEGEND_GLYPH: u32 = 34;
pub(super) const LEGEND_MARGIN: u32 = 10;
pub(super) const MARKER_RADIUS: u32 = 4;
/// Half-size of the triangles of [`Style::EdgeMarkers`], in pixels.
pub(super) const EDGE_MARKER_SIZE: i32 = 7;
/// Opacity of the band of [`Style::Band`].
pub(super) const BAND_OPACITY: f64 = 0.18;
/// Width of the caps of an error bar, in pixels.
pub(super) const ERROR_CAP_WIDTH: u32 = 8;
pub(super) const LINE_WIDTH: u32 = 2;

/// Colour palette (Tableau 10); series `i` uses `PALETTE[i % PALETTE.len()]`.
pub(super) const PALETTE: [RGBColor; 10] = [
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
