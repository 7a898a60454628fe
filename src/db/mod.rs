//! Database access: the backend chosen by URL scheme, per-connection settings, one portable
//! SQL builder, and read-only snapshots.

pub mod cancel;
pub mod catalog;
pub mod migrations;
pub mod schema;
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
    /// A SQLite report over the whole history of a table with at least this many rows may
    /// split its scan over two connections ([`Database::read_snapshot_with_reader`]); tests
    /// set 0 to take that path on small data.
    pub split_min_rows: i64,
    /// The report session's statement timeout, if one was set ([`Database::report_session`]):
    /// connections that join this one's snapshot get the same settings.
    statement_timeout: Option<u32>,
    /// Whether a PostgreSQL report run computes some sections at once on connections of their
    /// own ([`crate::reports::parallel`]); tests turn it off to compare.
    pub parallel: Parallel,
    /// How statements built on this connection ([`Database::sql`]) read
    /// `feedback_timestamp`: set by each report run for its snapshot.
    pub timestamps: TimestampReading,
}

/// When a PostgreSQL report run computes sections at once ([`crate::reports::parallel`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parallel {
    /// Whenever a run has a section to compute meanwhile (the rule is
    /// [`crate::reports::plan::plan`]).
    Auto,
    /// Never: one connection, one section after another (tests).
    Never,
}

impl Parallel {
    /// The most readers a run may open besides its own connection.
    pub fn max_readers(self) -> usize {
        match self {
            Parallel::Auto => usize::MAX,
            Parallel::Never => 0,
        }
    }
}

