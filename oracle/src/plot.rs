//! SVG charts for the commands' reports: lines with optional confidence bands,
//! and histograms. SVG needs no system fonts, so plots render on any machine.

use std::path::{Path, PathBuf};

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// One line on a chart, with an optional shaded band (x, lower, upper) around it.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub band: Vec<(f64, f64, f64)>,
}

impl Series {
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            band: Vec::new(),
        }
    }

    pub fn with_band(mut self, band: Vec<(f64, f64, f64)>) -> Self {
        self.band = band;
        self
    }
}

/// Titles and axis labels of a chart.
#[derive(Debug, Clone, Copy)]
pub struct Labels<'a> {
    pub title: &'a str,
    pub x: &'a str,
    pub y: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("cannot plot {path}: {reason}")]
    Draw { path: PathBuf, reason: String },
    #[error("cannot plot {path}: no finite data")]
    Empty { path: PathBuf },
}

const SIZE: (u32, u32) = (960, 540);

/// Draws `series` as lines (with their bands) into an SVG file at `path`.
pub fn line_chart(path: &Path, labels: Labels, series: &[Series]) -> Result<(), PlotError> {
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = series.iter().flat_map(|s| {
        let band = s.band.iter().flat_map(|b| [b.1, b.2]);
        s.points.iter().map(|p| p.1).chain(band)
    });
    let (x_range, y_range) = match (padded_range(xs, 0.0), padded_range(ys, 0.05)) {
        (Some(x), Some(y)) => (x, y),
        _ => {
            return Err(PlotError::Empty {
                path: path.to_path_buf(),
            })
        }
    };
    let draw_error = draw_error(path);
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    let mut chart = labelled_axes(&root, labels, x_range, y_range, &draw_error)?;
    for (index, s) in series.iter().enumerate() {
        let color = Palette99::pick(index).to_rgba();
        if !s.band.is_empty() {
            let upper = s.band.iter().map(|b| (b.0, b.2));
            let lower = s.band.iter().rev().map(|b| (b.0, b.1));
            let outline: Vec<_> = upper.chain(lower).collect();
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline,
                    color.mix(0.18).filled(),
                )))
                .map_err(|e| draw_error(&e))?;
        }
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| draw_error(&e))?
            .label(s.name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    if series.iter().any(|s| !s.name.is_empty()) {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| draw_error(&e))?;
    }
    root.present().map_err(|e| draw_error(&e))
}

/// Draws a histogram of `values` in `bins` equal bins, with an optional
/// vertical marker (a threshold such as CR = 1), into an SVG file at `path`.
pub fn histogram(
    path: &Path,
    labels: Labels,
    values: &[f64],
    bins: usize,
    marker: Option<f64>,
) -> Result<(), PlotError> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let Some(x_range) = padded_range(finite.clone().chain(marker), 0.02) else {
        return Err(PlotError::Empty {
            path: path.to_path_buf(),
        });
    };
    let bins = bins.max(1);
    let width = (x_range.end - x_range.start) / bins as f64;
    let mut counts = vec![0u64; bins];
    for v in finite {
        let bin = (((v - x_range.start) / width) as usize).min(bins - 1);
        counts[bin] += 1;
    }
    let tallest = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let bars: Vec<(f64, f64)> = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| (x_range.start + width * i as f64, c as f64))
        .collect();
    let draw_error = draw_error(path);
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    let mut chart = labelled_axes(&root, labels, x_range, 0.0..tallest * 1.08, &draw_error)?;
    let fill = Palette99::pick(0).mix(0.7).filled();
    chart
        .draw_series(
            bars.iter()
                .map(|&(x, c)| Rectangle::new([(x, 0.0), (x + width, c)], fill)),
        )
        .map_err(|e| draw_error(&e))?;
    if let Some(m) = marker {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(m, 0.0), (m, tallest * 1.08)],
                RED.stroke_width(2),
            )))
            .map_err(|e| draw_error(&e))?;
    }
    root.present().map_err(|e| draw_error(&e))
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Turns a plotters failure into a `PlotError` naming `path`.
fn draw_error(path: &Path) -> impl Fn(&dyn std::fmt::Display) -> PlotError + '_ {
    move |e| PlotError::Draw {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// A white canvas with the caption and labelled axes over `x` and `y`.
fn labelled_axes<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    labels: Labels,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    draw_error: &dyn Fn(&dyn std::fmt::Display) -> PlotError,
) -> Result<Chart<'a, 'b>, PlotError> {
    root.fill(&WHITE).map_err(|e| draw_error(&e))?;
    let mut chart = ChartBuilder::on(root)
        .caption(labels.title, ("sans-serif", 22))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(x, y)
        .map_err(|e| draw_error(&e))?;
    chart
        .configure_mesh()
        .x_desc(labels.x)
        .y_desc(labels.y)
        .draw()
        .map_err(|e| draw_error(&e))?;
    Ok(chart)
}

/// The range of the finite values, widened by `pad` of its span on each side
/// (and to a unit span when all values are equal, so the axis is drawable).
fn padded_range(values: impl Iterator<Item = f64>, pad: f64) -> Option<std::ops::Range<f64>> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    let span = if hi > lo { hi - lo } else { 1.0 };
    Some(lo - pad * span..hi + pad * span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_line_chart_with_a_band_and_a_histogram() {
        let dir = tempfile::tempdir().unwrap();
        let line = dir.path().join("line.svg");
        let points: Vec<_> = (0..50)
            .map(|i| (i as f64, (i as f64 / 7.0).sin()))
            .collect();
        let band = points.iter().map(|&(x, y)| (x, y - 0.2, y + 0.2)).collect();
        let labels = Labels {
            title: "sine",
            x: "window",
            y: "value",
        };
        line_chart(
            &line,
            labels,
            &[Series::line("mean", points).with_band(band)],
        )
        .unwrap();
        let svg = std::fs::read_to_string(&line).unwrap();
        assert!(svg.contains("<svg") && svg.contains("sine") && svg.contains("polygon"));

        let hist = dir.path().join("hist.svg");
        let values: Vec<f64> = (0..1000).map(|i| (i % 37) as f64 / 10.0).collect();
        histogram(&hist, labels, &values, 20, Some(1.0)).unwrap();
        assert!(std::fs::read_to_string(&hist).unwrap().contains("<rect"));
    }

    #[test]
    fn refuses_to_draw_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.svg");
        let labels = Labels {
            title: "t",
            x: "x",
            y: "y",
        };
        let nan = Series::line("nan", vec![(f64::NAN, 1.0)]);
        assert!(matches!(
            line_chart(&path, labels, &[nan]),
            Err(PlotError::Empty { .. })
        ));
        assert!(matches!(
            histogram(&path, labels, &[], 10, None),
            Err(PlotError::Empty { .. })
        ));
    }
}
