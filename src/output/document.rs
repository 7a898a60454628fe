//! Whole-document formats (HTML, XLSX, OpenMetrics): unlike the streaming formats they need
//! every section before they write, so [`DocumentSink`] collects the sections of a run into a
//! [`Document`] and hands it to one [`DocumentFormat`] at the end.

use chrono::{DateTime, Duration, NaiveTime, SecondsFormat, Utc};

use super::Output;
use crate::error::Result;
use crate::reports::period::iso_week_label;
use crate::reports::{Cell, Section, Sink};
use crate::reports::{ReportKind, Window};

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
    pub fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "postgresql",
            Engine::Sqlite => "sqlite",
        }
    }

    /// The name as people write it (HTML, XLSX): `PostgreSQL` or `SQLite`.
    pub fn title(self) -> &'static str {
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
    pub fn with_weekly_window(mut self, weekly_window: Option<Window>) -> Self {
        self.weekly_window = weekly_window.filter(|w| *w != self.window);
        self
    }

    /// `Weekly trend: <its window in words>` when the weekly section has its own window.
    pub fn weekly_line(&self) -> Option<String> {
        self.weekly_window.as_ref().map(|w| format!("Weekly trend: {}", period_words(w)))
    }

    /// The backend's name as outputs show it: `postgresql` or `sqlite`.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// The `YYYY-Www` label when the window is exactly one ISO week.
    pub fn iso_week(&self) -> Option<String> {
        self.window.iso_week().map(iso_week_label)
    }

    /// When the data was read, RFC 3339 UTC (`2026-11-25T10:00:00Z`).
    pub fn generated_at_text(&self) -> String {
        self.generated_at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    /// The window in words, e.g. `2026-W47 · 2026-11-16 to 2026-11-22 (whole days) · Europe/Rome`
    /// or `all history`; see [`period_words`].
    pub fn period(&self) -> String {
        period_words(&self.window)
    }

    /// The period line of table and Markdown output: the window in words and when the data
    /// was read.
    pub fn period_line(&self) -> String {
        format!("{} · data read {}", self.period(), self.generated_at_text())
    }
}

/// A window in words. A window whose end is a local midnight is shown by its last day
/// (`2026-11-16 to 2026-11-22`, both days whole); any other end as the first instant left
/// out (`until 2026-11-23 09:30:00 (excluded)`). Local times are in the window's zone, which
/// is named last. No bound: `all history` (rows without a timestamp included).
pub fn period_words(window: &Window) -> String {
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

/// One section of a run with its rows held in memory.
#[derive(Debug, Clone)]
pub struct Collected {
    /// Which report, its title and columns.
    pub section: Section,
    /// The rows kept, in order; at most [`DocumentFormat::row_limit`] of them.
    pub rows: Vec<Vec<Cell>>,
    /// How many rows the section had in all (`total_rows - rows.len()` were not kept).
    pub total_rows: u64,
}

/// Everything a whole-document format renders.
#[derive(Debug, Clone)]
pub struct Document {
    /// The period and provenance.
    pub info: RunInfo,
    /// The sections, in run order.
    pub sections: Vec<Collected>,
    /// The previous period of the same length and its `totals` row, when the window is
    /// bounded and the format asked for it.
    pub previous_totals: Option<(Window, Vec<Cell>)>,
    /// The evaluated `--expect`/`--warn` conditions (empty without any).
    pub expectations: Vec<crate::expect::Evaluated>,
}

impl Document {
    /// The collected section of `kind`, if the run produced it.
    pub fn section(&self, kind: ReportKind) -> Option<&Collected> {
        self.sections.iter().find(|c| c.section.kind == kind)
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
    out: Option<Output>,
    doc: Document,
    current: Option<Collected>,
}

impl<F: DocumentFormat> DocumentSink<F> {
    /// A sink rendering `format` into `out` for the run described by `info`.
    pub fn new(format: F, out: Output, info: RunInfo) -> Self {
        DocumentSink {
            format,
            out: Some(out),
            doc: Document { info, sections: Vec::new(), previous_totals: None, expectations: Vec::new() },
            current: None,
        }
    }
}

impl<F: DocumentFormat> Sink for DocumentSink<F> {
    fn begin(&mut self, section: &Section) -> Result<()> {
        self.current = Some(Collected { section: *section, rows: Vec::new(), total_rows: 0 });
        Ok(())
    }

    fn row(&mut self, row: crate::reports::Row<'_>) -> Result<()> {
        let cells = &row.cells()[..];
        let current = self.current.as_mut().expect("inside a section");
        current.total_rows += 1;
        let limit = self.format.row_limit(current.section.kind);
        if limit.is_none_or(|n| current.rows.len() < n) {
            current.rows.push(cells.to_vec());
        }
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        self.doc.sections.push(self.current.take().expect("inside a section"));
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        let mut out = self.out.take().expect("finish once");
        self.format.render(&self.doc, &mut out)?;
        out.commit()
    }

    fn wants_previous_totals(&self) -> bool {
        self.format.wants_previous_totals()
    }

    fn previous_totals(&mut self, window: &Window, row: &crate::reports::totals::TotalsRow) -> Result<()> {
        let cells = &row.cells()[..];
        self.doc.previous_totals = Some((window.clone(), cells.to_vec()));
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