/// The default [`Database::split_min_rows`]: below it a second thread costs more than it saves.
pub const SPLIT_MIN_ROWS: i64 = 65_536;

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
            split_min_rows: SPLIT_MIN_ROWS,
            statement_timeout: None,
            parallel: Parallel::Auto,
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
            split_min_rows: SPLIT_MIN_ROWS,
            statement_timeout: None,
            parallel: Parallel::Auto,
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
        Sql { timestamps: self.timestamps, ..Sql::new(self.backend()) }
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

    /// Runs `f` inside one read-only snapshot: every query in it sees the same data.
    /// PostgreSQL: `REPEATABLE READ, READ ONLY`; SQLite: one read transaction (a file in WAL
    /// mode, as while a faqlink write command runs, keeps writers going meanwhile; in the
    /// rollback-journal mode faqlink leaves its files in, a writer's commit waits for it, up to
    /// the 10 s busy timeout). Nothing is written either way.
    pub fn read_snapshot<R>(&mut self, f: impl FnOnce(&mut Database) -> Result<R>) -> Result<R> {
        self.read_snapshot_with_reader(false, |db, _| f(db))
    }

    /// [`Database::read_snapshot`] with, when `want_reader` is set and the database is a SQLite
    /// file, a second read-only connection that reads the very same snapshot, so that one
    /// report can be split over two threads (SQLite runs a query on one core). `f` gets `None`
    /// on PostgreSQL (it parallelises inside the server), and whenever the same snapshot
    /// cannot be proven or the second connection cannot be opened: the work then runs on
    /// this connection alone, with the same result.
    pub fn read_snapshot_with_reader<R>(
        &mut self,
        want_reader: bool,
        f: impl FnOnce(&mut Database, Option<&mut Database>) -> Result<R>,
    ) -> Result<R> {
        let readers = match self.backend() {
            Backend::Sqlite => usize::from(want_reader),
            Backend::Postgres => 0,
        };
        self.read_snapshot_with_readers(readers, |db, readers| f(db, readers.first_mut()))
    }

    /// [`Database::read_snapshot`] with up to `readers` more read-only connections that read
    /// the very same snapshot, for work spread over threads (one connection each):
    /// - PostgreSQL: this transaction exports its snapshot (`pg_export_snapshot()`, also on a
    ///   hot standby) and each new connection adopts it (`SET TRANSACTION SNAPSHOT`), as
    ///   `pg_dump --jobs` does; they get this session's report settings.
    /// - SQLite: at most one, proven to see the same snapshot ([`Database::join_snapshot`]).
    ///
    /// `f` gets fewer (or none) when a connection cannot be opened or joined: the work then
    /// runs on fewer connections, with the same result. Every transaction ends with `f`.
    pub fn read_snapshot_with_readers<R>(
        &mut self,
        readers: usize,
        f: impl FnOnce(&mut Database, &mut [Database]) -> Result<R>,
    ) -> Result<R> {
        let begin = match self.backend() {
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            Backend::Sqlite => "BEGIN DEFERRED",
        };
        self.batch("starting a read-only transaction", begin)?;
        let mut joined = Vec::new();
        if readers > 0 {
            match self.backend() {
                // This connection has read nothing in its transaction yet, as join_snapshot needs.
                Backend::Sqlite => joined.extend(self.second_reader()),
                Backend::Postgres => joined = self.snapshot_readers(readers)?,
            }
        }
        let result = f(self, &mut joined);
        // A read-only transaction has nothing to keep: end it the same way either way.
        for r in &mut joined {
            let _ = r.batch("ending a joined reader's transaction", "ROLLBACK");
        }
        let end = self.batch("ending the read-only transaction", "ROLLBACK");
        let value = result?;
        end?;
        Ok(value)
    }

    /// Opens up to `n` PostgreSQL connections on this transaction's snapshot (exported here;
    /// this transaction must have run no query yet). A connection that cannot be opened, or
    /// cannot adopt the snapshot, is done without; a failure to export is an error.
    fn snapshot_readers(&mut self, n: usize) -> Result<Vec<Database>> {
        #[derive(QueryableByName)]
        struct Exported {
            #[diesel(sql_type = Text)]
            id: String,
        }
        let sql = self.sql().push("SELECT pg_export_snapshot() AS id").clone();
        let rows: Vec<Exported> = self.load("exporting the read snapshot", &sql)?;
        let Some(id) = rows.into_iter().next().map(|r| r.id) else { return Ok(Vec::new()) };
        // The id is PostgreSQL's own (hex digits and dashes); it is quoted all the same.
        let adopt = format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '{}'",
            id.replace('\'', "''")
        );
        // Connections are opened at once, each in its own thread (a connection's setup is a
        // few round trips, mostly waiting).
        let (url, timeout) = (&self.url, self.statement_timeout);
        let opened: Vec<Option<Database>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    s.spawn(|| {
                        let mut db = Database::open_for_reports(url, timeout).ok()?;
                        db.batch("adopting the read snapshot", &adopt).ok()?;
                        Some(db)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().ok().flatten()).collect()
        });
        Ok(opened.into_iter().flatten().collect())
    }

    /// Opens a second read-only SQLite connection on this connection's snapshot, or `None`.
    fn second_reader(&mut self) -> Option<Database> {
        let mut reader = Database::open(&self.url, Access::ReadOnly).ok()?;
        // In rollback-journal mode a writer waiting for this connection's snapshot to end
        // blocks a new reader: do without the second one rather than wait.
        reader.batch("not waiting for locks", "PRAGMA busy_timeout = 0").ok()?;
        let before = reader.data_version().ok()?;
        match self.join_snapshot(&mut reader, before) {
            Ok(true) => Some(reader),
            _ => None,
        }
    }

    /// SQLite's `PRAGMA data_version`: on one connection, it changes exactly when another
    /// connection has committed a change since this connection last read.
    pub fn data_version(&mut self) -> Result<i64> {
        let sql = self.sql().push("PRAGMA data_version").clone();
        let rows: Vec<DataVersion> = self.load("reading the data version", &sql)?;
        Ok(rows.first().map_or(0, |r| r.data_version))
    }

    /// Starts this SQLite connection's snapshot (its transaction must be open and must have
    /// read nothing yet) and a read transaction on `reader`, whose data version was `before`,
    /// read before this call. Returns whether both see the same snapshot: each snapshot starts
    /// after `before` was read, and `reader`'s data version unchanged at its own start means
    /// no other connection committed in between. On `false`, `reader` holds no transaction.
    /// The proof holds in both journal modes: `data_version` counts other connections' commits
    /// either way, and in rollback-journal mode no commit can even happen while this
    /// connection holds its snapshot's shared lock.
    pub fn join_snapshot(&mut self, reader: &mut Database, before: i64) -> Result<bool> {
        // Any read of the file fixes the snapshot of an open transaction.
        const FIRST_READ: &str = "SELECT COUNT(*) FROM sqlite_master";
        self.batch("starting the read snapshot", FIRST_READ)?;
        reader.batch("starting the second reader", &format!("BEGIN DEFERRED; {FIRST_READ}"))?;
        if reader.data_version()? == before {
            return Ok(true);
        }
        reader.batch("ending the second reader's transaction", "ROLLBACK")?;
        Ok(false)
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

fn open_sqlite(url: &DatabaseUrl, path: &Path, mode: SqliteMode) -> Result<SqliteConnection> {
    match open_sqlite_once(url, path, mode) {
        // A read that needs a rollback first: a write was interrupted (a crash, `kill -9`)
        // and left a hot journal. Roll it back when this user may write there (what any
        // SQLite connection that can write does on its first read), else say so in one line.
        Err(e) if mode == SqliteMode::ReadOnly && has_journal(path) && !in_wal_mode(path) => {
            match roll_back_hot_journal(path) {
                Ok(()) => {
                    eprintln!(
                        "faqlink: note: {} had a hot journal ({}-journal) left by an interrupted write; \
                         rolled back to its last committed state",
                        crate::error::quoted(&path.display().to_string()),
                        crate::error::quoted(&path.display().to_string())
                    );
                    open_sqlite_once(url, path, mode)
                }
                Err(_) => {
                    let sqlite = match &e {
                        Error::Connect { reason, .. } => reason.clone(),
                        other => other.to_string(),
                    };
                    Err(Error::Connect {
                        url: url.redacted(),
                        reason: format!(
                            "a write to it was interrupted and left a hot journal ({}-journal) that must be rolled \
                             back before the file can be read, and this user cannot write there (SQLite: {sqlite}); \
                             a user who can (its owner) recovers it with `faqlink migrate`, which restores the last \
                             committed state",
                            crate::error::quoted(&path.display().to_string())
                        ),
                    })
                }
            }
        }
        other => other,
    }
}

/// Whether a non-empty `-journal` file lies beside `path` (a hot journal when no writer is live).
fn has_journal(path: &Path) -> bool {
    let mut journal = path.as_os_str().to_owned();
    journal.push("-journal");
    std::fs::metadata(PathBuf::from(journal)).is_ok_and(|m| m.is_file() && m.len() > 0)
}

/// Opens `path` read-write (never creating it) and reads it, which makes SQLite roll a hot
/// journal back; fails when this user cannot write the file or its folder.
fn roll_back_hot_journal(path: &Path) -> std::result::Result<(), String> {
    let target = format!("file:{}?mode=rw", uri_escape(&path.to_string_lossy()));
    let mut c = SqliteConnection::establish(&target).map_err(|e| e.to_string())?;
    c.batch_execute(&format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; SELECT COUNT(*) FROM sqlite_master"))
        .map_err(|e| e.to_string())?;
    drop(c);
    if has_journal(path) {
        return Err("the journal is still there".into());
    }
    Ok(())
}

fn open_sqlite_once(url: &DatabaseUrl, path: &Path, mode: SqliteMode) -> Result<SqliteConnection> {
    let exists = path.exists();
    if mode == SqliteMode::ReadOnly && !exists {
        return Err(Error::MissingDatabase { path: path.to_path_buf() });
    }
    if path.is_dir() {
        return Err(Error::Connect { url: url.redacted(), reason: "it is a directory, not a SQLite file".into() });
    }
    let target = match mode {
        // SQLite URI: mode=ro makes a missing file an error and any write fail.
        SqliteMode::ReadOnly => format!("file:{}?mode=ro", uri_escape(&path.to_string_lossy())),
        SqliteMode::WriteWal | SqliteMode::Write => path.to_string_lossy().into_owned(),
    };
    // A read failing on a file in WAL mode is almost always the -shm file SQLite must create
    // beside it even to read: say so, and how to fix it, instead of "readonly database".
    let failed = |e: &dyn std::fmt::Display| {
        let mut reason = e.to_string();
        if mode == SqliteMode::ReadOnly && in_wal_mode(path) {
            reason = format!(
                "{reason}: the file is in WAL mode, in which SQLite must create {}-shm and {}-wal beside it \
                 even to read, and this user cannot write there; faqlink's write commands leave their \
                 files in rollback-journal mode (its owner can run `faqlink migrate`, or \
                 `sqlite3 FILE 'PRAGMA journal_mode=DELETE'`)",
                path.display(),
                path.display()
            );
        }
        Error::Connect { url: url.redacted(), reason }
    };
    let mut c = SqliteConnection::establish(&target).map_err(|e| failed(&e))?;
    let mut setup = format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON;");
    match mode {
        // A 1 MiB page cache (SQLite's default is 2 MiB): reports scan once, so a larger one
        // buys nothing, and a split report holds two (10M rows, `report all`: peak RSS 19.7 ->
        // 16.8 MiB, no report slower).
        SqliteMode::ReadOnly => setup.push_str("PRAGMA query_only = 1; PRAGMA cache_size = -1024;"),
        // While a write runs, WAL lets readers go on; WAL changes the file, so only
        // connections that may write switch it on, and they switch it back when they finish
        // (Database::finish_writes).
        SqliteMode::WriteWal => setup.push_str("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"),
        // faqlink's write commands: the file's own journal mode (a rollback journal, as
        // faqlink leaves its files); `seed` switches to WAL itself for a long write.
        SqliteMode::Write => {}
    }
    c.batch_execute(&setup).map_err(|e| failed(&e))?;
    // Reading the schema proves this is a SQLite file at all (a text file fails here).
    c.batch_execute("SELECT COUNT(*) FROM sqlite_master").map_err(|e| failed(&e))?;
    Ok(c)
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

/// A new SQLite database built under a temporary name beside its target (see
/// [`Database::open_to_write`]). Until it is published, the temporary file and its side files
/// are registered for removal at a signal, and removed when this is dropped.
struct NewFile {
    /// Where the database goes.
    target: PathBuf,
    /// The temporary file SQLite writes.
    temp: PathBuf,
    /// The temporary file's registration (taken when it is published).
    main: Option<crate::output::cleanup::Registered>,
    /// The registrations of SQLite's side files of the temporary name.
    sides: Vec<crate::output::cleanup::Registered>,
    /// Moved into place: nothing to remove.
    published: bool,
}

/// The side files SQLite may create beside a database.
const SIDE_SUFFIXES: [&str; 3] = ["-journal", "-wal", "-shm"];

impl NewFile {
    /// Creates an empty file `.faqlink-NAME.XXXXXX.tmp` beside `target` (mode `0644` less the
    /// umask, as SQLite creates files; the folder's default ACL applies), registered for
    /// removal at a signal before it exists.
    fn create(target: &Path) -> std::io::Result<NewFile> {
        use crate::output::cleanup;
        use std::os::unix::fs::OpenOptionsExt;
        let name = target.file_name().ok_or_else(|| std::io::Error::other("the path names no file"))?;
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        cleanup::remove_stale(&dir, name);
        let mut attempt = 0;
        loop {
            let temp = dir.join(cleanup::temp_name(name));
            // SQLite's side files first (they do not exist yet: registered so that a signal
            // removes them once SQLite has made them), then the file itself, registered before
            // it exists.
            let sides = SIDE_SUFFIXES
                .iter()
                .map(|suffix| {
                    let mut side = temp.as_os_str().to_owned();
                    side.push(suffix);
                    cleanup::create(Path::new(&side), cleanup::Kind::File, || Ok(())).map(|((), r)| r)
                })
                .collect::<std::io::Result<Vec<_>>>()?;
            let created = cleanup::create(&temp, cleanup::Kind::File, || {
                std::fs::OpenOptions::new().write(true).create_new(true).mode(0o644).open(&temp)
            });
            match created {
                Ok((_, main)) => {
                    return Ok(NewFile {
                        target: target.to_path_buf(),
                        temp,
                        main: Some(main),
                        sides,
                        published: false,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// Moves the temporary file to the target, never replacing one (`renameat2` with
    /// `RENAME_NOREPLACE`; a hard link where the file system lacks it), and syncs the folder.
    /// `Ok(false)`: the target exists (another run created it meanwhile).
    fn publish(&mut self) -> std::io::Result<bool> {
        let main = self.main.take().expect("a new file is published once");
        let moved = main.settle(|| rename_noreplace(&self.temp, &self.target));
        match moved {
            Ok(()) => {
                self.published = true;
                let dir = self.target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                crate::output::cleanup::sync_dir(dir)?;
                Ok(true)
            }
            Err(e) => {
                // Not moved: registered again, so that a signal still removes it.
                let again = crate::output::cleanup::create(&self.temp, crate::output::cleanup::Kind::File, || Ok(()));
                self.main = again.ok().map(|((), r)| r);
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }
}

impl Drop for NewFile {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_file(&self.temp);
        }
        for suffix in SIDE_SUFFIXES {
            let mut side = self.temp.as_os_str().to_owned();
            side.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(side));
        }
        self.sides.clear();
    }
}

/// `rename(from, to)` that fails with `AlreadyExists` instead of replacing `to`.
fn rename_noreplace(from: &Path, to: &Path) -> std::io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        // A file system without RENAME_NOREPLACE: a hard link never replaces either.
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {
            std::fs::hard_link(from, to)?;
            std::fs::remove_file(from)
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether the SQLite file at `path` is in WAL mode: its header's read and write format
/// versions (bytes 18 and 19) are 2.
fn in_wal_mode(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 20];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut header)).is_ok() && header[18..20] == [2, 2]
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

/// Escapes the characters that would end or alter the path part of a SQLite URI.
fn uri_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            _ => out.push(c),
        }
    }
    out
}

/// A value bound to a placeholder of a [`Sql`] statement.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    /// TEXT / VARCHAR.
    Text(String),
    /// Nullable TEXT.
    OptText(Option<String>),
    /// BOOLEAN.
    Bool(bool),
    /// DOUBLE PRECISION.
    Double(f64),
    /// A UUID column.
    Uuid(Uuid),
    /// A timestamptz column.
    Ts(Timestamp),
}

/// One SQL statement written once for both backends: text plus typed binds. Placeholders
/// are rendered in the backend's style (`$1` or `?`); values carry portable SQL types, so
/// the text needs no casts.
#[derive(Debug, Clone)]
pub struct Sql {
    backend: Backend,
    text: String,
    binds: Vec<Param>,
    timestamps: TimestampReading,
}

macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut q = $query;
        for b in $binds {
            q = match b.clone() {
                Param::Text(v) => q.bind::<Text, _>(v),
                Param::OptText(v) => q.bind::<Nullable<Text>, _>(v),
                Param::Bool(v) => q.bind::<Bool, _>(v),
                Param::Double(v) => q.bind::<Double, _>(v),
                Param::Uuid(v) => q.bind::<PortableUuid, _>(v),
                Param::Ts(v) => q.bind::<PortableTimestamptz, _>(v),
            };
        }
        q
    }};
}

