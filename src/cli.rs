//! The command line, declared with clap's derive API. Every `///` here is `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Reports on the expert feedback → FAQ link: per-expert FAQ generation rates, conversion
/// totals, a weekly trend, duplicate FAQs and orphaned or dangling links.
///
/// Works on the production PostgreSQL database (read-only) and on an embedded SQLite file
/// (`faqlink.db`, the default). Exit codes: 0 success, 1 runtime error or failed check,
/// 2 usage error, 3 `--fail-on-any` found rows.
#[derive(Debug, Parser)]
#[command(name = "faqlink", version, max_term_width = 100, after_long_help = after_long_help(&[]))]
pub struct Cli {
    /// Database to use: postgres://… or postgresql://… for PostgreSQL; sqlite://PATH,
    /// file:PATH or a plain path for SQLite. Defaults to $DATABASE_URL (also read from
    /// ./.env), else the SQLite file faqlink.db in the current directory.
    #[arg(long, global = true, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Explain errors in more detail (the cause chain); never prints a password.
    #[arg(long, short, global = true)]
    pub verbose: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The faqlink commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply faqlink's embedded migrations (creates a missing SQLite file), or list, revert
    /// or redo them.
    #[command(after_long_help = after_long_help(&["migrate"]))]
    Migrate(MigrateArgs),
    /// Verify that the database has what the reports need; exit 1 when something is missing.
    /// Reads only, also on a production database whose schema Alembic manages.
    #[command(after_long_help = after_long_help(&["check"]))]
    Check(CheckArgs),
    /// Fill a database with a deterministic synthetic data set.
    #[command(after_long_help = after_long_help(&["seed"]))]
    Seed(SeedArgs),
    /// The one-command tour: create faqlink.db if missing, migrate, seed once, print
    /// `report all`.
    #[command(after_long_help = after_long_help(&["demo"]))]
    Demo(DemoArgs),
    /// Print or export a report.
    #[command(after_long_help = after_long_help(&["report"]))]
    Report(Box<ReportArgs>),
    /// Print a shell completion script (report kinds, --format values and --tz zones
    /// included); see docs/OPERATIONS.md for where to put it.
    #[command(after_long_help = after_long_help(&["completions"]))]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) made from these same definitions, or write one page per
    /// command into a folder.
    #[command(after_long_help = after_long_help(&["man"]))]
    Man(ManArgs),
    /// Print the version, the backends compiled in and the bundled SQLite and libpq versions
    /// (for support requests). Opens no database.
    #[command(after_long_help = after_long_help(&["version"]))]
    Version(VersionArgs),
}

/// Arguments of `faqlink migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Without an action, apply every pending migration.
    #[command(subcommand)]
    pub action: Option<MigrateAction>,
}

/// `faqlink migrate` actions.
#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// List embedded migrations as applied or pending (writes nothing).
    #[command(after_long_help = after_long_help(&["migrate", "status"]))]
    Status,
    /// Revert the most recent migration (or more).
    #[command(after_long_help = after_long_help(&["migrate", "revert"]))]
    Revert(RevertArgs),
    /// Revert the most recent migration and apply it again.
    #[command(after_long_help = after_long_help(&["migrate", "redo"]))]
    Redo,
}

/// Arguments of `faqlink migrate revert`.
#[derive(Debug, Args)]
pub struct RevertArgs {
    /// How many migrations to revert, newest first.
    #[arg(long, value_name = "N", allow_negative_numbers = true, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "all")]
    pub steps: u32,
    /// Revert every applied migration.
    #[arg(long)]
    pub all: bool,
}

/// Arguments of `faqlink check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check the schema only: skip the data pass (one scan of expert_feedback that counts the
    /// stored values a report would reject or read differently).
    #[arg(long)]
    pub schema_only: bool,
}

