//! Whole-document formats (HTML, XLSX, OpenMetrics): unlike the streaming formats they need
//! every section before they write, so [`DocumentSink`] collects the sections of a run into a
//! [`Document`] and hands it to one [`DocumentFormat`] at the end.
//!
//! The document keeps each report's typed rows (an expert's counts, the totals' counters, a
//! week's status …), placed by one exhaustive match over [`Row`], so the renderers read fields
//! and a new report does not compile until it has a place here. Where a renderer shows every
//! column of a section, it takes the section as a [`Table`], derived from the same rows by
//! [`Row::cells`].

use chrono::{DateTime, Duration, NaiveTime, SecondsFormat, Utc};

use super::Output;
use crate::error::Result;
use crate::reports::duplicates::DuplicateRow;
use crate::reports::experts::ExpertRow;
use crate::reports::latency::LatencyRow;
use crate::reports::moved::{Moved, MovedRow};
use crate::reports::orphans::OrphanRow;
use crate::reports::period::iso_week_label;
use crate::reports::totals::TotalsRow;
use crate::reports::weekly::{WeekRow, WeekStatus};
use crate::reports::{Cell, ReportKind, Row, Section, Sink, Window};

/// The database engine a run read, as the outputs name it (built by the commands from the
/// connection's backend: the output knows no database).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

impl Engine {
    /// The name machine-read outputs give (JSON, OpenMetrics) and the text ones show:
    /// `postgresql` or `sqlite`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "postgresql",
            Engine::Sqlite => "sqlite",
        }
    }

    /// The name as people write it (HTML, XLSX): `PostgreSQL` or `SQLite`.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Engine::Postgres => "PostgreSQL",
            Engine::Sqlite => "SQLite",
        }
    }
}

/// What a run covers and where its data came from: the period line of every output.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The report window (bounds and zone).
    pub window: Window,
    /// When the data was read (the start of the run's snapshot), UTC.
    pub generated_at: DateTime<Utc>,
    /// faqlink's version.
    pub version: &'static str,
    /// The engine the data came from.
    pub backend: Engine,
    /// The weekly section's own window (`--trend-weeks`), when it differs from `window`.
    pub weekly_window: Option<Window>,
}

impl RunInfo {
    /// The run's description: `version` is faqlink's own.
    pub fn new(window: Window, generated_at: DateTime<Utc>, backend: impl Into<Engine>) -> Self {
        RunInfo {
            window,
            generated_at,
            version: env!("CARGO_PKG_VERSION"),
            backend: backend.into(),
            weekly_window: None,
        }
    }

    /// The same run with the weekly section over `weekly_window` (`--trend-weeks`).
    pub(crate) fn with_weekly_window(mut self, weekly_window: Option<Window>) -> Self {
        self.weekly_window = weekly_window.filter(|w| *w != self.window);
        self
    }

    /// `Weekly trend: <its window in words>` when the weekly section has its own window.
    pub(crate) fn weekly_line(&self) -> Option<String> {
        self.weekly_window.as_ref().map(|w| format!("Weekly trend: {}", period_words(w)))
    }

    /// The backend's name as outputs show it: `postgresql` or `sqlite`.
    pub(crate) fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// The `YYYY-Www` label when the window is exactly one ISO week.
    pub(crate) fn iso_week(&self) -> Option<String> {
        self.window.iso_week().map(iso_week_label)
    }

