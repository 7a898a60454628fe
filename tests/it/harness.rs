//! Test harness: every test gets its own fresh database, a new SQLite file or a new uniquely
//! named PostgreSQL database (dropped afterwards), built by faqlink's real migrations.
//!
//! PostgreSQL comes from `FAQLINK_TEST_PG` (default `postgres://postgres@127.0.0.1:5432`).
//! If it cannot be reached the PostgreSQL tests fail loudly. `FAQLINK_TEST_SKIP_PG=1` opts
//! out for people without a server (each skipped test says so on stderr); CI never sets it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use faqlink::db::{migrations, Access, Backend, Database, DatabaseUrl};
use faqlink::reports::{self, Cell, Section, Sink};
use faqlink::reports::{Options, ReportKind, Resources, Window};

/// The PostgreSQL server the tests use (no database name).
pub fn pg_server() -> String {
    std::env::var("FAQLINK_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// True when the developer opted out of PostgreSQL tests.
pub fn skip_pg() -> bool {
    std::env::var("FAQLINK_TEST_SKIP_PG").is_ok_and(|v| v == "1")
}

/// [`skip_pg`], saying on stderr that the test skips.
fn pg_opted_out() -> bool {
    let skip = skip_pg();
    if skip {
        eprintln!("FAQLINK_TEST_SKIP_PG=1: skipping this PostgreSQL test");
    }
    skip
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh database for one test.
pub enum TestDb {
    /// A SQLite file in its own temporary folder (removed with it).
    Sqlite {
        #[expect(dead_code, reason = "held so the folder lives as long as the database")]
        dir: tempfile::TempDir,
        path: PathBuf,
    },
    /// A PostgreSQL database, dropped on drop.
    Postgres { name: String },
}

impl TestDb {
    /// An empty SQLite location (the file does not exist yet).
    pub fn sqlite_empty() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("test.db");
        TestDb::Sqlite { dir, path }
    }

    /// An empty PostgreSQL database.
    pub fn postgres_empty() -> TestDb {
        let name = format!(
            "faqlink_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_subsec_nanos()
        );
        let mut admin = PgConnection::establish(&format!("{}/postgres", pg_server())).unwrap_or_else(|e| {
            panic!(
                "PostgreSQL tests need a server at {} ({e}); start it (see README) or set FAQLINK_TEST_SKIP_PG=1 to skip them",
                pg_server()
            )
        });
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
        TestDb::Postgres { name }
    }

    /// [`TestDb::postgres_empty`], or `None` (said on stderr) when PostgreSQL tests were
    /// opted out: `let Some(db) = TestDb::pg_empty_or_skip() else { return };`.
    pub fn pg_empty_or_skip() -> Option<TestDb> {
        (!pg_opted_out()).then(Self::postgres_empty)
    }

    /// [`TestDb::migrated`] on PostgreSQL, or `None` (said on stderr) when PostgreSQL tests
    /// were opted out.
    pub fn pg_migrated_or_skip() -> Option<TestDb> {
        (!pg_opted_out()).then(|| Self::migrated(Backend::Postgres))
    }

    /// An empty database of `backend`.
    pub fn empty(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => Self::sqlite_empty(),
            Backend::Postgres => Self::postgres_empty(),
        }
    }

    /// A database of `backend` with every embedded migration applied.
    pub fn migrated(backend: Backend) -> TestDb {
        let db = Self::empty(backend);
        let mut conn = db.open();
        migrations::run_pending(&mut conn).expect("migrations apply");
        db
    }

    /// The URL faqlink is given.
    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite { path, .. } => path.display().to_string(),
            TestDb::Postgres { name } => format!("{}/{name}", pg_server()),
        }
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self {
            TestDb::Sqlite { .. } => Backend::Sqlite,
            TestDb::Postgres { .. } => Backend::Postgres,
        }
    }

    /// A read-write faqlink connection.
    pub fn open(&self) -> Database {
        Database::open(&DatabaseUrl::parse(Some(&self.url())).unwrap(), Access::Write).expect("open test database")
    }

    /// A read-only faqlink connection (as report commands use).
    pub fn open_read_only(&self) -> Database {
        Database::open(&DatabaseUrl::parse(Some(&self.url())).unwrap(), Access::ReadOnly).expect("open read-only")
    }

    /// Runs SQL statements with the backend's own client library (no faqlink code).
    pub fn exec(&self, sql: &str) {
        match self {
            TestDb::Sqlite { path, .. } => {
                let mut c = diesel::SqliteConnection::establish(&path.display().to_string()).unwrap();
                c.batch_execute(sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
            }
            TestDb::Postgres { .. } => {
                let mut c = PgConnection::establish(&self.url()).unwrap();
                c.batch_execute(sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
            }
        }
    }

    /// Runs a query with the backend's command-line client and returns its CSV output
    /// (header first).
    pub fn cli_csv(&self, sql: &str) -> String {
        let out = match self {
            TestDb::Sqlite { path, .. } => {
                use std::io::Write;
                let mut child = Command::new("sqlite3")
                    .args(["-bail", "-csv", "-header"])
                    .arg(path)
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("the sqlite3 command-line client (apt-get install sqlite3)");
                child.stdin.take().unwrap().write_all(sql.as_bytes()).unwrap();
                child.wait_with_output().unwrap()
            }
            TestDb::Postgres { .. } => Command::new("psql")
                .args(["-X", "-q", "--csv", "-v", "ON_ERROR_STOP=1", "-d", &self.url(), "-c", sql])
                .output()
                .expect("the psql command-line client"),
        };
        assert!(out.status.success(), "client failed: {}\n{sql}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Fills the database with faqlink's own `seed`: `feedback` rows in the weeks up to
    /// 2026-11-23, the default experts (on an empty database seed migrates it first).
    pub fn seed(&self, feedback: u32) {
        faqlink()
            .args(["--database-url", &self.url(), "seed", "--feedback", &feedback.to_string(), "--end", "2026-11-23"])
            .assert()
            .success();
    }

    /// Makes every later session on this PostgreSQL database read-only, as a standby or a
    /// read-only role sees it (`default_transaction_read_only`; panics on SQLite).
    pub fn make_read_only(&self) {
        match self {
            TestDb::Postgres { name } => {
                self.exec(&format!("ALTER DATABASE {name} SET default_transaction_read_only = on"))
            }
            TestDb::Sqlite { .. } => panic!("not PostgreSQL"),
        }
    }

    /// The SQLite path (panics on PostgreSQL).
    pub fn path(&self) -> &std::path::Path {
        match self {
            TestDb::Sqlite { path, .. } => path,
            TestDb::Postgres { .. } => panic!("not SQLite"),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { name } = self {
            if let Ok(mut admin) = PgConnection::establish(&format!("{}/postgres", pg_server())) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// The backends a test runs on: both, unless PostgreSQL was explicitly opted out.
pub fn backends() -> Vec<Backend> {
    if skip_pg() {
        eprintln!("FAQLINK_TEST_SKIP_PG=1: skipping the PostgreSQL half of this test");
        vec![Backend::Sqlite]
    } else {
        vec![Backend::Sqlite, Backend::Postgres]
    }
}

/// Runs `f` once per backend on a freshly migrated database.
pub fn on_both(f: impl Fn(&TestDb)) {
    for backend in backends() {
        let db = TestDb::migrated(backend);
        f(&db);
    }
}

/// The built `faqlink` executable (for a command line another program runs, or a copy).
pub fn faqlink_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_faqlink"))
}

/// Gives `cmd` the environment every faqlink run of the tests starts from: no
/// `DATABASE_URL`, no `FAQLINK_NOW` (the real clock), no colour. A test that wants one of
/// them sets it again afterwards. For a program that runs faqlink in turn (`sh -c`,
/// `script`, `runuser`, `setpriv`), which passes its environment on.
pub fn clean_env(cmd: &mut Command) -> &mut Command {
    cmd.env_remove("DATABASE_URL").env_remove("FAQLINK_NOW").env("NO_COLOR", "1")
}

/// A `faqlink` process with the clean environment of [`clean_env`], for spawning without
/// waiting.
pub fn faqlink_process() -> Command {
    let mut cmd = Command::new(faqlink_bin());
    clean_env(&mut cmd);
    cmd
}

/// A `faqlink` command with the clean environment of [`clean_env`].
pub fn faqlink() -> assert_cmd::Command {
    assert_cmd::Command::from_std(faqlink_process())
}

/// The entries of a folder, by name.
pub fn listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

/// `s` as an SQL string literal both backends accept.
pub fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `b` as an SQL boolean literal (or NULL) both backends accept.
fn sql_bool(b: Option<bool>) -> &'static str {
    match b {
        None => "NULL",
        Some(true) => "TRUE",
        Some(false) => "FALSE",
    }
}

/// A user and their expert profile, as a test inserts them by hand.
#[derive(Debug, Clone)]
pub struct ExpertRow {
    /// The `user` row's id (the profile's `user_id`).
    pub user: usize,
    pub email: String,
    /// The profile's id.
    pub id: String,
    /// `professional_registration_number`; `None` is NULL.
    pub registration: Option<String>,
}

impl ExpertRow {
    /// Expert number `n`: user `n`, email `u{n}@example.it`, profile
    /// `00000000-0000-4000-8000-{n:012}`, no registration number.
    pub fn numbered(n: usize) -> ExpertRow {
        ExpertRow {
            user: n,
            email: format!("u{n}@example.it"),
            id: format!("00000000-0000-4000-8000-{n:012}"),
            registration: None,
        }
    }

    /// The two `INSERT` statements, each with a closing `;` and line break.
    pub fn sql(&self) -> String {
        format!(
            "INSERT INTO \"user\" (id, email) VALUES ({}, {});\n\
             INSERT INTO expert_profiles (id, user_id, professional_registration_number) VALUES ({}, {}, {});\n",
            self.user,
            sql_text(&self.email),
            sql_text(&self.id),
            self.user,
            self.registration.as_deref().map_or("NULL".into(), sql_text),
        )
    }

    /// Inserts the rows with the backend's own client library.
    pub fn insert(&self, db: &TestDb) {
        db.exec(&self.sql());
    }
}

/// One `expert_feedback` row a test inserts by hand, every column the reports read spelled
/// out. Start from [`FeedbackRow::new`] or [`FeedbackRow::numbered`] and change what the test
/// is about (struct update syntax).
#[derive(Debug, Clone)]
pub struct FeedbackRow {
    pub id: String,
    pub query_id: String,
    pub expert_id: String,
    /// `feedback_type`: correct, incomplete or incorrect.
    pub kind: String,
    pub query_text: String,
    pub original_answer: String,
    pub time_spent_seconds: u32,
    /// `feedback_timestamp` as text (`2026-11-23T09:15:00.000000Z`); `None` is NULL.
    pub timestamp: Option<String>,
    pub attempted: Option<bool>,
    pub success: Option<bool>,
    pub faq: Option<String>,
}

impl FeedbackRow {
    /// A correct feedback with texts `q` and `a`, one second spent, no timestamp, the
    /// workflow not attempted (the column's default), no outcome and no FAQ.
    pub fn new(id: impl Into<String>, query_id: impl Into<String>, expert: impl Into<String>) -> FeedbackRow {
        FeedbackRow {
            id: id.into(),
            query_id: query_id.into(),
            expert_id: expert.into(),
            kind: "correct".into(),
            query_text: "q".into(),
            original_answer: "a".into(),
            time_spent_seconds: 1,
            timestamp: None,
            attempted: Some(false),
            success: None,
            faq: None,
        }
    }

    /// [`FeedbackRow::new`] numbered `n`: id `10000000-0000-4000-8000-{n:012}`, query
    /// `20000000-0000-4000-8000-{n:012}`.
    pub fn numbered(n: usize, expert: &str) -> FeedbackRow {
        FeedbackRow::new(format!("10000000-0000-4000-8000-{n:012}"), format!("20000000-0000-4000-8000-{n:012}"), expert)
    }

    /// The texts and time the generated datasets use: `Domanda?`, `Risposta.`, 60 seconds.
    pub fn with_dataset_texts(self) -> FeedbackRow {
        FeedbackRow {
            query_text: "Domanda?".into(),
            original_answer: "Risposta.".into(),
            time_spent_seconds: 60,
            ..self
        }
    }

    /// The row's `INSERT` statement, with a closing `;` and line break (plain literals both
    /// backends accept, so no faqlink code is involved).
    pub fn sql(&self) -> String {
        let opt = |s: &Option<String>| s.as_deref().map_or("NULL".into(), sql_text);
        format!(
            "INSERT INTO expert_feedback (id, query_id, expert_id, feedback_type, query_text, original_answer, \
             time_spent_seconds, feedback_timestamp, task_creation_attempted, task_creation_success, generated_faq_id) \
             VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});\n",
            sql_text(&self.id),
            sql_text(&self.query_id),
            sql_text(&self.expert_id),
            sql_text(&self.kind),
            sql_text(&self.query_text),
            sql_text(&self.original_answer),
            self.time_spent_seconds,
            opt(&self.timestamp),
            sql_bool(self.attempted),
            sql_bool(self.success),
            opt(&self.faq),
        )
    }

    /// Inserts the row with the backend's own client library.
    pub fn insert(&self, db: &TestDb) {
        db.exec(&self.sql());
    }
}

/// A sink that keeps what a report run hands over, in-process: each section with its rows
/// and, when asked for ([`Collect::with_previous_totals`]), the previous period's totals.
#[derive(Default)]
pub struct Collect {
    /// Each section with its rows, in the order the run produced them.
    pub sections: Vec<(Section, Vec<Vec<Cell>>)>,
    /// The previous period's window and totals row, when the run handed them over.
    pub previous: Option<(Window, Vec<Cell>)>,
    wants_previous: bool,
}

impl Collect {
    /// A collector that asks for the previous period's totals, as the whole-document
    /// formats do.
    pub fn with_previous_totals() -> Collect {
        Collect { wants_previous: true, ..Collect::default() }
    }

    /// Runs `kinds` on `db` at `now` into a new collector (the path the command takes: one
    /// read-only snapshot, rows streamed into a sink).
    pub fn run_at(db: &mut Database, kinds: &[ReportKind], window: &Window, now: DateTime<Utc>) -> Collect {
        Collect::run_with(db, kinds, window, now, Resources::default())
    }

    /// [`Collect::run_at`] with the connections the run may use.
    pub fn run_with(
        db: &mut Database,
        kinds: &[ReportKind],
        window: &Window,
        now: DateTime<Utc>,
        resources: Resources,
    ) -> Collect {
        let mut sink = Collect::default();
        let options = Options { resources, ..Options::default() };
        reports::run_with_options(db, kinds, window, None, now, &options, &mut sink).unwrap();
        sink
    }

    /// The rows of each section, without the sections.
    pub fn rows(self) -> Vec<Vec<Vec<Cell>>> {
        self.sections.into_iter().map(|(_, rows)| rows).collect()
    }
}

impl Sink for Collect {
    fn begin(&mut self, section: &Section, _: faqlink::reports::Protocol<'_>) -> faqlink::Result<()> {
        self.sections.push((*section, Vec::new()));
        Ok(())
    }
    fn row(&mut self, row: faqlink::reports::Row<'_>, _: faqlink::reports::Protocol<'_>) -> faqlink::Result<()> {
        self.sections.last_mut().expect("a section began").1.push(row.cells());
        Ok(())
    }
    fn end(&mut self, _: faqlink::reports::Protocol<'_>) -> faqlink::Result<()> {
        Ok(())
    }
    fn finish(self: Box<Self>, _: faqlink::reports::Complete) -> faqlink::Result<()> {
        Ok(())
    }
    fn wants_previous_totals(&self) -> bool {
        self.wants_previous
    }
    fn previous_totals(&mut self, window: &Window, row: &faqlink::reports::totals::TotalsRow) -> faqlink::Result<()> {
        self.previous = Some((window.clone(), row.cells()));
        Ok(())
    }
}
