//! `faqlink demo`: the one-command tour on the embedded default. Creates the database if
//! missing, migrates it, seeds a small data set once (a second run reuses it), prints
//! `report all` as tables and writes the same run as `faqlink-report.html` and
//! `faqlink-report.xlsx` next to the SQLite file (in the current folder for PostgreSQL).

use std::path::{Path, PathBuf};

use crate::cli::DemoArgs;
use crate::commands::{report, seed, Global};
use crate::db::Database;
use crate::error::Result;
use crate::output::document::{DocumentSink, RunInfo};
use crate::output::{html, table::TableSink, xlsx, Output};
use crate::reports::{self, Section, Sink};
use crate::reports::{ReportKind, Window};

/// The demo data set: small enough to seed in a blink, large enough to show every report.
pub fn demo_plan() -> Result<seed::Plan> {
    let today = crate::reports::period::now()?.date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    Ok(seed::Plan {
        experts: 12,
        feedback: 3_000,
        seed: 20_251_124,
        weeks: 8,
        // Up to the start of today: never a row after the moment of the run, and the same
        // rows for every run of one day.
        end: today,
        correct_share: 0.6,
        attempted_share: 0.85,
        success_rate: 0.7,
        // A few deleted FAQs: enough orphans to show the report, few enough to read it.
        deleted_share: 0.02,
        duplicate_share: 0.02,
        null_timestamp_share: 0.0,
    })
}

/// The files the demo writes beside the tables.
pub const FILES: [&str; 2] = ["faqlink-report.html", "faqlink-report.xlsx"];

/// Runs `faqlink demo`.
#[allow(
    clippy::default_constructed_unit_structs,
    reason = "the document renderers may carry settings; `default()` builds either shape"
)]
pub fn run(_args: &DemoArgs, global: &Global) -> Result<()> {
    // A new SQLite file is built under a temporary name and appears only when complete; a
    // second demo in the same folder at the same time then reuses it.
    let mut db = Database::open_to_write(&global.url)?;
    let seeded = db.writing(|db| {
        seed::prepare(db, false)?;
        seed::seed_if_empty(db, &demo_plan()?)
    })?;
    match seeded {
        Some(done) => eprintln!(
            "faqlink demo: seeded {} experts, {} feedback rows and {} FAQs into {}",
            done.experts, done.feedback, done.faqs, db.url
        ),
        None => eprintln!("faqlink demo: reusing the data already in {}", db.url),
    }
    db.report_session(None)?;
    let folder = global.url.sqlite_path().and_then(Path::parent).map_or_else(PathBuf::new, Path::to_path_buf);
    let now = crate::reports::period::now()?;
    let window = Window::all(chrono_tz::UTC);
    let info = RunInfo::new(window.clone(), now, db.backend());
    let [html_path, xlsx_path] = FILES.map(|f| folder.join(f));
    // One snapshot for the tables and both files; a fresh output per attempt (see `report`'s
    // retries).
    report::with_retries(|| {
        let mut sink = Tour {
            table: TableSink::new(Output::stdout(), info.clone()),
            files: vec![
                (
                    html_path.clone(),
                    Box::new(DocumentSink::new(html::Html::default(), Output::file(&html_path)?, info.clone())),
                ),
                (
                    xlsx_path.clone(),
                    Box::new(DocumentSink::new(xlsx::Xlsx::default(), Output::file(&xlsx_path)?, info.clone())),
                ),
            ],
        };
        let (_, complete) = reports::run_at(&mut db, &ReportKind::bundle(&window), &window, now, &mut sink)?;
        Box::new(sink).finish(complete)
    })?;
    eprintln!("\nTry next: faqlink report experts --last-week --format csv --excel --output experts.csv");
    eprintln!("Production: faqlink --database-url postgres://USER@HOST/DB check   (read-only; then `report all`)");
    Ok(())
}

/// The tables on standard output and the same rows into each file. A file that cannot be
/// written is a warning: the tour's tables are already printed.
struct Tour {
    table: TableSink,
    files: Vec<(PathBuf, Box<dyn Sink>)>,
}

impl Sink for Tour {
    fn begin(&mut self, section: &Section, by: crate::reports::Protocol<'_>) -> Result<()> {
        self.table.begin(section, by)?;
        self.files.iter_mut().try_for_each(|(_, s)| s.begin(section, by))
    }

    fn row(&mut self, row: crate::reports::Row<'_>, by: crate::reports::Protocol<'_>) -> Result<()> {
        self.table.row(row, by)?;
        self.files.iter_mut().try_for_each(|(_, s)| s.row(row, by))
    }

    fn end(&mut self, by: crate::reports::Protocol<'_>) -> Result<()> {
        self.table.end(by)?;
        self.files.iter_mut().try_for_each(|(_, s)| s.end(by))
    }

    fn finish(self: Box<Self>, by: crate::reports::Complete) -> Result<()> {
        Box::new(self.table).finish(by)?;
        eprintln!();
        for (path, sink) in self.files {
            match sink.finish(by) {
                Ok(()) => eprintln!("faqlink demo: wrote {}", path.display()),
                Err(e) => eprintln!("faqlink demo: warning: {} not written: {e}", path.display()),
            }
        }
        Ok(())
    }
}