/// Arguments of `faqlink seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Number of experts.
    #[arg(long, value_name = "N", allow_negative_numbers = true, default_value_t = 20)]
    pub experts: i64,
    /// Number of feedback rows.
    #[arg(long, value_name = "N", allow_negative_numbers = true, default_value_t = 2_000)]
    pub feedback: i64,
    /// Random seed: the same arguments give the same rows (ids included) on every backend.
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,
    /// Weeks of history the feedback is spread over.
    #[arg(long, value_name = "N", allow_negative_numbers = true, default_value_t = 12)]
    pub weeks: i64,
    /// End of the history (exclusive): a date YYYY-MM-DD (00:00 UTC) or an RFC 3339 time.
    /// Default: today at 00:00 UTC.
    #[arg(long, value_name = "WHEN")]
    pub end: Option<String>,
    /// Share of feedback marked correct (0..1); the rest splits between incomplete and incorrect.
    #[arg(long, value_name = "SHARE", default_value_t = 0.6)]
    pub correct_share: f64,
    /// Share of correct feedback whose Golden Set workflow ran (0..1).
    #[arg(long, value_name = "SHARE", default_value_t = 0.85)]
    pub attempted_share: f64,
    /// Share of workflow runs that published an FAQ (0..1).
    #[arg(long, value_name = "SHARE", default_value_t = 0.7)]
    pub success_rate: f64,
    /// Share of published FAQs later deleted, leaving orphaned links (0..1).
    #[arg(long, value_name = "SHARE", default_value_t = 0.05)]
    pub deleted_share: f64,
    /// Share of correct feedback that repeats an earlier query, some producing duplicate FAQs (0..1).
    #[arg(long, value_name = "SHARE", default_value_t = 0.02)]
    pub duplicate_share: f64,
    /// Share of feedback rows with no timestamp (0..1).
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub null_timestamp_share: f64,
    /// Add to a database that already holds feedback (new ids never collide).
    #[arg(long)]
    pub append: bool,
    /// Seed even a database whose schema faqlink does not manage (no Diesel migrations table).
    #[arg(long)]
    pub allow_external: bool,
}

/// Arguments of `faqlink demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {}

/// Which report to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportKindArg {
    /// Per-expert FAQ generation rates.
    Experts,
    /// Feedback → FAQ conversion totals.
    Totals,
    /// Orphaned (FAQ deleted) and dangling (FAQ missing) links.
    Orphans,
    /// Queries that produced more than one FAQ.
    Duplicates,
    /// One row per ISO week.
    Weekly,
    /// Time from a `correct` feedback to its FAQ, per ISO week: linked FAQs, p50/p90/p99
    /// (PostgreSQL's percentile_cont), the share within --sla, negative and missing ones apart.
    Latency,
    /// Why conversion moved against the previous period of the same length: per-expert mix
    /// and rate contributions (symmetric Kitagawa) that add up exactly to the change. Needs a
    /// window bounded on both sides.
    Moved,
    /// Every report, in that order, from one snapshot.
    All,
}

/// What else than a FAIL makes `--expect` exit 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    /// A WARN (a --warn condition not met) exits 4 too.
    Warn,
}

/// Output formats: `--format`'s values are [`crate::output::Format`]'s, defined once.
pub use crate::output::Format as FormatArg;

/// Arguments of `faqlink report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The report.
    #[arg(value_enum)]
    pub kind: ReportKindArg,

    /// Start of the window (inclusive): YYYY-MM-DD (midnight in --tz) or an RFC 3339 time.
    #[arg(long, value_name = "WHEN", conflicts_with_all = ["week", "last_week"])]
    pub since: Option<String>,
    /// End of the window (exclusive): YYYY-MM-DD (midnight in --tz) or an RFC 3339 time.
    #[arg(long, value_name = "WHEN", conflicts_with_all = ["week", "last_week"])]
    pub until: Option<String>,
    /// One ISO week, e.g. 2026-W47 (Monday 00:00 to Monday 00:00 in --tz).
    #[arg(long, value_name = "YYYY-Www", conflicts_with = "last_week")]
    pub week: Option<String>,
    /// The last complete ISO week before now (in --tz).
    #[arg(long)]
    pub last_week: bool,
    /// IANA time zone for dates and week boundaries, e.g. Europe/Rome.
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: String,

    /// Output format. Default: the one --output's extension names (.csv, .json, .md, .html,
    /// .xlsx, .prom), else table; a --format that contradicts the extension is refused.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Write to FILE instead of standard output (atomically: complete or not at all); its
    /// extension chooses the format when --format is not given.
    #[arg(long, short, value_name = "FILE", conflicts_with = "output_dir")]
    pub output: Option<PathBuf>,
    /// Write into DIR: with `report all --format csv` one file per report (experts.csv,
    /// totals.csv, …); with html, xlsx or openmetrics one file (faqlink-report.html,
    /// faqlink-report.xlsx, faqlink.prom).
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// CSV field delimiter (one ASCII character; `\t` for tab).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// Start CSV output with a UTF-8 byte order mark.
    #[arg(long)]
    pub bom: bool,
    /// Write CSV decimals with a comma (12,50).
    #[arg(long)]
    pub decimal_comma: bool,
    /// CSV for Italian Excel: `;` delimiter, BOM and decimal comma (implies --format csv).
    #[arg(long)]
    pub excel: bool,

    /// Exit 3 when the orphans report has at least one row (the output is still written).
    #[arg(long)]
    pub fail_on_any: bool,
    /// Abort a PostgreSQL query running longer than this many seconds.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u32).range(1..=2_147_483))]
    pub statement_timeout: Option<u32>,
    /// The weekly section shows the N ISO weeks that end with the window's last week (the
    /// other sections keep the window), e.g. `--last-week --trend-weeks 12`: last week's
    /// figures with a quarter's trend. Needs a window with an end.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=520))]
    pub trend_weeks: Option<u32>,
    /// A condition the run's numbers must meet, e.g. `conversion_rate_pct >= 50`,
    /// `wow_pp(conversion_rate_pct) >= -5`, `min(experts.faq_rate_pct) > 10`,
    /// `within_sla_pct >= 90`, with an optional guard `when feedback_total >= 100`. Results go
    /// to stderr (PASS, FAIL, SKIP) and into the JSON output; a FAIL exits 4. Repeatable.
    /// When several exit codes apply, 4 (an expectation failed) wins over 3 (--fail-on-any
    /// found orphans), which wins over 0; errors (1, 2) stop the run before any of them.
    #[arg(long, value_name = "EXPR")]
    pub expect: Vec<String>,
    /// Like --expect, but a condition not met is a WARN and exits 0 (unless --fail-on warn).
    #[arg(long, value_name = "EXPR")]
    pub warn: Vec<String>,
    /// Read --expect conditions from FILE, one a line; `#` starts a comment.
    #[arg(long, value_name = "FILE")]
    pub expect_file: Option<PathBuf>,
    /// Exit 4 also when a --warn condition is not met.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOnArg>,
    /// Write the expectations' results as JUnit XML to FILE (atomically): one testcase each,
    /// a failure element for each FAIL.
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
    /// Print the run's plan instead of running it: the jobs, the connection each runs on,
    /// the order of the sections, and each job's SQL with its parameters. Reads the catalog
    /// and the window's first and last timestamps in a read-only snapshot; runs no report
    /// statement and writes no output file.
    #[arg(long)]
    pub explain: bool,
    /// `report latency`: a FAQ created at most this long after its feedback is within the
    /// SLA (units w, d, h, m, s, e.g. 48h, 2d, 1d12h).
    #[arg(long, value_name = "DURATION", default_value = "48h")]
    pub sla: String,
}

