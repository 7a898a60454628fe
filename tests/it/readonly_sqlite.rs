//! Read-only SQLite: a user who cannot write the folder of a faqlink-made file (the same case
//! as read-only media) runs every read command on it, and reads create no file beside it.
//! The reader is a real unprivileged user (`setpriv` to uid/gid 65534) when the tests run as
//! root, as here; otherwise the folder is made read-only for the user running the tests.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::connection::SimpleConnection;
use diesel::Connection;
use faqlink::db::{Access, Database, DatabaseUrl};

use crate::harness::{clean_env, faqlink, faqlink_bin, listing, ExpertRow};

/// The names in `dir`, but for the report files `demo` writes beside the database (outputs,
/// not side files of SQLite).
fn listing_without_reports(dir: &Path) -> BTreeSet<String> {
    listing(dir).into_iter().filter(|name| !faqlink::commands::demo::FILES.contains(&name.as_str())).collect()
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn is_root() -> bool {
    // The owner of a file this process creates is its effective uid.
    use std::os::unix::fs::MetadataExt;
    let f = tempfile::NamedTempFile::new().unwrap();
    f.as_file().metadata().unwrap().uid() == 0
}

/// A folder the reader can enter and read but not write, holding a copy of the faqlink binary
/// the reader can run (the build folder may not be reachable for it).
struct ReadOnlyFolder {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_nobody: bool,
}

impl ReadOnlyFolder {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("faqlink");
        std::fs::copy(faqlink_bin(), &bin).unwrap();
        chmod(&bin, 0o755);
        ReadOnlyFolder { dir, bin, as_nobody: is_root() }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Takes write access away: root keeps it, so the reader is then another user.
    fn lock(&self) {
        chmod(self.path(), if self.as_nobody { 0o755 } else { 0o555 });
    }

    fn unlock(&self) {
        chmod(self.path(), 0o755);
    }

    /// Runs the copied binary as the reader, in the folder, on `db`.
    fn run(&self, db: &Path, args: &[&str]) -> Output {
        let mut cmd = if self.as_nobody {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(&self.bin);
            c
        } else {
            Command::new(&self.bin)
        };
        clean_env(&mut cmd)
            .current_dir(self.path())
            .arg("--database-url")
            .arg(db)
            .args(args)
            .output()
            .expect("setpriv (util-linux) runs the reader")
    }

    /// Proves the reader really cannot write the folder.
    fn assert_unwritable(&self) {
        let probe = self.path().join("probe");
        let out = if self.as_nobody {
            Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", "touch"])
                .arg(&probe)
                .output()
                .unwrap()
        } else {
            Command::new("touch").arg(&probe).output().unwrap()
        };
        assert!(!out.status.success(), "the reader could write the folder");
        assert!(!probe.exists());
    }
}

impl Drop for ReadOnlyFolder {
    fn drop(&mut self) {
        self.unlock();
    }
}

const READ_COMMANDS: [&[&str]; 10] = [
    &["report", "experts"],
    &["report", "totals"],
    &["report", "orphans"],
    &["report", "duplicates"],
    &["report", "weekly"],
    &["report", "all", "--format", "json"],
    &["report", "all", "--since", "2026-10-01", "--format", "csv"],
    &["check"],
    &["check", "--verbose"],
    &["migrate", "status"],
];

#[test]
fn a_user_without_write_access_reads_a_faqlink_file_and_leaves_nothing() {
    let folder = ReadOnlyFolder::new();
    let db = folder.path().join("faqlink.db");
    // More rows than Database::split_min_rows: report experts/totals/weekly over the whole
    // history take the two-reader path (two read-only connections on one snapshot).
    faqlink()
        .current_dir(folder.path())
        .args(["--database-url", db.to_str().unwrap(), "seed", "--feedback", "70000", "--end", "2026-11-23"])
        .assert()
        .success();
    // Every write command leaves the file alone: no -wal, no -shm.
    for args in [
        &["migrate"][..],
        &["migrate", "redo"],
        &["seed", "--append", "--feedback", "10", "--end", "2026-11-23"],
        &["demo"],
    ] {
        faqlink().current_dir(folder.path()).arg("--database-url").arg(&db).args(args).assert().success();
        assert_eq!(
            listing_without_reports(folder.path()),
            BTreeSet::from(["faqlink".into(), "faqlink.db".into()]),
            "{args:?}"
        );
    }
    let before = std::fs::read(&db).unwrap();
    folder.lock();
    folder.assert_unwritable();
    for args in READ_COMMANDS {
        let out = folder.run(&db, args);
        assert!(
            out.status.success(),
            "{args:?} as a reader without write access: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty(), "{args:?}");
        assert_eq!(
            listing_without_reports(folder.path()),
            BTreeSet::from(["faqlink".into(), "faqlink.db".into()]),
            "{args:?}"
        );
    }
    // The same figures as the owner gets.
    let mine = faqlink().arg("--database-url").arg(&db).args(["report", "all", "--format", "json"]).output().unwrap();
    let theirs = folder.run(&db, &["report", "all", "--format", "json"]);
    // Equal but for the time each run read the data.
    let figures = |out: &[u8]| {
        let text = String::from_utf8_lossy(out).into_owned();
        text.lines().filter(|l| !l.starts_with("\"generated_at\"")).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(figures(&mine.stdout), figures(&theirs.stdout));
    assert_eq!(std::fs::read(&db).unwrap(), before, "the file changed");
    // The owner, who could write the folder, left nothing beside the file either.
    assert_eq!(listing_without_reports(folder.path()), BTreeSet::from(["faqlink".into(), "faqlink.db".into()]));
}

fn add_profile(db: &Path, n: usize) -> diesel::QueryResult<()> {
    let mut c = diesel::SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    c.batch_execute(&ExpertRow { id: format!("00000000-0000-0000-0000-{n:012}"), ..ExpertRow::numbered(n) }.sql())
}

fn count_profiles(db: &mut Database) -> i64 {
    let sql = db.sql().push("SELECT COUNT(*) AS n FROM expert_profiles").clone();
    let rows: Vec<faqlink::db::Count> = db.load("counting", &sql).unwrap();
    rows[0].n
}

#[test]
fn the_two_reader_snapshot_proof_holds_in_rollback_journal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.db");
    faqlink().arg("--database-url").arg(&path).arg("migrate").assert().success();
    let mode = Command::new("sqlite3").arg(&path).arg("PRAGMA journal_mode;").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&mode.stdout).trim(), "delete");
    let url = DatabaseUrl::parse(Some(path.to_str().unwrap())).unwrap();
    let open = || Database::open(&url, Access::ReadOnly).unwrap();
    add_profile(&path, 1).unwrap();

    // Joined: and while both hold the snapshot no other connection can commit at all (a
    // writer that does not wait is refused), so both read the same data.
    let (mut main, mut reader) = (open(), open());
    let before = reader.data_version().unwrap();
    main.batch("begin", "BEGIN DEFERRED").unwrap();
    assert!(main.join_snapshot(&mut reader, before).unwrap());
    let refused = add_profile(&path, 2).unwrap_err().to_string();
    assert!(refused.contains("locked"), "{refused}");
    assert_eq!((count_profiles(&mut main), count_profiles(&mut reader)), (1, 1));
    main.batch("end", "ROLLBACK").unwrap();
    reader.batch("end", "ROLLBACK").unwrap();

    // A commit between the reader's data version and the snapshots: not joined, as in WAL mode.
    let (mut main, mut reader) = (open(), open());
    let before = reader.data_version().unwrap();
    add_profile(&path, 3).unwrap();
    main.batch("begin", "BEGIN DEFERRED").unwrap();
    assert!(!main.join_snapshot(&mut reader, before).unwrap());
    main.batch("end", "ROLLBACK").unwrap();

    // Through read_snapshot_with_reader, as the split reports use it.
    let mut main = open();
    main.read_snapshot_with_reader(true, |main, reader| {
        let reader = reader.expect("an idle file in rollback-journal mode gives a second reader");
        assert_eq!((count_profiles(main), count_profiles(reader)), (2, 2));
        Ok(())
    })
    .unwrap();
    drop(main);
    assert_eq!(listing_without_reports(dir.path()), BTreeSet::from(["j.db".into()]));
}

