//! `faqlink report <kind>`: checks the options, opens the database read-only and streams the
//! reports into the chosen renderer. A run cancelled by a hot standby's recovery conflict is
//! run again from scratch (new connection, new snapshot, new output), a bounded number of
//! times ([`with_retries`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::ReportArgs;
use crate::commands::Global;
use crate::config::{self, ReportConfig, Target};
use crate::db::{Backend, Database, DatabaseUrl};
use crate::error::{quoted, Error, QueryClass, Result};
use crate::output::{self, document::RunInfo};
use crate::reports;

/// How many times a run is attempted in all when recovery conflicts cancel it.
pub(crate) const ATTEMPTS: u32 = 4;
/// The wait before the second attempt; it doubles before each further one (0.5 s, 1 s, 2 s),
/// giving the standby time to replay what the conflict held up.
pub(crate) const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// Runs `faqlink report`.
pub fn run(args: &ReportArgs, global: &Global) -> Result<()> {
    let config = config::report(args)?;
    if args.explain {
        return explain(&config, global);
    }
    refuse_database_as_output(&global.url, &config.target)?;
    if let Some(note) = not_started(&config) {
        eprintln!("faqlink: {note}");
    }
    let outcome = with_retries(|| attempt(&config, global))?;
    // Exit codes when several apply: a failed expectation (4) wins over orphans found (3),
    // which wins over a broken pipe on standard output (0).
    if !config.expectations.is_empty() {
        for r in &outcome.expectations {
            eprintln!("{}", r.line());
        }
        if let Some(path) = &config.results {
            write_junit(path, &outcome.expectations)?;
        }
        let failed = outcome
            .expectations
            .iter()
            .filter(|r| {
                r.status == crate::expect::Status::Fail
                    || (config.fail_on_warn && r.status == crate::expect::Status::Warn)
            })
            .count();
        if failed > 0 {
            return Err(Error::ExpectationsFailed { failed });
        }
    }
    if config.fail_on_any && outcome.orphan_rows > 0 {
        return Err(Error::FoundRows { rows: outcome.orphan_rows });
    }
    outcome.stdout_error.map_or(Ok(()), Err)
}

/// `--explain`: the plan the run would follow, on standard output ([`reports::plan`]).
fn explain(config: &ReportConfig, global: &Global) -> Result<()> {
    let mut db = Database::open_for_reports(&global.url, config.statement_timeout)?;
    let request = reports::plan::Request {
        kinds: &config.kinds,
        window: &config.window,
        weekly_window: config.weekly_window.as_ref(),
        options: &config.options,
        previous_totals: previous_totals_wanted(config),
    };
    let plan = reports::plan::plan(db.backend(), request)?;
    let text = reports::explain(&mut db, &plan)?;
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(&mut out, text.as_bytes()).map_err(|source| Error::Io {
        what: "writing the plan",
        target: crate::error::IoTarget::StandardOutput,
        source,
    })
}

/// Whether the run's sink will ask for the previous period's totals: its format's
/// ([`crate::output::Format::shows_previous_totals`]), or `wow_…` expectations.
fn previous_totals_wanted(config: &ReportConfig) -> bool {
    config.format.shows_previous_totals(&config.kinds) || config.expectations.iter().any(|e| e.needs().previous)
}

/// One line for a window that begins after "now" (`--week 2026-W50` asked on a Tuesday of
/// W49): the report runs and is empty, and the user is told why. `None` otherwise.
pub(crate) fn not_started(config: &ReportConfig) -> Option<String> {
    let since = config.window.since.filter(|s| *s > config.now)?;
    let tz = config.window.tz;
    Some(format!(
        "note: {} has not started yet (it begins {} {}; now is {}): no feedback can be in it",
        output::document::period_words(&config.window),
        since.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
        tz.name(),
        config.now.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
    ))
}

/// What one complete run found, and a broken pipe on standard output if the copy of the
/// output met one: the exit code for rows found (3) takes precedence over it.
struct RunOutcome {
    orphan_rows: u64,
    stdout_error: Option<Error>,
    expectations: Vec<crate::expect::Evaluated>,
}

