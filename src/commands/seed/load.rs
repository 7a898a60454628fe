//! Writing a seed, per backend: experts row by row, feedback batches by binary `COPY`
//! (PostgreSQL) or multi-row `INSERT`s (SQLite), the indexes and constraints set aside for a
//! bulk load, and SQLite's settings around it.

use diesel::RunQueryDsl;

use super::generate::{Batch, NewExpert};
use crate::db::schema::{expert_feedback, faq_entries};
use crate::db::{catalog, Database, Param};
use crate::error::Result;

/// SQLite page cache of a seed, in KiB: holds the primary-key indexes while rows are added.
const SQLITE_SEED_CACHE_KIB: u32 = 64 * 1024;

/// Rows per multi-row `INSERT` on SQLite (1,000 bound values for feedback): per-statement costs
/// dominate single-row inserts (measured: 29 s against 22 s for 1,000,000 rows).
const SQLITE_ROWS_PER_INSERT: usize = 50;

/// SQLite settings before a seed: a large page cache and, for a bulk load into an empty
/// file, no foreign-key checks (checked in one pass before the commit) and a rollback journal;
/// for rows added to existing ones, WAL, so that reports go on while the seed writes
/// ([`Database::writing`] switches the file back to the rollback journal afterwards).
pub(super) fn sqlite_enter(db: &mut Database, bulk: bool) -> Result<()> {
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
pub(super) fn sqlite_leave(db: &mut Database) -> Result<()> {
    db.batch("re-enabling foreign keys", "PRAGMA foreign_keys = ON")?;
    Ok(())
}

/// Inserts each expert's user and profile.
pub(super) fn insert_experts(db: &mut Database, experts: &[NewExpert]) -> Result<()> {
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
pub(super) struct SetAside {
    restore: Vec<String>,
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl SetAside {
    /// `table` is one of faqlink's own table names (a constant, never user input).
    pub(super) fn take(db: &mut Database, table: &'static str) -> Result<Self> {
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
    pub(super) fn restore(self, db: &mut Database) -> Result<()> {
        for statement in &self.restore {
            db.batch("rebuilding an index after the bulk load", statement)?;
        }
        Ok(())
    }
}

/// Writes one batch: binary `COPY` on PostgreSQL, cached prepared `INSERT`s of
/// [`SQLITE_ROWS_PER_INSERT`] rows each on SQLite.
pub(super) fn write_batch(db: &mut Database, batch: Batch) -> Result<()> {
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