impl Sql {
    /// An empty statement for `backend` that compares timestamps as stored
    /// ([`TimestampReading::Stored`]). Report statements start from [`Database::sql`]
    /// instead, which carries the reading of the run's snapshot.
    pub fn new(backend: Backend) -> Self {
        Sql { backend, text: String::new(), binds: Vec::new(), timestamps: TimestampReading::Stored }
    }

    /// The backend this statement is written for.
    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// How this statement reads `feedback_timestamp` ([`TimestampReading`]).
    pub(crate) fn timestamps(&self) -> TimestampReading {
        self.timestamps
    }

    /// The expression that reads the timestamp column `column` (e.g. `ef.feedback_timestamp`)
    /// in this statement: the column itself, or on SQLite with [`TimestampReading::Normalised`]
    /// its canonical text ([`types::sqlite_timestamp_key`]). Every comparison, bucket and
    /// order on a timestamp goes through it.
    pub(crate) fn ts(&self, column: &str) -> String {
        match (self.backend, self.timestamps) {
            (Backend::Sqlite, TimestampReading::Normalised) => types::sqlite_timestamp_key(column),
            _ => column.to_string(),
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(crate) fn bind(&mut self, value: Param) -> &mut Self {
        self.binds.push(value);
        match self.backend {
            Backend::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.binds.len().to_string());
            }
            Backend::Sqlite => self.text.push('?'),
        }
        self
    }

