//! `faqlink report <kind>`: checks the options, opens the database read-only and streams the
//! reports into the chosen renderer.

use crate::cli::ReportArgs;
use crate::commands::Global;
use crate::config;
use crate::db::Database;
use crate::error::{Error, Result};
use crate::output;
use crate::reports;

/// Runs `faqlink report`.
pub fn run(args: &ReportArgs, global: &Global) -> Result<()> {
    let config = config::report(args)?;
    let mut db = Database::open_for_reports(&global.url, config.statement_timeout)?;
    let mut sink = output::sink(&config)?;
    let outcome = reports::run(&mut db, &config.kinds, &config.window, sink.as_mut())?;
    if config.fail_on_any && outcome.orphan_rows > 0 {
        return Err(Error::FoundRows(format!(
            "--fail-on-any: {} orphaned or dangling link(s) found",
            outcome.orphan_rows
        )));
    }
    Ok(())
}
