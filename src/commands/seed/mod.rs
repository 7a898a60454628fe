//! `faqlink seed`: a deterministic synthetic data set. The same arguments give the same rows,
//! ids and timestamps included, on SQLite and PostgreSQL. Rows are generated in time order, in
//! batches, on a second thread while the previous batch is written (binary `COPY` on
//! PostgreSQL, prepared multi-row `INSERT`s on SQLite), all inside one transaction: memory
//! stays flat and a failed seed leaves nothing behind.
//!
//! In three parts: this module checks the options ([`plan`]) and decides what is written
//! and when; [`generate`] makes the rows (with the Italian text of [`corpus`]);
//! [`crate::db::seed`] holds every statement: it writes them, per backend, with the indexes
//! set aside for a bulk load, inside the seed's transaction.

mod corpus;
mod generate;

use std::io::IsTerminal;

use chrono::{DateTime, Duration, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::cli::SeedArgs;
use crate::commands::Global;
use crate::db::migrations::{self, Management};
use crate::db::seed as load;
use crate::db::{Backend, Database};
use crate::error::{Error, Result};
use generate::Generator;
use load::{feedback_count, row_count, Batch};

/// A checked seed plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Experts to create.
    pub experts: u64,
    /// Feedback rows to create.
    pub feedback: u64,
    /// RNG seed.
    pub seed: u64,
    /// History length.
    pub weeks: u32,
    /// End of history (exclusive).
    pub end: DateTime<Utc>,
    /// Share of correct feedback.
    pub correct_share: f64,
    /// Share of correct feedback whose workflow ran.
    pub attempted_share: f64,
    /// Share of runs that published.
    pub success_rate: f64,
    /// Share of published FAQs later deleted.
    pub deleted_share: f64,
    /// Share of correct feedback repeating an earlier query.
    pub duplicate_share: f64,
    /// Share of rows without a timestamp.
    pub null_timestamp_share: f64,
}

/// Checks `faqlink seed` arguments (usage errors, exit 2).
pub fn plan(args: &SeedArgs) -> Result<Plan> {
    let count = |flag: &str, v: i64, min: i64, max: i64| -> Result<u64> {
        if v < min || v > max {
            return Err(Error::Usage(format!("{flag}: {v} is out of range ({min} to {max})")));
        }
        Ok(v as u64)
    };
    let share = |flag: &str, v: f64| -> Result<f64> {
        if !(0.0..=1.0).contains(&v) || v.is_nan() {
            return Err(Error::Usage(format!("{flag}: {v} is not a share between 0 and 1")));
        }
        Ok(v)
    };
    let end = match &args.end {
        Some(s) => crate::config::parse_when("--end", s, chrono_tz::UTC)?,
        None => crate::reports::period::now()?.date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
    };
    let weeks = count("--weeks", args.weeks, 1, 1040)? as u32;
    // Every stored timestamp (end excluded, the history before it included) must be one that
    // faqlink's reports read back on both backends.
    let start = end - Duration::weeks(i64::from(weeks));
    if end > crate::reports::period::latest_instant() + Duration::microseconds(1)
        || start < crate::reports::period::earliest_instant()
    {
        return Err(Error::Usage(format!(
            "--end {}: with --weeks {weeks} the history ({} to {}) leaves the range faqlink handles on both \
             backends (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z, in UTC)",
            args.end.as_deref().unwrap_or("(today)"),
            start.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            end.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        )));
    }
    Ok(Plan {
        experts: count("--experts", args.experts, 1, 1_000_000)?,
        feedback: count("--feedback", args.feedback, 1, 1_000_000_000)?,
        seed: args.seed,
        weeks,
        end,
        correct_share: share("--correct-share", args.correct_share)?,
        attempted_share: share("--attempted-share", args.attempted_share)?,
        success_rate: share("--success-rate", args.success_rate)?,
        deleted_share: share("--deleted-share", args.deleted_share)?,
        duplicate_share: share("--duplicate-share", args.duplicate_share)?,
        null_timestamp_share: share("--null-timestamp-share", args.null_timestamp_share)?,
    })
}

/// What a seed run inserted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    /// Experts (and their users).
    pub experts: u64,
    /// Feedback rows.
    pub feedback: u64,
    /// FAQ rows.
    pub faqs: u64,
}

