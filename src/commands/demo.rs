//! `faqlink demo`: the one-command tour on the embedded default. Creates the database if
//! missing, migrates it, seeds a small data set once (a second run reuses it) and prints
//! `report all` as tables.

use chrono::Duration;

use crate::cli::DemoArgs;
use crate::commands::{seed, Global};
use crate::config::{self, ReportKind, Window};
use crate::db::{Access, Database};
use crate::error::Result;
use crate::output::{table::TableSink, Output};
use crate::reports;

/// The demo data set: small enough to seed in a blink, large enough to show every report.
pub fn demo_plan() -> Result<seed::Plan> {
    let today = config::now()?.date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    Ok(seed::Plan {
        experts: 12,
        feedback: 3_000,
        seed: 20_251_124,
        weeks: 8,
        end: today + Duration::days(1),
        correct_share: 0.6,
        attempted_share: 0.85,
        success_rate: 0.7,
        // A few deleted FAQs: enough orphans to show the report, few enough to read it.
        deleted_share: 0.02,
        duplicate_share: 0.02,
        null_timestamp_share: 0.0,
    })
}

/// Runs `faqlink demo`.
pub fn run(_args: &DemoArgs, global: &Global) -> Result<()> {
    let mut db = Database::open(&global.url, Access::Create)?;
    seed::prepare(&mut db, false)?;
    if seed::feedback_count(&mut db)? == 0 {
        let done = seed::seed(&mut db, &demo_plan()?, false)?;
        eprintln!(
            "faqlink demo: seeded {} experts, {} feedback rows and {} FAQs into {}",
            done.experts, done.feedback, done.faqs, db.url
        );
    } else {
        eprintln!("faqlink demo: reusing the data already in {}", db.url);
    }
    // Back to the rollback journal: readers need no -wal/-shm beside the file.
    db.finish_writes()?;
    let mut sink = TableSink::new(Output::stdout());
    reports::run(&mut db, &ReportKind::ALL, &Window::all(chrono_tz::UTC), &mut sink)?;
    eprintln!("\nTry next: faqlink report experts --last-week --format csv --excel --output experts.csv");
    eprintln!("Production: faqlink --database-url postgres://USER@HOST/DB check   (read-only; then `report all`)");
    Ok(())
}
