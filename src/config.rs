//! Turns raw command-line values into checked settings before any I/O: the report window,
//! the time zone, the output format and target. Every failure here is a usage error (exit 2).
//! The types it produces (the window, the report kinds) belong to the reports
//! ([`crate::reports::period`], [`crate::reports::ReportKind`]); this module only parses.

use std::path::PathBuf;

use chrono::{DateTime, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;

use crate::cli::{ReportArgs, ReportKindArg};
use crate::error::{typed, Error, Result};
pub use crate::output::{CsvOptions, Format, Target};
use crate::reports::period::{earliest_instant, latest_instant, local_midnight, now, week_start, Window};
use crate::reports::ReportKind;

/// Checks that `t`, the value of `flag`, lies in the range both backends represent
/// ([`earliest_instant`] to [`latest_instant`], in UTC): a usage error otherwise.
pub(crate) fn in_range(flag: &str, t: DateTime<Utc>) -> Result<DateTime<Utc>> {
    if t < earliest_instant() || t > latest_instant() {
        return Err(Error::Usage(format!(
            "{flag}: {} is outside the range faqlink handles on both backends \
             (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z, in UTC)",
            t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        )));
    }
    Ok(t)
}

/// Parses an IANA zone name.
pub fn parse_tz(s: &str) -> Result<Tz> {
    s.parse::<Tz>().map_err(|_| {
        Error::Usage(format!("--tz: unknown time zone {}; use an IANA name such as UTC or Europe/Rome", typed(s)))
    })
}

/// Parses `YYYY-MM-DD` (midnight in `tz`) or an RFC 3339 timestamp.
pub fn parse_when(flag: &str, s: &str, tz: Tz) -> Result<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if s.len() == 10 {
            return Ok(local_midnight(d, tz));
        }
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    Err(Error::Usage(format!(
        "{flag}: {} is not a date (YYYY-MM-DD) or an RFC 3339 time (2026-11-23T09:15:00Z)",
        typed(s)
    )))
}

/// Parses an ISO week such as `2026-W47` into its Monday.
pub fn parse_iso_week(s: &str) -> Result<NaiveDate> {
    let bad = || Error::Usage(format!("--week: {} is not an ISO week such as 2026-W47", typed(s)));
    let (year, week) = s.trim().split_once("-W").ok_or_else(bad)?;
    if year.len() != 4 || week.len() != 2 {
        return Err(bad());
    }
    let year: i32 = year.parse().map_err(|_| bad())?;
    let week: u32 = week.parse().map_err(|_| bad())?;
    NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
        .ok_or_else(|| Error::Usage(format!("--week: {year} has no ISO week {week:02}")))
}

/// Builds the window from `--since/--until/--week/--last-week/--tz` with "now" given (for
/// `--last-week`).
pub(crate) fn window_at(args: &ReportArgs, now: DateTime<Utc>) -> Result<Window> {
    let tz = parse_tz(&args.tz)?;
    if let Some(week) = &args.week {
        let monday = parse_iso_week(week)?;
        let next = monday
            .checked_add_signed(Duration::days(7))
            .ok_or_else(|| Error::Usage(format!("--week {week}: out of range")))?;
        return Ok(Window {
            since: Some(in_range("--week", local_midnight(monday, tz))?),
            until: Some(in_range("--week", local_midnight(next, tz))?),
            tz,
        });
    }
    if args.last_week {
        let this_week = week_start(now, tz);
        let monday = this_week.with_timezone(&tz).date_naive() - Duration::days(7);
        return Ok(Window {
            since: Some(in_range("--last-week", local_midnight(monday, tz))?),
            until: Some(in_range("--last-week", this_week)?),
            tz,
        });
    }
    let since = args.since.as_deref().map(|s| parse_when("--since", s, tz).and_then(|t| in_range("--since", t)));
    let until = args.until.as_deref().map(|s| parse_when("--until", s, tz).and_then(|t| in_range("--until", t)));
    let (since, until) = (since.transpose()?, until.transpose()?);
    if let (Some(a), Some(b)) = (since, until) {
        if a >= b {
            return Err(Error::Usage(format!(
                "--since ({}) must be before --until ({}): the window would be empty",
                a.to_rfc3339(),
                b.to_rfc3339()
            )));
        }
    }
    Ok(Window { since, until, tz })
}