    /// When the data was read, RFC 3339 UTC (`2026-11-25T10:00:00Z`).
    pub(crate) fn generated_at_text(&self) -> String {
        self.generated_at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    /// The window in words, e.g. `2026-W47 · 2026-11-16 to 2026-11-22 (whole days) · Europe/Rome`
    /// or `all history`; see [`period_words`].
    pub(crate) fn period(&self) -> String {
        period_words(&self.window)
    }
}

/// A window in words. A window whose end is a local midnight is shown by its last day
/// (`2026-11-16 to 2026-11-22`, both days whole); any other end as the first instant left
/// out (`until 2026-11-23 09:30:00 (excluded)`). Local times are in the window's zone, which
/// is named last. No bound: `all history` (rows without a timestamp included).
pub(crate) fn period_words(window: &Window) -> String {
    let tz = window.tz;
    let at_midnight = |t: DateTime<Utc>| t.with_timezone(&tz).time() == NaiveTime::MIN;
    let local = |t: DateTime<Utc>| {
        let l = t.with_timezone(&tz);
        if l.time() == NaiveTime::MIN {
            l.format("%Y-%m-%d").to_string()
        } else {
            l.format("%Y-%m-%d %H:%M:%S%.f").to_string()
        }
    };
    // The last day of a window ending at a local midnight.
    let last_day = |t: DateTime<Utc>| (t.with_timezone(&tz) - Duration::days(1)).format("%Y-%m-%d").to_string();
    let span = match (window.since, window.until) {
        (None, None) => return "all history".into(),
        (Some(s), None) => format!("from {} on", local(s)),
        (None, Some(u)) if at_midnight(u) => format!("up to {} (whole day)", last_day(u)),
        (None, Some(u)) => format!("before {} (excluded)", local(u)),
        (Some(s), Some(u)) if at_midnight(s) && at_midnight(u) => {
            let last = last_day(u);
            if last == local(s) {
                format!("{last} (one day)")
            } else {
                format!("{} to {last} (whole days)", local(s))
            }
        }
        (Some(s), Some(u)) => format!("from {} until {} (excluded)", local(s), local(u)),
    };
    match window.iso_week() {
        Some(monday) => format!("{} · {span} · {tz}", iso_week_label(monday)),
        None => format!("{span} · {tz}"),
    }
}

/// The rows of a section kept in memory, and how many there were in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<T> {
    /// The rows kept, in order; at most [`DocumentFormat::row_limit`] of them.
    pub rows: Vec<T>,
    /// How many rows the section had in all (`total_rows - rows.len()` were not kept).
    pub total_rows: u64,
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Listing { rows: Vec::new(), total_rows: 0 }
    }
}

impl<T> Listing<T> {
    /// Counts `row`, and keeps it while fewer than `limit` are kept.
    fn push(&mut self, row: T, limit: Option<usize>) {
        self.total_rows += 1;
        if limit.is_none_or(|n| self.rows.len() < n) {
            self.rows.push(row);
        }
    }
}

/// The `moved` section: the report its lines come from, and the lines kept (each expert's
/// row, then the total: `None`).
#[derive(Debug, Clone, PartialEq)]
pub struct MovedLines {
    /// The report (its sums make the lines' shares and the total line).
    pub report: Moved,
    /// The lines kept.
    pub lines: Listing<Option<MovedRow>>,
}

/// Everything a whole-document format renders: each report's typed rows, `None` when the run
/// did not produce its section.
#[derive(Debug, Clone)]
pub struct Document {
    /// The period and provenance.
    pub info: RunInfo,
    /// The sections the run produced, in run order (which report, its title and columns).
    pub sections: Vec<Section>,
    /// `experts`.
    pub experts: Option<Listing<ExpertRow>>,
    /// `totals`.
    pub totals: Option<TotalsRow>,
    /// `orphans`.
    pub orphans: Option<Listing<OrphanRow>>,
    /// `duplicates`.
    pub duplicates: Option<Listing<DuplicateRow>>,
    /// `weekly`.
    pub weeks: Option<Listing<WeekRow>>,
    /// `latency`.
    pub latency: Option<Listing<LatencyRow>>,
    /// `moved_summary`: the report whose headline it is.
    pub moved_summary: Option<Moved>,
    /// `moved`.
    pub moved: Option<MovedLines>,
    /// The previous period of the same length and its `totals` row, when the window is
    /// bounded and the format asked for it.
    pub previous_totals: Option<(Window, TotalsRow)>,
    /// The evaluated `--expect`/`--warn` conditions (empty without any).
    pub expectations: Vec<crate::expect::Evaluated>,
}

/// A section as a table of cells, derived from its typed rows by [`Row::cells`]: for the
/// renderers that show every column (the HTML tables, the XLSX sheets).
#[derive(Debug, Clone)]
pub struct Table {
    /// Which report, its title and columns.
    pub section: Section,
    /// The rows kept, as cells in the section's column order.
    pub rows: Vec<Vec<Cell>>,
    /// How many rows the section had in all.
    pub total_rows: u64,
    /// Each kept row's [`WeekStatus`] (the weekly section; empty for the others).
    pub week_status: Vec<WeekStatus>,
}

