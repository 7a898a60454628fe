//! A real PostgreSQL hot standby: the test starts its own throw-away primary and streaming
//! standby (initdb in a temporary folder, free ports, `pg_basebackup -R`, hot_standby on,
//! `max_standby_streaming_delay = 1s`), runs a writer loop on the primary that provokes
//! recovery conflicts (updates, FAQ deletions firing ON DELETE SET NULL, VACUUM), and runs
//! `report all` against the standby: every run must succeed within its retries and leave no
//! partial file and no partial standard output. The system cluster is not touched; both
//! servers are stopped and their folder removed at the end, also when the test panics.
//!
//! PostgreSQL 15's binaries are taken from `FAQLINK_TEST_PG_BIN` (default
//! `/usr/lib/postgresql/15/bin`). initdb refuses to run as root, so as root the servers run
//! as the `postgres` OS user (`runuser`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::harness::{faqlink, faqlink_process, skip_pg};

fn pg_bin(tool: &str) -> PathBuf {
    let dir = std::env::var("FAQLINK_TEST_PG_BIN").unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".into());
    Path::new(&dir).join(tool)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A PostgreSQL tool, run as the `postgres` OS user when the test runs as root.
fn tool(name: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(pg_bin(name));
        c
    } else {
        Command::new(pg_bin(name))
    }
}