    /// The statement text as sent (the benchmarks' copies are checked against it).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text as sent, then one `-- $n = value` line per bind (`--explain`).
    pub(crate) fn explained(&self) -> String {
        let mut out = self.text.clone();
        for (i, b) in self.binds.iter().enumerate() {
            // The value, then its SQL type on PostgreSQL (where a literal put in its place needs
            // the cast, e.g. inside ARRAY[…]); on SQLite every bind is the text shown.
            let (value, pg_type) = match b {
                Param::Text(v) | Param::OptText(Some(v)) => (format!("'{}'", v.replace('\'', "''")), "text"),
                Param::OptText(None) => ("NULL".into(), "text"),
                Param::Bool(v) => (v.to_string(), "boolean"),
                Param::Double(v) => (v.to_string(), "double precision"),
                Param::Uuid(v) => (format!("'{v}'"), "uuid"),
                Param::Ts(t) => match self.backend {
                    Backend::Postgres => {
                        (format!("'{}'", t.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)), "timestamptz")
                    }
                    // The text the bind sends (stored timestamps compare as text).
                    Backend::Sqlite => (format!("'{}'", types::canonical_timestamp(&t.0)), "text"),
                },
            };
            let value = match self.backend {
                Backend::Postgres => format!("{value}::{pg_type}"),
                Backend::Sqlite => value,
            };
            let mark = match self.backend {
                Backend::Postgres => format!("${}", i + 1),
                Backend::Sqlite => format!("?{}", i + 1),
            };
            out.push_str(&format!("\n-- {mark} = {value}"));
        }
        out
    }

    fn boxed_pg(&self) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
        bind_all!(diesel::sql_query(self.text.clone()).into_boxed::<Pg>(), &self.binds)
    }

    fn boxed_sqlite(&self) -> BoxedSqlQuery<'static, Sqlite, SqlQuery> {
        bind_all!(diesel::sql_query(self.text.clone()).into_boxed::<Sqlite>(), &self.binds)
    }
}
