//! Files a run writes and what it leaves: modes from the umask, temporary files removed on
//! SIGTERM/SIGINT/SIGHUP and when stale, `--output-dir` replaced as a set (and created when
//! missing), the database refused as an output, long names and hostile paths, all-or-nothing
//! standard output, and `--fail-on-any` when standard output closes early.

use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use faqlink::db::Backend;

use crate::data;
use crate::harness::{clean_env, faqlink, faqlink_bin, faqlink_process, listing, TestDb};

/// `faqlink ARGS` run by `sh` under `umask MASK`.
fn under_umask(mask: &str, db: &TestDb, args: &[&str]) -> std::process::Output {
    let out = clean_env(&mut Command::new("sh"))
        .arg("-c")
        .arg(format!("umask {mask}; exec \"$0\" \"$@\""))
        .arg(faqlink_bin())
        .arg("--database-url")
        .arg(db.url())
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// The entries of a folder, by name, in order (to compare with an array).
fn names(dir: &Path) -> Vec<String> {
    listing(dir).into_iter().collect()
}

fn seeded_sqlite() -> TestDb {
    let db = TestDb::migrated(Backend::Sqlite);
    data::load(&db, &data::generate(3));
    db
}

const SET: [&str; 5] = ["duplicates.csv", "experts.csv", "orphans.csv", "totals.csv", "weekly.csv"];

#[test]
fn new_files_get_the_umask_mode_and_existing_files_keep_theirs() {
    let db = seeded_sqlite();
    let dir = tempfile::tempdir().unwrap();
    for (mask, file_mode, dir_mode) in [("077", 0o600, 0o700), ("002", 0o664, 0o775), ("022", 0o644, 0o755)] {
        let file = dir.path().join(format!("t{mask}.csv"));
        under_umask(mask, &db, &["report", "totals", "--format", "csv", "--output", file.to_str().unwrap()]);
        assert_eq!(mode(&file), file_mode, "--output under umask {mask}");
        let out = dir.path().join(format!("d{mask}"));
        under_umask(mask, &db, &["report", "all", "--format", "csv", "--output-dir", out.to_str().unwrap()]);
        assert_eq!(mode(&out), dir_mode, "new --output-dir folder under umask {mask}");
        for f in SET {
            assert_eq!(mode(&out.join(f)), file_mode, "{f} under umask {mask}");
        }
    }
    // An existing file keeps its mode, whatever the umask; so does an existing folder.
    let file = dir.path().join("t077.csv");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    under_umask("077", &db, &["report", "totals", "--format", "csv", "--output", file.to_str().unwrap()]);
    assert_eq!(mode(&file), 0o640);
    let out = dir.path().join("d002");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o750)).unwrap();
    std::fs::set_permissions(out.join("totals.csv"), std::fs::Permissions::from_mode(0o640)).unwrap();
    under_umask("077", &db, &["report", "all", "--format", "csv", "--output-dir", out.to_str().unwrap()]);
    assert_eq!(mode(&out), 0o750, "existing folder");
    assert_eq!(mode(&out.join("totals.csv")), 0o640, "existing file in the folder");
    assert_eq!(mode(&out.join("experts.csv")), 0o664, "existing file in the folder");
}

/// A `psql` session holding an ACCESS EXCLUSIVE lock on `table` until dropped.
struct Lock(std::process::Child);

