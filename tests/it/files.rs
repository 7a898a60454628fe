//! Files a run writes and what it leaves: modes from the umask, temporary files removed on
//! SIGTERM/SIGINT/SIGHUP and when stale, `--output-dir` replaced as a set (and created when
//! missing), the database refused as an output, long names and hostile paths, all-or-nothing
//! standard output, and `--fail-on-any` when standard output closes early.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
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
    for (signal, name) in [(15, "TERM"), (2, "INT"), (1, "HUP")] {
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
            assert_eq!(live.len(), 1, "{name} {target}: one temporary beside the target: {live:?}");
            assert!(live[0].starts_with(if target == "--output" { ".faqlink-report.csv." } else { ".faqlink-set." }));
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
    // kill -9 cannot be handled: the temporary stays until a later run finds it stale.
    let _lock = Lock::hold(&db, "expert_feedback");
    let mut child = faqlink_process()
        .args(["--database-url", &db.url(), "report", "all", "--format", "csv", "--output"])
        .arg(dir.path().join("report.csv"))
        .spawn()
        .unwrap();
    wait_for_waiting_session(&db);
    child.kill().unwrap();
    child.wait().unwrap();
    end_waiting_sessions(&db);
    assert_eq!(temporaries(dir.path()).len(), 1, "SIGKILL leaves the temporary");
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