fn attempt(config: &ReportConfig, global: &Global) -> Result<RunOutcome> {
    let mut db = Database::open_for_reports(&global.url, config.statement_timeout)?;
    let standby = db.backend() == Backend::Postgres && crate::db::catalog::in_recovery(&mut db)?;
    let info =
        RunInfo::new(config.window.clone(), config.now, db.backend()).with_weekly_window(config.weekly_window.clone());
    let results = crate::expect::Shared::default();
    let mut sink = output::sink(&config.output(), info)?;
    if !config.expectations.is_empty() {
        sink = Box::new(crate::expect::Observer::new(sink, config.expectations.clone(), results.clone()));
    }
    let (outcome, complete) = reports::run_with_options(
        &mut db,
        &config.kinds,
        &config.window,
        config.weekly_window.as_ref(),
        config.now,
        &config.options,
        &mut *sink,
    )
    .map_err(|e| match e {
        // A hot standby may close a session for a recovery conflict before its message
        // reaches the client (seen in tests/it/standby.rs): on a standby, a lost connection
        // is retried like the conflict it most likely was.
        Error::Query { what, url, reason, class: QueryClass::ConnectionLost } if standby => {
            Error::Query { what, url, reason, class: QueryClass::LostOnStandby }
        }
        other => other,
    })?;
    // A broken pipe met when the output is finally copied to standard output is kept, not
    // returned: `--fail-on-any` still exits 3 when rows were found and the reader of standard
    // output stopped early.
    let stdout_error = match sink.finish(complete) {
        Err(e) if e.is_broken_pipe() => Some(e),
        other => other.err().map_or(Ok(None), Err)?,
    };
    let expectations = results.borrow().clone();
    Ok(RunOutcome { orphan_rows: outcome.orphan_rows, stdout_error, expectations })
}

/// Runs `attempt` until it succeeds, fails with an error that is not a recovery conflict, or
/// has been tried [`ATTEMPTS`] times; each retry is announced on stderr. Each attempt must
/// start from scratch (its own connection, snapshot and output).
pub(crate) fn with_retries<T>(attempt: impl FnMut() -> Result<T>) -> Result<T> {
    retry_with_backoff(FIRST_BACKOFF, attempt)
}

fn retry_with_backoff<T>(first: Duration, mut attempt: impl FnMut() -> Result<T>) -> Result<T> {
    let mut backoff = first;
    for n in 1.. {
        match attempt() {
            Err(e) if e.is_retryable() && n < ATTEMPTS => {
                let why = match &e {
                    Error::Query { class: QueryClass::LostOnStandby, .. } => "the standby closed the connection",
                    Error::Query { class: QueryClass::Deadlock, .. } => "a deadlock (SQLSTATE 40P01)",
                    _ => "a recovery conflict",
                };
                eprintln!("faqlink: retrying after {why} (attempt {} of {ATTEMPTS})", n + 1);
                std::thread::sleep(backoff);
                backoff *= 2;
            }
            other => return other,
        }
    }
    unreachable!("the loop returns")
}

/// `--output` naming the SQLite database itself or one of its side files (`-wal`, `-shm`,
/// `-journal`), or `--output-dir` naming the folder that holds it, would replace the
/// database with report text: refused before anything is opened (exit 2).
fn refuse_database_as_output(url: &DatabaseUrl, target: &Target) -> Result<()> {
    let DatabaseUrl::Sqlite { path: db } = url else { return Ok(()) };
    match target {
        Target::Stdout => Ok(()),
        Target::File(out) => {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut side = db.clone().into_os_string();
                side.push(suffix);
                if same_file(out, Path::new(&side)) {
                    return Err(Error::Usage(format!(
                        "--output {} is the SQLite database{} being read; choose another file",
                        quoted(&out.display().to_string()),
                        if suffix.is_empty() { String::new() } else { format!("'s {suffix} file") }
                    )));
                }
            }
            Ok(())
        }
        Target::Dir(dir) => match (absolute(dir), absolute(db).and_then(|d| d.parent().map(Path::to_path_buf))) {
            (Some(dir), Some(db_dir)) if dir == db_dir => Err(Error::Usage(format!(
                "--output-dir {} holds the SQLite database being read, and its files are replaced as a set; choose another folder",
                quoted(&dir.display().to_string())
            ))),
            _ => Ok(()),
        },
    }
}