impl Table {
    /// A table of `listing`'s rows, each seen as a [`Row`] by `row`.
    fn of<'a, T>(section: Section, listing: &'a Listing<T>, row: impl Fn(&'a T) -> Row<'a>) -> Table {
        let rows = listing.rows.iter().map(|r| row(r).cells()).collect();
        Table { section, rows, total_rows: listing.total_rows, week_status: Vec::new() }
    }

    /// The rows counted but not kept.
    pub(crate) fn rest(&self) -> u64 {
        self.total_rows.saturating_sub(self.rows.len() as u64)
    }
}

impl Document {
    /// An empty document for the run `info`.
    pub fn new(info: RunInfo) -> Self {
        Document {
            info,
            sections: Vec::new(),
            experts: None,
            totals: None,
            orphans: None,
            duplicates: None,
            weeks: None,
            latency: None,
            moved_summary: None,
            moved: None,
            previous_totals: None,
            expectations: Vec::new(),
        }
    }

    /// The section of `kind` as a [`Table`], if the run produced it.
    pub fn table(&self, kind: ReportKind) -> Option<Table> {
        let section = *self.sections.iter().find(|s| s.kind == kind)?;
        let empty = || Table { section, rows: Vec::new(), total_rows: 0, week_status: Vec::new() };
        let one = |row: Row<'_>| Table { section, rows: vec![row.cells()], total_rows: 1, week_status: Vec::new() };
        Some(match kind {
            ReportKind::Experts => self.experts.as_ref().map_or_else(empty, |l| Table::of(section, l, Row::Expert)),
            ReportKind::Totals => self.totals.as_ref().map_or_else(empty, |t| one(Row::Totals(t))),
            ReportKind::Orphans => self.orphans.as_ref().map_or_else(empty, |l| Table::of(section, l, Row::Orphan)),
            ReportKind::Duplicates => {
                self.duplicates.as_ref().map_or_else(empty, |l| Table::of(section, l, Row::Duplicate))
            }
            ReportKind::Weekly => self.weeks.as_ref().map_or_else(empty, |l| Table {
                week_status: l.rows.iter().map(WeekRow::status).collect(),
                ..Table::of(section, l, Row::Week)
            }),
            ReportKind::Latency => self.latency.as_ref().map_or_else(empty, |l| Table::of(section, l, Row::Latency)),
            ReportKind::MovedSummary => self.moved_summary.as_ref().map_or_else(empty, |m| one(Row::MovedSummary(m))),
            ReportKind::Moved => self.moved.as_ref().map_or_else(empty, |m| {
                Table::of(section, &m.lines, |line: &Option<MovedRow>| Row::Moved(&m.report, line.as_ref()))
            }),
        })
    }

    /// Every section the run produced as a [`Table`], in run order.
    pub fn tables(&self) -> Vec<Table> {
        self.sections.iter().filter_map(|s| self.table(s.kind)).collect()
    }

    /// A section begins: its slot is set empty (a section without rows is shown as such).
    fn begin(&mut self, section: &Section) {
        self.sections.retain(|s| s.kind != section.kind);
        self.sections.push(*section);
        match section.kind {
            ReportKind::Experts => self.experts = Some(Listing::default()),
            ReportKind::Totals => self.totals = None,
            ReportKind::Orphans => self.orphans = Some(Listing::default()),
            ReportKind::Duplicates => self.duplicates = Some(Listing::default()),
            ReportKind::Weekly => self.weeks = Some(Listing::default()),
            ReportKind::Latency => self.latency = Some(Listing::default()),
            ReportKind::MovedSummary => self.moved_summary = None,
            ReportKind::Moved => self.moved = None,
        }
    }

    /// Places one row, keeping at most `limit` rows of its section. Every [`Row`] variant is
    /// named (no `_`): a new report does not compile until the document places it.
    fn place(&mut self, row: Row<'_>, limit: Option<usize>) {
        match row {
            Row::Expert(r) => self.experts.get_or_insert_with(Listing::default).push(r.clone(), limit),
            Row::Totals(r) => self.totals = Some(*r),
            Row::Orphan(r) => self.orphans.get_or_insert_with(Listing::default).push(r.clone(), limit),
            Row::Duplicate(r) => self.duplicates.get_or_insert_with(Listing::default).push(r.clone(), limit),
            Row::Week(r) => self.weeks.get_or_insert_with(Listing::default).push(r.clone(), limit),
            Row::Latency(r) => self.latency.get_or_insert_with(Listing::default).push(r.clone(), limit),
            Row::MovedSummary(m) => self.moved_summary = Some(m.clone()),
            Row::Moved(m, line) => self
                .moved
                .get_or_insert_with(|| MovedLines { report: m.clone(), lines: Listing::default() })
                .lines
                .push(line.cloned(), limit),
        }
    }
}

