//! Writing a seed (`faqlink seed`, `faqlink demo`), per backend: the rows the generator
//! makes ([`NewExpert`], [`Batch`]), experts row by row, feedback batches by binary `COPY`
//! (PostgreSQL) or multi-row `INSERT`s (SQLite), the indexes and constraints set aside for a
//! bulk load, SQLite's settings around it, and the seed's transaction and writer lock. The
//! seed's SQL is all here; `commands::seed` decides what to write and when.

use diesel::{Insertable, RunQueryDsl};

use crate::db::schema::{expert_feedback, faq_entries};
use crate::db::types::FeedbackCategory;
use crate::db::{catalog, migrations, Backend, Count, Database, FeedbackType, Param, Timestamp, Uuid};
use crate::error::Result;

/// One expert: a user and its profile.
pub(crate) struct NewExpert {
    /// `expert_profiles.id`.
    pub(crate) id: Uuid,
    /// `"user".email`.
    pub(crate) email: String,
    /// `professional_registration_number` (NULL for about one expert in five).
    pub(crate) registration: Option<String>,
    /// `organization`.
    pub(crate) organization: String,
    /// `trust_score`.
    pub(crate) trust: f64,
}

/// One generated batch: the FAQs first, then the feedback rows that may link to them.
pub(crate) struct Batch {
    /// The FAQs published by this batch's rows.
    pub(crate) faqs: Vec<NewFaq>,
    /// The feedback rows.
    pub(crate) feedback: Vec<NewFeedback>,
}