/// True when `a` and `b` name the same file: the same inode when both exist, else the same
/// canonical folder and name.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        (Err(_), Err(_)) => absolute(a).is_some_and(|a| absolute(b).is_some_and(|b| a == b)),
        _ => false,
    }
}

/// The canonical path of `p`, or of its folder joined with its name when `p` is missing.
fn absolute(p: &Path) -> Option<PathBuf> {
    if let Ok(c) = std::fs::canonicalize(p) {
        return Some(c);
    }
    let parent = match p.parent() {
        Some(x) if !x.as_os_str().is_empty() => x,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(parent).ok()?.join(p.file_name()?))
}

/// Writes the expectations' JUnit XML ([`crate::expect::junit`]) to `path`, atomically like
/// every output file (the command writes files; the expectations only compute).
fn write_junit(path: &Path, results: &[crate::expect::Evaluated]) -> Result<()> {
    use std::io::Write;
    let mut out = output::Output::file(path)?;
    out.write_all(crate::expect::junit(results).as_bytes()).map_err(|e| out.error(e))?;
    out.commit()
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::QueryClass;

    fn query_error(class: QueryClass) -> Error {
        Error::Query { what: "a report".into(), url: "db".into(), reason: "r".into(), class }
    }

    #[test]
    fn retries_conflicts_a_bounded_number_of_times_and_nothing_else() {
        for class in [
            QueryClass::SerializationFailure,
            QueryClass::RecoveryConflict,
            QueryClass::Deadlock,
            QueryClass::LostOnStandby,
        ] {
            let mut calls = 0;
            let r: Result<()> = retry_with_backoff(Duration::ZERO, || {
                calls += 1;
                Err(query_error(class))
            });
            assert!(r.is_err());
            assert_eq!(calls, ATTEMPTS, "{class:?}");
            let mut calls = 0;
            let r = retry_with_backoff(Duration::ZERO, || {
                calls += 1;
                if calls < 3 {
                    Err(query_error(class))
                } else {
                    Ok(calls)
                }
            });
            assert_eq!(r.unwrap(), 3);
        }
        for class in [QueryClass::ConnectionLost, QueryClass::ReadOnly, QueryClass::Other] {
            let mut calls = 0;
            let _ = retry_with_backoff::<()>(Duration::ZERO, || {
                calls += 1;
                Err(query_error(class))
            });
            assert_eq!(calls, 1, "{class:?} is not retried");
        }
    }

    #[test]
    fn query_errors_are_classified_by_kind_then_by_postgres_message() {
        use diesel::result::{DatabaseErrorKind as K, Error as D};
        let e = |kind, msg: &str| D::DatabaseError(kind, Box::new(msg.to_string()));
        let cases = [
            (
                e(K::SerializationFailure, "canceling statement due to conflict with recovery"),
                QueryClass::SerializationFailure,
            ),
            (e(K::Unknown, "canceling statement due to conflict with recovery"), QueryClass::RecoveryConflict),
            (
                e(K::ClosedConnection, "terminating connection due to conflict with recovery"),
                QueryClass::RecoveryConflict,
            ),
            (e(K::ClosedConnection, "server closed the connection unexpectedly"), QueryClass::ConnectionLost),
            (e(K::ReadOnlyTransaction, "cannot execute INSERT in a read-only transaction"), QueryClass::ReadOnly),
            (e(K::Unknown, "canceling statement due to statement timeout"), QueryClass::Other),
            (e(K::Unknown, "deadlock detected"), QueryClass::Deadlock),
            (D::NotFound, QueryClass::Other),
        ];
        for (err, want) in cases {
            assert_eq!(QueryClass::of(&err), want, "{err}");
        }
        let shown = query_error(QueryClass::SerializationFailure).to_string();
        assert!(shown.ends_with("(SQLSTATE 40001)"), "{shown}");
        assert!(!query_error(QueryClass::Other).to_string().contains("SQLSTATE"));
    }
}
