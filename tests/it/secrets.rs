//! Secrets: a password never reaches stdout, stderr or a file name, whatever the spelling of
//! the connection string, the command, `--verbose`, or where the string came from (argument,
//! environment, `.env`); a `.env` is read only when needed and never echoed.

use std::collections::BTreeSet;
use std::process::Output;
use std::time::Duration;

use faqlink::db::Backend;

use crate::harness::{faqlink, listing, pg_server, skip_pg, TestDb};

/// Every command that opens the database.
const COMMANDS: [&[&str]; 6] =
    [&["check"], &["report", "all"], &["migrate", "status"], &["migrate"], &["seed", "--feedback", "10"], &["demo"]];

/// Passwords that are words (or letters) of libpq's messages, with a raw `@`, and a random one.
const PASSWORDS: [&str; 4] = ["server", "p", "pa@ss", "Zq9Xk7Lm"];

/// Where the connection string comes from.
#[derive(Debug, Clone, Copy)]
enum Channel {
    Argument,
    Environment,
    DotEnv,
}

/// Runs `command` in a fresh folder with `url` given through `channel`; returns the output and
/// what the folder holds afterwards (besides a `.env` the test wrote).
fn run(url: &str, channel: Channel, verbose: bool, command: &[&str]) -> (Output, BTreeSet<String>) {
    let cwd = tempfile::tempdir().unwrap();
    let mut cmd = faqlink();
    cmd.current_dir(cwd.path()).timeout(Duration::from_secs(30));
    match channel {
        Channel::Argument => {
            cmd.args(["--database-url", url]);
        }
        Channel::Environment => {
            cmd.env("DATABASE_URL", url);
        }
        Channel::DotEnv => {
            // Single quotes: dotenvy takes the value literally; double quotes (escaped) when
            // the value has a single quote itself.
            let value = if url.contains('\'') {
                format!("\"{}\"", url.replace('\\', "\\\\").replace('"', "\\\"").replace('$', "\\$"))
            } else {
                format!("'{url}'")
            };
            std::fs::write(cwd.path().join(".env"), format!("# faqlink\nDATABASE_URL={value}\n")).unwrap();
        }
    }
    if verbose {
        cmd.arg("--verbose");
    }
    let out = cmd.args(command).output().unwrap();
    let mut files = listing(cwd.path());
    files.remove(".env");
    (out, files)
}

/// The connection strings of each leak class, `{PW}` standing for the password, and the exit
/// code faqlink must give.
fn leak_classes() -> Vec<(&'static str, String, i32)> {
    let server = pg_server().replace("postgres://", "").replace("postgres@", "");
    let mut cases = vec![
        ("URL, refused connection", "postgres://u:{PW}@127.0.0.1:1/db".to_string(), 1),
        ("URL, capitalised scheme", "Postgres://u:{PW}@127.0.0.1:1/db".to_string(), 1),
        ("URL, ?password=", "postgres://u@127.0.0.1:1/db?password={PW}".to_string(), 1),
        ("URL, host not found", "postgres://u:{PW}@faqlink-no-such-host.invalid/db".to_string(), 1),
        ("keyword string", "host=127.0.0.1 port=1 user=u password={PW} dbname=db".to_string(), 1),
        ("keyword string, quoted", "host=127.0.0.1 port=1 password='{PW} x' dbname=db".to_string(), 1),
        ("keyword string, unknown keyword", "host=h password={PW} bogus=1".to_string(), 2),
        ("keyword string, unclosed quote", "host=h password='{PW}".to_string(), 2),
        ("no colon", "postgres//u:{PW}@127.0.0.1/db".to_string(), 2),
        ("one slash", "postgres:/u:{PW}@127.0.0.1/db".to_string(), 2),
        ("no slashes", "postgresql:u:{PW}@127.0.0.1/db".to_string(), 2),
        ("wrapped in quotes", "\"postgres://u:{PW}@127.0.0.1:1/db\"".to_string(), 2),
        ("userinfo without a scheme", "u:{PW}@127.0.0.1/db".to_string(), 2),
        ("sqlite:// with userinfo", "sqlite://u:{PW}@h/db".to_string(), 2),
        ("unknown scheme", "mysql://u:{PW}@h/db".to_string(), 2),
        ("malformed URL", "postgres://u:{PW}@h:notaport/db".to_string(), 2),
    ];
    if !skip_pg() {
        // The real server answering: a database that does not exist, a parameter libpq rejects.
        cases.push(("server: no such database", format!("postgres://postgres:{{PW}}@{server}/faqlink_no_such_db"), 1));
        cases.push(("server: bad sslmode", format!("postgres://postgres:{{PW}}@{server}/postgres?sslmode=bogus"), 1));
        cases.push((
            "server: keyword string, no such database",
            format!("host=127.0.0.1 port={} user=postgres password={{PW}} dbname=faqlink_no_such_db", port_of(&server)),
            1,
        ));
    } else {
        eprintln!("FAQLINK_TEST_SKIP_PG=1: skipping the cases with a real server");
    }
    cases
}

fn port_of(server: &str) -> &str {
    server.rsplit(':').next().unwrap()
}

