//! Rendering: one small sink per format over the same typed rows, and the output target
//! (standard output through a spool, a file written atomically, or a folder replaced as a
//! set: [`atomic`], [`dir`], [`cleanup`]).

pub mod atomic;
pub mod cleanup;
pub mod csv;
pub mod dir;
pub mod document;
pub mod json;
pub mod markdown;
pub mod table;

use chrono::SecondsFormat;

pub use atomic::Output;
pub use dir::OutputDir;

use crate::config::{Format, ReportConfig, Target};
use crate::error::Result;
use crate::reports::{Cell, Sink};

/// True when colour is allowed: `NO_COLOR` unset or empty.
pub fn colour_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Builds the sink for a report run.
pub fn sink(config: &ReportConfig) -> Result<Box<dyn Sink>> {
    let open = || match &config.target {
        Target::File(p) => Output::file(p),
        _ => Ok(Output::stdout()),
    };
    Ok(match (&config.target, config.format) {
        (Target::Dir(dir), _) => Box::new(csv::DirSink::new(OutputDir::create(dir)?, config.csv)),
        (_, Format::Csv) => Box::new(csv::CsvSink::new(open()?, config.csv)?),
        (_, Format::Json) => Box::new(json::JsonSink::new(open()?, config.all)),
        (_, Format::Markdown) => Box::new(markdown::MarkdownSink::new(open()?)),
        (_, Format::Table) => Box::new(table::TableSink::new(open()?)),
    })
}

/// Plain text of a cell for text formats (`None` for NULL), with `decimal` as separator.
pub fn plain(cell: &Cell, decimal: char) -> Option<String> {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Int(i) => i.map(|v| v.to_string()),
        Cell::Pct(p) => p.map(|p| p.format(decimal)),
        Cell::Timestamp(t) => t.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        Cell::Date(d) => Some(d.format("%Y-%m-%d").to_string()),
        Cell::Bool(b) => Some(b.to_string()),
    }
}
