//! Secrets: a password never reaches stdout, stderr or a file name, whatever the spelling of
//! the connection string, the command, `--verbose`, or where the string came from (argument,
//! environment, `.env`); a `.env` is read only when needed and never echoed.

use std::collections::BTreeSet;
use std::process::Output;
use std::time::Duration;

use faqlink::db::{Backend, DatabaseUrl};

use crate::harness::{faqlink, listing, pg_server, skip_pg, TestDb};

/// Every command that opens the database.
const COMMANDS: [&[&str]; 6] =
    [&["check"], &["report", "all"], &["migrate", "status"], &["migrate"], &["seed", "--feedback", "10"], &["demo"]];

/// The property's commands: [`COMMANDS`], the migrations' other writers and a plan. A
/// `migrate revert` that succeeds is undone at once (`migrate`), so the shared databases keep
/// their schema.
const PROPERTY_COMMANDS: [&[&str]; 9] = [
    &["check"],
    &["report", "all"],
    &["migrate", "status"],
    &["migrate"],
    &["seed", "--feedback", "10"],
    &["demo"],
    &["migrate", "revert"],
    &["migrate", "redo"],
    &["report", "all", "--explain"],
];

/// Passwords that are words (or letters) of libpq's messages, with an encoded `@` (a raw one
/// is refused, see `generated_passwords_never_leak`), and a random one.
const PASSWORDS: [&str; 4] = ["server", "p", "pa%40ss", "Zq9Xk7Lm"];

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

/// The passwords of [`PASSWORDS`] that are words (or letters) of libpq's messages.
const WORDS: [&str; 2] = ["server", "p"];

/// A connection error line up to its cause: `faqlink: error: cannot connect to PRINTED`.
fn before_cause(line: &str) -> &str {
    let Some(at) = line.find("cannot connect to ") else { return line };
    line[at..].find(": ").map_or(line, |end| &line[..at + end])
}