fn output_name(args: &ReportArgs) -> String {
    args.output.as_deref().map(|p| p.display().to_string()).unwrap_or_default()
}

/// The format of a run: `--format`, else the one `--output`'s extension names, else the
/// table. A `--format` that contradicts a known extension is a usage error, so a file is
/// never written in a format its name denies (an `.xlsx` holding a text table).
pub(crate) fn output_format(args: &ReportArgs) -> Result<Format> {
    let named =
        args.output.as_deref().and_then(|p| p.extension()).and_then(|e| e.to_str()).and_then(Format::from_extension);
    if let Some(f) = args.format.filter(|f| args.excel && !matches!(f, Format::Table | Format::Csv)) {
        return Err(Error::Usage(format!("--excel writes CSV; it cannot be combined with --format {}", f.name())));
    }
    let excel = args.excel.then_some(Format::Csv);
    match (args.format.or(excel), named) {
        (Some(given), Some(named)) if given != named => Err(Error::Usage(format!(
            "--{} contradicts --output {} (a .{} file is {}): drop {}, or name the file .{}",
            if args.format.is_some() { format!("format {}", given.name()) } else { "excel".into() },
            output_name(args),
            named.extension(),
            named.name(),
            if args.format.is_some() { "--format" } else { "--excel" },
            given.extension(),
        ))),
        (Some(_), _) => Ok(args.format.unwrap_or(Format::Table)),
        (None, Some(named)) => Ok(named),
        (None, None) => Ok(Format::Table),
    }
}

/// A checked `faqlink report` invocation.
#[derive(Debug, Clone)]
pub struct ReportConfig {
    /// The reports to produce, in order.
    pub kinds: Vec<ReportKind>,
    /// True for `report all` (JSON then nests sections under their names).
    pub all: bool,
    /// The window.
    pub window: Window,
    /// "Now" for this run ([`now`]): `--last-week` and whether a week has ended use it.
    pub now: DateTime<Utc>,
    /// The format.
    pub format: Format,
    /// The target.
    pub target: Target,
    /// CSV options.
    pub csv: CsvOptions,
    /// Exit 3 when the orphans report has rows.
    pub fail_on_any: bool,
    /// PostgreSQL statement timeout in seconds.
    pub statement_timeout: Option<u32>,
    /// The weekly section's own window (`--trend-weeks`); `None`: the report window.
    pub weekly_window: Option<Window>,
    /// The reports' settings beyond the window (`--sla`).
    pub options: crate::reports::Options,
    /// `--expect`, `--warn` and `--expect-file`, parsed.
    pub expectations: Vec<crate::expect::Expectation>,
    /// `--fail-on warn`.
    pub fail_on_warn: bool,
    /// `--results FILE` (JUnit XML).
    pub results: Option<PathBuf>,
}

impl ReportConfig {
    /// What the output is asked for: the plain data [`crate::output::sink`] builds its sink from.
    pub(crate) fn output(&self) -> crate::output::Request<'_> {
        crate::output::Request {
            kinds: &self.kinds,
            all: self.all,
            format: self.format,
            target: &self.target,
            csv: self.csv,
        }
    }
}