/// Runs `faqlink seed`.
pub fn run(args: &SeedArgs, global: &Global) -> Result<()> {
    let plan = plan(args)?;
    if let Some(path) = global.url.sqlite_path().filter(|p| args.append && !p.exists()) {
        return Err(Error::Refused(format!(
            "SQLite database {} does not exist: --append adds to existing data; leave --append out to create it",
            path.display()
        )));
    }
    // A new SQLite file is built under a temporary name and appears only when complete.
    let mut db = Database::open_to_write(&global.url)?;
    let started = std::time::Instant::now();
    let done = db.writing(|db| {
        prepare(db, args.allow_external)?;
        seed(db, &plan, args.append)
    })?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "seeded {} expert(s), {} feedback row(s), {} FAQ(s) into {} in {:.1} s ({:.0} feedback rows/s)",
        done.experts,
        done.feedback,
        done.faqs,
        db.url,
        secs,
        done.feedback as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// Migrates a database faqlink manages when migrations are pending; refuses an external one
/// unless `allow_external`, and a read-only one (a hot standby) before anything else.
pub fn prepare(db: &mut Database, allow_external: bool) -> Result<()> {
    if db.is_read_only()? {
        return Err(Error::Refused(format!(
            "{} is read-only (a hot standby, or default_transaction_read_only = on): seeding writes rows; \
             point --database-url at the primary",
            db.url
        )));
    }
    match migrations::management(db)? {
        Management::External { .. } if allow_external => Ok(()),
        Management::External { .. } => Err(Error::Refused(format!(
            "{} is not managed by faqlink (no {} table; production databases are managed by Alembic): \
             refusing to seed it; pass --allow-external to insert synthetic rows anyway",
            db.url,
            migrations::DIESEL_TABLE
        ))),
        // Only when something is pending: the harness writes even when nothing is.
        _ if migrations::status(db)?.iter().all(|m| m.applied) => Ok(()),
        _ => migrations::run_pending(db).map(|_| ()),
    }
}

/// What [`seed_with`] does when the database already holds feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WhenNotEmpty {
    /// Refuse: data sets are not mixed (`seed` without `--append`).
    Refuse,
    /// Add to it (`seed --append`).
    Append,
    /// Leave it as it is (`demo` reuses it).
    Skip,
}

/// Inserts the plan's rows in one transaction.
pub fn seed(db: &mut Database, plan: &Plan, append: bool) -> Result<Seeded> {
    let when = if append { WhenNotEmpty::Append } else { WhenNotEmpty::Refuse };
    seed_with(db, plan, when).map(|done| done.unwrap_or_default())
}

/// Inserts the plan's rows in one transaction when the database holds no feedback yet (as
/// counted under the write lock); `None` when it does.
pub(crate) fn seed_if_empty(db: &mut Database, plan: &Plan) -> Result<Option<Seeded>> {
    seed_with(db, plan, WhenNotEmpty::Skip)
}

fn seed_with(db: &mut Database, plan: &Plan, when: WhenNotEmpty) -> Result<Option<Seeded>> {
    let existing = feedback_count(db)?;
    if !proceeds(db, when, existing)? {
        return Ok(None);
    }
    let bulk = existing == 0 && migrations::management(db)? == Management::Embedded;
    let sqlite = db.backend() == Backend::Sqlite;
    if sqlite {
        load::sqlite_enter(db, bulk)?;
    }
    // The write lock is taken when the transaction starts (SQLite: BEGIN IMMEDIATE, waiting up
    // to the busy timeout; PostgreSQL: the writers' advisory lock), and the rows are counted
    // again under it: of two seeds at once, the second sees the first one's rows.
    let begun = load::begin(db);
    if let Err(e) = begun {
        if sqlite && bulk {
            let _ = load::sqlite_leave(db);
        }
        return Err(e);
    }
    let result = match under_lock(db, plan, when, bulk) {
        Ok(Some(done)) => load::commit(db).map(|_| Some(done)),
        Ok(None) => load::rollback(db, "ending the seed transaction").map(|_| None),
        Err(e) => {
            let _ = load::rollback(db, "rolling back the seed");
            Err(e)
        }
    };
    if sqlite && bulk {
        load::sqlite_leave(db)?;
    }
    result
}

