//! Database access: the backend chosen by URL scheme, per-connection settings, one portable
//! SQL builder, and read-only snapshots.

pub mod cancel;
pub mod catalog;
pub mod migrations;
pub mod schema;
pub(crate) mod seed;
mod snapshot;
mod sql;
mod sqlite_file;
pub mod types;
pub mod url;

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::pg::{Pg, PgConnection, PgRowByRowLoadingMode};
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::query_dsl::RunQueryDsl;
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text};
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel::{Connection, QueryableByName};

use crate::error::{Error, QueryClass, Result};
pub(crate) use sql::Param;
pub use sql::Sql;
use sqlite_file::{open_sqlite, NewFile};
pub use types::{FeedbackType, Timestamp, TimestampReading, Uuid};
use types::{PortableTimestamptz, PortableUuid};
pub use url::DatabaseUrl;

/// Which backend a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL (production).
    Postgres,
    /// SQLite (the embedded default).
    Sqlite,
}

/// What a command is allowed to do with the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read commands: never create, never write (SQLite opened `mode=ro`, `query_only`).
    ReadOnly,
    /// Writes on an existing or new database (a missing SQLite file is created in place;
    /// files are set to WAL, and [`Database::finish_writes`] sets them back). faqlink's write
    /// commands use [`Database::open_to_write`] instead, which builds a new file under a
    /// temporary name and leaves the journal mode alone.
    Write,
}

/// How [`open_sqlite`] opens a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SqliteMode {
    /// `mode=ro`, `query_only`.
    ReadOnly,
    /// Read-write, switched to WAL ([`Access::Write`]).
    WriteWal,
    /// Read-write, the journal mode left as the file has it ([`Database::open_to_write`]).
    Write,
}

/// A live connection to one of the two backends (private to the database layer).
enum Conn {
    /// PostgreSQL.
    Pg(PgConnection),
    /// SQLite.
    Sqlite(SqliteConnection),
}

/// A connection together with the (redacted) URL it came from, for error messages.
pub struct Database {
    /// Where this database is; printing it never shows a password.
    pub url: DatabaseUrl,
    /// The connection: only the database layer touches it.
    conn: Conn,
    /// The PostgreSQL session as recorded for cancelling at a signal ([`cancel`]); forgotten
    /// when this connection closes.
    _cancel: Option<cancel::Registration>,
    /// A new SQLite database being built under a temporary name ([`Database::open_to_write`]),
    /// moved into place by [`Database::writing`] when complete. Declared after `conn`, so
    /// that when a failed run drops the `Database` the connection closes before the
    /// temporary files are removed.
    new_file: Option<NewFile>,
    /// The report session's statement timeout, if one was set ([`Database::report_session`]):
    /// connections that join this one's snapshot get the same settings.
    statement_timeout: Option<u32>,
    /// How statements built on this connection ([`Database::sql`]) read
    /// `feedback_timestamp`: set by each report run for its snapshot.
    pub timestamps: TimestampReading,
}

/// Tries of [`Database::finish_writes`], 50 ms apart.
const FINISH_WRITES_ATTEMPTS: u32 = 20;

/// SQLite waits this long for a lock held by another process before failing.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

impl Database {
    /// Connects to `url`. Read-only access never creates a SQLite file.
    pub fn open(url: &DatabaseUrl, access: Access) -> Result<Self> {
        let mode = match access {
            Access::ReadOnly => SqliteMode::ReadOnly,
            Access::Write => SqliteMode::WriteWal,
        };
        Self::open_as(url, mode)
    }

    fn open_as(url: &DatabaseUrl, mode: SqliteMode) -> Result<Self> {
        let (conn, cancel) = match url {
            DatabaseUrl::Postgres { conninfo, .. } => {
                let mut c = PgConnection::establish(conninfo)
                    .map_err(|e| Error::Connect { url: url.redacted(), reason: url.connect_failure(&e.to_string()) })?;
                c.batch_execute("SET client_min_messages = warning")
                    .map_err(|e| query_error(url, "session setup", e))?;
                // Recorded so that a signal cancels this session's query at the server.
                let pid: Vec<Pid> = diesel::sql_query("SELECT pg_backend_pid() AS pid")
                    .load(&mut c)
                    .map_err(|e| query_error(url, "session setup", e))?;
                let cancel = pid.first().map(|p| cancel::register(conninfo, p.pid));
                (Conn::Pg(c), cancel)
            }
            DatabaseUrl::Sqlite { path } => (Conn::Sqlite(open_sqlite(url, path, mode)?), None),
        };
        Ok(Database {
            url: url.clone(),
            conn,
            _cancel: cancel,
            new_file: None,
            statement_timeout: None,
            timestamps: TimestampReading::Stored,
        })
    }

