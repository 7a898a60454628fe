//! Read-only snapshots: one transaction every query of a run reads, and readers on other
//! connections that read the very same snapshot (exported on PostgreSQL, proven on SQLite).

use super::*;

impl Database {
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

    /// Runs `job` on a new PostgreSQL connection that adopts this transaction's snapshot,
    /// opened in a thread of `scope` while this connection goes on working (unlike
    /// [`Database::read_snapshot_with_readers`], whose readers are open before the run starts,
    /// the connection's setup overlaps the run's own statements). The handle gives `None` when
    /// the connection could not be opened or could not adopt the snapshot (or on SQLite,
    /// where nothing is spawned): the caller then runs `job` itself, with the same result.
    /// The reader reads timestamps as `reading` says, like the run's connection.
    pub(crate) fn spawn_on_snapshot<'scope, T: Send + 'scope>(
        &mut self,
        scope: &'scope std::thread::Scope<'scope, '_>,
        reading: TimestampReading,
        job: impl FnOnce(&mut Database) -> Result<T> + Send + 'scope,
    ) -> Result<Option<std::thread::ScopedJoinHandle<'scope, Option<Result<T>>>>> {
        if self.backend() != Backend::Postgres {
            return Ok(None);
        }
        let adopt = self.export_snapshot()?;
        let (url, timeout) = (self.url.clone(), self.statement_timeout);
        Ok(Some(scope.spawn(move || {
            let mut db = Database::open_for_reports(&url, timeout).ok()?;
            db.batch("adopting the read snapshot", &adopt).ok()?;
            db.timestamps = reading;
            let result = job(&mut db);
            let _ = db.batch("ending a joined reader's transaction", "ROLLBACK");
            Some(result)
        })))
    }

    /// Exports this PostgreSQL transaction's snapshot; returns the statements that make
    /// another connection adopt it.
    fn export_snapshot(&mut self) -> Result<String> {
        #[derive(QueryableByName)]
        struct Exported {
            #[diesel(sql_type = Text)]
            id: String,
        }
        let sql = self.sql().push("SELECT pg_export_snapshot() AS id").clone();
        let rows: Vec<Exported> = self.load("exporting the read snapshot", &sql)?;
        let id = rows.into_iter().next().map(|r| r.id).unwrap_or_default();
        // The id is PostgreSQL's own (hex digits and dashes); it is quoted all the same.
        Ok(format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '{}'",
            id.replace('\'', "''")
        ))
    }

    /// Opens up to `n` PostgreSQL connections on this transaction's snapshot (exported here;
    /// this transaction must have run no query yet). A connection that cannot be opened, or
    /// cannot adopt the snapshot, is done without; a failure to export is an error.
    fn snapshot_readers(&mut self, n: usize) -> Result<Vec<Database>> {
        let adopt = self.export_snapshot()?;
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
}
