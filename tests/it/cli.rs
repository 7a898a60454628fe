//! The command line through the real binary: help and version, usage errors (exit 2),
//! runtime errors (exit 1), `--fail-on-any` (exit 3), broken pipes, and how the database is
//! selected. Every error is one `faqlink: error: …` line on stderr with nothing on stdout,
//! and never shows a password.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use faqlink::db::Backend;

use crate::data;
use crate::harness::{faqlink, faqlink_process, listing, pg_server, skip_pg, TestDb};

/// Asserts a failed run: the exit code, nothing on stdout, exactly one `faqlink: error:`
/// line on stderr. Returns that line (without the prefix).
#[track_caller]
fn failure(out: &Output, code: i32, context: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(code), "{context}: exit code (stderr: {stderr})");
    assert!(stdout.is_empty(), "{context}: stdout must be empty on errors, got {stdout:?}");
    assert!(
        stderr.ends_with('\n') && stderr.lines().count() == 1,
        "{context}: stderr must be exactly one line, got {stderr:?}"
    );
    let line = stderr.trim_end().strip_prefix("faqlink: error: ");
    line.unwrap_or_else(|| panic!("{context}: stderr must start with `faqlink: error: `, got {stderr:?}")).to_string()
}

/// Asserts `message` contains every one of `needles`.
#[track_caller]
fn names(message: &str, needles: &[&str], context: &str) {
    for n in needles {
        assert!(message.contains(n), "{context}: the error should name {n:?}: {message}");
    }
}

fn help(args: &[&str]) -> String {
    let out = faqlink().env("COLUMNS", "100").args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    assert!(out.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn help_is_pinned() {
    insta::assert_snapshot!("help", help(&["--help"]));
    insta::assert_snapshot!("report_help", help(&["report", "--help"]));
    insta::assert_snapshot!("seed_help", help(&["seed", "--help"]));
}

#[test]
fn version() {
    let out = faqlink().arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("faqlink {}\n", env!("CARGO_PKG_VERSION")));
    assert!(out.stderr.is_empty());
}

/// Usage errors of `report`, with what the message must name.
const REPORT_USAGE: &[(&[&str], &[&str])] = &[
    (&["totals", "--since", "2026-02-30"], &["--since", "2026-02-30"]),
    (&["totals", "--since", "yesterday"], &["--since", "yesterday"]),
    (&["totals", "--since", ""], &["--since"]),
    (&["totals", "--until", "2026-13-01"], &["--until", "2026-13-01"]),
    (&["totals", "--until", ""], &["--until"]),
    (&["totals", "--since", "2026-11-23", "--until", "2026-11-16"], &["--since", "--until"]),
    (&["totals", "--since", "2026-11-23", "--until", "2026-11-23"], &["--since", "--until"]),
    (&["totals", "--tz", "Mars/Olympus_Mons"], &["--tz", "Mars/Olympus_Mons"]),
    (&["weekly", "--week", "2026W47"], &["--week", "2026W47"]),
    (&["weekly", "--week", "2026-W60"], &["--week", "60"]),
    (&["weekly", "--week", "2025-W53"], &["--week", "2025", "53"]),
    (&["experts", "--output-dir", "out"], &["--output-dir", "report all --format csv"]),
    (&["all", "--output-dir", "out"], &["--output-dir", "report all --format csv"]),
    (&["all", "--format", "json", "--output-dir", "out"], &["--output-dir"]),
    (&["all", "--format", "csv", "--delimiter", ";;"], &["--delimiter", ";;"]),
    (&["all", "--excel", "--format", "json"], &["--excel", "json"]),
    (&["experts", "--fail-on-any"], &["--fail-on-any"]),
    // What the user typed is named by its position, never echoed (it may be a password).
    (&["bogus"], &["is not a valid value for '<KIND>'", "experts, totals"]),
    (&["totals", "--no-such-option"], &["is not expected here (an unknown option)"]),
    (&["totals", "--week", "2026-W47", "--since", "2026-11-16"], &["--week", "--since"]),
];

/// Runs `args` in an empty folder, once with the embedded default database and once with an
/// explicit SQLite path: exit 2, a message naming `needles`, and nothing left in the folder.
fn assert_usage_error(args: &[&str], needles: &[&str], context: &str) {
    for explicit in [false, true] {
        let cwd = tempfile::tempdir().unwrap();
        let mut cmd = faqlink();
        cmd.current_dir(cwd.path());
        if explicit {
            cmd.args(["--database-url", "explicit.db"]);
        }
        let context = format!("{context} (explicit db: {explicit})");
        let message = failure(&cmd.args(args).output().unwrap(), 2, &context);
        names(&message, needles, &context);
        assert!(listing(cwd.path()).is_empty(), "{context}: left {:?} behind", listing(cwd.path()));
    }
}

#[test]
fn usage_errors_exit_2_and_touch_nothing() {
    for (args, needles) in REPORT_USAGE {
        let mut full = vec!["report"];
        full.extend_from_slice(args);
        if !args.contains(&"--output-dir") {
            full.extend(["--output", "out.csv"]);
        }
        assert_usage_error(&full, needles, &format!("report {args:?}"));
    }
}

#[test]
fn seed_usage_errors_exit_2_and_create_nothing() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["--experts", "0"], &["--experts", "0"]),
        (&["--correct-share", "1.5"], &["--correct-share", "1.5"]),
        (&["--feedback=-1"], &["--feedback", "-1"]),
        (&["--end", "tomorrow"], &["--end", "tomorrow"]),
    ];
    for (args, needles) in cases {
        let mut full = vec!["seed"];
        full.extend_from_slice(args);
        assert_usage_error(&full, needles, &format!("seed {args:?}"));
    }
}

