//! Placeholder until the plotting module lands.
#![allow(dead_code)]
use std::path::Path;
/// Line style.
pub enum Style {
    Line,
    Dashed,
    Markers,
    LineMarkers,
}
/// A series.
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub errors: Option<Vec<(f64, f64)>>,
    pub style: Style,
}
/// A figure.
pub struct Figure {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
    pub series: Vec<Series>,
}
/// Renders.
pub fn render(_fig: &Figure, _png: &Path, _svg: &Path) -> Result<(), String> {
    Err("stub".into())
}