    /// Connects for a write command (`migrate`, `seed`, `demo`). An existing SQLite file is
    /// opened in the journal mode it has (a command that finds nothing to do changes nothing;
    /// writers serialise on SQLite's write lock, see [`migrations`]). A missing SQLite file
    /// is built under a temporary name beside it (`.faqlink-NAME.XXXXXX.tmp`, removed by a
    /// signal or a failure, with its `-journal`) and moved into place by
    /// [`Database::writing`] only once the command's work succeeded, so the name never holds
    /// a partial database.
    pub(crate) fn open_to_write(url: &DatabaseUrl) -> Result<Self> {
        let Some(path) = url.sqlite_path() else { return Self::open(url, Access::Write) };
        if std::fs::symlink_metadata(path).is_ok() {
            return Self::open_as(url, SqliteMode::Write);
        }
        let new = NewFile::create(path).map_err(|e| Error::io("cannot create a database at", path, e))?;
        let conn = open_sqlite(url, &new.temp, SqliteMode::Write)?;
        Ok(Database {
            url: url.clone(),
            conn: Conn::Sqlite(conn),
            _cancel: None,
            new_file: Some(new),
            statement_timeout: None,
            timestamps: TimestampReading::Stored,
        })
    }

    /// Connects read-only for reports and applies the report session settings
    /// ([`Database::report_session`]).
    pub fn open_for_reports(url: &DatabaseUrl, statement_timeout: Option<u32>) -> Result<Self> {
        let mut db = Database::open(url, Access::ReadOnly)?;
        db.report_session(statement_timeout)?;
        Ok(db)
    }

    /// Session settings for report queries on PostgreSQL (nothing on SQLite, whose read
    /// connections are set up when opened): no JIT (it costs these short aggregate queries
    /// more than it saves), room for in-memory grouping, parallel workers without the leader,
    /// and an optional statement timeout. None is a write.
    pub fn report_session(&mut self, statement_timeout: Option<u32>) -> Result<()> {
        if self.backend() != Backend::Postgres {
            return Ok(());
        }
        // work_mem: the grouping of a large table stays in memory instead of spilling to disk.
        // parallel_leader_participation = off: the leader only gathers what the workers produce.
        // With the leader scanning too, a parallel hash join waits for it at every barrier while
        // it also has to read the workers' tuples; measured on a 2-core server, PostgreSQL's
        // default of 2 workers: 10M rows, totals 3.23 s -> 2.25 s and orphans 2.02 s -> 1.25 s
        // (1M: 0.35 -> 0.28 s, 0.17 -> 0.12 s), no report slower. On a server with many idle
        // cores this gives up at most the leader's share of a scan (a third, with 2 workers).
        let mut settings =
            String::from("SET jit = off; SET work_mem = '64MB'; SET parallel_leader_participation = off;");
        if let Some(secs) = statement_timeout {
            settings.push_str(&format!("SET statement_timeout = '{secs}s';"));
        }
        self.statement_timeout = statement_timeout;
        self.batch("session settings", &settings)
    }

    /// Ends a write command's use of a SQLite file: switches it from WAL back to the rollback
    /// journal (`journal_mode = DELETE`), which folds the WAL into the file and removes its
    /// `-wal` and `-shm` files. A file left so can be read by a user who cannot write its folder
    /// (or on read-only media), and reading it creates no file. While another connection has
    /// the file open the switch is impossible: after a few short retries the file stays in WAL
    /// mode and a warning says so (the data is written either way). Nothing on PostgreSQL.
    pub(crate) fn finish_writes(&mut self) -> Result<()> {
        match self.leave_wal() {
            Ok(()) => Ok(()),
            Err(Leave::Held(last)) => {
                eprintln!(
                    "faqlink: warning: {} stays in WAL mode because another connection has it open ({last}); \
                     users who cannot write its folder cannot read it until a faqlink write command finishes alone",
                    self.url
                );
                Ok(())
            }
            // Not a lock (a full disk, an I/O error): the data is written; say what happened.
            Err(Leave::Failed(cause)) => {
                eprintln!("faqlink: warning: {} stays in WAL mode: {cause}", self.url);
                Ok(())
            }
        }
    }