#[test]
fn a_wal_file_from_elsewhere_gets_a_clear_message_and_no_side_files() {
    let folder = ReadOnlyFolder::new();
    let db = folder.path().join("other.db");
    faqlink()
        .args(["--database-url", db.to_str().unwrap(), "seed", "--feedback", "50", "--end", "2026-11-23"])
        .assert()
        .success();
    // Another program put it in WAL mode (and closed it: no -wal or -shm is left).
    let out = Command::new("sqlite3").arg(&db).arg("PRAGMA journal_mode=WAL;").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "wal");
    folder.lock();
    for args in READ_COMMANDS {
        let out = folder.run(&db, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        for needle in ["WAL mode", "other.db-shm", "journal_mode=DELETE", "faqlink migrate"] {
            assert!(stderr.contains(needle), "{args:?}: {needle}: {stderr}");
        }
        assert_eq!(
            listing_without_reports(folder.path()),
            BTreeSet::from(["faqlink".into(), "other.db".into()]),
            "{args:?}"
        );
    }
    // Its owner follows the advice; then the reader can read it.
    folder.unlock();
    faqlink().arg("--database-url").arg(&db).arg("migrate").assert().success();
    assert_eq!(listing_without_reports(folder.path()), BTreeSet::from(["faqlink".into(), "other.db".into()]));
    folder.lock();
    let out = folder.run(&db, &["report", "totals"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_write_command_next_to_an_open_reader_keeps_wal_and_says_so() {
    let folder = ReadOnlyFolder::new();
    let db = folder.path().join("busy.db");
    faqlink().arg("--database-url").arg(&db).arg("migrate").assert().success();
    // A connection holding the file open (in WAL mode, as while another writer runs).
    let mut holder = diesel::SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    holder.batch_execute("PRAGMA journal_mode=WAL; SELECT 1 FROM sqlite_master;").unwrap();
    let out = faqlink().arg("--database-url").arg(&db).args(["migrate", "redo"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("stays in WAL mode because another connection has it open"), "{stderr}");
    drop(holder);
    // Alone, the next write command switches it back.
    let out = faqlink().arg("--database-url").arg(&db).arg("migrate").output().unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let mode = Command::new("sqlite3").arg(&db).arg("PRAGMA journal_mode;").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&mode.stdout).trim(), "delete");
}
