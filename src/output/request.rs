//! What a run asks of the output, as plain data: the format, where it goes, the CSV dialect,
//! and the sections it holds ([`Request`]). The command line is parsed into these by the
//! configuration (`src/config.rs`), which re-exports them; the output reads nothing else of
//! the run's settings, and imports neither the configuration, the command line nor the
//! database.

use std::path::PathBuf;

use crate::reports::ReportKind;

/// Output formats (also `--format`'s values: the doc comments are its help). A new format is
/// a variant here, its names below, its sink in `output::sink` and its module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Terminal tables.
    Table,
    /// RFC 4180 CSV.
    Csv,
    /// JSON.
    Json,
    /// Markdown tables.
    Markdown,
    /// One self-contained HTML page with charts (no network, no JavaScript).
    Html,
    /// One Excel workbook: a sheet per report and a summary (binary: needs --output,
    /// --output-dir or a redirect).
    Xlsx,
    /// OpenMetrics text for node_exporter's textfile collector (write it into its folder
    /// with --output-dir: faqlink.prom).
    #[value(name = "openmetrics")]
    OpenMetrics,
}

impl Format {
    /// True when the format is read by a person (its text cells are escaped by
    /// `output::escape`), false for a data format (exact bytes). No wildcard: a new format is
    /// placed here before it compiles.
    pub fn for_humans(self) -> bool {
        match self {
            Format::Table | Format::Markdown | Format::Html => true,
            Format::Csv | Format::Json | Format::Xlsx | Format::OpenMetrics => false,
        }
    }

    /// Whether a run of `kinds` in this format shows the previous period's totals (its sink's
    /// `wants_previous_totals`): HTML and the workbook show each headline's change, JSON
    /// carries them beside `totals`.
    pub(crate) fn shows_previous_totals(self, kinds: &[ReportKind]) -> bool {
        match self {
            Format::Html | Format::Xlsx => true,
            Format::Json => kinds.contains(&ReportKind::Totals),
            Format::Table | Format::Csv | Format::Markdown | Format::OpenMetrics => false,
        }
    }

    /// True for the formats that render the whole run at once (HTML, XLSX, OpenMetrics):
    /// they write one file, also into `--output-dir`.
    pub(crate) fn is_document(self) -> bool {
        matches!(self, Format::Html | Format::Xlsx | Format::OpenMetrics)
    }

    /// The file `--output-dir` writes for a whole-document format.
    pub(crate) fn document_file_name(self) -> Option<&'static str> {
        match self {
            Format::Html => Some("faqlink-report.html"),
            Format::Xlsx => Some("faqlink-report.xlsx"),
            // node_exporter's textfile collector reads *.prom.
            Format::OpenMetrics => Some("faqlink.prom"),
            Format::Table | Format::Csv | Format::Json | Format::Markdown => None,
        }
    }
}

impl Format {
    /// Every format, in `--format`'s order.
    pub const ALL: [Format; 7] =
        [Format::Table, Format::Csv, Format::Json, Format::Markdown, Format::Html, Format::Xlsx, Format::OpenMetrics];

    /// The name `--format` takes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Xlsx => "xlsx",
            Format::OpenMetrics => "openmetrics",
        }
    }

    /// The file extension (without the dot) that names this format; `--output FILE` with it
    /// and no `--format` selects the format. The table has none: it is the default.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Format::Table => "txt",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Xlsx => "xlsx",
            Format::OpenMetrics => "prom",
        }
    }

    /// The format a file extension names (case-insensitive), if any: `.csv`, `.json`,
    /// `.md`, `.html`, `.xlsx`, `.prom`. Any other extension names none.
    pub(crate) fn from_extension(ext: &str) -> Option<Format> {
        let ext = ext.to_ascii_lowercase();
        Format::ALL.into_iter().filter(|f| *f != Format::Table).find(|f| f.extension() == ext)
    }
}

/// CSV dialect options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// Field delimiter.
    pub delimiter: u8,
    /// Write a UTF-8 byte order mark first.
    pub bom: bool,
    /// Write decimals with a comma.
    pub decimal_comma: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { delimiter: b',', bom: false, decimal_comma: false }
    }
}

/// Where a report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Standard output.
    Stdout,
    /// One file, written atomically.
    File(PathBuf),
    /// A directory: one CSV file per report (`--format csv`), or the one file of a
    /// whole-document format ([`Format::document_file_name`]).
    Dir(PathBuf),
}

/// Everything [`super::sink`] needs to build a run's sink.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The reports to produce, in order.
    pub kinds: &'a [ReportKind],
    /// True for `report all` (CSV then names its sections).
    pub all: bool,
    /// The format.
    pub format: Format,
    /// Where the output goes.
    pub target: &'a Target,
    /// The CSV dialect.
    pub csv: CsvOptions,
}