#[test]
fn unknown_url_scheme_names_the_scheme_not_the_password() {
    for command in [&["report", "totals"][..], &["check"], &["migrate", "status"], &["seed"], &["migrate"]] {
        let cwd = tempfile::tempdir().unwrap();
        let out = faqlink()
            .current_dir(cwd.path())
            .args(["--database-url", "mysql://u:s3cret@h/db"])
            .args(command)
            .output()
            .unwrap();
        let message = failure(&out, 2, &format!("{command:?}"));
        names(&message, &["mysql"], "unknown scheme");
        assert!(!message.contains("s3cret"), "{message}");
        assert!(listing(cwd.path()).is_empty());
    }
}

#[test]
fn read_commands_never_create_a_missing_sqlite_file() {
    for command in
        [&["report", "totals"][..], &["report", "all", "--format", "csv"], &["check"], &["migrate", "status"]]
    {
        let cwd = tempfile::tempdir().unwrap();
        let path = cwd.path().join("missing.db");
        for url in [path.display().to_string(), format!("sqlite://{}", path.display())] {
            let out = faqlink().current_dir(cwd.path()).arg("--database-url").arg(&url).args(command).output().unwrap();
            let context = format!("{command:?} on {url}");
            let message = failure(&out, 1, &context);
            names(&message, &[&path.display().to_string(), "faqlink migrate", "faqlink demo"], &context);
            assert!(!path.exists(), "{context}: created the database");
            assert!(listing(cwd.path()).is_empty(), "{context}: left {:?}", listing(cwd.path()));
        }
        // The embedded default, faqlink.db in the current folder.
        let out = faqlink().current_dir(cwd.path()).args(command).output().unwrap();
        let message = failure(&out, 1, &format!("{command:?} on the default"));
        names(&message, &["faqlink.db", "faqlink migrate", "faqlink demo"], "default database");
        assert!(listing(cwd.path()).is_empty(), "{command:?}: created {:?}", listing(cwd.path()));
    }
}

#[test]
fn unreachable_server_fails_fast_without_the_password() {
    for verbose in [false, true] {
        for command in [&["report", "totals"][..], &["check"], &["migrate", "status"]] {
            let started = Instant::now();
            let mut cmd = faqlink();
            if verbose {
                cmd.arg("--verbose");
            }
            let out = cmd
                .args(["--database-url", "postgres://u:s3cret@127.0.0.1:1/db"])
                .args(command)
                .timeout(Duration::from_secs(30))
                .output()
                .unwrap();
            let context = format!("{command:?} verbose={verbose}");
            assert!(started.elapsed() < Duration::from_secs(5), "{context}: took {:?}", started.elapsed());
            let message = failure(&out, 1, &context);
            names(&message, &["127.0.0.1", "connect"], &context);
            for stream in [&out.stdout, &out.stderr] {
                assert!(!String::from_utf8_lossy(stream).contains("s3cret"), "{context}: {message}");
            }
        }
    }
}

