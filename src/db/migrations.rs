//! faqlink's embedded migrations: one folder per backend with the same versions, reproducing
//! the production (Alembic) chain for the tables faqlink reads.
//!
//! Status is read from `__diesel_schema_migrations` directly, never through Diesel's harness,
//! because the harness creates that table when asked what is applied (a write). Migration
//! runs are serialised by the database's write lock ([`serialised`]).

use diesel::migration::{Migration, MigrationSource};
use diesel::pg::Pg;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::Sqlite;
use diesel::QueryableByName;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::{Backend, Conn, Count, Database};
use crate::error::{Error, Result};

/// PostgreSQL migrations (`migrations/postgres`).
pub(crate) const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// SQLite migrations (`migrations/sqlite`), same versions as [`POSTGRES`].
pub(crate) const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Diesel's bookkeeping table.
pub(crate) const DIESEL_TABLE: &str = "__diesel_schema_migrations";

/// The version of the migration that adds `expert_feedback.generated_faq_id`.
pub(crate) const GENERATED_FAQ_ID_VERSION: &str = "20251124000001";

/// One embedded migration and whether the database has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MigrationState {
    /// Diesel version, e.g. `20251124000001`.
    pub version: String,
    /// Folder name, e.g. `2025-11-24-000001_add_generated_faq_id`.
    pub name: String,
    /// Recorded in `__diesel_schema_migrations`.
    pub applied: bool,
}

/// How a database's schema is managed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Management {
    /// Nothing there yet: no Diesel table and no `expert_feedback`.
    Empty,
    /// faqlink's embedded migrations (a Diesel migrations table exists).
    Embedded,
    /// Created by something else (the production Alembic chain): tables but no Diesel table.
    External {
        /// The Alembic revision, when an `alembic_version` table says it.
        alembic_revision: Option<String>,
    },
}

/// (version, name) of every embedded migration for `backend`, oldest first.
pub fn embedded(backend: Backend) -> Vec<(String, String)> {
    fn list<DB: diesel::backend::Backend>(src: &EmbeddedMigrations) -> Vec<(String, String)>
    where
        EmbeddedMigrations: MigrationSource<DB>,
    {
        let mut v: Vec<(String, String)> = MigrationSource::<DB>::migrations(src)
            .expect("embedded migrations are valid")
            .iter()
            .map(|m| (m.name().version().to_string(), m.name().to_string()))
            .collect();
        v.sort();
        v
    }
    match backend {
        Backend::Postgres => list::<Pg>(&POSTGRES),
        Backend::Sqlite => list::<Sqlite>(&SQLITE),
    }
}

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = Text)]
    version: String,
}

/// The versions recorded in `__diesel_schema_migrations` (empty when the table is absent).
pub(crate) fn applied_versions(db: &mut Database) -> Result<Vec<String>> {
    if !db.table_exists(DIESEL_TABLE)? {
        return Ok(Vec::new());
    }
    let mut sql = db.sql();
    sql.push("SELECT CAST(version AS TEXT) AS version FROM __diesel_schema_migrations ORDER BY version");
    let rows: Vec<VersionRow> = db.load("reading __diesel_schema_migrations", &sql)?;
    Ok(rows.into_iter().map(|r| r.version).collect())
}

/// Every embedded migration with its applied flag. Writes nothing.
pub(crate) fn status(db: &mut Database) -> Result<Vec<MigrationState>> {
    let applied = applied_versions(db)?;
    Ok(embedded(db.backend())
        .into_iter()
        .map(|(version, name)| MigrationState { applied: applied.contains(&version), version, name })
        .collect())
}

#[derive(QueryableByName)]
struct RevisionRow {
    #[diesel(sql_type = Text)]
    version_num: String,
}

/// Says how the schema is managed. Writes nothing. The tables are looked up in one statement:
/// separate lookups could fall either side of a concurrent `migrate`'s commit and see
/// faqlink's tables without the Diesel table that the same commit created.
pub(crate) fn management(db: &mut Database) -> Result<Management> {
    let present =
        super::catalog::tables_present(db, &[DIESEL_TABLE, "expert_feedback", "faq_entries", "alembic_version"])?;
    if present.contains(DIESEL_TABLE) {
        return Ok(Management::Embedded);
    }
    if !present.contains("expert_feedback") && !present.contains("faq_entries") {
        return Ok(Management::Empty);
    }
    let alembic_revision = if present.contains("alembic_version") {
        let mut sql = db.sql();
        sql.push("SELECT CAST(version_num AS TEXT) AS version_num FROM alembic_version");
        let rows: Vec<RevisionRow> = db.load("reading alembic_version", &sql)?;
        rows.into_iter().next().map(|r| r.version_num)
    } else {
        None
    };
    Ok(Management::External { alembic_revision })
}