/// A published FAQ, as the Golden Set workflow writes it.
#[derive(Insertable)]
#[diesel(table_name = faq_entries, treat_none_as_default_value = false)]
pub(crate) struct NewFaq {
    pub(crate) id: String,
    pub(crate) question: String,
    pub(crate) answer: String,
    pub(crate) category: &'static str,
    pub(crate) language: &'static str,
    pub(crate) needs_review: bool,
    pub(crate) hit_count: i32,
    pub(crate) version: i32,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

/// One feedback row; `None` is written as NULL.
#[derive(Insertable)]
#[diesel(table_name = expert_feedback, treat_none_as_default_value = false)]
pub(crate) struct NewFeedback {
    pub(crate) id: Uuid,
    pub(crate) query_id: Uuid,
    pub(crate) expert_id: Uuid,
    pub(crate) feedback_type: FeedbackType,
    pub(crate) category: Option<FeedbackCategory>,
    pub(crate) query_text: String,
    pub(crate) original_answer: String,
    pub(crate) expert_answer: Option<String>,
    pub(crate) confidence_score: Option<f64>,
    pub(crate) time_spent_seconds: i32,
    pub(crate) complexity_rating: Option<i32>,
    pub(crate) feedback_timestamp: Option<Timestamp>,
    pub(crate) action_taken: Option<&'static str>,
    pub(crate) improvement_applied: Option<bool>,
    pub(crate) created_at: Option<Timestamp>,
    pub(crate) updated_at: Option<Timestamp>,
    pub(crate) task_creation_attempted: Option<bool>,
    pub(crate) task_creation_success: Option<bool>,
    pub(crate) task_creation_error: Option<&'static str>,
    pub(crate) generated_faq_id: Option<String>,
}

/// SQLite page cache of a seed, in KiB: holds the primary-key indexes while rows are added.
const SQLITE_SEED_CACHE_KIB: u32 = 64 * 1024;

/// Rows per multi-row `INSERT` on SQLite (1,000 bound values for feedback): per-statement costs
/// dominate single-row inserts (measured: 29 s against 22 s for 1,000,000 rows).
const SQLITE_ROWS_PER_INSERT: usize = 50;

/// SQLite settings before a seed: a large page cache and, for a bulk load into an empty
/// file, no foreign-key checks (checked in one pass before the commit) and a rollback journal;
/// for rows added to existing ones, WAL, so that reports go on while the seed writes
/// ([`Database::writing`] switches the file back to the rollback journal afterwards).
pub(crate) fn sqlite_enter(db: &mut Database, bulk: bool) -> Result<()> {
    db.batch("sizing the SQLite page cache", &format!("PRAGMA cache_size = -{SQLITE_SEED_CACHE_KIB}"))?;
    if !bulk {
        // Best effort: a file another connection holds in the rollback journal stays in it.
        let _ = db.batch("switching to WAL for the seed", "PRAGMA journal_mode = WAL");
    }
    if bulk {
        db.batch("pausing foreign-key checks for the bulk load", "PRAGMA foreign_keys = OFF")?;
        // A rollback journal instead of the WAL: pages added to the end of the file need no
        // journal entry, so the bulk load writes its data once instead of twice (WAL, then
        // checkpoint). It needs the file to itself; if another connection holds it, the
        // switch fails and the seed simply stays on the WAL.
        let _ = db.batch("leaving WAL mode for the bulk load", "PRAGMA journal_mode = DELETE");
    }
    Ok(())
}

/// Undoes [`sqlite_enter`]'s bulk-load settings after the commit or rollback (the journal
/// mode stays a rollback journal, as faqlink leaves its files).
pub(crate) fn sqlite_leave(db: &mut Database) -> Result<()> {
    db.batch("re-enabling foreign keys", "PRAGMA foreign_keys = ON")?;
    Ok(())
}

/// Inserts each expert's user and profile.
pub(crate) fn insert_experts(db: &mut Database, experts: &[NewExpert]) -> Result<()> {
    for e in experts {
        let mut sql = db.sql();
        sql.push("INSERT INTO \"user\" (email, role) VALUES (").bind(Param::Text(e.email.clone())).push(", 'user')");
        db.execute("inserting a user", &sql)?;
        let mut sql = db.sql();
        sql.push("INSERT INTO expert_profiles (id, user_id, professional_registration_number, organization, trust_score, is_verified, is_active) SELECT ")
            .bind(Param::Uuid(e.id.clone()))
            .push(", u.id, ")
            .bind(Param::OptText(e.registration.clone()))
            .push(", ")
            .bind(Param::OptText(Some(e.organization.clone())))
            .push(", ")
            .bind(Param::Double(e.trust))
            .push(", ")
            .bind(Param::Bool(true))
            .push(", ")
            .bind(Param::Bool(true))
            .push(" FROM \"user\" u WHERE u.email = ")
            .bind(Param::Text(e.email.clone()));
        db.execute("inserting an expert profile", &sql)?;
    }
    Ok(())
}

/// The secondary indexes and constraints of `expert_feedback`, dropped for a bulk load and
/// recreated from their own catalog definitions afterwards.
pub(crate) struct SetAside {
    restore: Vec<String>,
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl SetAside {
    /// `table` is one of faqlink's own table names (a constant, never user input).
    pub(crate) fn take(db: &mut Database, table: &'static str) -> Result<Self> {
        let defs = catalog::definitions(db, table)?;
        let of = |k: &'static str| defs.iter().filter(move |d| d.kind == k);
        let mut drop = Vec::new();
        let mut restore = Vec::new();
        for d in of("f").chain(of("p")) {
            drop.push(format!("ALTER TABLE {table} DROP CONSTRAINT {}", quoted(&d.name)));
        }
        for d in of("i") {
            drop.push(format!("DROP INDEX {}", quoted(&d.name)));
            restore.push(d.def.clone());
        }
        for d in of("p").chain(of("f")) {
            restore.push(format!("ALTER TABLE {table} ADD CONSTRAINT {} {}", quoted(&d.name), d.def));
        }
        for statement in &drop {
            db.batch("setting an index aside for the bulk load", statement)?;
        }
        Ok(SetAside { restore })
    }

    /// Recreates what [`SetAside::take`] dropped.
    pub(crate) fn restore(self, db: &mut Database) -> Result<()> {
        for statement in &self.restore {
            db.batch("rebuilding an index after the bulk load", statement)?;
        }
        Ok(())
    }
}

/// Writes one batch: binary `COPY` on PostgreSQL, cached prepared `INSERT`s of
/// [`SQLITE_ROWS_PER_INSERT`] rows each on SQLite.
pub(crate) fn write_batch(db: &mut Database, batch: Batch) -> Result<()> {
    use diesel::prelude::ExecuteCopyFromDsl;
    db.write_with(
        "inserting seeded rows",
        batch,
        |pg, Batch { faqs, feedback }| {
            if !faqs.is_empty() {
                diesel::copy_from(faq_entries::table).from_insertable(faqs).execute(pg)?;
            }
            diesel::copy_from(expert_feedback::table).from_insertable(feedback).execute(pg)?;
            Ok(())
        },
        |lite, Batch { faqs, feedback }| {
            for rows in faqs.chunks(SQLITE_ROWS_PER_INSERT) {
                diesel::insert_into(faq_entries::table).values(rows).execute(lite)?;
            }
            for rows in feedback.chunks(SQLITE_ROWS_PER_INSERT) {
                diesel::insert_into(expert_feedback::table).values(rows).execute(lite)?;
            }
            Ok(())
        },
    )
}

/// Rows of feedback already present.
pub(crate) fn feedback_count(db: &mut Database) -> Result<i64> {
    row_count(db, "expert_feedback")
}

/// Rows in one of faqlink's own tables (`table` is a constant, never user input).
pub(crate) fn row_count(db: &mut Database, table: &'static str) -> Result<i64> {
    let mut sql = db.sql();
    sql.push(&format!("SELECT COUNT(*) AS n FROM {table}"));
    let rows: Vec<Count> = db.load(&format!("counting {table}"), &sql)?;
    Ok(rows.first().map_or(0, |r| r.n))
}

/// Starts the seed's transaction, taking SQLite's write lock at once (`BEGIN IMMEDIATE`,
/// waiting up to the busy timeout).
pub(crate) fn begin(db: &mut Database) -> Result<()> {
    let sqlite = db.backend() == Backend::Sqlite;
    db.batch("starting the seed transaction", if sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" })
}

/// Commits the seed's transaction.
pub(crate) fn commit(db: &mut Database) -> Result<()> {
    db.batch("committing the seed", "COMMIT")
}

/// Ends the seed's transaction without writing; `what` says why (in errors).
pub(crate) fn rollback(db: &mut Database, what: &str) -> Result<()> {
    db.batch(what, "ROLLBACK")
}

/// Inside the transaction on PostgreSQL, waits for other faqlink writers (the writers'
/// advisory lock, [`migrations::WRITERS_LOCK`]) and gives the bulk load's index rebuild
/// more memory when `bulk`. Nothing on SQLite, whose `BEGIN IMMEDIATE` holds the lock.
pub(crate) fn lock_writers(db: &mut Database, bulk: bool) -> Result<()> {
    if db.backend() == Backend::Sqlite {
        return Ok(());
    }
    let lock = format!("SELECT pg_advisory_xact_lock({})", migrations::WRITERS_LOCK);
    db.batch("waiting for another faqlink writer", &lock)?;
    if bulk {
        db.batch("sizing the index build memory", "SET LOCAL maintenance_work_mem = '256MB'")?;
    }
    Ok(())
}