/// A format that renders a whole [`Document`] at once.
pub trait DocumentFormat {
    /// At most this many rows of `kind` are kept (`None`: all of them).
    fn row_limit(&self, kind: ReportKind) -> Option<usize>;
    /// True when the format shows changes against the previous period.
    fn wants_previous_totals(&self) -> bool;
    /// Writes the document to `out` (which the sink commits afterwards).
    fn render(&self, doc: &Document, out: &mut Output) -> Result<()>;
}

/// A [`Sink`] that collects a run and renders it with one [`DocumentFormat`] at `finish`.
pub struct DocumentSink<F: DocumentFormat> {
    format: F,
    out: Output,
    doc: Document,
}

impl<F: DocumentFormat> DocumentSink<F> {
    /// A sink rendering `format` into `out` for the run described by `info`.
    pub fn new(format: F, out: Output, info: RunInfo) -> Self {
        DocumentSink { format, out, doc: Document::new(info) }
    }
}

impl<F: DocumentFormat> Sink for DocumentSink<F> {
    fn begin(&mut self, section: &Section, _: crate::reports::Protocol<'_>) -> Result<()> {
        self.doc.begin(section);
        Ok(())
    }

    fn row(&mut self, row: Row<'_>, _: crate::reports::Protocol<'_>) -> Result<()> {
        let limit = self.format.row_limit(row.kind());
        self.doc.place(row, limit);
        Ok(())
    }

    fn end(&mut self, _: crate::reports::Protocol<'_>) -> Result<()> {
        Ok(())
    }

    fn finish(self: Box<Self>, _: crate::reports::Complete) -> Result<()> {
        let DocumentSink { format, mut out, doc } = *self;
        format.render(&doc, &mut out)?;
        out.commit()
    }

    fn wants_previous_totals(&self) -> bool {
        self.format.wants_previous_totals()
    }

    fn previous_totals(&mut self, window: &Window, row: &TotalsRow) -> Result<()> {
        self.doc.previous_totals = Some((window.clone(), *row));
        Ok(())
    }

    fn expectations(&mut self, results: &[crate::expect::Evaluated]) -> Result<()> {
        self.doc.expectations = results.to_vec();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::period::local_midnight;
    use chrono::NaiveDate;

    fn window(since: Option<&str>, until: Option<&str>, tz: &str) -> Window {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        Window { since: since.map(t), until: until.map(t), tz: tz.parse().unwrap() }
    }

    #[test]
    fn periods_in_words() {
        let rome: chrono_tz::Tz = "Europe/Rome".parse().unwrap();
        let monday = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let week = Window {
            since: Some(local_midnight(monday, rome)),
            until: Some(local_midnight(monday + Duration::days(7), rome)),
            tz: rome,
        };
        assert_eq!(period_words(&week), "2026-W47 · 2026-11-16 to 2026-11-22 (whole days) · Europe/Rome");
        assert_eq!(period_words(&Window::all(rome)), "all history");
        assert_eq!(
            period_words(&window(Some("2026-11-01T00:00:00Z"), Some("2026-11-02T00:00:00Z"), "UTC")),
            "2026-11-01 (one day) · UTC"
        );
        assert_eq!(
            period_words(&window(Some("2026-11-01T09:30:00Z"), Some("2026-11-03T00:00:00Z"), "UTC")),
            "from 2026-11-01 09:30:00 until 2026-11-03 (excluded) · UTC"
        );
        assert_eq!(period_words(&window(Some("2026-11-01T00:00:00Z"), None, "UTC")), "from 2026-11-01 on · UTC");
        assert_eq!(
            period_words(&window(None, Some("2026-11-01T00:00:00Z"), "UTC")),
            "up to 2026-10-31 (whole day) · UTC"
        );
        let info = RunInfo::new(week, "2026-11-25T10:00:00Z".parse().unwrap(), Engine::Postgres);
        assert_eq!(info.iso_week().as_deref(), Some("2026-W47"));
        assert_eq!(info.generated_at_text(), "2026-11-25T10:00:00Z");
        assert_eq!(info.backend_name(), "postgresql");
    }
}