    /// Switches a SQLite file to the rollback journal ([`Database::finish_writes`]), retrying
    /// while another connection holds it; says why it could not.
    fn leave_wal(&mut self) -> std::result::Result<(), Leave> {
        if self.backend() != Backend::Sqlite {
            return Ok(());
        }
        let sql = self.sql().push("PRAGMA journal_mode = DELETE").clone();
        let mut last = Leave::Held(String::new());
        for attempt in 0..FINISH_WRITES_ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            // The switch does not wait for a lock: it fails at once while anyone has the file open.
            match self.load::<JournalMode>("leaving WAL mode", &sql) {
                Ok(rows) if rows.first().is_some_and(|r| r.journal_mode.eq_ignore_ascii_case("delete")) => {
                    return Ok(())
                }
                Ok(rows) => {
                    last = Leave::Held(
                        rows.first().map_or_else(String::new, |r| format!("journal mode {}", r.journal_mode)),
                    )
                }
                Err(e) => {
                    let text = e.to_string();
                    if !(text.contains("locked") || text.contains("busy")) {
                        return Err(Leave::Failed(text));
                    }
                    last = Leave::Held(text);
                }
            }
        }
        Err(last)
    }

    /// Runs a write command's work `f`, then ends the write:
    /// - a new SQLite database ([`Database::open_to_write`]): when `f` succeeded, the file is
    ///   set to the rollback journal and moved into place under its name (a `rename` that
    ///   never replaces: if another run created the database meanwhile, this run's copy is
    ///   removed and `f` runs again on that one, as if this run had started after it), then
    ///   this connection is reopened read-only on it; when `f` failed, the temporary file and
    ///   its side files are removed when this `Database` is dropped, after its connection
    ///   closed, and the error is `f`'s alone;
    /// - otherwise [`Database::finish_writes`] when `f` succeeded, and a quiet attempt at the
    ///   same switch when it failed (`f`'s error is the one line said).
    pub(crate) fn writing<R>(&mut self, mut f: impl FnMut(&mut Database) -> Result<R>) -> Result<R> {
        let result = f(self);
        let Some(mut new) = self.new_file.take() else {
            return match result {
                Ok(value) => self.finish_writes().map(|()| value),
                Err(e) => {
                    let _ = self.leave_wal();
                    Err(e)
                }
            };
        };
        let value = match result {
            Ok(value) => value,
            Err(e) => {
                self.new_file = Some(new);
                return Err(e);
            }
        };
        if let Err(why) = self.leave_wal() {
            self.new_file = Some(new);
            let reason = match why {
                Leave::Held(r) | Leave::Failed(r) => r,
            };
            return Err(failed(&self.url, "finishing the new database", &reason, QueryClass::Other));
        }
        match new.publish() {
            Ok(true) => {
                let target = new.target.clone();
                self.conn = Conn::Sqlite(open_sqlite(&self.url, &target, SqliteMode::ReadOnly)?);
                Ok(value)
            }
            Ok(false) => {
                let target = new.target.clone();
                self.conn = Conn::Sqlite(open_sqlite(&self.url, &target, SqliteMode::Write)?);
                drop(new);
                self.writing(f)
            }
            Err(e) => {
                let target = new.target.clone();
                self.new_file = Some(new);
                Err(Error::io("cannot move the new database into place at", &target, e))
            }
        }
    }

    /// Whether this connection may not write: PostgreSQL in a read-only transaction by default
    /// (a hot standby, or `default_transaction_read_only = on`). Always false on SQLite.
    pub(crate) fn is_read_only(&mut self) -> Result<bool> {
        if self.backend() != Backend::Postgres {
            return Ok(false);
        }
        let sql = self.sql().push("SELECT CAST(current_setting('transaction_read_only') AS TEXT) AS s").clone();
        let rows: Vec<Setting> = self.load("asking whether the database is read-only", &sql)?;
        Ok(rows.first().is_some_and(|r| r.s == "on"))
    }

    /// The backend of this connection.
    pub(crate) fn backend(&self) -> Backend {
        match self.conn {
            Conn::Pg(_) => Backend::Postgres,
            Conn::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// A new, empty SQL statement in this backend's placeholder style.
    pub fn sql(&self) -> Sql {
        Sql::reading(self.backend(), self.timestamps)
    }

    /// Wraps a Diesel error with what was being done and where.
    pub(crate) fn error(&self, what: &str, e: diesel::result::Error) -> Error {
        query_error(&self.url, what, e)
    }

    /// Writes `rows` with Diesel's own statements (a bulk `COPY`, multi-row `INSERT`s of
    /// `Insertable`s) on this connection: `pg` on PostgreSQL, `lite` on SQLite. `what` names
    /// the work in errors.
    pub(crate) fn write_with<T>(
        &mut self,
        what: &str,
        rows: T,
        pg: impl FnOnce(&mut PgConnection, T) -> diesel::QueryResult<()>,
        lite: impl FnOnce(&mut SqliteConnection, T) -> diesel::QueryResult<()>,
    ) -> Result<()> {
        let r = match &mut self.conn {
            Conn::Pg(c) => pg(c, rows),
            Conn::Sqlite(c) => lite(c, rows),
        };
        r.map_err(|e| self.error(what, e))
    }

    /// Runs statements that return nothing (several may be separated by `;`).
    pub fn batch(&mut self, what: &str, statements: &str) -> Result<()> {
        let r = match &mut self.conn {
            Conn::Pg(c) => c.batch_execute(statements),
            Conn::Sqlite(c) => c.batch_execute(statements),
        };
        r.map_err(|e| self.error(what, e))
    }

    /// Runs a statement and returns the number of affected rows.
    pub(crate) fn execute(&mut self, what: &str, sql: &Sql) -> Result<usize> {
        let r = match &mut self.conn {
            Conn::Pg(c) => sql.boxed_pg().execute(c),
            Conn::Sqlite(c) => sql.boxed_sqlite().execute(c),
        };
        r.map_err(|e| self.error(what, e))
    }

    /// Runs a query and collects its rows (for small results: aggregates, catalog lookups).
    pub fn load<T>(&mut self, what: &str, sql: &Sql) -> Result<Vec<T>>
    where
        T: QueryableByName<Pg> + QueryableByName<Sqlite> + 'static,
    {
        let r = match &mut self.conn {
            Conn::Pg(c) => sql.boxed_pg().load::<T>(c),
            Conn::Sqlite(c) => sql.boxed_sqlite().load::<T>(c),
        };
        r.map_err(|e| self.error(what, e))
    }

    /// Runs a query and hands each row to `f` as it arrives, without collecting the result
    /// (PostgreSQL rows are fetched one by one, so memory stays flat on any size).
    pub(crate) fn for_each<T, F>(&mut self, what: &str, sql: &Sql, mut f: F) -> Result<()>
    where
        T: QueryableByName<Pg> + QueryableByName<Sqlite> + 'static,
        F: FnMut(T) -> Result<()>,
    {
        let url = self.url.clone();
        let err = |e| query_error(&url, what, e);
        match &mut self.conn {
            Conn::Pg(c) => {
                let q = sql.boxed_pg();
                for row in q.load_iter::<T, PgRowByRowLoadingMode>(c).map_err(err)? {
                    f(row.map_err(err)?)?;
                }
            }
            Conn::Sqlite(c) => {
                let q = sql.boxed_sqlite();
                for row in q.load_iter::<T, diesel::connection::DefaultLoadingMode>(c).map_err(err)? {
                    f(row.map_err(err)?)?;
                }
            }
        }
        Ok(())
    }

    /// Whether a table exists (in PostgreSQL's current schema).
    pub(crate) fn table_exists(&mut self, table: &str) -> Result<bool> {
        catalog::table_exists(self, table)
    }
}

/// `PRAGMA data_version`'s one column.
#[derive(QueryableByName, Debug)]
struct DataVersion {
    #[diesel(sql_type = BigInt)]
    data_version: i64,
}

/// A single `COUNT(*) AS n` result.
#[derive(QueryableByName, Debug)]
pub struct Count {
    /// The count.
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

fn query_error(url: &DatabaseUrl, what: &str, e: diesel::result::Error) -> Error {
    // A query cancelled because faqlink is being interrupted: the signal ends the process.
    cancel::wait_if_interrupted();
    let class = QueryClass::of(&e);
    failed(url, what, &e.to_string(), class)
}

/// The error for `what` failing on `url` with the driver's `message` (one line, password
/// redacted) and its `class`.
fn failed(url: &DatabaseUrl, what: &str, message: &str, class: QueryClass) -> Error {
    Error::Query { what: what.to_string(), url: url.redacted(), reason: url.scrub(message), class }
}

/// Why [`Database::leave_wal`] could not switch a file to the rollback journal.
enum Leave {
    /// Another connection holds the file open (the last answer).
    Held(String),
    /// Another cause (a full disk, an I/O error).
    Failed(String),
}

/// `SELECT pg_backend_pid() AS pid`.
#[derive(QueryableByName, Debug)]
struct Pid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

/// `PRAGMA journal_mode`'s one column.
#[derive(QueryableByName, Debug)]
struct JournalMode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

/// `SELECT current_setting('transaction_read_only') AS s`.
#[derive(QueryableByName, Debug)]
struct Setting {
    #[diesel(sql_type = Text)]
    s: String,
}
