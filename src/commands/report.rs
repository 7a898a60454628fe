//! `faqlink report <kind>`: checks the options, opens the database read-only and streams the
//! reports into the chosen renderer.

use crate::cli::ReportArgs;
use crate::commands::Global;
use crate::config;
use crate::db::{Access, Backend, Database};
use crate::error::{Error, Result};
use crate::output::{self, document::RunInfo};
use crate::reports;

/// Runs `faqlink report`.
pub fn run(args: &ReportArgs, global: &Global) -> Result<()> {
    let config = config::report(args)?;
    let mut db = Database::open(&global.url, Access::ReadOnly)?;
    if db.backend() == Backend::Postgres {
        prepare_postgres(&mut db, config.statement_timeout)?;
    }
    let info = RunInfo::new(config.window.clone(), config.now, db.backend());
    let mut sink = output::sink(&config, info)?;
    let outcome = reports::run_at(&mut db, &config.kinds, &config.window, config.now, sink.as_mut())?;
    if config.fail_on_any && outcome.orphan_rows > 0 {
        return Err(Error::FoundRows(format!(
            "--fail-on-any: {} orphaned or dangling link(s) found",
            outcome.orphan_rows
        )));
    }
    Ok(())
}

/// Session settings for report queries: no JIT (it costs these short aggregate queries more
/// than it saves), room for in-memory grouping, parallel workers without the leader, and an
/// optional statement timeout. None is a write.
pub fn prepare_postgres(db: &mut Database, statement_timeout: Option<u32>) -> Result<()> {
    // work_mem: the grouping of a large table stays in memory instead of spilling to disk.
    // parallel_leader_participation = off: the leader only gathers what the workers produce.
    // With the leader scanning too, a parallel hash join waits for it at every barrier while
    // it also has to read the workers' tuples; measured on a 2-core server, PostgreSQL's
    // default of 2 workers: 10M rows, totals 3.23 s -> 2.25 s and orphans 2.02 s -> 1.25 s
    // (1M: 0.35 -> 0.28 s, 0.17 -> 0.12 s), no report slower. On a server with many idle
    // cores this gives up at most the leader's share of a scan (a third, with 2 workers).
    let mut settings = String::from("SET jit = off; SET work_mem = '64MB'; SET parallel_leader_participation = off;");
    if let Some(secs) = statement_timeout {
        settings.push_str(&format!("SET statement_timeout = '{secs}s';"));
    }
    db.batch("session settings", &settings)
}