#[test]
fn encoded_passwords_are_never_printed() {
    if skip_pg() {
        eprintln!("FAQLINK_TEST_SKIP_PG=1: skipping (needs the PostgreSQL server)");
        return;
    }
    let server = pg_server();
    let rest = server.strip_prefix("postgres://").expect("FAQLINK_TEST_PG is a postgres:// URL");
    let (user, host) = rest.split_once('@').map_or(("postgres", rest), |(u, h)| (u.split(':').next().unwrap(), h));
    let secrets = ["p%40ss%2Fw0rd", "p@ss/w0rd", "p%40ss", "p@ss", "w0rd", "qs3cret"];
    for url in [
        format!("postgres://{user}:p%40ss%2Fw0rd@{host}/faqlink_no_such_db"),
        format!("postgres://{user}@{host}/faqlink_no_such_db?password=qs3cret"),
        format!("postgresql://{user}:p%40ss%2Fw0rd@{host}/faqlink_no_such_db?sslmode=disable&password=qs3cret"),
    ] {
        for verbose in [false, true] {
            for command in [&["report", "all"][..], &["check"], &["migrate", "status"]] {
                let mut cmd = faqlink();
                if verbose {
                    cmd.arg("--verbose");
                }
                let out = cmd.arg("--database-url").arg(&url).args(command).output().unwrap();
                let context = format!("{command:?} verbose={verbose}");
                let message = failure(&out, 1, &context);
                names(&message, &["faqlink_no_such_db"], &context);
                for stream in [&out.stdout, &out.stderr] {
                    let text = String::from_utf8_lossy(stream);
                    for s in secrets {
                        assert!(!text.contains(s), "{context}: printed {s:?}: {text}");
                    }
                }
            }
        }
    }
}

#[test]
fn a_database_without_the_tables_is_a_runtime_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    let status = Command::new("sqlite3").arg(&path).arg("create table t(a)").status().expect("the sqlite3 client");
    assert!(status.success());
    let before = std::fs::read(&path).unwrap();
    for command in [&["report", "totals"][..], &["report", "all", "--format", "json"], &["report", "weekly"]] {
        let out = faqlink().arg("--database-url").arg(&path).args(command).output().unwrap();
        let message = failure(&out, 1, &format!("{command:?}"));
        names(&message, &["x.db", "expert_feedback"], "no tables");
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "a read command changed the file");
}

#[test]
fn unwritable_output_is_a_runtime_error_and_leaves_nothing() {
    let db = TestDb::migrated(Backend::Sqlite);
    data::load(&db, &data::generate(1));
    for (format, file) in [("csv", "/nonexistent-dir/x.csv"), ("table", "/nonexistent-dir/x.txt")] {
        let out = faqlink()
            .arg("--database-url")
            .arg(db.url())
            .args(["report", "all", "--format", format, "--output", file])
            .output()
            .unwrap();
        let message = failure(&out, 1, &format!("--output {file}"));
        names(&message, &["/nonexistent-dir"], "missing folder");
        assert!(!Path::new("/nonexistent-dir").exists());
    }

    // /dev/full accepts the open and fails the write. It must be written in place: a
    // temporary file renamed over it would replace the device (we may run as root).
    let dev_before: BTreeSet<String> = listing(Path::new("/dev")).into_iter().filter(|n| n.contains("full")).collect();
    for format in ["csv", "json", "markdown", "table"] {
        let out = faqlink()
            .arg("--database-url")
            .arg(db.url())
            .args(["report", "all", "--format", format, "--output", "/dev/full"])
            .output()
            .unwrap();
        let message = failure(&out, 1, &format!("--output /dev/full ({format})"));
        names(&message, &["/dev/full"], "full device");
    }
    let dev_after: BTreeSet<String> = listing(Path::new("/dev")).into_iter().filter(|n| n.contains("full")).collect();
    assert_eq!(dev_after, dev_before, "temporary files left in /dev");
    {
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::metadata("/dev/full").unwrap().file_type().is_char_device(), "/dev/full was replaced");
    }

    // A folder as the output file, and --output-dir below a file (missing folders are
    // created: files::output_dir_creates_missing_parents_and_a_failed_run_removes_them).
    let dir = tempfile::tempdir().unwrap();
    let out = faqlink()
        .arg("--database-url")
        .arg(db.url())
        .args(["report", "all", "--format", "csv", "--output"])
        .arg(dir.path())
        .output()
        .unwrap();
    let message = failure(&out, 1, "--output DIR");
    names(&message, &[&dir.path().display().to_string()], "--output DIR");
    std::fs::write(dir.path().join("plain"), "").unwrap();
    let missing = dir.path().join("plain").join("deeper");
    let out = faqlink()
        .arg("--database-url")
        .arg(db.url())
        .args(["report", "all", "--format", "csv", "--output-dir"])
        .arg(&missing)
        .output()
        .unwrap();
    let message = failure(&out, 1, "--output-dir missing");
    names(&message, &[&missing.display().to_string()], "--output-dir missing");
    assert_eq!(listing(dir.path()).into_iter().collect::<Vec<_>>(), ["plain"]);
}