fn run(mut cmd: Command, what: &str) {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A throw-away primary and standby; stopped and removed on drop.
struct Cluster {
    root: tempfile::TempDir,
    primary_port: u16,
    standby_port: u16,
    started: Vec<PathBuf>,
}

impl Cluster {
    fn data(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn start(&mut self, name: &str) {
        let data = self.data(name);
        let mut c = tool("pg_ctl");
        c.arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(self.root.path().join(format!("{name}.log")))
            .args(["-w", "-t", "60", "start"]);
        self.started.push(data);
        run(c, &format!("pg_ctl start {name}"));
    }

    fn url(&self, port: u16, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/{db}")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for data in self.started.iter().rev() {
            let _ = tool("pg_ctl")
                .arg("-D")
                .arg(data)
                .args(["-m", "immediate", "-w", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        // Then the folder: a server's last processes may still be exiting, so try again
        // for a while rather than leave files behind.
        for _ in 0..50 {
            if std::fs::remove_dir_all(self.root.path()).is_ok() || !self.root.path().exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn conf(path: &Path, lines: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    writeln!(f, "{lines}").unwrap();
}

fn setup() -> Cluster {
    let root = tempfile::Builder::new().prefix("faqlink-standby-").tempdir().unwrap();
    if is_root() {
        let id = |flag: &str| -> u32 {
            let o = Command::new("id").args([flag, "postgres"]).output().expect("an OS user named postgres");
            String::from_utf8_lossy(&o.stdout).trim().parse().expect("id of postgres")
        };
        std::os::unix::fs::chown(root.path(), Some(id("-u")), Some(id("-g"))).unwrap();
    }
    let mut cluster = Cluster { root, primary_port: free_port(), standby_port: free_port(), started: Vec::new() };
    let primary = cluster.data("primary");
    let mut c = tool("initdb");
    c.arg("-D").arg(&primary).args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]);
    run(c, "initdb");
    let socket = cluster.root.path().display().to_string();
    conf(
        &primary.join("postgresql.conf"),
        &format!(
            "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{socket}'\n\
             fsync = off\nsynchronous_commit = off\nshared_buffers = 32MB\nautovacuum = off\n\
             wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nhot_standby_feedback = off\n\
             max_standby_streaming_delay = 1s\nwal_receiver_status_interval = 1s\n",
            cluster.primary_port
        ),
    );
    cluster.start("primary");
    let standby = cluster.data("standby");
    let mut c = tool("pg_basebackup");
    c.args(["-h", "127.0.0.1", "-p", &cluster.primary_port.to_string(), "-U", "postgres", "-D"]).arg(&standby).args([
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
        "--no-sync",
    ]);
    run(c, "pg_basebackup");
    conf(&standby.join("postgresql.conf"), &format!("port = {}\n", cluster.standby_port));
    cluster.start("standby");
    cluster
}

/// The writer loop on the primary: updates, FAQ deletions firing ON DELETE SET NULL, and
/// VACUUM, whose cleanup records conflict with the standby's snapshots.
fn writer(url: String, stop: Arc<AtomicBool>, rounds: Arc<AtomicU64>) {
    let mut c = PgConnection::establish(&url).unwrap();
    while !stop.load(Ordering::Relaxed) {
        c.batch_execute(
            "UPDATE expert_feedback SET time_spent_seconds = time_spent_seconds + 1 \
               WHERE id IN (SELECT id FROM expert_feedback TABLESAMPLE SYSTEM (2));\
             DELETE FROM faq_entries WHERE id IN (SELECT id FROM faq_entries TABLESAMPLE SYSTEM (1) LIMIT 20);",
        )
        .unwrap();
        c.batch_execute("VACUUM expert_feedback").unwrap();
        c.batch_execute("VACUUM faq_entries").unwrap();
        rounds.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits (up to 60 s) until `query`, a count on the standby, is above zero.
fn wait_on_standby(standby: &str, query: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = Command::new("psql").args(["-X", "-A", "-t", "-d", standby, "-c", query]).output().unwrap();
        if String::from_utf8_lossy(&out.stdout).trim().parse::<i64>().is_ok_and(|n| n > 0) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs and retries, for the report.
#[derive(Debug, Default)]
struct Tally {
    runs: u32,
    retries: u32,
    /// Of the retries, those after a lost connection (no message) rather than a conflict.
    lost: u32,
    failures: u32,
}

#[test]
fn report_all_survives_recovery_conflicts_on_a_real_standby() {
    if skip_pg() {
        eprintln!("FAQLINK_TEST_SKIP_PG=1: skipping");
        return;
    }
    let started = Instant::now();
    let cluster = setup();
    let primary = cluster.url(cluster.primary_port, "faqlink");
    let mut admin = PgConnection::establish(&cluster.url(cluster.primary_port, "postgres")).unwrap();
    admin.batch_execute("CREATE DATABASE faqlink").unwrap();
    let rows: u32 = std::env::var("FAQLINK_TEST_STANDBY_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(150_000);
    faqlink()
        .args(["--database-url", &primary, "seed", "--experts", "100", "--feedback", &rows.to_string()])
        .args(["--end", "2026-11-23", "--weeks", "52"])
        .assert()
        .success();
    // The standby has replayed the seed.
    let standby = cluster.url(cluster.standby_port, "faqlink");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen = PgConnection::establish(&standby).ok().and_then(|mut c| {
            #[derive(diesel::QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            diesel::RunQueryDsl::load::<N>(diesel::sql_query("SELECT COUNT(*) AS n FROM expert_feedback"), &mut c)
                .ok()
                .map(|v| v[0].n)
        });
        if seen == Some(i64::from(rows)) {
            break;
        }
        assert!(Instant::now() < deadline, "the standby never caught up ({seen:?} rows)");
        std::thread::sleep(Duration::from_millis(200));
    }

    // One conflict by construction, whatever the machine's speed: the primary holds an
    // ACCESS EXCLUSIVE lock on faq_entries (replayed on the standby, where it blocks the run
    // half-way, after it has read expert_feedback), then asks for one on expert_feedback,
    // which the standby can replay only by cancelling the run (after
    // max_standby_streaming_delay). The lock is released a little later; the retry succeeds.
    let forced_dir = tempfile::tempdir().unwrap();
    let forced = {
        let mut locker = PgConnection::establish(&primary).unwrap();
        locker
            .batch_execute("BEGIN; LOCK TABLE faq_entries IN ACCESS EXCLUSIVE MODE; SELECT pg_switch_wal();")
            .unwrap();
        wait_on_standby(
            &standby,
            "SELECT COUNT(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = 'faq_entries'::regclass",
            "the standby to replay the lock on faq_entries",
        );
        let child = faqlink_process()
            .args(["--database-url", standby.as_str(), "report", "all", "--format", "csv", "--output"])
            .arg(forced_dir.path().join("forced.csv"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_on_standby(
            &standby,
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = 'faqlink' AND wait_event_type = 'Lock'",
            "the report to wait for faq_entries",
        );
        locker.batch_execute("LOCK TABLE expert_feedback IN ACCESS EXCLUSIVE MODE; SELECT pg_switch_wal();").unwrap();
        // The standby's startup process now waits for the report's lock; it cancels the
        // report after max_standby_streaming_delay (1 s) or deadlock_timeout (1 s).
        wait_on_standby(
            &standby,
            "SELECT COUNT(*) FROM pg_stat_activity WHERE backend_type = 'startup' AND wait_event_type = 'Lock'",
            "the standby's replay to wait for the report's lock",
        );
        std::thread::sleep(Duration::from_secs(4));
        locker.batch_execute("COMMIT").unwrap();
        child.wait_with_output().unwrap()
    };
    let forced_err = String::from_utf8_lossy(&forced.stderr);
    eprintln!("forced conflict: {}", forced_err.trim());
    assert!(forced.status.success(), "the forced conflict's run failed: {forced_err}");
    assert!(
        forced_err.lines().any(|l| l.starts_with("faqlink: retrying after ")),
        "the forced conflict was not retried: {forced_err}"
    );
    let text = std::fs::read_to_string(forced_dir.path().join("forced.csv")).unwrap();
    assert_eq!(text.split("\r\n\r\n").count(), 5, "a complete report after the retry");

    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicU64::new(0));
    let writer = {
        let (url, stop, rounds) = (primary.clone(), stop.clone(), rounds.clone());
        std::thread::spawn(move || writer(url, stop, rounds))
    };
    // Stop the writer whatever happens below.
    struct StopOnDrop(Arc<AtomicBool>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let _stop_guard = StopOnDrop(stop.clone());

    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("report.csv");
    let runs: u32 = std::env::var("FAQLINK_TEST_STANDBY_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(12);
    let mut tally = Tally::default();
    for i in 0..runs {
        let to_file = i % 2 == 0;
        let mut args: Vec<std::ffi::OsString> =
            ["--database-url", standby.as_str(), "report", "all"].iter().map(Into::into).collect();
        if to_file {
            args.extend(["--format".into(), "csv".into(), "--output".into(), file.clone().into_os_string()]);
        } else {
            args.extend(["--format".into(), "json".into()]);
        }
        // Every fourth run's standard output goes to a reader that waits 2 s before reading
        // (more than max_standby_streaming_delay): the snapshot must not wait for it.
        let slow_reader = !to_file && i % 4 == 1;
        let out = if slow_reader {
            let mut child =
                faqlink_process().args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
            let mut stdout = child.stdout.take().unwrap();
            let reader = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(2));
                let mut buf = Vec::new();
                std::io::Read::read_to_end(&mut stdout, &mut buf).unwrap();
                buf
            });
            let mut out = child.wait_with_output().unwrap();
            out.stdout = reader.join().unwrap();
            out
        } else {
            faqlink().args(&args).output().unwrap()
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        tally.runs += 1;
        tally.lost +=
            stderr.lines().filter(|l| l.starts_with("faqlink: retrying after the standby closed")).count() as u32;
        tally.retries += stderr.lines().filter(|l| l.starts_with("faqlink: retrying after ")).count() as u32;
        if !out.status.success() {
            tally.failures += 1;
            eprintln!("run {i} failed: {stderr}");
            assert!(out.stdout.is_empty(), "a failed run printed on standard output");
            continue;
        }
        if to_file {
            assert!(out.stdout.is_empty());
            let text = std::fs::read_to_string(&file).unwrap();
            // Five complete sections, separated by empty lines, the last one weekly's.
            assert_eq!(text.split("\r\n\r\n").count(), 5, "a complete report");
            assert!(text.ends_with("\r\n"));
        } else {
            let json: serde_json::Value =
                serde_json::from_slice(&out.stdout).expect("complete JSON on standard output");
            assert!(json.to_string().contains("weekly"), "every section");
        }
        let leftovers: Vec<_> = std::fs::read_dir(out_dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("the writer loop");
    let conflicts = Command::new("psql")
        .args(["-X", "-A", "-t", "-d", &standby, "-c"])
        .arg("SELECT confl_snapshot + confl_lock + confl_bufferpin + confl_deadlock FROM pg_stat_database_conflicts WHERE datname = 'faqlink'")
        .output()
        .unwrap();
    let conflicts = String::from_utf8_lossy(&conflicts.stdout).trim().to_string();
    eprintln!(
        "standby conflict loop: {} runs, {} retries taken ({} after a lost connection), {} failures; {} recovery conflicts counted by the standby; {} writer rounds; {:.1} s",
        tally.runs,
        tally.retries,
        tally.lost,
        tally.failures,
        conflicts,
        rounds.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(tally.failures, 0, "{tally:?}");
    // The loop's conflicts depend on timing (a run must outlast max_standby_streaming_delay
    // after a cleanup record arrives); the forced one above proved the retry, so the loop
    // only has to succeed every time.
}