/// Refuses to run migrations on a database whose schema someone else manages.
pub(crate) fn ensure_managed(db: &mut Database, command: &str) -> Result<()> {
    if let Management::External { alembic_revision } = management(db)? {
        let by = alembic_revision.map_or("another tool".to_string(), |r| format!("Alembic (revision {r})"));
        return Err(Error::Refused(format!(
            "{} has faqlink's tables but no {DIESEL_TABLE} table: its schema is managed by {by}; \
             `faqlink {command}` will not change it (read commands such as `faqlink check` and `faqlink report` work as is)",
            db.url.redacted()
        )));
    }
    Ok(())
}

fn harness_error(db: &Database, what: &str, e: impl std::fmt::Display) -> Error {
    // A migration cancelled because faqlink is being interrupted: the signal ends the process.
    super::cancel::wait_if_interrupted();
    super::failed(&db.url, what, &e.to_string(), crate::error::QueryClass::Other)
}

/// The PostgreSQL advisory lock faqlink's writers take (migrations, `seed`): "faqlink" in ASCII.
pub(crate) const WRITERS_LOCK: i64 = 0x6661_716c_696e_6b00;

/// Runs `f` holding the database's write lock, so that faqlink's migration runs happen one
/// after the other: a run that waited finds, when `f` reads what is applied, what the other
/// applied. PostgreSQL: the session advisory lock [`WRITERS_LOCK`] (a read-only server is
/// refused first). SQLite: `BEGIN IMMEDIATE`, waiting up to the busy timeout, with `f` inside
/// that one transaction (Diesel's harness then uses savepoints), foreign-key enforcement off
/// around it (a table rebuild would otherwise fire ON DELETE SET NULL on every link) and the
/// foreign keys checked before the commit: a migration may not add violations.
fn serialised<R>(db: &mut Database, what: &str, f: impl FnOnce(&mut Database) -> Result<R>) -> Result<R> {
    match db.backend() {
        Backend::Postgres => {
            if db.is_read_only()? {
                return Err(Error::Refused(format!(
                    "{} is read-only (a hot standby, or default_transaction_read_only = on): {what} writes; \
                     point --database-url at the primary",
                    db.url
                )));
            }
            db.batch("waiting for another faqlink migration", &format!("SELECT pg_advisory_lock({WRITERS_LOCK})"))?;
            let result = f(db);
            let unlocked =
                db.batch("releasing the migration lock", &format!("SELECT pg_advisory_unlock({WRITERS_LOCK})"));
            let value = result?;
            unlocked?;
            Ok(value)
        }
        Backend::Sqlite => {
            // Outside the transaction: the pragma does nothing inside one.
            db.batch("disabling foreign keys for migrations", "PRAGMA foreign_keys = OFF")?;
            let result = sqlite_immediate(db, |db| {
                let before = fk_violations(db)?;
                let value = f(db)?;
                let after = fk_violations(db)?;
                if after > before {
                    return Err(Error::ForeignKeyViolations {
                        what: what.to_string(),
                        url: db.url.redacted(),
                        count: after - before,
                    });
                }
                Ok(value)
            });
            let enabled = db.batch("re-enabling foreign keys", "PRAGMA foreign_keys = ON");
            let value = result?;
            enabled?;
            Ok(value)
        }
    }
}

/// Runs `f` in a SQLite `BEGIN IMMEDIATE` transaction opened through Diesel's transaction
/// manager (so that Diesel's own transactions inside become savepoints); commits when `f`
/// succeeds, rolls back otherwise.
fn sqlite_immediate<R>(db: &mut Database, f: impl FnOnce(&mut Database) -> Result<R>) -> Result<R> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    use diesel::SqliteConnection;
    let Conn::Sqlite(c) = &mut db.conn else { unreachable!("SQLite only") };
    let begun = AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE");
    begun.map_err(|e| db.error("waiting for the write lock (another writer holds it)", e))?;
    let result = f(db);
    let Conn::Sqlite(c) = &mut db.conn else { unreachable!("SQLite only") };
    match result {
        Ok(value) => {
            let committed = <AnsiTransactionManager as TransactionManager<SqliteConnection>>::commit_transaction(c);
            committed.map_err(|e| db.error("committing the migrations", e))?;
            Ok(value)
        }
        Err(e) => {
            let _ = <AnsiTransactionManager as TransactionManager<SqliteConnection>>::rollback_transaction(c);
            Err(e)
        }
    }
}

