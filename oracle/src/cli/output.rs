//! Where a command's results go: a directory with `report.json` and plots,
//! a summary (or the JSON) on stdout, and a progress bar on stderr.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The output directory of one command.
pub struct Output {
    pub dir: PathBuf,
    pub json: bool,
}

impl Output {
    /// `root/name`, created if missing.
    pub fn create(root: &Path, name: &str, json: bool) -> Result<Self> {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Self { dir, json })
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// Writes `report` as `report.json`; prints it when `--json` was given,
    /// otherwise prints `summary` and where the files are.
    pub fn finish(&self, report: &impl Serialize, summary: &str, plots: &[PathBuf]) -> Result<()> {
        let json = serde_json::to_string_pretty(report)?;
        let path = self.path("report.json");
        std::fs::write(&path, &json).with_context(|| format!("cannot write {}", path.display()))?;
        if self.json {
            println!("{json}");
            return Ok(());
        }
        println!("{summary}");
        println!("report: {}", path.display());
        for plot in plots {
            println!("plot:   {}", plot.display());
        }
        Ok(())
    }
}

/// A progress bar on stderr (hidden when stderr is not a terminal).
pub fn progress_bar(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    let style = ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({eta} left)")
        .expect("the template is valid")
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what.to_string());
    bar
}

/// A running count on stderr, for work whose total is not known in advance.
pub fn progress_counter(what: &str) -> ProgressBar {
    let counter = ProgressBar::new_spinner();
    let style = ProgressStyle::with_template("{spinner} {pos} {msg} ({elapsed})")
        .expect("the template is valid");
    counter.set_style(style);
    counter.set_message(what.to_string());
    counter.enable_steady_tick(std::time::Duration::from_millis(200));
    counter
}

/// Reads a TOML file into `T`; errors name the file, and the toml crate's
/// message names the line, column and field.
pub fn read_toml<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))
}

/// The config in `path`, or the type's default when no file is given.
pub fn read_toml_or_default<T: DeserializeOwned + Default>(path: Option<&Path>) -> Result<T> {
    path.map(read_toml).unwrap_or_else(|| Ok(T::default()))
}
