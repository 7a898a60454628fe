//! Operating faqlink: shell completions (bash drives the generated script), manual pages (every
//! command and option of the clap tree appears), `faqlink version`, and the recipes of
//! docs/OPERATIONS.md run for real: the cron wrapper (with `flock` refusing an overlapping
//! run), the systemd units (`systemd-analyze verify`) and the read-only PostgreSQL role.

use std::collections::BTreeSet;
use std::process::Command;

use clap::{CommandFactory, ValueEnum};
use faqlink::cli::{Cli, FormatArg, ReportKindArg};

use crate::harness::{faqlink, faqlink_bin, listing};

/// The repository root (scripts/, contrib/, docs/).
fn repo() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What bash offers for the command line `words` (the last word is the one being completed):
/// loads `faqlink completions bash` into a fresh bash, checks `complete -p faqlink`, and calls
/// the registered function as bash's completion does (COMP_WORDS, COMP_CWORD; arguments:
/// command, current word, previous word).
fn bash_complete(words: &[&str]) -> Vec<String> {
    const SCRIPT: &str = r#"
source <("$FAQLINK" completions bash) || { echo "sourcing failed" >&2; exit 90; }
spec=$(complete -p faqlink) || { echo "complete -p faqlink failed" >&2; exit 91; }
fn=$(sed -n 's/.* -F \([^ ]*\) .*/\1/p' <<<"$spec")
[ -n "$fn" ] || { echo "no completion function in: $spec" >&2; exit 92; }
COMP_WORDS=("$@")
COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
"$fn" faqlink "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", SCRIPT, "bash"])
        .args(words)
        .env("FAQLINK", faqlink_bin())
        .output()
        .expect("bash");
    assert!(out.status.success(), "bash completion of {words:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// The names clap gives a value enum's variants (what `--help` lists).
fn value_names<T: ValueEnum>() -> Vec<String> {
    T::value_variants().iter().filter_map(|v| v.to_possible_value()).map(|p| p.get_name().to_owned()).collect()
}

#[test]
fn bash_loads_the_completion_script() {
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", r#"source <("$FAQLINK" completions bash) && complete -p faqlink"#])
        .env("FAQLINK", faqlink_bin())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let spec = String::from_utf8(out.stdout).unwrap();
    assert!(spec.starts_with("complete ") && spec.trim_end().ends_with(" faqlink"), "{spec}");
}

#[test]
fn bash_completes_report_kinds_formats_and_zones() {
    let kinds = value_names::<ReportKindArg>();
    assert_eq!(kinds, ["experts", "totals", "orphans", "duplicates", "weekly", "latency", "moved", "all"]);
    let offered = bash_complete(&["faqlink", "report", ""]);
    for kind in &kinds {
        assert!(offered.contains(kind), "`faqlink report ` should offer {kind}: {offered:?}");
    }
    // Only the kinds start with a letter; the rest are options.
    let words: Vec<&String> = offered.iter().filter(|w| !w.starts_with('-')).collect();
    assert_eq!(words, kinds.iter().collect::<Vec<_>>(), "{offered:?}");
    assert_eq!(bash_complete(&["faqlink", "report", "d"]), ["duplicates"]);

    // Whatever formats FormatArg has (others are being added), exactly those are offered.
    let formats: BTreeSet<String> = value_names::<FormatArg>().into_iter().collect();
    assert!(formats.contains("csv"), "{formats:?}");
    let offered: BTreeSet<String> = bash_complete(&["faqlink", "report", "all", "--format", ""]).into_iter().collect();
    assert_eq!(offered, formats);

    // Zone names come from chrono-tz.
    assert_eq!(bash_complete(&["faqlink", "report", "all", "--tz", "Europe/R"]), ["Europe/Riga", "Europe/Rome"]);
    let all_zones = bash_complete(&["faqlink", "report", "weekly", "--tz", ""]);
    assert_eq!(all_zones.len(), chrono_tz::TZ_VARIANTS.len());

    // The top level offers every command, the new ones included.
    let commands = bash_complete(&["faqlink", ""]);
    for name in Cli::command().get_subcommands().map(|c| c.get_name().to_owned()) {
        assert!(commands.contains(&name), "{name} missing from {commands:?}");
    }
}

#[test]
fn tz_still_parses_as_before() {
    // The zone list exists only in the completion scripts: --tz keeps its own check and message.
    let out = faqlink()
        .args(["report", "totals", "--tz", "Mars/Olympus", "--database-url", "/nonexistent/x.db"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "faqlink: error: --tz: unknown time zone \"Mars/Olympus\"; use an IANA name such as UTC or Europe/Rome\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn every_shell_gets_a_script() {
    // clap_complete's static scripts: bash and zsh complete option values and the report
    // kind; fish option values only; PowerShell and elvish commands and options only
    // (docs/OPERATIONS.md says so).
    let formats = value_names::<FormatArg>();
    for shell in value_names::<clap_complete::Shell>() {
        let out = faqlink().args(["completions", &shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
        let script = String::from_utf8(out.stdout).unwrap();
        let mut words = vec!["faqlink", "report", "statement-timeout", "output-dir", "completions", "version"];
        if matches!(shell.as_str(), "bash" | "zsh" | "fish") {
            words.extend(["Europe/Rome", "Pacific/Chatham"]);
            words.extend(formats.iter().map(String::as_str));
        }
        if matches!(shell.as_str(), "bash" | "zsh") {
            words.extend(["experts", "duplicates", "weekly"]);
        }
        for word in words {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
    }
    let out = Command::new("bash")
        .args(["-n", "-c"])
        .arg(String::from_utf8(faqlink().args(["completions", "bash"]).output().unwrap().stdout).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "bash -n: {}", String::from_utf8_lossy(&out.stderr));
    // A bad DATABASE_URL does not matter: completions open no database.
    faqlink().env("DATABASE_URL", "mysql://nope").args(["completions", "bash"]).assert().success();
}

/// Every command path of the clap tree (`[]` for faqlink itself), without clap's `help`.
fn command_paths(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, clap::Command)>) {
    out.push((path.clone(), cmd.clone()));
    for sub in cmd.get_subcommands() {
        let mut p = path.clone();
        p.push(sub.get_name().to_owned());
        command_paths(sub, p, out);
    }
}

/// A roff page as plain words: `\-` is a hyphen, `\fB`/`\fI`/`\fR` are font changes.
fn roff_text(roff: &str) -> String {
    roff.replace("\\-", "-").replace("\\fB", "").replace("\\fI", "").replace("\\fR", "")
}

#[test]
fn man_pages_cover_every_command_and_option() {
    let mut cli = Cli::command();
    cli.build();
    let mut paths = Vec::new();
    command_paths(&cli, Vec::new(), &mut paths);
    // clap's own `help` command gets no page.
    paths.retain(|(p, _)| !p.iter().any(|n| n == "help"));
    assert!(paths.len() >= 9, "{paths:?}");
    let mut options_checked = 0;
    for (path, cmd) in &paths {
        let out = faqlink().arg("man").args(path).output().unwrap();
        assert!(out.status.success(), "faqlink man {path:?}: {}", String::from_utf8_lossy(&out.stderr));
        let page = roff_text(&String::from_utf8(out.stdout).unwrap());
        let title = std::iter::once("faqlink".to_owned()).chain(path.iter().cloned()).collect::<Vec<_>>().join("-");
        assert!(page.starts_with(".ie") && page.contains(&format!(".TH {title} 1 ")), "{path:?}: {}", &page[..200]);
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            assert!(page.contains(&format!("{title}-{}(1)", sub.get_name())), "{title} lists {}", sub.get_name());
        }
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                assert!(page.contains(&format!("--{long}")), "{title}(1) lacks --{long}");
                options_checked += 1;
            }
            if let Some(short) = arg.get_short() {
                assert!(page.contains(&format!("-{short}")), "{title}(1) lacks -{short}");
            }
            if arg.is_positional() {
                let name = arg
                    .get_value_names()
                    .and_then(|n| n.first())
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
                assert!(page.contains(&name), "{title}(1) lacks the argument {name}");
            }
            // The page carries the long help where there is one (as `--help` does).
            if let Some(help) = arg.get_long_help().or_else(|| arg.get_help()) {
                // The first words of the help text (before any quote roff would escape).
                let words: String =
                    help.to_string().chars().take_while(|c| !matches!(c, '\'' | '`' | '\\')).take(30).collect();
                assert!(page.contains(words.trim_end()), "{title}(1) lacks the help of {}: {words:?}", arg.get_id());
            }
        }
    }
    assert!(options_checked > 30, "{options_checked}");

    // --output-dir writes the same pages, readable by everyone.
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("man1");
    faqlink().args(["man", "--output-dir"]).arg(&target).assert().success().stdout("");
    let written = listing(&target);
    let expected: BTreeSet<String> = paths
        .iter()
        .map(|(p, _)| {
            std::iter::once("faqlink").chain(p.iter().map(String::as_str)).collect::<Vec<_>>().join("-") + ".1"
        })
        .collect();
    assert_eq!(written, expected);
    // groff (as `man` runs it: -k for UTF-8 input) renders every page without a warning.
    if Command::new("groff").arg("--version").output().is_ok() {
        for file in &written {
            let out = Command::new("groff")
                .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
                .arg(target.join(file))
                .output()
                .unwrap();
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "groff {file}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    } else {
        eprintln!(
            "GROFF IS MISSING: the manual pages were NOT rendered on this machine (scripts/test.sh installs man-db)"
        );
    }
    let top = std::fs::read(target.join("faqlink.1")).unwrap();
    assert_eq!(top, faqlink().arg("man").output().unwrap().stdout);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(target.join("faqlink-report.1")).unwrap().permissions().mode() & 0o777, 0o644);

    let out = faqlink().args(["man", "nope", "postgres://u:s3cret@h/db"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("faqlink: error: no manual page for the 2 word(s) after `man`"), "{stderr}");
    assert!(!stderr.contains("nope") && !stderr.contains("s3cret"), "{stderr}");
}

/// The codes of the first Markdown table under `heading` of the file `path` (its first
/// column, after the header and the rule).
fn exit_codes_in_markdown(path: &str, heading: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    let (_, after) = text.split_once(heading).unwrap_or_else(|| panic!("{path} has no {heading:?}"));
    let table = after.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|'));
    table.skip(2).map(|l| l.split('|').nth(1).unwrap().trim().to_string()).collect()
}

/// The codes of the EXIT STATUS section of a man page, in order.
fn exit_codes_in_man(roff: &str) -> Vec<String> {
    let text = roff_text(roff);
    let (_, section) = text.split_once(".SH \"EXIT STATUS\"").expect("an EXIT STATUS section");
    let section = section.split("\n.SH ").next().unwrap();
    let lines: Vec<&str> = section.lines().collect();
    lines.windows(2).filter(|w| w[0] == ".TP").map(|w| w[1].trim().to_string()).collect()
}

/// The exit codes cannot drift apart: faqlink(1)'s and faqlink-report(1)'s EXIT STATUS list
/// the codes of docs/CLI.md's table and of the README's, in the same order, and say which one
/// wins when several apply.
#[test]
fn man_exit_status_lists_the_codes_of_the_docs() {
    let cli_md = exit_codes_in_markdown("docs/CLI.md", "## Exit codes");
    assert_eq!(cli_md, ["0", "1", "2", "3", "4"]);
    assert_eq!(exit_codes_in_markdown("README.md", "### Exit codes"), cli_md, "README.md");
    for page in [&[][..], &["report"][..]] {
        let out = faqlink().arg("man").args(page).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let roff = String::from_utf8(out.stdout).unwrap();
        assert_eq!(exit_codes_in_man(&roff), cli_md, "man {page:?}");
        assert!(roff_text(&roff).contains("When several apply, 4 wins over 3"), "man {page:?}");
    }
}

#[test]
fn version_names_backends_and_bundled_libraries() {
    let out = faqlink().env("DATABASE_URL", "mysql://nope").arg("version").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("faqlink {}", env!("CARGO_PKG_VERSION")));
    assert!(lines[1].starts_with("target: x86_64") || lines[1].starts_with("target: "), "{text}");
    assert_eq!(lines[2], "backends: postgresql, sqlite");

    // SQLite: the library linked into faqlink (the same bundled one this test links).
    use diesel::{Connection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct V {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
    let sqlite: V = diesel::sql_query("SELECT sqlite_version() AS v").get_result(&mut conn).unwrap();
    assert_eq!(lines[3], format!("SQLite {} (bundled, statically linked)", sqlite.v));

    // libpq: the release pq-src compiled, per Cargo's own resolution (`cargo metadata`), not
    // the build script's reading of Cargo.lock.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Only this platform's packages: the others (plotters' wasm dependencies) are never
    // downloaded by a build here, and `--offline` would fail on them.
    let host = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())).arg("-vV").output().unwrap();
    let host = String::from_utf8(host.stdout).unwrap();
    let host = host.lines().find_map(|l| l.strip_prefix("host: ")).expect("rustc -vV names the host").to_string();
    let meta = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", &host, "--manifest-path"])
        .arg(repo().join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(meta.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&meta.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&meta.stdout).unwrap();
    let pq_src: Vec<&str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "pq-src")
        .map(|p| p["version"].as_str().unwrap())
        .collect();
    assert_eq!(pq_src.len(), 1, "{pq_src:?}");
    let release = pq_src[0].split_once("+libpq-").expect("pq-src's version names its libpq").1;
    assert_eq!(
        lines[4],
        format!("libpq {release} (bundled: pq-src {}, statically linked; TLS by the system's libssl)", pq_src[0])
    );
    assert_eq!(lines.len(), 5, "{text}");
}

/// A PostgreSQL role made by contrib/readonly-role.sql for one test: unique name, dropped
/// (with its privileges) when the test ends.
struct Reader {
    name: String,
    db_url: String,
}

impl Reader {
    /// Runs contrib/readonly-role.sql in `db` as the tables' owner.
    fn create(db: &crate::harness::TestDb) -> Reader {
        let name = format!("faqlink_ro_{}_{}", std::process::id(), chrono::Utc::now().timestamp_subsec_nanos());
        let reader = Reader { name, db_url: db.url() };
        let out = Command::new("psql")
            .args(["-X", "-q", "-d", &db.url(), "-v", &format!("reader={}", reader.name), "-f"])
            .arg(repo().join("contrib/readonly-role.sql"))
            .output()
            .expect("psql");
        assert!(out.status.success(), "contrib/readonly-role.sql: {}", String::from_utf8_lossy(&out.stderr));
        reader
    }

    /// The database URL that logs in as this role (the test server trusts local logins).
    fn url(&self) -> String {
        let mut url = url::Url::parse(&self.db_url).unwrap();
        url.set_username(&self.name).unwrap();
        url.set_password(None).unwrap();
        url.to_string()
    }

    /// Runs SQL as this role with psql; returns (success, stderr).
    fn psql(&self, sql: &str) -> (bool, String) {
        let out = Command::new("psql").args(["-X", "-q", "-d", &self.url(), "-c", sql]).output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        if let Ok(mut c) = diesel::PgConnection::establish(&self.db_url) {
            let _ = c.batch_execute(&format!("DROP OWNED BY {}", self.name));
        }
        if let Ok(mut c) = diesel::PgConnection::establish(&format!("{}/postgres", crate::harness::pg_server())) {
            let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS {}", self.name));
        }
    }
}

/// The report `report all --format csv` prints, as the database URL `url` sees it: lines that
/// name the database URL are left out (they name the role).
fn report_all_lines(url: &str) -> Vec<String> {
    let out = faqlink().args(["report", "all", "--format", "csv", "--database-url", url]).output().unwrap();
    assert!(out.status.success(), "report all as {url}: {}", String::from_utf8_lossy(&out.stderr));
    let mut lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("postgres://"))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

#[test]
fn the_read_only_role_runs_check_and_report_all_and_nothing_more() {
    if crate::harness::skip_pg() {
        eprintln!("FAQLINK_TEST_SKIP_PG=1: skipping the read-only role test");
        return;
    }
    // A production-shaped database (Alembic's table) and one faqlink migrated and seeded.
    let production = crate::check::production().expect("PostgreSQL");
    let own = crate::harness::TestDb::migrated(faqlink::db::Backend::Postgres);
    faqlink().args(["seed", "--experts", "6", "--feedback", "400", "--database-url", &own.url()]).assert().success();

    for (db, bookkeeping) in [(&production, "alembic_version"), (&own, "__diesel_schema_migrations")] {
        let reader = Reader::create(db);

        // Exactly these grants: SELECT on the three tables and the schema's bookkeeping table.
        let grants = db.cli_csv(&format!(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants \
             WHERE grantee = '{}' ORDER BY 1, 2",
            reader.name
        ));
        let mut expected = vec!["table_name,privilege_type".to_owned()];
        let mut tables = [bookkeeping, "expert_feedback", "expert_profiles", "faq_entries"];
        tables.sort_unstable();
        expected.extend(tables.iter().map(|t| format!("{t},SELECT")));
        assert_eq!(grants.lines().collect::<Vec<_>>(), expected);
        let role = db.cli_csv(&format!(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, array_to_string(rolconfig, ';') AS config \
             FROM pg_roles WHERE rolname = '{}'",
            reader.name
        ));
        assert_eq!(role.lines().nth(1), Some("t,f,f,f,default_transaction_read_only=on"), "{role}");

        // check and report all succeed as the role, and see what the owner sees.
        let out = faqlink().args(["check", "--database-url", &reader.url()]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "check as the reader: {}{stdout}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("all required checks passed"), "{stdout}");
        if bookkeeping == "alembic_version" {
            assert!(stdout.contains("Alembic revision 20251124_add_generated_faq_id"), "{stdout}");
        }
        let as_reader = report_all_lines(&reader.url());
        assert!(as_reader.len() > 10, "{as_reader:?}");
        assert_eq!(as_reader, report_all_lines(&db.url()));

        // Every table grant is needed: without it, check and report all fail and say why.
        for table in ["expert_feedback", "expert_profiles", "faq_entries"] {
            db.exec(&format!("REVOKE SELECT ON {table} FROM {}", reader.name));
            faqlink().args(["check", "--database-url", &reader.url()]).assert().code(1);
            let out = faqlink().args(["report", "all", "--database-url", &reader.url()]).output().unwrap();
            assert_eq!(out.status.code(), Some(1));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains(&format!("permission denied for table {table}")), "{stderr}");
            db.exec(&format!("GRANT SELECT ON {table} TO {}", reader.name));
        }

        // And the role cannot write: read-only by default, and no privilege when it asks for more.
        let (ok, err) = reader.psql("DELETE FROM expert_feedback");
        assert!(!ok && err.contains("cannot execute DELETE in a read-only transaction"), "{err}");
        let (ok, err) = reader.psql("BEGIN READ WRITE; DELETE FROM faq_entries; COMMIT");
        assert!(!ok && err.contains("permission denied for table faq_entries"), "{err}");
        let (ok, err) = reader.psql("BEGIN READ WRITE; CREATE TABLE faqlink_probe (i int); COMMIT");
        assert!(!ok && err.contains("permission denied for schema"), "{err}");
    }
}

/// A SQLite database seeded through the CLI with feedback up to today (so last week has rows).
fn seeded_sqlite(dir: &std::path::Path, name: &str, deleted_share: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    faqlink()
        .args(["seed", "--experts", "5", "--feedback", "400", "--weeks", "3", "--deleted-share", deleted_share])
        .arg("--database-url")
        .arg(&path)
        .assert()
        .success();
    path
}

/// An env file as the recipe wants it: `DATABASE_URL="…"`, mode 0600.
fn env_file(dir: &std::path::Path, db: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(format!("{}.env", db.file_name().unwrap().to_string_lossy()));
    std::fs::write(&path, format!("# faqlink\nDATABASE_URL=\"sqlite://{}\"\n", db.display())).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// Runs contrib/faqlink-weekly-export as cron would: no DATABASE_URL in the environment.
fn weekly_export(env: &std::path::Path, root: &std::path::Path) -> std::process::Output {
    Command::new(repo().join("contrib/faqlink-weekly-export"))
        .arg(root)
        .env_remove("DATABASE_URL")
        .env_remove("FAQLINK_NOW")
        .env("FAQLINK", faqlink_bin())
        .env("FAQLINK_ENV_FILE", env)
        .output()
        .unwrap()
}

/// The ISO week `--last-week` selects now in Europe/Rome, as the folder is named.
fn last_week_label() -> String {
    use chrono::Datelike;
    let d = (chrono::Utc::now().with_timezone(&chrono_tz::Europe::Rome) - chrono::Duration::days(7)).date_naive();
    format!("{}-W{:02}", d.iso_week().year(), d.iso_week().week())
}

#[test]
fn the_cron_export_script_writes_the_week_and_refuses_to_overlap() {
    let tmp = tempfile::tempdir().unwrap();
    let db = seeded_sqlite(tmp.path(), "clean.db", "0");
    let env = env_file(tmp.path(), &db);
    let root = tmp.path().join("exports");

    // A good week: silent (no cron mail), exit 0, one folder named after the week.
    let out = weekly_export(&env, &root);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    let week = last_week_label();
    assert_eq!(listing(&root), BTreeSet::from([".faqlink-weekly.lock".to_owned(), week.clone()]));
    let folder = root.join(&week);
    let files = listing(&folder);
    assert!(files.contains("totals.csv") && files.contains("weekly.csv") && files.len() >= 5, "{files:?}");
    // Each file is the report faqlink prints for the same week and zone.
    // `moved` writes two sections (moved_summary.csv, moved.csv): each is the section of that
    // name in `report moved`'s CSV, without its `# name` line.
    let url = db.display().to_string();
    let args = ["report", "moved", "--last-week", "--tz", "Europe/Rome", "--format", "csv", "--database-url", &url];
    let moved = String::from_utf8(faqlink().args(args).output().unwrap().stdout).unwrap();
    for part in moved.split("\r\n\r\n") {
        let (name, csv) = part.split_once("\r\n").unwrap();
        let file = format!("{}.csv", name.strip_prefix("# ").unwrap());
        assert!(files.contains(&file), "{files:?}");
        let written = std::fs::read_to_string(folder.join(&file)).unwrap();
        assert_eq!(written.trim_end_matches("\r\n"), csv.trim_end_matches("\r\n"), "{file}");
    }
    for file in files.iter().filter(|f| !f.starts_with("moved")) {
        let kind = file.strip_suffix(".csv").unwrap();
        let alone = faqlink()
            .args(["report", kind, "--last-week", "--tz", "Europe/Rome", "--format", "csv", "--database-url", &url])
            .output()
            .unwrap();
        assert!(alone.status.success());
        assert_eq!(std::fs::read(folder.join(file)).unwrap(), alone.stdout, "{file}");
    }
    let weekly = std::fs::read_to_string(folder.join("weekly.csv")).unwrap();
    assert!(weekly.contains(&week), "{weekly}");

    // An overlapping run (the lock is held) gives up at once with one line, exit 75.
    let lock = root.join(".faqlink-weekly.lock");
    // One process holds it (the shell becomes `sleep`, keeping fd 9): killing it frees the lock.
    let mut holder = Command::new("sh")
        .args(["-c", r#"exec 9>>"$1" && flock 9 && exec sleep 60"#, "sh"])
        .arg(&lock)
        .spawn()
        .unwrap();
    let held = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        !Command::new("flock").arg("-n").arg(&lock).arg("true").status().unwrap().success()
    });
    assert!(held, "the test could not take the lock");
    let before = std::fs::metadata(folder.join("totals.csv")).unwrap().modified().unwrap();
    let started = std::time::Instant::now();
    let out = weekly_export(&env, &root);
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_eq!(out.status.code(), Some(75));
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "flock -n must not wait");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("another export is still running") && stderr.contains("did nothing"), "{stderr}");
    assert_eq!(std::fs::metadata(folder.join("totals.csv")).unwrap().modified().unwrap(), before);
    // Once the lock is free, the next run works.
    assert_eq!(weekly_export(&env, &root).status.code(), Some(0));

    // Orphaned links: exit 3 and a line for the mail, the files still written.
    let orphans_db = seeded_sqlite(tmp.path(), "orphans.db", "0.4");
    let root3 = tmp.path().join("exports3");
    let out = weekly_export(&env_file(tmp.path(), &orphans_db), &root3);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("faqlink: error: --fail-on-any: ") && stderr.lines().count() == 1, "{stderr}");
    let orphans = std::fs::read_to_string(root3.join(&week).join("orphans.csv")).unwrap();
    assert!(orphans.lines().count() > 1, "{orphans}");

    // Another format: one file for the week.
    let root_json = tmp.path().join("exports-json");
    let out = Command::new(repo().join("contrib/faqlink-weekly-export"))
        .arg(&root_json)
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("FAQLINK", faqlink_bin())
        .env("FAQLINK_FORMAT", "json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json = std::fs::read(root_json.join(&week).join(format!("faqlink-{week}.json"))).unwrap();
    serde_json::from_slice::<serde_json::Value>(&json).expect("a JSON document");

    // A runtime error: exit 1, one line, no week folder left behind.
    let root1 = tmp.path().join("exports1");
    let out = weekly_export(&env_file(tmp.path(), &tmp.path().join("missing.db")), &root1);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("faqlink: error: ") && stderr.contains("does not exist"), "{stderr}");
    assert_eq!(listing(&root1), BTreeSet::from([".faqlink-weekly.lock".to_owned()]));

    // An unknown zone is refused before anything runs (date(1) would use UTC silently).
    let root_tz = tmp.path().join("exports-tz");
    let out = Command::new(repo().join("contrib/faqlink-weekly-export"))
        .arg(&root_tz)
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("FAQLINK", faqlink_bin())
        .env("FAQLINK_TZ", "Mars/Olympus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown time zone Mars/Olympus"), "{out:?}");
    assert!(!root_tz.exists());

    // An env file others can read is refused before anything runs.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o644)).unwrap();
    let root_open = tmp.path().join("exports-open");
    let out = weekly_export(&env, &root_open);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is readable by others; run: chmod 600"), "{out:?}");
    assert!(!root_open.exists());
}