/// Arguments of `faqlink completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print the completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `faqlink man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Print the page of this command instead of faqlink(1), e.g. `report` or `migrate revert`.
    #[arg(value_name = "COMMAND", conflicts_with = "output_dir")]
    pub command: Vec<String>,
    /// Write faqlink.1 and one page per command (faqlink-report.1, …) into DIR instead of
    /// printing faqlink(1); DIR must exist.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
}

/// Arguments of `faqlink version`.
#[derive(Debug, Args)]
pub struct VersionArgs {}

/// A section of the manual that `--help` (after the options) and the man pages share:
/// EXAMPLES, EXIT STATUS, ENVIRONMENT and FILES are written once, here.
#[derive(Debug, Clone, Copy)]
pub struct ManualSection {
    /// The man page heading (`EXIT STATUS`); `--help` writes it in sentence case.
    pub heading: &'static str,
    /// Each entry: what it is (a command line, an exit code, a variable, a path) and what it means.
    pub entries: &'static [(&'static str, &'static str)],
    /// A paragraph after the entries (`""`: none), e.g. which exit code wins when several apply.
    pub note: &'static str,
}

/// The exit statuses of every command.
pub(crate) const EXIT_STATUS: ManualSection = ManualSection {
    heading: "EXIT STATUS",
    entries: &[
        ("0", "success (also when a reader of standard output such as `head` stops early)"),
        ("1", "runtime error: cannot connect, schema incompatible, I/O; or `check` found a problem"),
        ("2", "usage error: a bad option or value, a database URL or .env line faqlink cannot read"),
        ("3", "`report --fail-on-any` found orphaned or dangling links (the output is still written)"),
        (
            "4",
            "`report --expect` failed, or a `--warn` condition was not met with `--fail-on warn` \
             (the output is still written)",
        ),
    ],
    note: "When several apply, 4 wins over 3, and both over 0 (a broken pipe on standard output); usage and \
           runtime errors (2, 1) end the run before any expectation is evaluated.",
};

/// The environment faqlink reads.
pub(crate) const ENVIRONMENT: ManualSection = ManualSection {
    heading: "ENVIRONMENT",
    entries: &[
        ("DATABASE_URL", "the database when --database-url is not given (also read from ./.env)"),
        ("FAQLINK_NOW", "\"now\" as an RFC 3339 time, for --last-week, the demo's data and reproducible runs"),
        ("NO_COLOR", "when set and not empty, terminal tables are plain (no bold headers)"),
        ("PGPASSWORD", "read by the bundled libpq, as are ~/.pgpass and the other PG* variables"),
    ],
    note: "",
};