impl Lock {
    fn hold(db: &TestDb, table: &str) -> Lock {
        let mut child = Command::new("psql")
            .args(["-X", "-q", "-d", &db.url()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.as_mut().unwrap();
        writeln!(stdin, "BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120);").unwrap();
        stdin.flush().unwrap();
        let lock = Lock(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while db.cli_csv(&format!(
            "SELECT COUNT(*) AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
             WHERE c.relname = '{table}' AND l.mode = 'AccessExclusiveLock' AND l.granted"
        )) == "n\n0\n"
        {
            assert!(Instant::now() < deadline, "the lock was never taken");
            std::thread::sleep(Duration::from_millis(50));
        }
        lock
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until faqlink's session waits on a lock (so its output is open).
fn wait_for_waiting_session(db: &TestDb) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while db.cli_csv(
        "SELECT COUNT(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name <> 'psql'",
    ) == "n\n0\n"
    {
        assert!(Instant::now() < deadline, "faqlink never waited on the lock");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Ends the server sessions of killed faqlink processes (still waiting on the lock).
fn end_waiting_sessions(db: &TestDb) {
    db.cli_csv(
        "SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
}

fn temporaries(dir: &Path) -> Vec<String> {
    names(dir).into_iter().filter(|n| n.starts_with(".faqlink-") && n.ends_with(".tmp")).collect()
}

#[test]
fn signals_remove_temporary_files_and_end_with_the_signal() {
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    data::load(&db, &data::generate(1));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("report.csv"), "previous\n").unwrap();
    let lock = Lock::hold(&db, "expert_feedback");
    for (signal, name) in [(15, "TERM"), (2, "INT"), (1, "HUP"), (3, "QUIT")] {
        for target in ["--output", "--output-dir"] {
            let path = dir.path().join(if target == "--output" { "report.csv" } else { "set" });
            let mut child = faqlink_process()
                .args(["--database-url", &db.url(), "report", "all", "--format", "csv", target])
                .arg(&path)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            wait_for_waiting_session(&db);
            let live = temporaries(dir.path());
            if target == "--output" {
                // The file being written has no name: an open descriptor on a deleted inode
                // of the target's folder (O_TMPFILE), nothing beside the target.
                assert_eq!(live, Vec::<String>::new(), "{name} {target}: no name before the commit");
                assert!(unnamed_files_of(child.id(), dir.path()) >= 1, "{name} {target}: writes an unnamed file");
            } else {
                assert_eq!(live.len(), 1, "{name} {target}: one temporary folder beside the target: {live:?}");
                assert!(live[0].starts_with(".faqlink-set."));
            }
            let sent = Command::new("kill").arg(format!("-{name}")).arg(child.id().to_string()).status().unwrap();
            assert!(sent.success());
            let status = child.wait().unwrap();
            end_waiting_sessions(&db);
            assert_eq!(
                status.signal(),
                Some(signal),
                "{name} {target}: ends by the signal (shell status 128+{signal}): {status:?}"
            );
            assert_eq!(temporaries(dir.path()), Vec::<String>::new(), "{name} {target}: temporaries left");
            assert_eq!(std::fs::read_to_string(dir.path().join("report.csv")).unwrap(), "previous\n");
            assert!(!dir.path().join("set").exists(), "{name} {target}: no partial folder");
        }
    }
    drop(lock);
    // kill -9 cannot be handled: an unnamed file vanishes with the process, while the
    // --output-dir folder stays until a later run finds it stale.
    let _lock = Lock::hold(&db, "expert_feedback");
    for (target, left) in [("--output", 0), ("--output-dir", 1)] {
        let path = dir.path().join(if target == "--output" { "report.csv" } else { "set" });
        let mut child = faqlink_process()
            .args(["--database-url", &db.url(), "report", "all", "--format", "csv", target])
            .arg(&path)
            .spawn()
            .unwrap();
        wait_for_waiting_session(&db);
        child.kill().unwrap();
        child.wait().unwrap();
        end_waiting_sessions(&db);
        assert_eq!(temporaries(dir.path()).len(), left, "SIGKILL with {target}");
    }
}

/// How many of process `pid`'s descriptors are files of `dir` without a name (O_TMPFILE
/// files show as `DIR/#INODE (deleted)`).
fn unnamed_files_of(pid: u32, dir: &Path) -> usize {
    let dir = dir.canonicalize().unwrap();
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter(|t| t.starts_with(&dir) && t.to_string_lossy().ends_with(" (deleted)"))
        .count()
}

#[test]
fn a_later_run_removes_its_own_stale_temporaries_only() {
    let db = seeded_sqlite();
    let dir = tempfile::tempdir().unwrap();
    let day_ago = SystemTime::now() - Duration::from_secs(25 * 3600);
    let stale = dir.path().join(".faqlink-t.csv.AbC123.tmp");
    let fresh = dir.path().join(".faqlink-t.csv.XyZ789.tmp");
    let other = dir.path().join(".faqlink-other.csv.AbC123.tmp");
    let stale_dir = dir.path().join(".faqlink-set.QwE456.tmp");
    for p in [&stale, &fresh, &other] {
        std::fs::write(p, "x").unwrap();
    }
    std::fs::create_dir(&stale_dir).unwrap();
    std::fs::write(stale_dir.join("totals.csv"), "x").unwrap();
    for p in [&stale, &other, &stale_dir] {
        std::fs::File::options()
            .write(true)
            .open(p)
            .or_else(|_| std::fs::File::open(p))
            .unwrap()
            .set_modified(day_ago)
            .unwrap();
    }
    faqlink()
        .arg("--database-url")
        .arg(db.url())
        .args(["report", "totals", "--format", "csv", "--output"])
        .arg(dir.path().join("t.csv"))
        .assert()
        .success();
    assert!(!stale.exists(), "a stale temporary of the same target is removed");
    assert!(fresh.exists(), "a recent one may belong to a running run");
    assert!(other.exists(), "another target's temporary is not this run's business");
    faqlink()
        .arg("--database-url")
        .arg(db.url())
        .args(["report", "all", "--format", "csv", "--output-dir"])
        .arg(dir.path().join("set"))
        .assert()
        .success();
    assert!(!stale_dir.exists(), "a stale sibling folder of the same --output-dir is removed");
}

#[test]
fn output_dir_creates_a_missing_folder() {
    let db = seeded_sqlite();
    let dir = tempfile::tempdir().unwrap();
    // The README's example, relative to the current folder, with a trailing slash.
    let out = faqlink()
        .current_dir(dir.path())
        .arg("--database-url")
        .arg(db.url())
        .args(["report", "all", "--format", "csv", "--output-dir", "reports-2026-W47/"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());
    assert_eq!(names(&dir.path().join("reports-2026-W47")), SET);
    assert_eq!(names(dir.path()), ["reports-2026-W47"], "nothing else left beside it");
}

fn run_dir(db: &TestDb, dir: &Path, excel: bool) {
    let mut cmd = faqlink();
    cmd.arg("--database-url").arg(db.url()).args(["report", "all", "--format", "csv", "--output-dir"]).arg(dir);
    if excel {
        cmd.arg("--excel");
    }
    cmd.assert().success();
}

#[test]
fn output_dir_is_replaced_as_a_set_and_keeps_other_files() {
    let db = seeded_sqlite();
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("set");
    run_dir(&db, &dir, false);
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    std::os::unix::fs::symlink("notes.txt", dir.join("link")).unwrap();
    let inode_before = std::fs::metadata(&dir).unwrap().ino();
    run_dir(&db, &dir, true);
    let mut want: Vec<String> = SET.iter().map(|s| s.to_string()).collect();
    want.extend(["link".to_string(), "notes.txt".to_string()]);
    want.sort();
    assert_eq!(names(&dir), want);
    assert_eq!(std::fs::read_to_string(dir.join("notes.txt")).unwrap(), "mine");
    assert_eq!(std::fs::read_link(dir.join("link")).unwrap(), Path::new("notes.txt"));
    assert_ne!(std::fs::metadata(&dir).unwrap().ino(), inode_before, "the folder was swapped, not edited");
    assert!(SET.iter().all(|f| std::fs::read(dir.join(f)).unwrap().starts_with("\u{feff}".as_bytes())));
    assert_eq!(names(parent.path()), ["set"], "no sibling left");

    // A reader that opens the folder once sees one set, while runs alternate between two
    // recognisable sets (plain CSV, and --excel whose every file starts with a BOM).
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        let dir = dir.clone();
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok(handle) = std::fs::File::open(&dir) else { continue };
                use std::os::fd::AsRawFd;
                let base = PathBuf::from(format!("/proc/self/fd/{}", handle.as_raw_fd()));
                // The old set is removed after a swap: a reader still holding it may find its
                // files gone (and reads again), but never files of two sets.
                let Ok(boms) = SET
                    .iter()
                    .map(|f| std::fs::read(base.join(f)).map(|b| b.starts_with("\u{feff}".as_bytes())))
                    .collect::<Result<Vec<bool>, _>>()
                else {
                    continue;
                };
                assert!(boms.iter().all(|b| *b == boms[0]), "a mixed set: {boms:?}");
                reads += 1;
            }
            reads
        })
    };
    for i in 0..12 {
        run_dir(&db, &dir, i % 2 == 0);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let reads = reader.join().unwrap();
    assert!(reads > 10, "the reader read {reads} sets");

    // A folder holding a folder is refused (it would be replaced as a whole), untouched.
    std::fs::create_dir(dir.join("sub")).unwrap();
    let out = faqlink()
        .arg("--database-url")
        .arg(db.url())
        .args(["report", "all", "--format", "csv", "--output-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("holds a folder (sub)"), "{stderr}");
    assert_eq!(names(parent.path()), ["set"], "no sibling left");
}

#[test]
fn the_database_or_its_side_files_are_refused_as_output() {
    let db = seeded_sqlite();
    let path = db.path().to_path_buf();
    let before = std::fs::read(&path).unwrap();
    let folder = path.parent().unwrap();
    std::os::unix::fs::symlink(&path, folder.join("alias.csv")).unwrap();
    let mut targets: Vec<(&str, PathBuf)> = ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|s| ("--output", PathBuf::from(format!("{}{s}", path.display()))))
        .collect();
    targets.push(("--output", folder.join("alias.csv")));
    targets.push(("--output", folder.join(".").join(path.file_name().unwrap())));
    targets.push(("--output-dir", folder.to_path_buf()));
    for (flag, target) in targets {
        let out = faqlink()
            .arg("--database-url")
            .arg(db.url())
            .args(["report", "all", "--format", "csv", flag])
            .arg(&target)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {}: {stderr}", target.display());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("SQLite database"), "{stderr}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "the database is untouched");
    assert!(!Path::new(&format!("{}-journal", path.display())).exists());
}

#[test]
fn names_up_to_255_bytes_work_and_hostile_paths_stay_on_one_line() {
    let db = seeded_sqlite();
    let dir = tempfile::tempdir().unwrap();
    for len in [244, 250, 255] {
        let name = format!("{}.csv", "é".repeat((len - 4) / 2) + &"x".repeat((len - 4) % 2));
        assert_eq!(name.len(), len);
        faqlink()
            .arg("--database-url")
            .arg(db.url())
            .args(["report", "totals", "--format", "csv", "--output"])
            .arg(dir.path().join(&name))
            .assert()
            .success();
        assert!(dir.path().join(&name).is_file(), "{len} bytes");
        let folder = dir.path().join(&name[..len - 4]);
        faqlink()
            .arg("--database-url")
            .arg(db.url())
            .args(["report", "all", "--format", "csv", "--output-dir"])
            .arg(&folder)
            .assert()
            .success();
        assert_eq!(names(&folder), SET, "a folder of {} bytes", len - 4);
    }
    assert!(temporaries(dir.path()).is_empty());

    for hostile in ["a\nb", "x\u{1b}[31mred", "tab\there"] {
        let target = dir.path().join(hostile).join("x.csv");
        let out = faqlink()
            .arg("--database-url")
            .arg(db.url())
            .args(["report", "totals", "--output"])
            .arg(&target)
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
        assert!(!stderr.contains('\u{1b}') && !stderr.contains('\t'), "escaped: {stderr:?}");
        assert!(stderr.contains("does not exist"), "{stderr}");
    }
}

#[test]
fn output_to_a_missing_folder_says_so() {
    let db = seeded_sqlite();
    let out = faqlink()
        .arg("--database-url")
        .arg(db.url())
        .args(["report", "totals", "--output", "/missing-faqlink-folder/x.csv"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr.trim_end(),
        "faqlink: error: cannot write /missing-faqlink-folder/x.csv: the folder /missing-faqlink-folder does not exist"
    );
}

#[test]
fn a_failed_run_prints_nothing_on_standard_output() {
    let db = seeded_sqlite();
    // Only the duplicates report (the fourth section) reads query_id: experts, totals and
    // orphans are computed and rendered, then duplicates fails. Before the spool, the first
    // three sections had reached standard output by then.
    db.exec("ALTER TABLE expert_feedback RENAME COLUMN query_id TO renamed_query_id");
    for format in ["csv", "table", "json", "markdown"] {
        let out =
            faqlink().arg("--database-url").arg(db.url()).args(["report", "all", "--format", format]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        assert!(stderr.contains("duplicates"), "{format}: {stderr}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{format}: nothing on standard output");
    }
}

#[test]
fn fail_on_any_exits_3_when_standard_output_closes_early() {
    // Enough orphans (about 1,800 rows, 200 KB of CSV) to fill any pipe and writer buffer.
    let db = TestDb::empty(Backend::Sqlite);
    faqlink()
        .args(["--database-url", &db.url(), "seed", "--feedback", "10000", "--deleted-share", "0.5"])
        .args(["--end", "2026-11-23"])
        .assert()
        .success();
    let mut child = faqlink_process()
        .args(["--database-url", &db.url(), "report", "orphans", "--fail-on-any", "--format", "csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before reading anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("--fail-on-any"), "{stderr}");
    // Without --fail-on-any a closed standard output still ends quietly with 0.
    let mut child = faqlink_process()
        .args(["--database-url", &db.url(), "report", "orphans", "--format", "csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty());
}

#[test]
fn terminal_detection_sees_the_real_standard_output_through_the_spool() {
    let db = seeded_sqlite();
    // `script` gives faqlink a terminal as standard output: the table is styled there (ANSI
    // escapes), and plain when piped, although both are written through the spool.
    let on_terminal = clean_env(&mut Command::new("script"))
        .arg("-qc")
        .arg(format!("'{}' --database-url '{}' report totals", faqlink_bin().display(), db.url()))
        .arg("/dev/null")
        .env_remove("NO_COLOR")
        .output()
        .expect("script(1) from util-linux");
    assert!(on_terminal.status.success(), "{}", String::from_utf8_lossy(&on_terminal.stderr));
    assert!(on_terminal.stdout.contains(&0x1b), "styled on a terminal");
    let piped = faqlink_process()
        .args(["--database-url", &db.url(), "report", "totals"])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert!(!piped.stdout.contains(&0x1b), "plain when piped");
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

#[test]
fn output_dir_that_cannot_be_swapped_is_replaced_file_by_file() {
    if !is_root() {
        // Mounting and switching users need root; CI runs the suite as root.
        eprintln!("not root: skipping output_dir_that_cannot_be_swapped_is_replaced_file_by_file");
        return;
    }
    let db = seeded_sqlite();
    // Readable by another user without side files (a rollback journal, not WAL).
    db.exec("PRAGMA journal_mode = DELETE");
    let parent = tempfile::tempdir().unwrap();
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(db.path().parent().unwrap(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(db.path(), std::fs::Permissions::from_mode(0o644)).unwrap();

    // A mount point (as systemd's ReadWritePaths= makes the folder it names): it cannot be
    // renamed, and a file cannot be renamed into it from the parent's file system.
    let mount = parent.path().join("mounted");
    std::fs::create_dir(&mount).unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"]).arg(&mount).status();
    assert!(mounted.is_ok_and(|s| s.success()), "mount a tmpfs (as root)");
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mount.clone());
    std::fs::write(mount.join("notes.txt"), "mine").unwrap();
    for _ in 0..2 {
        let out = faqlink()
            .arg("--database-url")
            .arg(db.url())
            .args(["report", "all", "--format", "csv", "--output-dir"])
            .arg(&mount)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains("is a mount point: its files are replaced one by one"), "{stderr}");
        let mut want: Vec<String> = SET.iter().map(|s| s.to_string()).collect();
        want.push("notes.txt".into());
        want.sort();
        assert_eq!(names(&mount), want);
    }

    // A folder the user may write in a parent it may not (another user's): as `nobody`.
    let set = parent.path().join("set");
    std::fs::create_dir(&set).unwrap();
    std::os::unix::fs::chown(&set, Some(65534), Some(65534)).unwrap();
    let out = clean_env(&mut Command::new("runuser"))
        .args(["-u", "nobody", "--"])
        .arg(faqlink_bin())
        .arg("--database-url")
        .arg(db.url())
        .args(["report", "all", "--format", "csv", "--output-dir"])
        .arg(&set)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("is in a folder faqlink cannot write to"), "{stderr}");
    assert_eq!(names(&set), SET);
    assert_eq!(names(parent.path()), ["mounted", "set"], "nothing left beside it");
}

// ---------------------------------------------------------------------------------------
// Output files by design (docs/RELIABILITY.md, "Output files by design").

/// `faqlink ARGS` run by `sh` after the shell commands `pre` (`ulimit …`, redirections).
fn sh_faqlink(pre: &str, db: &TestDb, args: &[&str]) -> Command {
    let mut cmd = Command::new("sh");
    clean_env(&mut cmd)
        .arg("-c")
        .arg(format!("{pre}; exec \"$0\" \"$@\""))
        .arg(faqlink_bin())
        .arg("--database-url")
        .arg(db.url())
        .args(args);
    cmd
}

/// A seeded SQLite file that another user (`nobody`, uid 65534) may read.
fn sqlite_readable_by_all() -> TestDb {
    let db = seeded_sqlite();
    db.exec("PRAGMA journal_mode = DELETE");
    std::fs::set_permissions(db.path().parent().unwrap(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(db.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    db
}

/// faqlink run as `nobody` (uid and gid 65534, no supplementary groups).
fn faqlink_as_nobody(db: &TestDb, args: &[&str]) -> std::process::Output {
    clean_env(&mut Command::new("setpriv"))
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(faqlink_bin())
        .arg("--database-url")
        .arg(db.url())
        .args(args)
        .output()
        .unwrap()
}

fn one_line_error(out: &std::process::Output, code: i32, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{what}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{what}: one line: {stderr:?}");
    assert!(stderr.starts_with("faqlink: error: "), "{what}: {stderr}");
    for vague in ["uncategorized", "entity not found", "panicked", "No such file or directory (os error 2)"] {
        assert!(!stderr.contains(vague), "{what}: vague message: {stderr}");
    }
    stderr
}

/// Every `.faqlink-…tmp` name under `dir`, at any depth.
fn temporaries_below(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(".faqlink-") && name.ends_with(".tmp") {
                found.push(entry.path());
            }
            if entry.file_type().unwrap().is_dir() {
                todo.push(entry.path());
            }
        }
    }
    found
}

#[test]
fn signals_at_any_moment_of_a_run_leave_no_temporary() {
    // Signals sent at spread-out moments of the run, from process start (before any output
    // exists) to the rename, for --output and --output-dir and each handled signal.
    let db = seeded_sqlite();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("report.html"), "previous\n").unwrap();
    let args = |target: &str, path: &Path| -> Vec<String> {
        let format = if target == "--output" { "html" } else { "csv" };
        vec![
            "--database-url".into(),
            db.url(),
            "report".into(),
            "all".into(),
            "--format".into(),
            format.into(),
            target.into(),
            path.display().to_string(),
        ]
    };
    // How long one run takes here, to spread the signals over it.
    let started = Instant::now();
    assert!(faqlink_process().args(args("--output", &dir.path().join("timing.html"))).status().unwrap().success());
    let run = started.elapsed();
    std::fs::remove_file(dir.path().join("timing.html")).unwrap();
    let signals = [(15, "TERM"), (2, "INT"), (1, "HUP"), (3, "QUIT")];
    let runs = 48;
    let (mut killed, mut finished) = (0, 0);
    for i in 0..runs {
        let (signal, name) = signals[i % signals.len()];
        let target = if i % 2 == 0 { "--output" } else { "--output-dir" };
        let path = dir.path().join(if target == "--output" { "report.html" } else { "set" });
        let delay = run.mul_f64(1.5 * i as f64 / runs as f64);
        let mut child =
            faqlink_process().args(args(target, &path)).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = Command::new("kill").arg(format!("-{name}")).arg(child.id().to_string()).status();
        let status = child.wait().unwrap();
        match status.signal() {
            Some(s) => {
                assert_eq!(s, signal, "run {i}: ended by another signal: {status:?}");
                killed += 1;
            }
            None => {
                assert!(status.success(), "run {i}: {status:?}");
                finished += 1;
            }
        }
        assert_eq!(temporaries_below(dir.path()), Vec::<PathBuf>::new(), "run {i}: {name} after {delay:?} ({target})");
        let report = std::fs::read(dir.path().join("report.html")).unwrap();
        assert!(report == b"previous\n" || report.ends_with(b"</html>"), "run {i}: the report is old or complete");
        if dir.path().join("set").exists() {
            assert_eq!(names(&dir.path().join("set")), SET, "run {i}: a complete set");
        }
    }
    eprintln!("{runs} runs over {run:?}: {killed} ended by the signal, {finished} finished first");
    assert!(killed >= runs / 4, "runs were interrupted ({killed} of {runs})");
}

#[test]
fn a_file_size_limit_is_reported_and_cleaned_up() {
    // `ulimit -f 1` (512 bytes): an HTML page is larger. SIGXFSZ would kill the run (rc 153)
    // and leave its temporary; ignored, the write fails with EFBIG and is reported. (In
    // rollback-journal mode: a reader of a WAL file would grow its -shm file beyond the limit.)
    let db = sqlite_readable_by_all();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    std::fs::write(&file, "previous\n").unwrap();
    let folder = dir.path().join("new").join("set");
    for target in [file.as_path(), folder.as_path()] {
        let flag = if target == file { "--output" } else { "--output-dir" };
        let out =
            sh_faqlink("ulimit -f 1", &db, &["report", "all", "--format", "html", flag, target.to_str().unwrap()])
                .output()
                .unwrap();
        let stderr = one_line_error(&out, 1, flag);
        assert!(stderr.contains("File too large"), "{stderr}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "previous\n");
    assert_eq!(names(dir.path()), ["report.html"], "no temporary, no folder created for the failed run");
}

#[test]
fn the_root_folder_is_refused_as_output_dir() {
    let db = seeded_sqlite();
    for (cwd, dir) in
        [("/tmp", "/"), ("/tmp", "//"), ("/tmp", "/."), ("/tmp", "/.."), ("/tmp", "/tmp/.."), ("/", "."), ("/", "..")]
    {
        let out = faqlink()
            .current_dir(cwd)
            .arg("--database-url")
            .arg(db.url())
            .args(["report", "all", "--format", "csv", "--output-dir", dir])
            .output()
            .unwrap();
        let stderr = one_line_error(&out, 2, dir);
        assert!(stderr.contains("the root folder cannot be replaced"), "{dir}: {stderr}");
    }
}

#[test]
fn targets_that_are_not_regular_files_are_written_in_place() {
    let db = seeded_sqlite();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let expected = faqlink_process()
        .args(["--database-url", &db.url(), "report", "totals", "--format", "csv"])
        .output()
        .unwrap()
        .stdout;
    assert!(!expected.is_empty());
    // Standard output as a pipe, by each of its names.
    for name in ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"] {
        let out = faqlink_process()
            .args(["--database-url", &db.url(), "report", "totals", "--format", "csv", "--output", name])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.stdout, expected, "{name} into a pipe");
    }
    // Redirections of the shell: `>>` appends, `>` truncates, on standard output and fd 3.
    let file = dir.path().join("log.csv");
    for (pre, target, want_prefix) in [
        (format!("echo before > {d}/log.csv; exec >> {d}/log.csv"), "/dev/stdout", true),
        (format!("echo before > {d}/log.csv; exec > {d}/log.csv"), "/dev/stdout", false),
        (format!("echo before > {d}/log.csv; exec 3>> {d}/log.csv"), "/dev/fd/3", true),
    ] {
        let inode = || std::fs::metadata(&file).map(|m| m.ino()).unwrap_or(0);
        let out = sh_faqlink(&pre, &db, &["report", "totals", "--format", "csv", "--output", target]).output().unwrap();
        assert!(out.status.success(), "{pre}: {}", String::from_utf8_lossy(&out.stderr));
        let mut want = if want_prefix { b"before\n".to_vec() } else { Vec::new() };
        want.extend_from_slice(&expected);
        assert_eq!(String::from_utf8_lossy(&std::fs::read(&file).unwrap()), String::from_utf8_lossy(&want), "{pre}");
        let before = inode();
        let _ = sh_faqlink(&pre, &db, &["report", "totals", "--format", "csv", "--output", target]).output().unwrap();
        assert_eq!(inode(), before, "{pre}: written in place, not replaced");
    }
    // A FIFO: written in place (a rename would replace the FIFO by a file).
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    faqlink()
        .arg("--database-url")
        .arg(db.url())
        .args(["report", "totals", "--format", "csv", "--output"])
        .arg(&fifo)
        .assert()
        .success();
    assert_eq!(reader.join().unwrap(), expected);
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "still a FIFO");
    faqlink()
        .arg("--database-url")
        .arg(db.url())
        .args(["report", "totals", "--output", "/dev/null"])
        .assert()
        .success();
    assert!(std::fs::symlink_metadata("/dev/null").unwrap().file_type().is_char_device());
    assert_eq!(names(dir.path()), ["fifo", "log.csv"], "no temporary");
}

/// `getfacl`'s entries of `p` (without comments), one per line.
fn acl(p: &Path) -> String {
    let out = Command::new("getfacl")
        .args(["-p", "-n", "-E"])
        .arg(p)
        .output()
        .expect("getfacl (Debian's acl package; scripts/test.sh installs it)");
    assert!(out.status.success(), "getfacl {}", p.display());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

fn setfacl(args: &[&str], p: &Path) {
    let ok = Command::new("setfacl")
        .args(args)
        .arg(p)
        .status()
        .expect("setfacl (Debian's acl package; scripts/test.sh installs it)");
    assert!(ok.success(), "setfacl {args:?} {}", p.display());
}

#[test]
fn new_and_replaced_files_keep_the_hosts_acls_groups_and_setgid_folders() {
    assert!(is_root(), "the suite runs as root (chgrp to a group it is not in)");
    let db = seeded_sqlite();
    let base = tempfile::tempdir().unwrap();
    for flag in ["--output", "--output-dir"] {
        let run = |target: &Path| {
            let (format, t) =
                if flag == "--output" { ("csv", target.join("totals.csv")) } else { ("csv", target.to_path_buf()) };
            let kind = if flag == "--output" { "totals" } else { "all" };
            let out = under_umask("022", &db, &["report", kind, "--format", format, flag, t.to_str().unwrap()]);
            assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
        };
        let case = base.path().join(flag.trim_start_matches('-'));
        std::fs::create_dir(&case).unwrap();
        // 1. A folder with a default ACL: the new file's mask is the default ACL's (rw), not
        //    the umask's (r); a new --output-dir folder inherits the default ACL.
        let acl_dir = case.join("acl");
        std::fs::create_dir(&acl_dir).unwrap();
        setfacl(&["-m", "d:u:65534:rw,d:g::r,d:m:rw,d:o::-"], &acl_dir);
        let target = if flag == "--output" { acl_dir.clone() } else { acl_dir.join("set") };
        run(&target);
        let file = target.join("totals.csv");
        assert_eq!(
            acl(&file),
            "user::rw-,user:65534:rw-,group::r--,mask::rw-,other::---",
            "{flag}: new file in a default-ACL folder"
        );
        // 2. A replaced file keeps its group and ACL (mode 0640, nobody may read and write it).
        std::os::unix::fs::chown(&file, None, Some(65534)).unwrap();
        setfacl(&["-b", "-m", "u::rw,g::r,o::-,u:65534:rw,m:rw"], &file);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        let before = acl(&file);
        run(&target);
        assert_eq!(std::fs::metadata(&file).unwrap().gid(), 65534, "{flag}: the replaced file's group");
        assert_eq!(acl(&file), before, "{flag}: the replaced file's ACL");
        // 3. A setgid folder: a new file gets the folder's group.
        let sg = case.join("setgid");
        std::fs::create_dir(&sg).unwrap();
        std::os::unix::fs::chown(&sg, None, Some(65534)).unwrap();
        std::fs::set_permissions(&sg, std::fs::Permissions::from_mode(0o2775)).unwrap();
        let target = if flag == "--output" { sg.clone() } else { sg.join("set") };
        run(&target);
        assert_eq!(std::fs::metadata(target.join("totals.csv")).unwrap().gid(), 65534, "{flag}: setgid folder's group");
        if flag == "--output-dir" {
            // The set's folder, new then swapped, keeps the group and the setgid bit.
            let m = std::fs::metadata(&target).unwrap();
            assert_eq!((m.gid(), m.mode() & 0o2000), (65534, 0o2000), "new set folder in a setgid folder");
            std::fs::remove_file(target.join("experts.csv")).unwrap();
            run(&target);
            let m = std::fs::metadata(&target).unwrap();
            assert_eq!((m.gid(), m.mode() & 0o2000), (65534, 0o2000), "swapped set folder");
            assert_eq!(
                std::fs::metadata(target.join("experts.csv")).unwrap().gid(),
                65534,
                "a new file of the swapped set"
            );
        }
    }
    assert!(temporaries_below(base.path()).is_empty());
}

#[test]
fn another_users_folder_is_never_taken_from_them_nor_left_half_removed() {
    assert!(is_root(), "the suite runs as root (setpriv to nobody)");
    let db = sqlite_readable_by_all();
    let parent = tempfile::tempdir().unwrap();
    // A parent anyone may write in (not sticky), holding a set made by root (0755).
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let set = parent.path().join("set");
    run_dir(&db, &set, false);
    let before: Vec<Vec<u8>> = SET.iter().map(|f| std::fs::read(set.join(f)).unwrap()).collect();
    // nobody may rename root's folder away but not empty it: swapping it would take the
    // folder from root and leave the old set in a temporary folder nobody cannot remove.
    let out =
        faqlink_as_nobody(&db, &["report", "all", "--format", "csv", "--excel", "--output-dir", set.to_str().unwrap()]);
    let stderr = one_line_error(&out, 1, "nobody on root's folder");
    assert!(stderr.contains("Permission denied"), "{stderr}");
    assert_eq!(std::fs::metadata(&set).unwrap().uid(), 0, "still root's folder");
    assert_eq!(SET.iter().map(|f| std::fs::read(set.join(f)).unwrap()).collect::<Vec<_>>(), before, "untouched");
    assert_eq!(names(parent.path()), ["set"], "nothing left beside it");
    // Where nobody may write in it, its files are replaced inside it, with a warning.
    std::fs::set_permissions(&set, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out =
        faqlink_as_nobody(&db, &["report", "all", "--format", "csv", "--excel", "--output-dir", set.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("belongs to another user or group"), "{stderr}");
    assert_eq!(std::fs::metadata(&set).unwrap().uid(), 0, "still root's folder");
    assert!(SET.iter().all(|f| std::fs::read(set.join(f)).unwrap().starts_with("\u{feff}".as_bytes())), "the new set");
    assert_eq!(names(parent.path()), ["set"], "nothing left beside it");
    assert_eq!(names(&set), SET, "nothing left inside it");
    // Root replacing nobody's folder keeps nobody as its owner (and the files' owners).
    let theirs = parent.path().join("theirs");
    let out = faqlink_as_nobody(&db, &["report", "all", "--format", "csv", "--output-dir", theirs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    run_dir(&db, &theirs, true);
    let m = std::fs::metadata(&theirs).unwrap();
    assert_eq!((m.uid(), m.gid()), (65534, 65534), "the replaced folder keeps its owner and group");
    assert_eq!(std::fs::metadata(theirs.join("totals.csv")).unwrap().uid(), 65534, "a replaced file keeps its owner");
    assert_eq!(names(parent.path()), ["set", "theirs"]);
}

#[test]
fn links_in_shared_folders_follow_the_kernels_protected_symlinks_rule() {
    assert!(is_root(), "the suite runs as root (chown of links, setpriv)");
    let db = sqlite_readable_by_all();
    let base = tempfile::tempdir().unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // Shared folders (sticky, world-writable) owned by root and by nobody; a plain one.
    let mut cases = 0;
    for (folder_owner, sticky) in [(0u32, true), (65534, true), (0, false)] {
        for link_owner in [0u32, 65534, 1234] {
            for caller in [0u32, 65534] {
                for flag in ["--output", "--output-dir"] {
                    let case = base.path().join(format!("c{cases}"));
                    cases += 1;
                    std::fs::create_dir(&case).unwrap();
                    std::os::unix::fs::chown(&case, Some(caller), Some(caller)).unwrap();
                    let shared = case.join("shared");
                    std::fs::create_dir(&shared).unwrap();
                    std::os::unix::fs::chown(&shared, Some(folder_owner), None).unwrap();
                    std::fs::set_permissions(
                        &shared,
                        std::fs::Permissions::from_mode(if sticky { 0o1777 } else { 0o777 }),
                    )
                    .unwrap();
                    // The link's target: the caller's own file or folder (so that following
                    // the link is otherwise allowed), holding a sentinel.
                    let victim = case.join(if flag == "--output" { "victim.csv" } else { "victim" });
                    if flag == "--output" {
                        std::fs::write(&victim, "sentinel\n").unwrap();
                    } else {
                        std::fs::create_dir(&victim).unwrap();
                        std::fs::write(victim.join("totals.csv"), "sentinel\n").unwrap();
                    }
                    std::os::unix::fs::lchown(&victim, Some(caller), Some(caller)).unwrap();
                    if flag == "--output-dir" {
                        std::os::unix::fs::chown(victim.join("totals.csv"), Some(caller), Some(caller)).unwrap();
                    }
                    let link = shared.join("report");
                    std::os::unix::fs::symlink(&victim, &link).unwrap();
                    std::os::unix::fs::lchown(&link, Some(link_owner), Some(link_owner)).unwrap();
                    let args = ["report", "totals", "--format", "csv", flag, link.to_str().unwrap()];
                    let args: Vec<&str> = if flag == "--output-dir" {
                        [&["report", "all"][..], &args[2..]].concat()
                    } else {
                        args.to_vec()
                    };
                    let out = if caller == 0 {
                        faqlink().arg("--database-url").arg(db.url()).args(&args).output().unwrap()
                    } else {
                        faqlink_as_nobody(&db, &args)
                    };
                    let followed = !sticky || link_owner == caller || link_owner == folder_owner;
                    let what = format!(
                        "folder uid {folder_owner} sticky {sticky}, link uid {link_owner}, caller {caller}, {flag}"
                    );
                    let written = if flag == "--output" { victim.clone() } else { victim.join("totals.csv") };
                    if followed {
                        assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
                        assert_ne!(std::fs::read_to_string(&written).unwrap(), "sentinel\n", "{what}: followed");
                        assert!(
                            std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
                            "{what}: the link stays"
                        );
                    } else {
                        let stderr = one_line_error(&out, 1, &what);
                        assert!(stderr.contains("protected_symlinks"), "{what}: {stderr}");
                        assert_eq!(std::fs::read_to_string(&written).unwrap(), "sentinel\n", "{what}: untouched");
                    }
                    assert!(temporaries_below(&case).is_empty(), "{what}");
                }
            }
        }
    }
    assert_eq!(cases, 36);
    // The rule holds for a link anywhere on the path, not only the last one.
    let shared = base.path().join("mid");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let real = base.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::os::unix::fs::symlink(&real, shared.join("dir")).unwrap();
    std::os::unix::fs::lchown(shared.join("dir"), Some(1234), Some(1234)).unwrap();
    let out = faqlink()
        .arg("--database-url")
        .arg(db.url())
        .args(["report", "totals", "--output"])
        .arg(shared.join("dir/x.csv"))
        .output()
        .unwrap();
    one_line_error(&out, 1, "a link in the middle of the path");
    assert_eq!(names(&real), Vec::<String>::new());
}

/// How many runs [`a_link_planted_and_removed_in_a_loop_is_never_followed`] makes.
const RACE_RUNS: usize = 300;

#[test]
fn a_link_planted_and_removed_in_a_loop_is_never_followed() {
    use std::os::unix::fs::OpenOptionsExt;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    assert!(is_root(), "the suite runs as root (chown of links)");
    let db = seeded_sqlite();
    let base = tempfile::tempdir().unwrap();
    let shared = base.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let fifo = base.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let target = shared.join("r.csv");
    let (stop, through_fifo, planted) = (&AtomicBool::new(false), &AtomicUsize::new(0), &AtomicUsize::new(0));
    let (fifo, target) = (&fifo, &target);
    let mut outcomes = std::collections::BTreeMap::<&str, usize>::new();
    std::thread::scope(|scope| {
        // The FIFO's reader (non-blocking, so a writer would never wait): counts every byte.
        scope.spawn(move || {
            let mut f = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
                .open(fifo)
                .unwrap();
            let mut buf = [0u8; 4096];
            while !stop.load(Ordering::SeqCst) {
                match std::io::Read::read(&mut f, &mut buf) {
                    Ok(n) => through_fifo.fetch_add(n, Ordering::SeqCst),
                    Err(_) => 0,
                };
                std::thread::sleep(Duration::from_micros(200));
            }
        });
        // Another user's link to the FIFO, planted and removed again, over and over. It is
        // made and given to nobody in a private folder, then renamed into place, so that it
        // is never the caller's own link (which faqlink may follow) in the shared folder.
        let stage = base.path().join("stage");
        std::fs::create_dir(&stage).unwrap();
        scope.spawn(move || {
            let link = stage.join("link");
            while !stop.load(Ordering::SeqCst) {
                let _ = std::fs::remove_file(&link);
                std::os::unix::fs::symlink(fifo, &link).unwrap();
                std::os::unix::fs::lchown(&link, Some(65534), Some(65534)).unwrap();
                if std::fs::rename(&link, target).is_ok() {
                    planted.fetch_add(1, Ordering::SeqCst);
                }
                std::thread::yield_now();
                let _ = std::fs::remove_file(target);
            }
        });
        for run in 0..RACE_RUNS {
            let out = faqlink()
                .arg("--database-url")
                .arg(db.url())
                .args(["report", "totals", "--format", "csv", "--output"])
                .arg(target)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let outcome = match out.status.code() {
                Some(0) => "written as a file",
                Some(1) if stderr.contains("protected_symlinks") => "refused when checked",
                Some(1) if stderr.contains("became a symbolic link after faqlink checked") => "refused when opened",
                _ => {
                    stop.store(true, Ordering::SeqCst);
                    panic!("run {run}: {:?}: {stderr}", out.status.code())
                }
            };
            *outcomes.entry(outcome).or_default() += 1;
        }
        stop.store(true, Ordering::SeqCst);
    });
    eprintln!("link race: {RACE_RUNS} runs, {} links planted: {outcomes:?}", planted.load(Ordering::SeqCst));
    assert_eq!(through_fifo.load(Ordering::SeqCst), 0, "a run wrote through a refused link: {outcomes:?}");
    assert_eq!(outcomes.values().sum::<usize>(), RACE_RUNS);
    assert!(temporaries_below(base.path()).is_empty());
}

#[test]
fn targets_that_cannot_hold_a_report_get_one_clear_line() {
    let db = seeded_sqlite();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("missing/x.csv", dir.path().join("dangling.csv")).unwrap();
    std::os::unix::fs::symlink("gone", dir.path().join("dangling-dir")).unwrap();
    let d = |n: &str| dir.path().join(n).display().to_string();
    for (flag, target, says) in [
        ("--output", d("dangling.csv"), "dangling.csv is a dangling symbolic link: it points to missing/x.csv"),
        ("--output", d("dangling-dir/x.csv"), "dangling-dir is a dangling symbolic link: it points to gone"),
        ("--output-dir", d("dangling-dir"), "dangling-dir is a dangling symbolic link: it points to gone"),
        ("--output", "/proc/x.csv".into(), "/proc is on the kernel's proc file system, which holds no ordinary files"),
        ("--output", "/proc/a/b.csv".into(), "/proc is on the kernel's proc file system"),
        ("--output", "/sys/x.csv".into(), "/sys is on the kernel's sysfs file system"),
        ("--output-dir", "/proc/x".into(), "/proc is on the kernel's proc file system"),
        ("--output-dir", "/sys/kernel/x/y".into(), "/sys/kernel is on the kernel's sysfs file system"),
    ] {
        let kind = if flag == "--output" { "totals" } else { "all" };
        let out = faqlink()
            .arg("--database-url")
            .arg(db.url())
            .args(["report", kind, "--format", "csv", flag, &target])
            .output()
            .unwrap();
        let stderr = one_line_error(&out, 1, &target);
        assert!(stderr.contains("cannot write") && stderr.contains(says), "{target}: {stderr}");
    }
    assert_eq!(names(dir.path()), ["dangling-dir", "dangling.csv"]);
}

#[test]
fn output_dir_creates_missing_parents_and_a_failed_run_removes_them() {
    let db = seeded_sqlite();
    let dir = tempfile::tempdir().unwrap();
    for (format, path, file) in [
        ("csv", "a/b/c/", "totals.csv"),
        ("xlsx", "x/y/", "faqlink-report.xlsx"),
        ("html", "a/b/h", "faqlink-report.html"),
    ] {
        let out = faqlink()
            .current_dir(dir.path())
            .arg("--database-url")
            .arg(db.url())
            .args(["report", "all", "--format", format, "--output-dir", path])
            .output()
            .unwrap();
        assert!(out.status.success(), "{path}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(dir.path().join(path).join(file).is_file(), "{path}");
    }
    // A run that fails (the fourth section's column is gone) leaves no folder it created.
    db.exec("ALTER TABLE expert_feedback RENAME COLUMN query_id TO renamed_query_id");
    for (format, path) in [("csv", "p/q/r"), ("xlsx", "s/t/"), ("html", "a/b/new/deeper"), ("openmetrics", "u")] {
        let out = faqlink()
            .current_dir(dir.path())
            .arg("--database-url")
            .arg(db.url())
            .args(["report", "all", "--format", format, "--output-dir", path])
            .output()
            .unwrap();
        one_line_error(&out, 1, path);
    }
    assert_eq!(names(dir.path()), ["a", "x"], "no folder left by a failed run");
    assert_eq!(names(&dir.path().join("a/b")), ["c", "h"]);
}

#[test]
fn running_out_of_descriptors_fails_cleanly_at_every_point() {
    // Every descriptor limit from "cannot even start" to "enough": each run succeeds, or
    // fails with one line that names the cause, and leaves no temporary and the old files.
    let db = seeded_sqlite();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.csv");
    std::fs::write(&file, "previous\n").unwrap();
    let set = dir.path().join("set");
    run_dir(&db, &set, false);
    let (mut failed, mut succeeded) = (0, 0);
    for limit in 4..=28 {
        for (flag, target) in [("--output", &file), ("--output-dir", &set)] {
            let out = sh_faqlink(
                &format!("ulimit -n {limit}"),
                &db,
                &["report", "all", "--format", "csv", flag, target.to_str().unwrap()],
            )
            .output()
            .unwrap();
            if out.status.success() {
                succeeded += 1;
            } else {
                let stderr = one_line_error(&out, 1, &format!("ulimit -n {limit} {flag}"));
                assert!(
                    // Opening the SQLite file says so in SQLite's words; faqlink's files name the cause.
                    stderr.contains("Too many open files")
                        || stderr.to_lowercase().contains("unable to open the database file")
                        || stderr.to_lowercase().contains("unable to open database file"),
                    "ulimit -n {limit}: {stderr}"
                );
                failed += 1;
            }
            assert!(temporaries_below(dir.path()).is_empty(), "ulimit -n {limit} {flag}: a temporary left");
            let report = std::fs::read_to_string(&file).unwrap();
            assert!(report == "previous\n" || report.starts_with("# experts"), "ulimit -n {limit}");
            assert_eq!(names(&set), SET, "ulimit -n {limit}");
        }
    }
    eprintln!("descriptor limits 4..=28: {failed} runs failed cleanly, {succeeded} succeeded");
    assert!(failed > 0 && succeeded > 0, "the range covers both ({failed} failed, {succeeded} succeeded)");
}