/// Checks a `faqlink report` command line.
pub fn report(args: &ReportArgs) -> Result<ReportConfig> {
    let now = now()?;
    let window = window_at(args, now)?;
    let (kinds, all) = kinds(args, &window)?;
    let (format, csv) = format_and_csv(args)?;
    let target = target(args, all, format)?;
    if format == Format::Xlsx && target == Target::Stdout && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        return Err(Error::Usage(
            "--format xlsx writes a binary workbook: add --output FILE or --output-dir DIR, or redirect standard output"
                .into(),
        ));
    }
    if args.fail_on_any && !kinds.contains(&ReportKind::Orphans) {
        return Err(Error::Usage("--fail-on-any applies to `report orphans` (or `report all`)".into()));
    }
    let weekly_window = match args.trend_weeks {
        None => None,
        Some(_) if !kinds.contains(&ReportKind::Weekly) => {
            return Err(Error::Usage("--trend-weeks applies to `report weekly` (or `report all`)".into()))
        }
        Some(n) => Some(window.trend(n)?),
    };
    let sla_seconds = crate::reports::latency::parse_sla(&args.sla).map_err(|e| Error::Usage(format!("--sla: {e}")))?;
    let expectations = expectations(args, &kinds, &window)?;
    let latency_overall = expectations.iter().any(|e| e.needs().latency);
    let options = crate::reports::Options { sla_seconds, latency_overall, ..Default::default() };
    Ok(ReportConfig {
        options,
        expectations,
        fail_on_warn: args.fail_on.is_some(),
        results: args.results.clone(),
        kinds,
        all,
        window,
        now,
        format,
        target,
        csv,
        fail_on_any: args.fail_on_any,
        statement_timeout: args.statement_timeout,
        weekly_window,
    })
}

/// The sections asked for, and whether that is `report all`.
fn kinds(args: &ReportArgs, window: &Window) -> Result<(Vec<ReportKind>, bool)> {
    Ok(match args.kind {
        ReportKindArg::Experts => (vec![ReportKind::Experts], false),
        ReportKindArg::Totals => (vec![ReportKind::Totals], false),
        ReportKindArg::Orphans => (vec![ReportKind::Orphans], false),
        ReportKindArg::Duplicates => (vec![ReportKind::Duplicates], false),
        ReportKindArg::Weekly => (vec![ReportKind::Weekly], false),
        ReportKindArg::Latency => (vec![ReportKind::Latency], false),
        ReportKindArg::Moved => {
            if window.previous().is_none() {
                return Err(Error::Usage(
                    "report moved compares the window with the period before it: give a window bounded on both sides \
                     (--week, --last-week, or --since with --until)"
                        .into(),
                ));
            }
            (vec![ReportKind::Moved], false)
        }
        ReportKindArg::All => (ReportKind::bundle(window), true),
    })
}

/// The format and the CSV options (`--excel` is CSV with `;`, a BOM and decimal commas).
fn format_and_csv(args: &ReportArgs) -> Result<(Format, CsvOptions)> {
    let mut format = output_format(args)?;
    let mut csv = CsvOptions::default();
    if args.excel {
        format = Format::Csv;
        csv = CsvOptions { delimiter: b';', bom: true, decimal_comma: true };
    }
    if let Some(d) = &args.delimiter {
        csv.delimiter = parse_delimiter(d)?;
    }
    csv.bom |= args.bom;
    csv.decimal_comma |= args.decimal_comma;
    if format != Format::Csv && (args.delimiter.is_some() || args.bom || args.decimal_comma) {
        return Err(Error::Usage("--delimiter, --bom and --decimal-comma apply to CSV: add --format csv".into()));
    }
    if csv.decimal_comma && csv.delimiter == b',' {
        return Err(Error::Usage(
            "--decimal-comma with the ',' delimiter would make every decimal a quoted field: use --delimiter ';' (or --excel)".into(),
        ));
    }
    Ok((format, csv))
}

/// Where the output goes: `--output`, `--output-dir` (one CSV per section of `report all`,
/// or one document) or standard output.
fn target(args: &ReportArgs, all: bool, format: Format) -> Result<Target> {
    Ok(match (&args.output, &args.output_dir) {
        (Some(f), None) => {
            if f.as_os_str().is_empty() {
                return Err(Error::Usage("--output: empty file name".into()));
            }
            Target::File(f.clone())
        }
        (None, Some(d)) => {
            if !((all && format == Format::Csv) || format.is_document()) {
                return Err(Error::Usage(
                    "--output-dir writes one CSV file per report (`report all --format csv`) or one \
                     html, xlsx or openmetrics file"
                        .into(),
                ));
            }
            Target::Dir(d.clone())
        }
        _ => Target::Stdout,
    })
}