#[test]
fn fail_on_any_exits_3_and_still_writes_the_report() {
    let db = TestDb::migrated(Backend::Sqlite);
    data::load(&db, &data::generate(1));
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("f.csv");
    let expected =
        faqlink().arg("--database-url").arg(db.url()).args(["report", "orphans", "--format", "csv"]).unwrap();
    let expected = String::from_utf8(expected.stdout).unwrap();
    let rows = expected.lines().count() - 1;
    assert!(rows > 0, "the dataset has orphans");

    let out = faqlink()
        .arg("--database-url")
        .arg(db.url())
        .args(["report", "orphans", "--fail-on-any", "--format", "csv", "--output"])
        .arg(&file)
        .output()
        .unwrap();
    let message = failure(&out, 3, "--fail-on-any with orphans");
    names(&message, &["--fail-on-any", &rows.to_string()], "--fail-on-any");
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written, expected, "f.csv is complete");
    let mut reader = csv::Reader::from_reader(written.as_bytes());
    assert_eq!(reader.headers().unwrap().len(), 6);
    assert_eq!(reader.records().map(Result::unwrap).count(), rows);
    assert_eq!(listing(out_dir.path()), BTreeSet::from(["f.csv".to_string()]));

    // On stdout, and with `report all`: exit 3, the report printed, the one error line.
    for kind in ["orphans", "all"] {
        let out = faqlink()
            .arg("--database-url")
            .arg(db.url())
            .args(["report", kind, "--fail-on-any", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "report {kind}");
        assert!(serde_json::from_slice::<serde_json::Value>(&out.stdout).is_ok(), "report {kind} still printed");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.starts_with("faqlink: error: --fail-on-any") && stderr.lines().count() == 1, "{stderr}");
    }

    // No orphans (an empty database, or a window without them): exit 0.
    let empty = TestDb::migrated(Backend::Sqlite);
    let clean = out_dir.path().join("clean.csv");
    for (url, window) in [(empty.url(), &[][..]), (db.url(), &["--until", "2000-01-01"][..])] {
        let out = faqlink()
            .arg("--database-url")
            .arg(&url)
            .args(["report", "orphans", "--fail-on-any", "--format", "csv", "--output"])
            .arg(&clean)
            .args(window)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty() && out.stdout.is_empty());
        assert_eq!(
            std::fs::read_to_string(&clean).unwrap(),
            "feedback_id,expert_id,professional_registration_number,feedback_timestamp,kind,generated_faq_id\r\n"
        );
    }
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let db = TestDb::sqlite_empty();
    let seeded = faqlink()
        .arg("--database-url")
        .arg(db.url())
        .args(["seed", "--experts", "5", "--feedback", "3000", "--end", "2026-11-23"])
        .output()
        .unwrap();
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    for format in ["table", "csv", "json", "markdown"] {
        // Read a few bytes then close; or close before anything was written.
        for read_first in [true, false] {
            let mut child = faqlink_process()
                .arg("--database-url")
                .arg(db.url())
                .args(["report", "all", "--format", format])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdout = child.stdout.take().unwrap();
            if read_first {
                let mut buf = [0u8; 16];
                stdout.read_exact(&mut buf).unwrap();
            }
            drop(stdout);
            let mut stderr = String::new();
            child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
            let status = child.wait().unwrap();
            let context = format!("{format}, read first: {read_first}");
            assert_eq!(status.code(), Some(0), "{context}: {stderr}");
            assert!(stderr.is_empty(), "{context}: {stderr:?}");
        }
    }
}

