//! Rendering: one small sink per format over the same typed rows, and the output target
//! (standard output through a spool, a file written atomically, or a folder replaced as a
//! set: [`atomic`], [`dir`], [`cleanup`], [`target`]). Streaming formats (table, CSV, JSON, Markdown)
//! write as rows arrive; whole-document formats (HTML, XLSX, OpenMetrics) are collected by
//! [`document::DocumentSink`] and rendered at the end.

pub mod atomic;
pub mod cleanup;
pub mod csv;
pub mod dir;
pub mod document;
pub mod escape;
pub(crate) mod facts;
pub mod html;
pub mod json;
pub mod markdown;
pub mod openmetrics;
pub mod request;
pub mod table;
pub mod target;
pub mod xlsx;

use chrono::SecondsFormat;

pub use atomic::Output;
pub use dir::OutputDir;
pub use document::Engine;
pub use request::{CsvOptions, Format, Request, Target};

use crate::error::Result;
use crate::reports::ReportKind;
use crate::reports::{Cell, Sink};
use document::{DocumentSink, RunInfo};

/// True when colour and other styling are allowed: `NO_COLOR` unset or empty, and `TERM` is
/// not `dumb` (a terminal that understands no escape sequence).
pub(crate) fn colour_allowed() -> bool {
    colour_allowed_by(std::env::var_os("NO_COLOR").as_deref(), std::env::var_os("TERM").as_deref())
}

/// [`colour_allowed`] for the values of `NO_COLOR` and `TERM`.
pub(crate) fn colour_allowed_by(no_color: Option<&std::ffi::OsStr>, term: Option<&std::ffi::OsStr>) -> bool {
    no_color.is_none_or(|v| v.is_empty()) && term.is_none_or(|t| t != "dumb")
}

/// Builds the sink `config` asks for, for the run described by `info`.
#[allow(
    clippy::default_constructed_unit_structs,
    reason = "the document renderers may carry settings; `default()` builds either shape"
)]
pub(crate) fn sink(config: &Request<'_>, info: RunInfo) -> Result<Box<dyn Sink>> {
    let open = || match config.target {
        Target::File(p) => Output::file(p),
        // A whole-document format writes its one file into the folder.
        Target::Dir(dir) => match config.format.document_file_name() {
            Some(name) => Output::file_in(dir, name),
            None => Ok(Output::stdout()),
        },
        Target::Stdout => Ok(Output::stdout()),
    };
    // JSON carries the previous period's totals where the totals are shown.
    let with_previous = Format::Json.shows_previous_totals(config.kinds);
    Ok(match (config.target, config.format) {
        (Target::Dir(dir), Format::Csv) => Box::new(csv::DirSink::new(OutputDir::create(dir)?, config.csv)),
        (_, Format::Csv) => Box::new(
            csv::CsvSink::new(open()?, config.csv)?
                .named_sections(config.all || config.kinds.contains(&ReportKind::Moved)),
        ),
        (_, Format::Json) => Box::new(json::JsonSink::new(open()?, info, with_previous)),
        (_, Format::Markdown) => Box::new(markdown::MarkdownSink::new(open()?, info)),
        (_, Format::Table) => Box::new(table::TableSink::new(open()?, info)),
        (_, Format::Html) => Box::new(DocumentSink::new(html::Html::default(), open()?, info)),
        (_, Format::Xlsx) => Box::new(DocumentSink::new(xlsx::Xlsx::default(), open()?, info)),
        (_, Format::OpenMetrics) => Box::new(DocumentSink::new(openmetrics::OpenMetrics::default(), open()?, info)),
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
        Cell::Seconds(s) => s.map(|s| {
            let text = s.to_string();
            if decimal == '.' {
                text
            } else {
                text.replace('.', &decimal.to_string())
            }
        }),
    }
}