/// Parses every expectation and checks that the run shows what each one reads (before any
/// I/O: a bad one exits 2).
fn expectations(args: &ReportArgs, kinds: &[ReportKind], window: &Window) -> Result<Vec<crate::expect::Expectation>> {
    use crate::expect::{self, Level};
    let mut out = Vec::new();
    for e in &args.expect {
        out.push(expect::parse(e, Level::Expect)?);
    }
    if let Some(f) = &args.expect_file {
        out.extend(expect::read_file(f)?);
    }
    for w in &args.warn {
        out.push(expect::parse(w, Level::Warn)?);
    }
    for e in &out {
        let needs = e.needs();
        if needs.totals && !kinds.contains(&ReportKind::Totals) {
            return Err(Error::Usage(format!(
                "--expect '{}' reads the totals: use `report totals` or `report all`",
                e.text
            )));
        }
        if needs.experts && !kinds.contains(&ReportKind::Experts) {
            return Err(Error::Usage(format!(
                "--expect '{}' reads the experts: use `report experts` or `report all`",
                e.text
            )));
        }
        if needs.previous && window.previous().is_none() {
            return Err(Error::Usage(format!(
                "--expect '{}' compares with the previous period: give a window bounded on both sides \
                 (--week, --last-week, or --since with --until)",
                e.text
            )));
        }
    }
    if out.is_empty() && (args.results.is_some() || args.fail_on.is_some()) {
        return Err(Error::Usage("--results and --fail-on apply to --expect, --warn or --expect-file".into()));
    }
    Ok(out)
}