/// Whether a seed goes ahead on a database already holding `existing` feedback rows: refused
/// (an error naming `--append`), skipped (`false`), or appended to.
fn proceeds(db: &Database, when: WhenNotEmpty, existing: i64) -> Result<bool> {
    if existing == 0 {
        return Ok(true);
    }
    match when {
        WhenNotEmpty::Refuse => Err(Error::Refused(format!(
            "{} already holds {existing} feedback row(s): refusing to mix data sets; pass --append to add to them",
            db.url
        ))),
        WhenNotEmpty::Skip => Ok(false),
        WhenNotEmpty::Append => Ok(true),
    }
}

/// The seed inside its transaction, the write lock held: the rows counted again, then
/// inserted (an empty table of faqlink's own bulk loaded, its indexes and foreign keys set
/// aside and rebuilt by sorting, checked in one pass, in the same transaction).
fn under_lock(db: &mut Database, plan: &Plan, when: WhenNotEmpty, bulk: bool) -> Result<Option<Seeded>> {
    let sqlite = db.backend() == Backend::Sqlite;
    load::lock_writers(db, bulk)?;
    let existing = feedback_count(db)?;
    if !proceeds(db, when, existing)? {
        return Ok(None);
    }
    // Appending draws from another stream of the generator, so new ids never repeat old ones.
    let stream = existing.max(0) as u64;
    // expert_feedback first: its foreign key to faq_entries must go before faq_entries' key.
    let mut aside = Vec::new();
    if bulk {
        aside.push(load::SetAside::take(db, "expert_feedback")?);
        if row_count(db, "faq_entries")? == 0 {
            aside.push(load::SetAside::take(db, "faq_entries")?);
        }
    }
    let done = insert_all(db, plan, stream)?;
    for set_aside in aside.into_iter().rev() {
        set_aside.restore(db)?;
    }
    if sqlite && bulk {
        let bad = migrations::fk_violations(db)?;
        if bad > 0 {
            return Err(Error::ForeignKeyViolations { what: "the seed".into(), url: db.url.redacted(), count: bad });
        }
    }
    Ok(Some(done))
}

/// Feedback rows per batch: the generator thread fills one batch while the previous one is
/// written, so at most a few batches are in memory at any time. PostgreSQL writes a batch as
/// one `COPY`, and the server idles between two of them, so its batches are larger (measured
/// at 1M rows: 11.8 s with 10,000 rows, 13.8 s with 5,000); SQLite has no such gap.
const BATCH_ROWS_POSTGRES: usize = 10_000;
/// See [`BATCH_ROWS_POSTGRES`].
const BATCH_ROWS_SQLITE: usize = 2_000;

/// Batches the generator may run ahead of the writer.
const BATCHES_AHEAD: usize = 1;

/// Generates the experts and the feedback batches and writes them (the transaction is the
/// caller's).
fn insert_all(db: &mut Database, plan: &Plan, stream: u64) -> Result<Seeded> {
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
    rng.set_stream(stream);
    let experts: Vec<load::NewExpert> = (0..plan.experts).map(|_| generate::expert(&mut rng)).collect();
    load::insert_experts(db, &experts)?;
    let experts: Vec<_> = experts.into_iter().map(|e| e.id).collect();
    let mut done = Seeded { experts: experts.len() as u64, ..Seeded::default() };
    let batch_rows = match db.backend() {
        Backend::Postgres => BATCH_ROWS_POSTGRES,
        Backend::Sqlite => BATCH_ROWS_SQLITE,
    };
    let generator = Generator::new(plan.clone(), experts, rng, batch_rows);
    let progress = progress_bar(plan.feedback);
    // Rows are generated on a second thread while this one writes the previous batch. The
    // rows depend only on the RNG, never on the writer, so the output stays deterministic.
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(BATCHES_AHEAD);
        scope.spawn(move || {
            for batch in generator {
                if tx.send(batch).is_err() {
                    break; // the writer stopped on an error
                }
            }
        });
        for batch in rx {
            let (faqs, feedback) = (batch.faqs.len() as u64, batch.feedback.len() as u64);
            load::write_batch(db, batch)?;
            done.faqs += faqs;
            done.feedback += feedback;
            progress.inc(feedback);
        }
        Ok::<_, Error>(())
    })?;
    progress.finish_and_clear();
    Ok(done)
}

fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("seeding {bar:40} {pos}/{len} feedback rows ({per_sec}, {eta} left)")
            .expect("valid template"),
    );
    bar
}