/// The files faqlink reads or writes by default.
pub const FILES: ManualSection = ManualSection {
    heading: "FILES",
    entries: &[
        ("./.env", "may set DATABASE_URL (read only; a line that does not parse is named by its number)"),
        ("./faqlink.db", "the embedded SQLite database used when no database is named"),
        (
            "faqlink-report.html, faqlink-report.xlsx",
            "written by `demo` beside the SQLite file, and by `report --output-dir DIR` for html and xlsx",
        ),
        ("faqlink.prom", "written by `report --format openmetrics --output-dir DIR` for node_exporter"),
    ],
    note: "",
};

/// Example command lines of the page of `path` (`[]` for faqlink itself), with what each
/// does. Each is a complete command line that parses (a test checks every one).
pub(crate) fn examples(path: &[&str]) -> &'static [(&'static str, &'static str)] {
    match path {
        [] => &[
            ("faqlink demo", "the tour: faqlink.db, sample data, every report, an HTML page and a workbook"),
            ("faqlink report experts --last-week", "last week's per-expert FAQ rates as a table"),
            (
                "faqlink report all --last-week --trend-weeks 12 --tz Europe/Rome --output weekly.html",
                "the weekly HTML page for product managers (the extension chooses the format)",
            ),
            ("faqlink --database-url postgres://reporter@db/aifinance check", "is a production database ready?"),
        ],
        ["report"] => &[
            ("faqlink report all --week 2026-W47 --tz Europe/Rome --output w47.json", "one ISO week as JSON"),
            ("faqlink report all --week 2026-W47 --format csv --output-dir reports-2026-W47/", "one CSV per report"),
            (
                "faqlink report experts --since 2026-11-01 --until 2026-12-01 --excel --output esperti.csv",
                "CSV for Italian Excel",
            ),
            ("faqlink report all --last-week --output weekly.xlsx", "a workbook: a sheet per report and a summary"),
            (
                "faqlink report orphans --fail-on-any --output orphans.csv",
                "exit 3 when there are orphaned or dangling links",
            ),
        ],
        ["seed"] => &[
            ("faqlink --database-url demo.db seed", "20 experts and 2000 feedback rows over the 12 weeks before today"),
            ("faqlink seed --experts 50 --feedback 100000 --weeks 26 --end 2026-11-23", "a larger, fixed history"),
        ],
        ["demo"] => &[("faqlink demo", "create faqlink.db if missing, seed it once, print every report")],
        ["check"] => &[
            ("faqlink check", "the embedded database"),
            ("faqlink --database-url postgres://reporter@db/aifinance check", "a production database (reads only)"),
        ],
        ["migrate"] => &[("faqlink migrate", "apply the pending migrations"), ("faqlink migrate status", "list them")],
        ["migrate", "status"] => &[("faqlink migrate status", "applied and pending migrations")],
        ["migrate", "revert"] => &[("faqlink migrate revert --steps 2", "revert the two newest migrations")],
        ["migrate", "redo"] => &[("faqlink migrate redo", "revert the newest migration and apply it again")],
        ["completions"] => &[(
            "faqlink completions bash",
            "print the bash script (save it as ~/.local/share/bash-completion/completions/faqlink)",
        )],
        ["man"] => &[
            ("faqlink man report", "print faqlink-report(1)"),
            ("faqlink man --output-dir /usr/local/share/man/man1", "install every page"),
        ],
        ["version"] => &[("faqlink version", "version, backends, bundled SQLite and libpq")],
        _ => &[],
    }
}

/// The manual sections of the page of `path`, in man-page order.
pub(crate) fn manual_sections(path: &[&str]) -> [ManualSection; 4] {
    [ManualSection { heading: "EXAMPLES", entries: examples(path), note: "" }, EXIT_STATUS, ENVIRONMENT, FILES]
}

/// `text` as lines of at most `width` characters (a longer word has a line of its own), each
/// after `indent` and ending in a line break.
fn wrapped(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        if line.len() > indent.len() && line.len() + 1 + word.len() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// `--help`'s text after the options: [`manual_sections`] as plain text.
pub(crate) fn after_long_help(path: &[&str]) -> String {
    let mut text = String::new();
    for section in manual_sections(path).iter().filter(|s| !s.entries.is_empty()) {
        let heading = section.heading[..1].to_string() + &section.heading[1..].to_lowercase();
        text.push_str(&format!("{heading}:\n"));
        for (what, means) in section.entries {
            text.push_str(&format!("  {what}\n          {means}\n"));
        }
        if !section.note.is_empty() {
            text.push('\n');
            text.push_str(&wrapped(section.note, "  ", 100));
        }
        text.push('\n');
    }
    text.trim_end().to_string()
}