fn parse_delimiter(s: &str) -> Result<u8> {
    let c = match s {
        "\\t" | "tab" | "\t" => '\t',
        _ => {
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => c,
                _ => return Err(Error::Usage(format!("--delimiter: {} is not one character", typed(s)))),
            }
        }
    };
    if !c.is_ascii() || matches!(c, '"' | '\n' | '\r') || (c.is_ascii_alphanumeric()) {
        return Err(Error::Usage(format!(
            "--delimiter: {c:?} cannot separate CSV fields; use an ASCII punctuation character or \\t"
        )));
    }
    Ok(c as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::period::iso_week_label;
    use chrono_tz::Tz;

    #[test]
    fn weeks_start_on_local_monday() {
        let rome: Tz = "Europe/Rome".parse().unwrap();
        // Wednesday 2026-10-28, after the DST change of Sunday 2026-10-25.
        let t = parse_when("--since", "2026-10-28T12:00:00Z", rome).unwrap();
        let start = week_start(t, rome);
        assert_eq!(start.to_rfc3339(), "2026-10-25T23:00:00+00:00");
        // The week before began under summer time (UTC+2).
        let prev = week_start(start - Duration::seconds(1), rome);
        assert_eq!(prev.to_rfc3339(), "2026-10-18T22:00:00+00:00");
    }

    #[test]
    fn iso_weeks_parse_and_label() {
        assert_eq!(parse_iso_week("2026-W53").unwrap(), NaiveDate::from_ymd_opt(2026, 12, 28).unwrap());
        assert!(parse_iso_week("2025-W53").is_err());
        assert!(parse_iso_week("2026-W00").is_err());
        assert!(parse_iso_week("2026W47").is_err());
        assert_eq!(iso_week_label(NaiveDate::from_ymd_opt(2027, 1, 3).unwrap()), "2026-W53");
    }

    #[test]
    fn dates_are_midnight_in_the_zone() {
        let rome: Tz = "Europe/Rome".parse().unwrap();
        assert_eq!(parse_when("--since", "2026-07-01", rome).unwrap().to_rfc3339(), "2026-06-30T22:00:00+00:00");
        assert!(parse_when("--since", "2026-02-30", rome).is_err());
        assert!(parse_when("--since", "yesterday", rome).is_err());
    }

    #[test]
    fn window_bounds_stay_in_the_range_both_backends_represent() {
        let utc: Tz = "UTC".parse().unwrap();
        let args = |since: &str, until: Option<&str>| {
            use clap::Parser;
            let mut argv = vec!["faqlink", "report", "totals", "--since", since];
            if let Some(u) = until {
                argv.extend(["--until", u]);
            }
            match crate::cli::Cli::parse_from(argv).command {
                crate::cli::Command::Report(a) => a,
                _ => unreachable!(),
            }
        };
        assert!(window_at(&args("0001-01-01T00:00:00Z", Some("9999-12-31T23:59:59.999999Z")), now().unwrap()).is_ok());
        for (since, until) in [
            ("9999-12-31T23:59:59-23:59", None),
            ("0001-01-01T00:00:00+00:01", None),
            ("0001-01-01T00:00:00Z", Some("0001-01-01T00:30:00+01:00")),
            ("2026-01-01", Some("9999-12-31T23:00:00-01:00")),
        ] {
            let e = window_at(&args(since, until), now().unwrap()).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{since} {until:?}");
            assert!(e.to_string().contains("outside the range"), "{e}");
        }
        assert!(in_range("--x", latest_instant()).is_ok());
        assert!(in_range("--x", latest_instant() + Duration::microseconds(1)).is_err());
        assert!(in_range("--x", earliest_instant() - Duration::microseconds(1)).is_err());
        assert_eq!(parse_when("--since", "0001-01-01", utc).unwrap(), earliest_instant());
    }

    fn report_args(argv: &[&str]) -> ReportArgs {
        use clap::Parser;
        let argv = [&["faqlink", "report", "totals"][..], argv].concat();
        match crate::cli::Cli::try_parse_from(argv).unwrap().command {
            crate::cli::Command::Report(a) => *a,
            _ => unreachable!(),
        }
    }

    /// Every known extension, in both cases, against every `--format`: the extension alone
    /// selects its format; the same format agrees; any other is a usage error naming the file.
    #[test]
    fn the_output_extension_names_the_format_and_a_contradiction_is_refused() {
        let mut cases = 0;
        for named in Format::ALL.into_iter().filter(|f| *f != Format::Table) {
            for ext in [named.extension().to_string(), named.extension().to_uppercase()] {
                let file = format!("out/weekly.{ext}");
                assert_eq!(output_format(&report_args(&["--output", &file])).unwrap(), named, "{file}");
                for given in Format::ALL {
                    let r = output_format(&report_args(&["--output", &file, "--format", given.name()]));
                    if given == named {
                        assert_eq!(r.unwrap(), named);
                    } else {
                        let e = r.unwrap_err();
                        assert_eq!(e.exit_code(), 2, "{file} --format {}", given.name());
                        let m = e.to_string();
                        assert!(m.contains(&file) && m.contains(given.name()) && m.contains(named.name()), "{m}");
                    }
                    cases += 1;
                }
                // --excel writes CSV: it agrees with .csv only.
                let r = output_format(&report_args(&["--output", &file, "--excel"]));
                assert_eq!(r.is_ok(), named == Format::Csv, "{file} --excel");
            }
        }
        assert_eq!(cases, 6 * 2 * 7);
        // No extension, or one that names no format: the format given, else the table.
        for file in ["weekly", "weekly.txt", "weekly.xlsx.bak", "report.tsv", ".csv", "dir.html/report"] {
            assert_eq!(output_format(&report_args(&["--output", file])).unwrap(), Format::Table, "{file}");
            for given in Format::ALL {
                assert_eq!(output_format(&report_args(&["--output", file, "--format", given.name()])).unwrap(), given);
            }
        }
        assert_eq!(output_format(&report_args(&[])).unwrap(), Format::Table);
        assert!(report(&report_args(&["--output", "x.json", "--format", "csv"])).is_err());
        assert_eq!(report(&report_args(&["--output", "x.csv", "--excel"])).unwrap().format, Format::Csv);
    }

    #[test]
    fn delimiters() {
        assert_eq!(parse_delimiter(";").unwrap(), b';');
        assert_eq!(parse_delimiter("\\t").unwrap(), b'\t');
        assert!(parse_delimiter(";;").is_err());
        assert!(parse_delimiter("\"").is_err());
        assert!(parse_delimiter("é").is_err());
    }
}