/// Runs `f` with the migration harness (inside [`serialised`]).
fn with_harness<R>(
    db: &mut Database,
    what: &str,
    f: impl FnOnce(&mut Conn) -> std::result::Result<R, Box<dyn std::error::Error + Send + Sync>>,
) -> Result<R> {
    f(&mut db.conn).map_err(|e| harness_error(db, what, e))
}

/// Rows `PRAGMA foreign_key_check` reports (SQLite).
pub(crate) fn fk_violations(db: &mut Database) -> Result<i64> {
    let mut sql = db.sql();
    sql.push("SELECT COUNT(*) AS n FROM pragma_foreign_key_check");
    let rows: Vec<Count> = db.load("PRAGMA foreign_key_check", &sql)?;
    Ok(rows.first().map_or(0, |r| r.n))
}

/// Applies every pending migration; returns the versions applied. With nothing pending it
/// writes nothing and takes no lock (a role that may only read gets its answer). Otherwise
/// the list is read again under the write lock ([`serialised`]): of two runs at once, the
/// second finds nothing pending.
pub fn run_pending(db: &mut Database) -> Result<Vec<String>> {
    ensure_managed(db, "migrate")?;
    if status(db)?.iter().all(|m| m.applied) {
        return Ok(Vec::new());
    }
    serialised(db, "applying migrations", |db| {
        ensure_managed(db, "migrate")?;
        with_harness(db, "applying migrations", |conn| {
            let done = match conn {
                Conn::Pg(c) => c.run_pending_migrations(POSTGRES)?,
                Conn::Sqlite(c) => c.run_pending_migrations(SQLITE)?,
            };
            Ok(done.iter().map(|v| v.to_string()).collect())
        })
    })
}

/// Reverts the most recent migration; returns its version, or `None` when none is applied.
pub(crate) fn revert_last(db: &mut Database) -> Result<Option<String>> {
    ensure_managed(db, "migrate revert")?;
    serialised(db, "reverting a migration", |db| {
        let Some(last) = applied_versions(db)?.pop() else {
            return Ok(None);
        };
        if last == GENERATED_FAQ_ID_VERSION {
            warn_links_dropped(db)?;
        }
        with_harness(db, "reverting a migration", |conn| {
            let v = match conn {
                Conn::Pg(c) => c.revert_last_migration(POSTGRES)?,
                Conn::Sqlite(c) => c.revert_last_migration(SQLITE)?,
            };
            Ok(Some(v.to_string()))
        })
    })
}

/// Applies the next pending migration (used by `redo`).
pub(crate) fn run_next(db: &mut Database) -> Result<String> {
    serialised(db, "applying a migration", |db| {
        with_harness(db, "applying a migration", |conn| {
            let v = match conn {
                Conn::Pg(c) => c.run_next_migration(POSTGRES)?,
                Conn::Sqlite(c) => c.run_next_migration(SQLITE)?,
            };
            Ok(v.to_string())
        })
    })
}

#[derive(QueryableByName)]
struct LinkCount {
    #[diesel(sql_type = BigInt)]
    links: i64,
}

/// Reverting `add_generated_faq_id` drops every feedback→FAQ link: say so, with the count.
fn warn_links_dropped(db: &mut Database) -> Result<()> {
    let mut sql = db.sql();
    sql.push("SELECT COUNT(generated_faq_id) AS links FROM expert_feedback");
    let rows: Vec<LinkCount> = db.load("counting feedback→FAQ links", &sql)?;
    let links = rows.first().map_or(0, |r| r.links);
    eprintln!(
        "warning: reverting {GENERATED_FAQ_ID_VERSION} (add_generated_faq_id) drops expert_feedback.generated_faq_id: \
         every feedback→FAQ link ({links} link(s)) is lost; the feedback and FAQ rows stay"
    );
    Ok(())
}