/// The connection string with the password put in raw (`pa@ss` is a raw `@` in the password).
fn fill(template: &str, pw: &str) -> String {
    template.replace("{PW}", pw)
}

/// Runs one leak class on every command, channel and `--verbose`, with every password; the
/// first violation found, if any.
fn check_class(class: &str, template: &str, code: i32) -> Option<String> {
    for command in COMMANDS {
        for channel in [Channel::Argument, Channel::Environment, Channel::DotEnv] {
            for verbose in [false, true] {
                let context = format!("{class} / {command:?} / {channel:?} / verbose={verbose}");
                let mut seen: Option<(String, String)> = None;
                for pw in PASSWORDS {
                    let (out, files) = run(&fill(template, pw), channel, verbose, command);
                    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
                    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                    let fail = |what: &str| Some(format!("{context} pw={pw}: {what}: {stderr}"));
                    if out.status.code() != Some(code) {
                        return fail(&format!("exit {:?}, expected {code}", out.status.code()));
                    }
                    if !stderr.starts_with("faqlink: error: ") || stderr.contains("panicked") {
                        return fail("not a faqlink error line");
                    }
                    if !files.is_empty() {
                        return fail(&format!("created {files:?}"));
                    }
                    // (`server` and `p` are words of the messages themselves: the comparison
                    // below covers them.)
                    if pw.contains(|c: char| c.is_ascii_digit() || c == '@')
                        && (stderr.contains(pw) || stdout.contains(pw) || stderr.contains("ss@"))
                    {
                        return fail("printed the password");
                    }
                    // The strongest form: what faqlink prints does not depend on the password
                    // at all, so nothing about it can be read back.
                    match &seen {
                        None => seen = Some((stdout, stderr)),
                        Some((o, e)) if (o, e) != (&stdout, &stderr) => {
                            return fail(&format!("output depends on the password (with {:?}: {e:?})", PASSWORDS[0]))
                        }
                        Some(_) => {}
                    }
                }
            }
        }
    }
    None
}

#[test]
fn no_password_leaks_through_any_command_channel_or_spelling() {
    let classes = leak_classes();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    // Two workers: each run is a short process start.
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((class, template, code)) = classes.get(i) else { break };
                if let Some(f) = check_class(class, template, *code) {
                    failures.lock().unwrap().push(f);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} leak classes failed:\n{}",
        failures.len(),
        classes.len(),
        failures.join("\n")
    );
}

#[test]
fn a_bad_dotenv_line_is_named_by_number_and_never_shown() {
    let db = TestDb::migrated(Backend::Sqlite);
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join(".env"),
        "# settings\nOTHER=1\nSOME_API_KEY=sk-live-abc and more\nDATABASE_URL=x.db\n",
    )
    .unwrap();
    let ok = |args: &[&str], env: Option<&str>| {
        let mut cmd = faqlink();
        cmd.current_dir(cwd.path()).args(args);
        if let Some(url) = env {
            cmd.env("DATABASE_URL", url);
        }
        let out = cmd.output().unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{args:?}: {all}");
        assert!(!all.contains("sk-live"), "{args:?}: {all}");
    };
    // Not needed, not read: help, version, and a database given by flag or environment.
    ok(&["--help"], None);
    ok(&["--version"], None);
    ok(&["report", "--help"], None);
    ok(&["--database-url", &db.url(), "report", "totals"], None);
    ok(&["report", "totals"], Some(&db.url()));
    // Needed: exit 2, the line number, not its contents; on every command, with --verbose.
    for command in COMMANDS {
        for verbose in [false, true] {
            let mut cmd = faqlink();
            cmd.current_dir(cwd.path());
            if verbose {
                cmd.arg("--verbose");
            }
            let out = cmd.args(command).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command:?}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(stderr.contains(".env: line 3 does not parse"), "{command:?}: {stderr}");
            assert!(!stderr.contains("sk-live") && !stderr.contains("SOME_API_KEY"), "{stderr}");
            assert!(out.stdout.is_empty());
        }
    }
    assert_eq!(listing(cwd.path()), BTreeSet::from([".env".to_string()]), "nothing created");
}

#[test]
fn keyword_strings_and_capitalised_schemes_reach_postgres() {
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    let TestDb::Postgres { name } = &db else { unreachable!() };
    let server = pg_server().replace("postgres://", "");
    let (user_host, port) = server.rsplit_once(':').unwrap();
    let (user, host) = user_host.split_once('@').unwrap();
    // Trust authentication: the password is accepted and ignored, so the run succeeds.
    for url in [
        format!("host={host} port={port} user={user} password='se cret' dbname={name}"),
        format!("Postgres://{user}:server@{host}:{port}/{name}"),
        format!("POSTGRESQL://{user}:pa@ss@{host}:{port}/{name}"),
    ] {
        let out = faqlink().args(["--database-url", &url, "--verbose", "migrate", "status"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{url}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("8 applied, 0 pending"), "{url}: {stdout}");
        for secret in ["se cret", "server", "pa@ss", "pa%40ss"] {
            assert!(!stdout.contains(secret), "{url}: {stdout}");
        }
    }
}