/// Runs one leak class on every command, channel and `--verbose`, with every password; the
/// first violation found, if any.
fn check_class(class: &str, template: &str, code: i32) -> Option<String> {
    for command in COMMANDS {
        for channel in [Channel::Argument, Channel::Environment, Channel::DotEnv] {
            for verbose in [false, true] {
                let context = format!("{class} / {command:?} / {channel:?} / verbose={verbose}");
                let mut outputs = Vec::new();
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
                    outputs.push((pw, stdout, stderr));
                }
                // The strongest form: what faqlink prints does not depend on the password,
                // so nothing about it can be read back; except that a password that is a word
                // (or letter) of libpq's message hides that message, which faqlink then puts
                // in its own words (the same up to the cause).
                let (_, o, e) = outputs.pop().expect("the random password, last");
                for (pw, stdout, stderr) in outputs {
                    let hidden = WORDS.contains(&pw)
                        && stderr.contains("libpq's message is not shown")
                        && before_cause(&stderr) == before_cause(&e);
                    if (&stdout, &stderr) != (&o, &e) && !(hidden && stdout == o) {
                        let random = PASSWORDS[PASSWORDS.len() - 1];
                        return Some(format!(
                            "{context} pw={pw}: output depends on the password (with {random:?}: {e:?}): {stderr}"
                        ));
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
fn keyword_strings_multi_host_urls_and_capitalised_schemes_reach_postgres() {
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    let TestDb::Postgres { name } = &db else { unreachable!() };
    let server = pg_server().replace("postgres://", "");
    let (user_host, port) = server.rsplit_once(':').unwrap();
    let (user, host) = user_host.split_once('@').unwrap();
    // Trust authentication: the password is accepted and ignored, so the run succeeds.
    for url in [
        format!("host={host} port={port} user={user} password='se cret' dbname={name}"),
        // libpq's single-quoted values (the quotes are not part of the value).
        format!("host='{host}' port='{port}' user='{user}' password='my pw' dbname='{name}' options='-c statement_timeout=0'"),
        format!("host={host} port={port} user={user} password=se\\ cret dbname={name}"),
        format!("Postgres://{user}:server@{host}:{port}/{name}"),
        format!("POSTGRESQL://{user}:pa%40ss@{host}:{port}/{name}"),
        // Several hosts with ports: libpq tries them in turn (the first refuses).
        format!("postgres://{user}:server@{host}:1,{host}:{port}/{name}"),
    ] {
        let out = faqlink().args(["--database-url", &url, "--verbose", "migrate", "status"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{url}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("8 applied, 0 pending"), "{url}: {stdout}");
        for secret in ["se cret", "my pw", "server", "pa@ss", "pa%40ss", "statement_timeout"] {
            assert!(!stdout.contains(secret), "{url}: {stdout}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The property: generated passwords never leak, whatever their characters, the form of the
// connection string, where it comes from, the command, `--verbose`, success or failure.
// ---------------------------------------------------------------------------------------------

/// URL-reserved characters (RFC 3986's gen-delims and sub-delims), `%`, and characters a URL
/// must percent-encode that people put in passwords.
const RESERVED: [char; 22] =
    [':', '/', '?', '#', '[', ']', '@', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', '%', ' ', '"', '\\'];

/// Some non-ASCII characters (2, 3 and 4 UTF-8 bytes).
const NON_ASCII: [char; 6] = ['é', 'ß', 'Ω', '€', '中', '😀'];

/// The longest generated password.
const MAX_LEN: usize = 40;

/// Cases: every reserved character at every position of a 40-character password, three
/// times (the rest of each password random).
const CASES: usize = RESERVED.len() * MAX_LEN * 3;

/// How the password is put into the connection string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `postgres://user:ENCODED@host:port/db`
    UrlEncoded,
    /// `postgres://user:RAW@host:port/db`
    UrlRaw,
    /// `postgres://user@host:port/db?password=ENCODED`
    QueryEncoded,
    /// `postgres://user@host:port/db?password=RAW`
    QueryRaw,
    /// `postgres://user@host:port/db?PASSWORD=ENCODED`
    QueryUpper,
    /// `host=… password='QUOTED' …`
    KeywordQuoted,
    /// `host=… password=ESCAPED …` (`\` before spaces, quotes and backslashes)
    KeywordEscaped,
    /// `host=… password=RAW …`
    KeywordRaw,
    /// `host=… passwd='QUOTED' …` (and `pwd`, `pasword`, `db_password`, `PGPASSWORD`)
    NearKeyword,
    /// `postgress://user@host:port/db?passwd=ENCODED`
    NearScheme,
    /// `postgres:RAW`
    NoSlashes,
    /// `host=… options='-c QUOTED' …`: the secret in a hidden keyword the server echoes
    /// unquoted (`-c … requires a value`).
    KeywordOptions,
    /// `postgres://user@host:port/db?options=-c%20ENCODED`
    QueryOptions,
    /// `host=… application_name=QUOTED …` (and `sslpassword`, `passfile`, `sslkey` in turn)
    OtherHidden,
}

const FORMS: [Form; 14] = [
    Form::UrlEncoded,
    Form::UrlRaw,
    Form::QueryEncoded,
    Form::QueryRaw,
    Form::QueryUpper,
    Form::KeywordQuoted,
    Form::KeywordEscaped,
    Form::KeywordRaw,
    Form::NearKeyword,
    Form::NearScheme,
    Form::NoSlashes,
    Form::KeywordOptions,
    Form::QueryOptions,
    Form::OtherHidden,
];

/// Where the string comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Argument,
    Environment,
    DotEnv,
    /// By mistake as a positional argument after the command.
    Positional,
}

const SOURCES: [Source; 4] = [Source::Argument, Source::Environment, Source::DotEnv, Source::Positional];

/// What the connection meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    /// The test server (trust authentication: the password is ignored): success.
    TrustServer,
    /// A private cluster that requires the password (SCRAM) with the right one: success.
    RightPassword,
    /// The same cluster with a wrong password: "password authentication failed".
    WrongPassword,
    /// A host that does not resolve.
    WrongHost,
    /// A port nothing listens on.
    RefusedPort,
    /// A port that is not a port number.
    InvalidPort,
}

/// Failures are cheaper than successes (which print `report all`): weighted 2 to 1.
const SCENARIOS: [Scenario; 9] = [
    Scenario::TrustServer,
    Scenario::RightPassword,
    Scenario::WrongPassword,
    Scenario::WrongHost,
    Scenario::RefusedPort,
    Scenario::InvalidPort,
    Scenario::WrongPassword,
    Scenario::WrongHost,
    Scenario::RefusedPort,
];

/// Where a connection string points.
#[derive(Debug, Clone)]
struct Server {
    host: String,
    port: String,
    user: String,
    db: String,
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn keyword_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn keyword_escaped(s: &str) -> String {
    s.chars().fold(String::new(), |mut out, c| {
        if c.is_whitespace() || c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

/// The password as written into the string (for forms that write it transformed).
fn written(form: Form, pw: &str) -> String {
    match form {
        Form::UrlEncoded | Form::QueryEncoded | Form::QueryUpper | Form::NearScheme | Form::QueryOptions => {
            percent_encode(pw)
        }
        Form::KeywordQuoted | Form::NearKeyword | Form::KeywordOptions | Form::OtherHidden => keyword_quoted(pw),
        Form::KeywordEscaped => keyword_escaped(pw),
        Form::UrlRaw | Form::QueryRaw | Form::KeywordRaw | Form::NoSlashes => pw.to_string(),
    }
}

fn connection_string(form: Form, pw: &str, s: &Server, case: usize) -> String {
    let w = written(form, pw);
    let Server { host, port, user, db } = s;
    match form {
        Form::UrlEncoded | Form::UrlRaw => format!("postgres://{user}:{w}@{host}:{port}/{db}"),
        Form::QueryEncoded | Form::QueryRaw => format!("postgres://{user}@{host}:{port}/{db}?password={w}"),
        Form::QueryUpper => format!("postgres://{user}@{host}:{port}/{db}?PASSWORD={w}"),
        Form::KeywordQuoted | Form::KeywordEscaped | Form::KeywordRaw => {
            format!("host={host} port={port} user={user} password={w} dbname={db}")
        }
        Form::NearKeyword => {
            let key = ["passwd", "pwd", "pasword", "db_password", "PGPASSWORD"][case % 5];
            format!("host={host} port={port} user={user} {key}={w} dbname={db}")
        }
        Form::NearScheme => format!("postgress://{user}@{host}:{port}/{db}?passwd={w}"),
        Form::NoSlashes => format!("postgres:{w}"),
        Form::KeywordOptions => {
            format!("host={host} port={port} user={user} options={} dbname={db}", keyword_quoted(&format!("-c {pw}")))
        }
        Form::QueryOptions => format!("postgres://{user}@{host}:{port}/{db}?options=-c%20{w}"),
        Form::OtherHidden => {
            let key = ["application_name", "sslpassword", "passfile", "sslkey"][case % 4];
            format!("host={host} port={port} user={user} {key}={w} dbname={db}")
        }
    }
}

/// Case `case`'s password: 8 to 40 characters of printable ASCII and some non-ASCII, with
/// reserved character `case % 22` at position `case / 22 % 40` (the process run's form is
/// [`form_of`], independent of the character).
fn password(case: usize, rng: &mut rand_chacha::ChaCha8Rng) -> String {
    use rand::Rng;
    let reserved = RESERVED[case % RESERVED.len()];
    let at = case / RESERVED.len() % MAX_LEN;
    let len = rng.gen_range(8.max(at + 1)..=MAX_LEN);
    (0..len)
        .map(|i| {
            if i == at {
                reserved
            } else if rng.gen_bool(0.08) {
                NON_ASCII[rng.gen_range(0..NON_ASCII.len())]
            } else {
                char::from(rng.gen_range(0x20u8..=0x7e))
            }
        })
        .collect()
}

/// The form of case `case`'s process run: `case / 22 % 14`, so that each form meets every
/// reserved character (`case % 22`), each about 8 times over the 2,640 cases.
fn form_of(case: usize) -> Form {
    FORMS[case / RESERVED.len() % FORMS.len()]
}

/// The scenario of case `case`'s process run: `(case + case / 22 + case / 308) % 9`, so that
/// every form meets every scenario from every source (all 14 × 9 × 4 triples), the 9
/// entries of [`SCENARIOS`] about equally often.
fn scenario_of(case: usize) -> Scenario {
    SCENARIOS[(case + case / RESERVED.len() + case / (RESERVED.len() * FORMS.len())) % SCENARIOS.len()]
}

/// The password's twin: every letter, digit and non-ASCII character replaced by another of
/// its kind, everything else kept, so the connection string has the same structure. A
/// window of the password that also appears in the twin's output is faqlink's own text (a
/// word of a message), not a leak.
fn twin(pw: &str) -> String {
    pw.chars()
        .map(|c| match c {
            'a'..='z' => char::from(b'a' + (c as u8 - b'a' + 13) % 26),
            'A'..='Z' => char::from(b'A' + (c as u8 - b'A' + 13) % 26),
            '0'..='9' => char::from(b'0' + (c as u8 - b'0' + 5) % 10),
            c if !c.is_ascii() => {
                let i = NON_ASCII.iter().position(|n| *n == c).unwrap_or(0);
                NON_ASCII[(i + 1) % NON_ASCII.len()]
            }
            c => c,
        })
        .collect()
}

/// The 4-character windows of `secrets` that appear in `text`.
fn windows_in(secrets: &[String], text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for s in secrets {
        let chars: Vec<char> = s.chars().collect();
        for w in chars.windows(4) {
            let w: String = w.iter().collect();
            if text.contains(&w) {
                found.insert(w);
            }
        }
    }
    found
}

/// What faqlink prints, in process, for `s`: the parse's printed form or its refusal, what
/// libpq's messages become when they quote the password or the user, and clap's error for
/// `s` given as a positional argument.
fn printed_in_process(s: &str, pw: &str, with_clap: bool) -> String {
    use clap::CommandFactory;
    thread_local! {
        // faqlink's command line, built once per thread (building it is slow in a debug build).
        static CLI: clap::Command = faqlink::cli::Cli::command();
    }
    let mut out = String::new();
    match DatabaseUrl::parse(Some(s)) {
        Ok(url) => {
            out.push_str(&format!("{url}\n{url:?}\n"));
            for message in [
                format!("connection to server at \"h\", port 1 failed: FATAL:  role \"{pw}\" does not exist"),
                format!("invalid integer value \"{pw}\" for connection option \"port\""),
                format!("could not translate host name \"{pw}\" to address: Name or service not known"),
                format!("connection to server at \"h\", port 1 failed: FATAL:  -c {pw} requires a value"),
                format!("FATAL:  invalid command-line argument for server process: {pw}"),
                "connection to server at \"127.0.0.1\", port 1 failed: Connection refused".to_string(),
            ] {
                out.push_str(&url.connect_failure(&message));
                out.push('\n');
            }
        }
        Err(e) => out.push_str(&format!("{e}\n")),
    }
    let clap_cases = if with_clap {
        vec![vec!["faqlink", "report", "all", s], vec!["faqlink", s, "check"], vec!["faqlink", "seed", "--feedback", s]]
    } else {
        Vec::new()
    };
    for args in clap_cases {
        let os: Vec<std::ffi::OsString> = args.iter().map(std::ffi::OsString::from).collect();
        if let Err(e) = CLI.with(|cli| cli.clone().try_get_matches_from(&os)) {
            out.push_str(&faqlink::clap_error::one_line(&e, &os));
            out.push('\n');
        }
    }
    out
}

/// A cluster of our own whose TCP connections need a password (SCRAM), so "right password"
/// and "wrong password" mean what they say (the shared test server trusts every local
/// connection, so a password there is accepted and ignored). Stopped and removed on drop.
struct PasswordCluster {
    root: tempfile::TempDir,
    port: u16,
    started: bool,
}

fn pg_tool(name: &str) -> std::process::Command {
    let dir = std::env::var("FAQLINK_TEST_PG_BIN").unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".into());
    let bin = std::path::Path::new(&dir).join(name);
    if rustix::process::geteuid().is_root() {
        // initdb refuses to run as root.
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        std::process::Command::new(bin)
    }
}

fn run_tool(mut cmd: std::process::Command, what: &str) {
    let out = cmd.stdin(std::process::Stdio::null()).output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PasswordCluster {
    /// Roles `faqlink_pw_0` and `faqlink_pw_1` (one per worker), database `faqlink_pw`,
    /// migrated and seeded.
    fn start() -> PasswordCluster {
        let root = tempfile::Builder::new().prefix("faqlink-pw-").tempdir().unwrap();
        if rustix::process::geteuid().is_root() {
            let id = |flag: &str| -> u32 {
                let o =
                    std::process::Command::new("id").args([flag, "postgres"]).output().expect("an OS user postgres");
                String::from_utf8_lossy(&o.stdout).trim().parse().expect("id of postgres")
            };
            std::os::unix::fs::chown(root.path(), Some(id("-u")), Some(id("-g"))).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut cluster = PasswordCluster { root, port, started: false };
        let data = cluster.root.path().join("data");
        let mut c = pg_tool("initdb");
        c.arg("-D").arg(&data).args([
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        run_tool(c, "initdb");
        let conf = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nfsync = off\n\
             synchronous_commit = off\nshared_buffers = 16MB\nautovacuum = off\nmax_connections = 40\n",
            cluster.root.path().display()
        );
        let mut f = std::fs::OpenOptions::new().append(true).open(data.join("postgresql.conf")).unwrap();
        std::io::Write::write_all(&mut f, conf.as_bytes()).unwrap();
        let mut c = pg_tool("pg_ctl");
        c.arg("-D").arg(&data).arg("-l").arg(cluster.root.path().join("log")).args(["-w", "-t", "60", "start"]);
        cluster.started = true;
        run_tool(c, "pg_ctl start");
        let mut admin = cluster.admin();
        use diesel::connection::SimpleConnection;
        for sql in [
            "CREATE ROLE faqlink_pw_0 LOGIN SUPERUSER",
            "CREATE ROLE faqlink_pw_1 LOGIN SUPERUSER",
            "CREATE DATABASE faqlink_pw",
        ] {
            admin.batch_execute(sql).unwrap();
        }
        let socket = format!("host={} port={port} user=postgres dbname=faqlink_pw", cluster.root.path().display());
        for args in [&["migrate"][..], &["seed", "--feedback", "60"]] {
            let out = faqlink().args(["--database-url", &socket]).args(args).output().unwrap();
            assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        cluster
    }

    /// A superuser connection over the Unix socket (trusted).
    fn admin(&self) -> diesel::PgConnection {
        use diesel::Connection;
        diesel::PgConnection::establish(&format!(
            "host={} port={} user=postgres dbname=postgres",
            self.root.path().display(),
            self.port
        ))
        .unwrap()
    }
}

impl Drop for PasswordCluster {
    fn drop(&mut self) {
        if self.started {
            let _ = pg_tool("pg_ctl")
                .arg("-D")
                .arg(self.root.path().join("data"))
                .args(["-m", "immediate", "-w", "stop"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

/// One process run: `command` with `s` from `from`, in a fresh folder. Returns the exit code,
/// stdout + stderr, and the files left in the folder (besides the test's `.env`).
fn run_from(s: &str, from: Source, verbose: bool, command: &[&str]) -> (Option<i32>, String, BTreeSet<String>) {
    let cwd = tempfile::tempdir().unwrap();
    // FAQLINK_SECRETS_BIN runs the processes on another build (to show what an older one
    // prints: the test must fail there).
    let mut cmd = match std::env::var_os("FAQLINK_SECRETS_BIN") {
        Some(bin) => {
            let mut c = std::process::Command::new(bin);
            crate::harness::clean_env(&mut c);
            assert_cmd::Command::from_std(c)
        }
        None => faqlink(),
    };
    cmd.current_dir(cwd.path()).timeout(Duration::from_secs(60));
    if verbose {
        cmd.arg("--verbose");
    }
    match from {
        Source::Argument => {
            cmd.args(["--database-url", s]).args(command);
        }
        Source::Environment => {
            cmd.env("DATABASE_URL", s).args(command);
        }
        Source::DotEnv => {
            let value = if s.contains('\'') {
                format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"").replace('$', "\\$"))
            } else {
                format!("'{s}'")
            };
            std::fs::write(cwd.path().join(".env"), format!("# faqlink\nDATABASE_URL={value}\n")).unwrap();
            cmd.args(command);
        }
        Source::Positional => {
            cmd.args(command).arg(s);
        }
    }
    let out = cmd.output().unwrap();
    let mut files = listing(cwd.path());
    files.remove(".env");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text, files)
}

/// The in-process half of [`generated_passwords_never_leak`]: every case in every form.
/// Returns the number of checks and the failures.
fn in_process_checks(passwords: &[String]) -> (usize, Vec<String>) {
    // 1. In process, every case in every form: the printed form or refusal, libpq's messages
    //    as faqlink passes them on, clap's errors. And faqlink reads the password the user
    //    meant whenever it accepts a form that writes it unambiguously.
    let placeholder = Server { host: "127.0.0.1".into(), port: "5432".into(), user: "u".into(), db: "db".into() };
    let mut in_process = 0;
    let started = std::time::Instant::now();
    let mut failures = Vec::new();
    for (case, pw) in passwords.iter().enumerate() {
        for form in FORMS {
            let s = connection_string(form, pw, &placeholder, case);
            // clap's errors (slow to build in a debug build) for one form per case, in turn.
            let with_clap = FORMS[case % FORMS.len()] == form;
            let text = printed_in_process(&s, pw, with_clap);
            let secrets = [pw.clone(), written(form, pw)];
            let hits = windows_in(&secrets, &text);
            if !hits.is_empty() {
                let twin_text =
                    printed_in_process(&connection_string(form, &twin(pw), &placeholder, case), &twin(pw), with_clap);
                let leaks: Vec<_> = hits.iter().filter(|w| !twin_text.contains(w.as_str())).collect();
                if !leaks.is_empty() {
                    failures.push(format!("in process, {form:?}, {s:?}: {leaks:?} in {text}"));
                }
            }
            let parsed = DatabaseUrl::parse(Some(&s));
            let read = parsed.as_ref().ok().and_then(|u| u.target()).and_then(|t| t.get("password"));
            let unambiguous = match form {
                Form::UrlEncoded
                | Form::QueryEncoded
                | Form::QueryUpper
                | Form::KeywordQuoted
                | Form::KeywordEscaped => true,
                // Raw: accepted only when it reads the same (or when RFC 3986 gives `%HH`
                // and the query's `&` their meaning, which the user wrote).
                Form::UrlRaw => parsed.is_ok() && !pw.contains('%'),
                Form::QueryRaw => parsed.is_ok() && !pw.contains(['%', '&']),
                Form::KeywordRaw => {
                    parsed.is_ok() && !pw.contains(|c: char| c.is_whitespace() || c == '\\' || c == '\'')
                }
                Form::NearKeyword | Form::NearScheme => {
                    if parsed.is_ok() {
                        failures.push(format!("in process, {form:?}, {s:?}: accepted"));
                    }
                    false
                }
                Form::NoSlashes | Form::KeywordOptions | Form::QueryOptions | Form::OtherHidden => false,
            };
            if unambiguous && read != Some(pw.as_str()) {
                failures.push(format!("in process, {form:?}, {s:?}: faqlink reads the password as {read:?}"));
            }
            in_process += 1;
        }
    }

    eprintln!("secrets property: in-process checks took {:?}", started.elapsed());
    (in_process, failures)
}

#[test]
fn generated_passwords_never_leak() {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
    let passwords: Vec<String> = (0..CASES).map(|case| password(case, &mut rng)).collect();

    // 2. Processes: each case once, through a combination of command, --verbose, source,
    //    form and scenario taken in turn (so every combination comes up).
    let trust = if skip_pg() { None } else { Some(TestDb::migrated(Backend::Postgres)) };
    if let Some(db) = &trust {
        db.seed(60);
    }
    let cluster = if skip_pg() { None } else { Some(PasswordCluster::start()) };
    if skip_pg() {
        eprintln!("FAQLINK_TEST_SKIP_PG=1: the success and wrong-password scenarios are skipped");
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let counts = std::sync::Mutex::new(std::collections::BTreeMap::<String, usize>::new());
    let process_failures = std::sync::Mutex::new(Vec::new());
    let (in_process, mut failures) = std::thread::scope(|scope| {
        let in_process = scope.spawn(|| in_process_checks(&passwords));
        for worker in 0..2 {
            let (passwords, next, counts, process_failures) = (&passwords, &next, &counts, &process_failures);
            let (trust, cluster) = (&trust, &cluster);
            scope.spawn(move || {
                use diesel::connection::SimpleConnection;
                let mut admin = cluster.as_ref().map(PasswordCluster::admin);
                let role = format!("faqlink_pw_{worker}");
                loop {
                    let case = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(pw) = passwords.get(case) else { break };
                    let command = PROPERTY_COMMANDS[case % PROPERTY_COMMANDS.len()];
                    let verbose = case / PROPERTY_COMMANDS.len() % 2 == 1;
                    let from = SOURCES[case / 18 % SOURCES.len()];
                    let scenario = scenario_of(case);
                    let form = form_of(case);
                    let server = match (scenario, trust, cluster) {
                        (Scenario::TrustServer, Some(TestDb::Postgres { name }), _) => {
                            let server = pg_server().replace("postgres://", "");
                            let (user_host, port) = server.rsplit_once(':').unwrap();
                            let (user, host) = user_host.split_once('@').unwrap();
                            Server { host: host.into(), port: port.into(), user: user.into(), db: name.clone() }
                        }
                        (Scenario::RightPassword | Scenario::WrongPassword, _, Some(c)) => Server {
                            host: "127.0.0.1".into(),
                            port: c.port.to_string(),
                            user: role.clone(),
                            db: "faqlink_pw".into(),
                        },
                        (Scenario::WrongHost, ..) => Server {
                            host: "faqlink-no-such-host.invalid".into(),
                            port: "5432".into(),
                            user: "postgres".into(),
                            db: "db".into(),
                        },
                        (Scenario::InvalidPort, ..) => Server {
                            host: "127.0.0.1".into(),
                            port: "99999".into(),
                            user: "postgres".into(),
                            db: "db".into(),
                        },
                        // RefusedPort, and the server scenarios when PostgreSQL is skipped.
                        _ => Server {
                            host: "127.0.0.1".into(),
                            port: "1".into(),
                            user: "postgres".into(),
                            db: "db".into(),
                        },
                    };
                    let mut attempt = |pw: &str| {
                        if let Some(admin) = admin.as_mut() {
                            let set = match scenario {
                                Scenario::RightPassword => pw.to_string(),
                                _ => "a-different-password".to_string(),
                            };
                            admin
                                .batch_execute(&format!("ALTER ROLE {role} PASSWORD '{}'", set.replace('\'', "''")))
                                .unwrap();
                        }
                        let s = connection_string(form, pw, &server, case);
                        let run = run_from(&s, from, verbose, command);
                        if command == ["migrate", "revert"] && run.0 == Some(0) {
                            run_from(&s, Source::Argument, false, &["migrate"]);
                        }
                        run
                    };
                    let s = connection_string(form, pw, &server, case);
                    let (code, text, files) = attempt(pw);
                    let context =
                        format!("case {case}: {command:?} verbose={verbose} {from:?} {form:?} {scenario:?} {s:?}");
                    let fail =
                        |what: String| process_failures.lock().unwrap().push(format!("{context}: {what}: {text}"));
                    // The exit code: 2 for a string faqlink refuses or a stray argument; else
                    // 0 (or 1 for `seed`, which refuses a database that has data) on success,
                    // 1 on a failed connection.
                    let parses = DatabaseUrl::parse(Some(&s)).is_ok();
                    let expected: &[i32] = if from == Source::Positional || !parses {
                        &[2]
                    } else {
                        match (scenario, server.port.as_str()) {
                            (Scenario::TrustServer, port) if port != "1" => &[0, 1],
                            (Scenario::RightPassword, _) if server.user.starts_with("faqlink_pw") => {
                                if DatabaseUrl::parse(Some(&s)).unwrap().target().unwrap().get("password") == Some(pw) {
                                    &[0, 1]
                                } else {
                                    &[1]
                                }
                            }
                            _ => &[1],
                        }
                    };
                    if !code.is_some_and(|c| expected.contains(&c)) {
                        fail(format!("exit {code:?}, expected one of {expected:?}"));
                    }
                    if code == Some(0) && command[0] != "seed" && scenario == Scenario::WrongPassword {
                        fail("a wrong password was accepted".into());
                    }
                    if text.contains("panicked") || (code != Some(0) && !text.contains("faqlink: error: ")) {
                        fail("not a faqlink error line".into());
                    }
                    // `demo` writes its HTML and XLSX report beside it when it succeeds; nothing
                    // else creates a file (a connection string never becomes a SQLite file).
                    let demo_files = ["faqlink-report.html", "faqlink-report.xlsx"];
                    if files
                        .iter()
                        .any(|f| !(command[0] == "demo" && code == Some(0) && demo_files.contains(&f.as_str())))
                    {
                        fail(format!("left {files:?}"));
                    }
                    let secrets = [pw.clone(), written(form, pw)];
                    let hits = windows_in(&secrets, &text);
                    if !hits.is_empty() {
                        let (_, twin_text, _) = attempt(&twin(pw));
                        let leaks: Vec<_> = hits.iter().filter(|w| !twin_text.contains(w.as_str())).collect();
                        if !leaks.is_empty() {
                            fail(format!("printed {leaks:?}"));
                        }
                        *counts.lock().unwrap().entry("twin runs".into()).or_default() += 1;
                    }
                    let outcome = match code {
                        Some(0) => "exit 0",
                        Some(1) => "exit 1",
                        Some(2) => "exit 2",
                        _ => "other exit",
                    };
                    let mut counts = counts.lock().unwrap();
                    *counts.entry(format!("{scenario:?}")).or_default() += 1;
                    *counts.entry(outcome.to_string()).or_default() += 1;
                    *counts.entry("process runs".into()).or_default() += 1;
                    *counts.entry(format!("{} {outcome}", command.join(" "))).or_default() += 1;
                    *counts.entry(format!("{form:?}")).or_default() += 1;
                }
            });
        }
        in_process.join().unwrap()
    });
    let counts = counts.into_inner().unwrap();
    let pairs: BTreeSet<(char, String)> =
        (0..CASES).map(|case| (RESERVED[case % RESERVED.len()], format!("{:?}", form_of(case)))).collect();
    let triples: BTreeSet<(usize, String)> = (0..CASES)
        .map(|case| (case / 18 % SOURCES.len(), format!("{:?} {:?}", form_of(case), scenario_of(case))))
        .collect();
    eprintln!(
        "secrets property: {CASES} passwords, {in_process} in-process checks, {} of {} (reserved character, form) \
         pairs and {} (source, form, scenario) triples in process runs, processes: {counts:?}",
        pairs.len(),
        RESERVED.len() * FORMS.len(),
        triples.len()
    );
    assert_eq!(pairs.len(), RESERVED.len() * FORMS.len(), "every form meets every reserved character");
    assert_eq!(triples.len(), FORMS.len() * 6 * SOURCES.len(), "every form meets every scenario from every source");
    failures.extend(process_failures.into_inner().unwrap());
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
    assert_eq!(counts.get("process runs"), Some(&CASES));
    const { assert!(CASES >= 2_000) };
    if !skip_pg() {
        // Each scenario really happened: successes, and failures of each kind.
        for (key, at_least) in [("exit 0", 100), ("exit 1", 300), ("exit 2", 300), ("RightPassword", 100)] {
            assert!(counts.get(key).is_some_and(|n| *n >= at_least), "{key}: {counts:?}");
        }
    }
}

#[test]
fn a_dotenv_that_is_not_a_regular_file_is_refused_at_once() {
    let cwd = tempfile::tempdir().unwrap();
    let env = cwd.path().join(".env");
    let fifo = |path: &std::path::Path| {
        rustix::fs::mkfifoat(rustix::fs::CWD, path, rustix::fs::Mode::from_raw_mode(0o600)).unwrap();
    };
    let big = cwd.path().join("big");
    std::fs::write(&big, format!("DATABASE_URL=x.db\n{}", "#".repeat(2 << 20))).unwrap();
    type Make<'a> = Box<dyn Fn() + 'a>;
    let kinds: [(&str, Make); 4] = [
        ("a FIFO nobody writes to", Box::new(|| fifo(&env))),
        ("/dev/zero", Box::new(|| std::os::unix::fs::symlink("/dev/zero", &env).unwrap())),
        ("a folder", Box::new(|| std::fs::create_dir(&env).unwrap())),
        ("2 MiB", Box::new(|| std::os::unix::fs::symlink(&big, &env).unwrap())),
    ];
    for (kind, make) in &kinds {
        make();
        for command in COMMANDS {
            let started = std::time::Instant::now();
            let out =
                faqlink().current_dir(cwd.path()).args(command).timeout(Duration::from_secs(20)).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(started.elapsed() < Duration::from_secs(10), "{kind} {command:?}: took {:?}", started.elapsed());
            assert_eq!(out.status.code(), Some(2), "{kind} {command:?}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{kind} {command:?}: {stderr}");
            let expected = if *kind == "2 MiB" { "larger than 1024 KiB" } else { "not a regular file" };
            assert!(stderr.contains(expected), "{kind} {command:?}: {stderr}");
        }
        // Commands that open no database do not read it.
        let out = faqlink().current_dir(cwd.path()).arg("version").timeout(Duration::from_secs(20)).output().unwrap();
        assert!(out.status.success(), "{kind}: version: {}", String::from_utf8_lossy(&out.stderr));
        if env.is_dir() {
            std::fs::remove_dir(&env).unwrap();
        } else {
            std::fs::remove_file(&env).unwrap();
        }
    }
}

/// A connection string typed into another option (`--since`, `--until`, `--week`, `--tz`,
/// `--delimiter`, or `$FAQLINK_NOW`) is a usage error that names the option and never echoes
/// the value (`error::typed`: values are shown by allow-list), while an ordinary mistake is
/// still quoted so the user sees what they typed.
#[test]
fn a_connection_string_given_to_another_option_is_never_echoed() {
    let db = TestDb::migrated(Backend::Sqlite);
    let pw = "Sec9ret#Xy/pw";
    let strings = [
        format!("postgres://postgres:{}@127.0.0.1:5432/db", percent_encode(pw)),
        format!("host=127.0.0.1 user=postgres password={}", keyword_quoted(pw)),
        format!("postgres:{pw}"),
        format!("pwd={pw}"),
    ];
    let mut runs = 0;
    for s in &strings {
        for option in ["--since", "--until", "--week", "--tz", "--delimiter", "FAQLINK_NOW"] {
            let mut cmd = faqlink();
            cmd.args(["--database-url", &db.url(), "report", "totals", "--format", "csv"]);
            if option == "FAQLINK_NOW" {
                cmd.env("FAQLINK_NOW", s).arg("--last-week");
            } else {
                cmd.args([option, s.as_str()]);
            }
            let out = cmd.output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{option}: {stderr}");
            assert!(stderr.contains(option.trim_start_matches('-')), "{option}: names the option: {stderr}");
            let leaked = windows_in(&[pw.to_string()], &format!("{stderr}{}", String::from_utf8_lossy(&out.stdout)));
            assert!(leaked.is_empty(), "{option} {s}: {leaked:?} in {stderr}");
            runs += 1;
        }
    }
    assert_eq!(runs, 24);
    let out =
        faqlink().args(["--database-url", &db.url(), "report", "totals", "--tz", "Mars/Olympus"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"Mars/Olympus\""), "an ordinary value is still shown");
}