#[test]
fn the_crontab_line_runs_the_script_weekly_without_a_url() {
    let cron = std::fs::read_to_string(repo().join("contrib/cron/faqlink")).unwrap();
    let jobs: Vec<&str> =
        cron.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#') && !l.contains('=')).collect();
    assert_eq!(jobs, ["0 6 * * 1 root /usr/local/bin/faqlink-weekly-export /var/lib/faqlink/exports"]);
    assert!(!cron.contains("DATABASE_URL=") && !cron.contains("postgres://"), "no URL in the crontab");
}

#[test]
fn the_systemd_units_verify_and_are_hardened() {
    let unit_dir = repo().join("contrib/systemd");
    let service = std::fs::read_to_string(unit_dir.join("faqlink-weekly.service")).unwrap();
    for directive in [
        "User=faqlink",
        "EnvironmentFile=/etc/faqlink/faqlink.env",
        "UMask=0077",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/faqlink/exports",
        "NoNewPrivileges=yes",
        "ExecStart=/usr/local/bin/faqlink-weekly-export",
    ] {
        assert!(service.lines().any(|l| l == directive), "the service lacks {directive}");
    }
    let Ok(version) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!(
            "SYSTEMD-ANALYZE IS MISSING: the systemd units were NOT verified on this machine \
             (scripts/test.sh installs the systemd package; docs/OPERATIONS.md says so)"
        );
        return;
    };
    assert!(version.status.success());

    // The units as installed, except that ExecStart points at this checkout's script (verify
    // checks the command exists) and Documentation= finds the pages `faqlink man` writes.
    let tmp = tempfile::tempdir().unwrap();
    let installed = service.replace(
        "/usr/local/bin/faqlink-weekly-export",
        &repo().join("contrib/faqlink-weekly-export").display().to_string(),
    );
    std::fs::write(tmp.path().join("faqlink-weekly.service"), installed).unwrap();
    std::fs::copy(unit_dir.join("faqlink-weekly.timer"), tmp.path().join("faqlink-weekly.timer")).unwrap();
    let man = tmp.path().join("man");
    faqlink().args(["man", "--output-dir"]).arg(man.join("man1")).assert().success();
    let out = Command::new("systemd-analyze")
        .args(["verify", "faqlink-weekly.service", "faqlink-weekly.timer"])
        .current_dir(tmp.path())
        .env("MANPATH", &man)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // systemd's own exposure score (0 = locked down, 10 = unprotected) stays at 1.5 or below.
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--threshold=15", "faqlink-weekly.service"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "systemd-analyze security: {text}{}", String::from_utf8_lossy(&out.stderr));
    // The timer fires on Mondays at 06:00 in Rome.
    let timer = std::fs::read_to_string(unit_dir.join("faqlink-weekly.timer")).unwrap();
    let spec = timer.lines().find_map(|l| l.strip_prefix("OnCalendar=")).unwrap();
    let out = Command::new("systemd-analyze").args(["calendar", "--iterations=3", spec]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let elapses: Vec<&str> = text.lines().filter(|l| l.contains("Mon ")).collect();
    assert!(elapses.len() >= 3, "{text}");
}

#[test]
fn operations_doc_shows_the_shipped_files() {
    let doc = std::fs::read_to_string(repo().join("docs/OPERATIONS.md")).unwrap();
    for file in [
        "contrib/readonly-role.sql",
        "contrib/cron/faqlink",
        "contrib/systemd/faqlink-weekly.service",
        "contrib/systemd/faqlink-weekly.timer",
    ] {
        let text = std::fs::read_to_string(repo().join(file)).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            assert!(doc.contains(line), "docs/OPERATIONS.md does not show {file}'s line {line:?}");
        }
    }
}
