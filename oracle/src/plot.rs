//! SVG charts for the commands' reports: lines with optional confidence bands,
//! and histograms. SVG needs no system fonts, so plots render on any machine.

use std::path::{Path, PathBuf};

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

/// One line on a chart, with an optional shaded band (x, lower, upper) around it.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub band: Vec<(f64, f64, f64)>,
    /// Drawn dashed, in the colour of the series at `index` (a target
    /// beside the value it is for, say).
    pub dashed_like: Option<usize>,
}

impl Series {
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            band: Vec::new(),
            dashed_like: None,
        }
    }

    /// Dashed, in the colour of the series at `index`.
    pub fn dashed_like(mut self, index: usize) -> Self {
        self.dashed_like = Some(index);
        self
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
/// The legend's column to the right of the plot, so it never covers a line.
const LEGEND_WIDTH: u32 = 200;

/// Shaded stretches of the x axis (times a breaker held, say), named once
/// in the legend.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spans<'a> {
    pub label: &'a str,
    pub ranges: &'a [(f64, f64)],
}

/// Draws `series` as lines (with their bands) into an SVG file at `path`.
pub fn line_chart(path: &Path, labels: Labels, series: &[Series]) -> Result<(), PlotError> {
    line_chart_with_spans(path, labels, series, Spans::default())
}

/// `line_chart` over shaded `spans`, with the legend beside the plot.
pub fn line_chart_with_spans(path: &Path, labels: Labels, series: &[Series], spans: Spans) -> Result<(), PlotError> {
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
    root.fill(&WHITE).map_err(|e| draw_error(&e))?;
    let named = series.iter().any(|s| !s.name.is_empty()) || !spans.ranges.is_empty();
    let (plot, legend) = root.split_horizontally(if named { SIZE.0 - LEGEND_WIDTH } else { SIZE.0 });
    let mut chart = labelled_axes(&plot, labels, x_range, y_range.clone(), &draw_error)?;
    let shade = RGBColor(255, 140, 0).mix(0.15);
    for &(from, to) in spans.ranges {
        chart
            .draw_series(std::iter::once(Rectangle::new([(from, y_range.start), (to, y_range.end)], shade.filled())))
            .map_err(|e| draw_error(&e))?;
    }
    let color_of = |index: usize| Palette99::pick(series[index].dashed_like.unwrap_or(index)).to_rgba();
    for (index, s) in series.iter().enumerate() {
        let color = color_of(index);
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
        let points = s.points.iter().copied();
        match s.dashed_like {
            Some(_) => chart.draw_series(DashedLineSeries::new(points, 8, 5, color.stroke_width(2))),
            None => chart.draw_series(LineSeries::new(points, color.stroke_width(2))),
        }
        .map_err(|e| draw_error(&e))?;
    }
    if named {
        let font = ("sans-serif", 14).into_font().color(&BLACK);
        let row = |i: usize| 60 + 24 * i as i32;
        for (index, s) in series.iter().enumerate().filter(|(_, s)| !s.name.is_empty()) {
            let color = color_of(index);
            let sample = vec![(8, row(index)), (32, row(index))];
            match s.dashed_like {
                Some(_) => legend.draw(&DashedPathElement::new(sample, 6, 4, color.stroke_width(2))),
                None => legend.draw(&PathElement::new(sample, color.stroke_width(2))),
            }
            .map_err(|e| draw_error(&e))?;
            legend.draw(&Text::new(s.name.as_str(), (40, row(index) - 8), font.clone())).map_err(|e| draw_error(&e))?;
        }
        if !spans.ranges.is_empty() {
            let at = row(series.len());
            legend
                .draw(&Rectangle::new([(8, at - 7), (32, at + 7)], shade.filled()))
                .map_err(|e| draw_error(&e))?;
            legend.draw(&Text::new(spans.label, (40, at - 8), font)).map_err(|e| draw_error(&e))?;
        }
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
            &[Series::line("mean", points.clone()).with_band(band)],
        )
        .unwrap();
        let svg = std::fs::read_to_string(&line).unwrap();
        assert!(svg.contains("<svg") && svg.contains("sine") && svg.contains("polygon"));

        let spanned = dir.path().join("spans.svg");
        let target = Series::line("target", vec![(0.0, 0.5), (49.0, 0.5)]).dashed_like(0);
        let spans = Spans {
            label: "paused",
            ranges: &[(10.0, 20.0)],
        };
        line_chart_with_spans(&spanned, labels, &[Series::line("value", points.clone()), target], spans).unwrap();
        let svg = std::fs::read_to_string(&spanned).unwrap();
        assert!(svg.contains("<rect") && svg.contains("paused") && svg.contains("target"));

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