/// A SQLite database in `dir` holding `n` feedback rows (so runs can tell databases apart).
fn seeded(dir: &Path, name: &str, n: u32) -> String {
    let path = dir.join(name).display().to_string();
    let out = faqlink()
        .arg("--database-url")
        .arg(&path)
        .args(["seed", "--experts", "1", "--feedback", &n.to_string(), "--end", "2026-11-23"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    path
}

/// `feedback_total` of `report totals` run in `cwd` with `env` and `flag`.
fn feedback_total(cwd: &Path, env: Option<&str>, flag: Option<&str>) -> String {
    let mut cmd = faqlink();
    cmd.current_dir(cwd);
    if let Some(url) = env {
        cmd.env("DATABASE_URL", url);
    }
    if let Some(url) = flag {
        cmd.args(["--database-url", url]);
    }
    let out = cmd.args(["report", "totals", "--format", "csv"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().nth(1).unwrap().split(',').next().unwrap().to_string()
}

#[test]
fn database_url_from_flag_environment_and_dotenv() {
    let dbs = tempfile::tempdir().unwrap();
    let from_env = seeded(dbs.path(), "env.db", 1);
    let from_dotenv = seeded(dbs.path(), "dotenv.db", 2);
    let from_flag = seeded(dbs.path(), "flag.db", 3);
    let plain = tempfile::tempdir().unwrap();
    let with_dotenv = tempfile::tempdir().unwrap();
    std::fs::write(with_dotenv.path().join(".env"), format!("# test\nDATABASE_URL={from_dotenv}\n")).unwrap();

    assert_eq!(feedback_total(plain.path(), Some(&from_env), None), "1", "DATABASE_URL from the environment");
    assert_eq!(feedback_total(with_dotenv.path(), None, None), "2", "DATABASE_URL from ./.env");
    assert_eq!(feedback_total(with_dotenv.path(), Some(&from_env), None), "1", "the environment beats .env");
    assert_eq!(feedback_total(plain.path(), Some(&from_env), Some(&from_flag)), "3", "the flag beats the environment");
    assert_eq!(feedback_total(with_dotenv.path(), None, Some(&from_flag)), "3", "the flag beats .env");
    assert_eq!(feedback_total(with_dotenv.path(), Some(&from_env), Some(&from_flag)), "3", "the flag beats both");
    for dir in [plain.path(), with_dotenv.path()] {
        assert!(!dir.join("faqlink.db").exists(), "the default database was not touched");
    }

    // A .env that points at a missing database is obeyed too (and names it).
    let missing = dbs.path().join("missing.db");
    std::fs::write(with_dotenv.path().join(".env"), format!("DATABASE_URL={}\n", missing.display())).unwrap();
    let out = faqlink().current_dir(with_dotenv.path()).args(["report", "totals"]).output().unwrap();
    let message = failure(&out, 1, ".env with a missing database");
    names(&message, &[&missing.display().to_string()], ".env");
}

/// `--output FILE` without `--format` writes the format the extension names (issue 23: a
/// cron job mailed a "workbook" holding a text table); a contradicting `--format` is refused
/// with exit 2 and nothing written; an extension that names no format keeps the table.
#[test]
fn the_output_extension_chooses_the_format() {
    let dbs = tempfile::tempdir().unwrap();
    let url = seeded(dbs.path(), "ext.db", 50);
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        faqlink().current_dir(dir.path()).args(["--database-url", &url, "report", "all"]).args(args).output().unwrap()
    };
    let starts: &[(&str, &[u8])] = &[
        ("weekly.xlsx", b"PK\x03\x04"),
        ("weekly.HTML", b"<!DOCTYPE html>"),
        ("weekly.json", b"{"),
        ("weekly.csv", b"# experts\r\n"),
        ("weekly.md", b"# "),
        ("weekly.prom", b"# HELP"),
        ("weekly.txt", b"Period: "),
        ("weekly", b"Period: "),
    ];
    for (name, start) in starts {
        let out = run(&["--output", name]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        assert!(bytes.starts_with(start), "{name}: {:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(40)]));
    }
    for (args, needles) in [
        (&["--format", "table", "--output", "no.xlsx"][..], &["--format table", "no.xlsx", "xlsx"][..]),
        (&["--format", "csv", "--output", "no.html"], &["--format csv", "no.html", "html"]),
        (&["--excel", "--output", "no.json"], &["--excel", "no.json"]),
    ] {
        let message = failure(&run(args), 2, &format!("{args:?}"));
        names(&message, needles, &format!("{args:?}"));
        assert!(!listing(dir.path()).iter().any(|n| n.starts_with("no")), "{args:?} wrote a file");
    }
}

/// The demo writes no feedback after the start of the day it runs (the report showed
/// tonight's rows at noon and a week that had not begun), and a window that has not
/// started yet says so in one line on stderr, with exit 0.
#[test]
fn the_demo_invents_no_future_and_a_future_week_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let now = "2026-11-25T10:00:00Z";
    faqlink().current_dir(dir.path()).env("FAQLINK_NOW", now).arg("demo").assert().success();
    let db = TestDb::Sqlite { path: dir.path().join("faqlink.db"), dir };
    let last = db.cli_csv("SELECT MAX(feedback_timestamp) AS last FROM expert_feedback");
    let last = last.lines().nth(1).unwrap().trim_matches('"').to_string();
    assert!(last.as_str() < "2026-11-25" && last.as_str() > "2026-11-24", "the last feedback: {last}");
    // `seed` without --end: the same end, the start of today.
    let seeded = TestDb::migrated(Backend::Sqlite);
    faqlink()
        .env("FAQLINK_NOW", now)
        .args(["--database-url", &seeded.url(), "seed", "--feedback", "200"])
        .assert()
        .success();
    let last_seeded = seeded.cli_csv("SELECT MAX(feedback_timestamp) AS last FROM expert_feedback");
    let last_seeded = last_seeded.lines().nth(1).unwrap().trim_matches('"').to_string();
    assert!(last_seeded.as_str() < "2026-11-25" && last_seeded.as_str() > "2026-11-24", "seed: {last_seeded}");

    let report = |args: &[&str]| {
        faqlink()
            .env("FAQLINK_NOW", now)
            .args(["--database-url", &db.url(), "report", "totals"])
            .args(args)
            .output()
            .unwrap()
    };
    for args in
        [&["--week", "2026-W49"][..], &["--since", "2026-12-01"], &["--week", "2027-W01", "--tz", "Europe/Rome"]]
    {
        let out = report(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("faqlink: note: ") && stderr.contains("has not started yet"), "{stderr}");
        assert!(String::from_utf8(out.stdout).unwrap().contains("Period: "), "the report is still printed");
    }
    for args in [&["--week", "2026-W48"][..], &["--week", "2026-W47"], &["--since", "2026-11-25"], &[]] {
        let out = report(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(out.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// `--tz Europe/Rome`: the table and the HTML page show orphan times in Rome and their column
/// says so; CSV and JSON keep RFC 3339 UTC under their fixed names. Every orphan row checked.
#[test]
fn orphan_times_are_local_in_human_formats_and_utc_in_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("tz.db").display().to_string();
    faqlink()
        .args(["--database-url", &url, "seed", "--experts", "3", "--feedback", "400", "--deleted-share", "0.3"])
        .args(["--end", "2026-11-23", "--weeks", "30"])
        .assert()
        .success();
    let run = |format: &str| {
        let out = faqlink()
            .args(["--database-url", &url, "report", "orphans", "--tz", "Europe/Rome", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let csv = run("csv");
    assert!(csv.starts_with("feedback_id,expert_id,professional_registration_number,feedback_timestamp,"));
    let times: Vec<chrono::DateTime<chrono::Utc>> =
        csv.lines().skip(1).map(|l| l.split(',').nth(3).unwrap().parse().unwrap()).collect();
    assert!(times.len() > 10, "orphans across summer and winter time: {}", times.len());
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let table = run("table");
    let html = run("html");
    let markdown = run("markdown");
    assert!(table.contains("When (Europe/Rome)") && !table.contains("(UTC)"), "{table}");
    assert!(html.contains(">When (Europe/Rome)</th>") && !html.contains("When (UTC)"));
    assert!(markdown.contains("| When (Europe/Rome) |") && !markdown.contains("(UTC)"), "{markdown}");
    let rome = chrono_tz::Europe::Rome;
    for (i, t) in times.iter().enumerate() {
        let utc = t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        assert!(utc.ends_with('Z'));
        assert_eq!(json["orphans"][i]["feedback_timestamp"], utc.as_str(), "JSON keeps UTC");
        let local = t.with_timezone(&rome).format("%Y-%m-%d %H:%M").to_string();
        assert!(table.contains(&local), "table: {local} (UTC {utc})");
        assert!(
            html.contains(&format!("<td class=\"when\" data-label=\"When (Europe/Rome)\">{local}</td>")),
            "html: {local} (UTC {utc})"
        );
        assert!(!html.contains(&t.format("%Y-%m-%d %H:%M").to_string()), "html: no UTC time {utc}");
        assert!(markdown.contains(&format!(" | {local} | ")), "markdown: {local} (UTC {utc})");
        assert!(!markdown.contains(&t.format("%Y-%m-%d %H:%M").to_string()), "markdown: no UTC time {utc}");
        assert!(!markdown.contains(&utc), "markdown: no RFC 3339 UTC {utc}");
    }
    moved_periods_are_local_in_human_formats(&url);
}

/// `report moved`'s headline: the bounds of both periods in `--tz` under titles naming the
/// zone in the table, Markdown and HTML; CSV and JSON keep UTC. The window (October 2026 in
/// Rome) ends in winter time, the period before it (31 days) starts in summer time.
fn moved_periods_are_local_in_human_formats(url: &str) {
    let run = |format: &str| {
        let out = faqlink()
            .args(["--database-url", url, "report", "moved", "--tz", "Europe/Rome", "--format", format])
            .args(["--since", "2026-10-01", "--until", "2026-11-01"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    // Each bound: its name, in UTC (CSV, JSON), shown in Rome (table, Markdown, HTML).
    let bounds = [
        ("before_since", "2026-08-30T21:00:00Z", "2026-08-30 23:00"),
        ("before_until", "2026-09-30T22:00:00Z", "2026-10-01 00:00"),
        ("after_since", "2026-09-30T22:00:00Z", "2026-10-01 00:00"),
        ("after_until", "2026-10-31T23:00:00Z", "2026-11-01 00:00"),
    ];
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let csv = run("csv");
    let utc_row = bounds.map(|(_, utc, _)| utc).join(",");
    assert!(csv.lines().any(|l| l.starts_with(&utc_row)), "{csv}");
    for (name, utc, _) in bounds {
        assert_eq!(json["moved_summary"][name], utc, "JSON keeps UTC: {}", json["moved_summary"]);
    }
    let (table, markdown, html) = (run("table"), run("markdown"), run("html"));
    for title in ["Before: from", "Before: until", "After: from", "After: until"] {
        let zoned = format!("{title} (Europe/Rome)");
        assert!(table.contains(&zoned), "table: {zoned}\n{table}");
        assert!(markdown.contains(&format!("| {zoned} |")), "markdown: {zoned}\n{markdown}");
        assert!(html.contains(&format!(">{zoned}</th>")), "html: {zoned}");
    }
    for text in [&table, &markdown, &html] {
        assert!(
            !text.contains("(UTC)") && !text.contains("2026-08-30 21") && !text.contains("2026-09-30 22"),
            "{text}"
        );
        for (_, _, local) in bounds {
            assert!(text.contains(local), "{local} in\n{text}");
        }
    }
}

/// The README's first command installs only what the build and the demo need; the second
/// (which CI runs, exactly) installs what the tests need. Both scripts run here on a PATH
/// where no tool is installed and `apt-get`, `dpkg`, `sudo` and `cargo` are stubs that log
/// what they are asked (and no PostgreSQL is wanted: the stub installs none).
#[test]
fn setup_installs_the_build_needs_and_test_the_test_needs() {
    use std::os::unix::fs::PermissionsExt;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let (bin, repo, log) = (tmp.path().join("bin"), tmp.path().join("repo"), tmp.path().join("log"));
    std::fs::create_dir_all(repo.join("scripts")).unwrap();
    std::fs::create_dir(&bin).unwrap();
    for script in ["setup.sh", "test.sh"] {
        std::fs::copy(root.join("scripts").join(script), repo.join("scripts").join(script)).unwrap();
    }
    for tool in ["bash", "env", "id", "dirname", "cat", "head", "ls", "seq", "sleep"] {
        let real = ["/usr/bin", "/bin"].iter().map(|d| Path::new(d).join(tool)).find(|p| p.exists()).unwrap();
        std::os::unix::fs::symlink(real, bin.join(tool)).unwrap();
    }
    let stubs = [
        ("apt-get", "echo \"apt-get $*\" >> \"$LOG\""),
        ("dpkg", "exit 1"),
        ("sudo", "\"$@\""),
        ("cargo", "echo \"cargo $*\" >> \"$LOG\""),
    ];
    for (name, body) in stubs {
        let path = bin.join(name);
        std::fs::write(&path, format!("#!/usr/bin/env bash\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let run = |script: &str| {
        std::fs::write(&log, "").unwrap();
        let out = Command::new(bin.join("bash"))
            .arg(repo.join("scripts").join(script))
            .env_clear()
            .env("PATH", &bin)
            .env("LOG", &log)
            .env("FAQLINK_TEST_PG_BIN", tmp.path().join("no-postgres"))
            .env("FAQLINK_TEST_SKIP_PG", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
        let installs: Vec<Vec<String>> = std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("apt-get install -y -qq "))
            .map(|l| l.split(' ').map(String::from).collect())
            .collect();
        (installs, std::fs::read_to_string(&log).unwrap())
    };
    let (setup, _) = run("setup.sh");
    assert_eq!(setup, [["libssl-dev", "pkg-config"]], "setup.sh installs the build's needs only");
    let (test, log_text) = run("test.sh");
    assert_eq!(test.len(), 2, "{log_text}");
    assert_eq!(test[0], ["libssl-dev", "pkg-config"], "test.sh builds too");
    for package in
        ["sqlite3", "postgresql-client", "chromium", "prometheus", "postgresql-15", "man-db", "util-linux", "acl"]
    {
        assert!(test[1].iter().any(|p| p == package), "test.sh installs {package}: {test:?}");
    }
    assert!(log_text.ends_with(
        "cargo fmt --all -- --check\ncargo clippy --all-targets --quiet -- -D warnings\ncargo test --all-targets\n"
    ));

    // The README's two commands, and CI runs exactly the second.
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let block = readme.split("## Two commands").nth(1).unwrap().split("```").nth(1).unwrap();
    let commands: Vec<&str> = block.lines().skip(1).map(|l| l.split('#').next().unwrap().trim()).collect();
    assert_eq!(commands, ["./scripts/setup.sh && cargo run --release -- demo", "./scripts/test.sh"]);
    // The README names every tool test.sh wants (`want TOOL PACKAGE`), by tool or package.
    let script = std::fs::read_to_string(root.join("scripts/test.sh")).unwrap();
    for want in script.lines().filter_map(|l| l.strip_prefix("want ")) {
        let words: Vec<&str> = want.split_whitespace().take(2).collect();
        let named = |w: &str| readme.contains(&format!("`{}`", w.rsplit('/').next().unwrap()));
        let package_or_server = named(words[1]) || words[1].starts_with("postgresql-");
        assert!(named(words[0]) || package_or_server, "the README lists what test.sh installs: {want}");
    }
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert_eq!(ci.lines().filter(|l| !l.starts_with('#') && l.contains("scripts/")).collect::<Vec<_>>(), [commands[1]]);
}

/// Every `faqlink …` line of the README's shell blocks is a command line faqlink accepts
/// (report lines pass the whole option check: formats, extensions, windows), and a file or
/// folder named for an ISO week holds that week (`--week 2026-W47`), not the whole history.
#[test]
fn readme_examples_parse_and_a_folder_named_for_a_week_holds_that_week() {
    use clap::Parser;
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut checked = 0;
    for block in readme.split("```sh").skip(1).map(|b| b.split("```").next().unwrap()) {
        for line in block.lines() {
            let command = line.split(" #").next().unwrap().split(['>', '&']).next().unwrap().trim();
            let Some(command) = command.strip_prefix("sudo ").or(Some(command)).filter(|c| c.starts_with("faqlink "))
            else {
                continue;
            };
            let words: Vec<&str> = command.split_whitespace().collect();
            let cli = faqlink::cli::Cli::try_parse_from(&words).unwrap_or_else(|e| panic!("{command}: {e}"));
            if let faqlink::cli::Command::Report(args) = cli.command {
                faqlink::config::report(&args).unwrap_or_else(|e| panic!("{command}: {e}"));
                for name in words.iter().filter(|w| w.contains("-W")) {
                    if let Some(at) = name.find("-W").filter(|_| !name.starts_with("20")) {
                        let week = &name[at - 4..at + 4];
                        assert!(
                            words.windows(2).any(|w| w == ["--week", week]),
                            "{command}: {name} is named for {week} but holds another period"
                        );
                    }
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 12, "{checked} README commands");
}
