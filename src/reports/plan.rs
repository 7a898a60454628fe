//! The plan of a report run, decided once, as data: the jobs (each a statement, or a pair of
//! statements, and the sections it yields), the connection each runs on, and the order the
//! sections are emitted in. [`plan`] is the only code that picks a path by backend, window
//! or sections; the executor ([`super::execute`]) runs any plan inside one read-only
//! snapshot, the way `pg_dump -j` hands its jobs to its workers. `faqlink report … --explain`
//! prints the plan and each job's SQL ([`Plan::explain`]); docs/CLI.md shows an example.
//!
//! The paths, and why each exists (docs/PERFORMANCE.md has the measurements):
//! - [`Work::WindowPass`]: `report all` over at most a month on PostgreSQL reads the window's
//!   rows once ([`super::window_pass`]), latency and moved included; moved's period before is
//!   read after it ([`Work::MovedBefore`]);
//! - [`Work::SharedPass`]: experts, totals and weekly from one grouping per (expert, week) on
//!   PostgreSQL ([`super::shared`]);
//! - [`Work::Orphans`] and [`Work::Duplicates`] on readers of their own, at once, on
//!   PostgreSQL ([`super::parallel`]);
//! - [`Work::Split`]: on SQLite over the whole history, a section's scan split between two
//!   connections ([`super::split`]);
//! - [`Work::Alone`]: every other section, one statement on the run's connection.

use std::fmt::Write as _;

use chrono::Duration;

use super::window_pass::Extras;
use super::{latency, moved, Options, ReportKind, Resources, Window};
use crate::db::{Backend, Database, Sql};
use crate::error::{Error, Result};

/// The longest window `report all` reads in one pass on PostgreSQL: a month. Its rows are
/// held by the server (narrow columns, about 130 bytes a row: at 10M rows over two years a
/// month is ~420,000 rows, ~55 MB, within the session's `work_mem` of 64 MB). A longer window
/// reads faster in sections at once, each reading the rows where they are.
pub(crate) const WINDOW_PASS_MAX_DAYS: i64 = 31;

/// The sections the window pass writes, in its order.
const WINDOW_PASS_SECTIONS: [ReportKind; 5] =
    [ReportKind::Experts, ReportKind::Totals, ReportKind::Orphans, ReportKind::Duplicates, ReportKind::Weekly];

/// The sections the shared pass and the SQLite split compute.
const COUNTED: [ReportKind; 3] = [ReportKind::Experts, ReportKind::Totals, ReportKind::Weekly];

/// The most readers a run opens besides its own connection (PostgreSQL): a run needs one
/// connection slot and uses at most three.
pub const MAX_READERS: usize = 2;

/// The sections that may run on a reader of their own (PostgreSQL), those that gain most
/// first.
const BACKGROUND: [ReportKind; 4] =
    [ReportKind::Orphans, ReportKind::Duplicates, ReportKind::Latency, ReportKind::Moved];

/// A connection of the run: its own, or one of the readers opened on its snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// The run's own connection.
    Main,
    /// Reader `n` (0-based), on the same snapshot.
    Reader(usize),
    /// A connection opened on the run's snapshot while the run's connection works (its
    /// setup overlaps the run's statements; PostgreSQL). If it cannot be opened, the job
    /// runs on the run's connection instead.
    Overlapped,
}

/// What a job does.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    /// The totals of the previous period of the same length, for the formats that show each
    /// headline's change (handed to the sink before the first section).
    PreviousTotals(Window),
    /// `report all` over a short window on PostgreSQL: one statement, the five sections (and
    /// latency and moved, as `Extras` says).
    WindowPass(Extras),
    /// Moved's period before, counted per expert for a window pass that counts the window.
    MovedBefore(Window),
    /// Experts, totals and weekly from one grouping per (expert, week).
    SharedPass,
    /// One section alone, on its connection.
    Alone(ReportKind),
    /// One section whose scan is split between the run's connection and reader 0 (SQLite).
    Split(ReportKind),
    /// On a reader: the dangling links counted (the totals take them), then the orphans rows.
    Orphans,
    /// On a reader: the duplicates rows.
    Duplicates,
    /// On a reader: the latency report, computed whole while the run's connection works.
    Latency,
    /// On a reader: the moved report, computed whole while the run's connection works.
    Moved,
    /// The latency over the whole window, for `--expect` (when no latency section gives it).
    LatencyOverall,
}

/// One job of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// What it does.
    pub work: Work,
    /// Where it runs.
    pub on: Connection,
}

impl Job {
    /// The sections this job yields.
    pub(crate) fn yields(&self) -> Vec<ReportKind> {
        match &self.work {
            Work::PreviousTotals(_) | Work::LatencyOverall | Work::MovedBefore(_) => Vec::new(),
            Work::WindowPass(extras) => {
                let mut kinds = WINDOW_PASS_SECTIONS.to_vec();
                if extras.latency {
                    kinds.push(ReportKind::Latency);
                }
                if extras.moved {
                    kinds.extend([ReportKind::MovedSummary, ReportKind::Moved]);
                }
                kinds
            }
            Work::SharedPass => COUNTED.to_vec(),
            Work::Alone(ReportKind::Moved) => vec![ReportKind::MovedSummary, ReportKind::Moved],
            Work::Alone(kind) | Work::Split(kind) => vec![*kind],
            Work::Orphans => vec![ReportKind::Orphans],
            Work::Duplicates => vec![ReportKind::Duplicates],
            Work::Latency => vec![ReportKind::Latency],
            Work::Moved => vec![ReportKind::MovedSummary, ReportKind::Moved],
        }
    }
}

/// A run, decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The backend it was decided for.
    pub backend: Backend,
    /// Readers opened on the run's snapshot besides its own connection.
    pub readers: usize,
    /// The jobs: those on the run's connection run in this order; those on readers start
    /// first, on threads, and their rows wait in bounded queues until their section's turn.
    pub jobs: Vec<Job>,
    /// The sections in the order they are emitted.
    pub order: Vec<ReportKind>,
    /// The report window.
    pub window: Window,
    /// The weekly section's own window (`--trend-weeks`), when it differs.
    pub weekly_window: Option<Window>,
    /// `--sla` and whether the latency over the window is wanted.
    pub options: Options,
    /// The sections asked for (to plan again with fewer readers).
    kinds: Vec<ReportKind>,
    /// Whether the output asked for the previous period's totals.
    previous_totals: bool,
}

/// What a run is asked for.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The sections, in order.
    pub kinds: &'a [ReportKind],
    /// The window.
    pub window: &'a Window,
    /// The weekly section's own window.
    pub weekly_window: Option<&'a Window>,
    /// The reports' options.
    pub options: &'a Options,
    /// Whether the output shows changes against the previous period.
    pub previous_totals: bool,
}

/// Decides the run of `request` on `backend` with at most `options.resources.max_readers`
/// connections besides the run's own. The only place that chooses a path.
pub fn plan(backend: Backend, request: Request<'_>) -> Result<Plan> {
    let Request { kinds, window, weekly_window, options, previous_totals } = request;
    let max_readers = options.resources.max_readers;
    let weekly_window = weekly_window.filter(|w| *w != window).cloned();
    if kinds.contains(&ReportKind::Moved) && window.previous().is_none() {
        return Err(Error::Usage(
            "report moved needs a window bounded on both sides: --week, --last-week, or --since with --until".into(),
        ));
    }
    let mut jobs = Vec::new();
    if let Some(previous) = window.previous().filter(|_| previous_totals) {
        jobs.push(Job { work: Work::PreviousTotals(previous), on: Connection::Main });
    }
    let short = match (window.since, window.until) {
        (Some(since), Some(until)) => until - since <= Duration::days(WINDOW_PASS_MAX_DAYS),
        _ => false,
    };
    let five = kinds.len() >= 5 && kinds[..5] == WINDOW_PASS_SECTIONS;
    let rest = kinds.get(5..).unwrap_or_default();
    let extras = Extras { latency: rest.contains(&ReportKind::Latency), moved: rest.contains(&ReportKind::Moved) };
    let only_extras = rest.len() == usize::from(extras.latency) + usize::from(extras.moved);
    let readers = if backend == Backend::Postgres && five && only_extras && short && weekly_window.is_none() {
        // Latency and moved from the same pass (each linked row's FAQ looked up once); moved's
        // period before on a connection opened while the pass runs (on readers opened before
        // the run, at 10M rows, each section cost more than it hid: docs/PERFORMANCE.md).
        jobs.push(Job { work: Work::WindowPass(extras), on: Connection::Main });
        if let Some(before) = window.previous().filter(|_| extras.moved) {
            let on = if max_readers > 0 { Connection::Overlapped } else { Connection::Main };
            jobs.push(Job { work: Work::MovedBefore(before), on });
        }
        0
    } else {
        match backend {
            Backend::Sqlite => sqlite_jobs(kinds, window, weekly_window.as_ref(), max_readers, &mut jobs),
            Backend::Postgres => postgres_jobs(kinds, max_readers, weekly_window.is_none(), &mut jobs),
        }
    };
    if options.latency_overall && !kinds.contains(&ReportKind::Latency) {
        jobs.push(Job { work: Work::LatencyOverall, on: Connection::Main });
    }
    let order = kinds
        .iter()
        .flat_map(|&k| match k {
            ReportKind::Moved => vec![ReportKind::MovedSummary, ReportKind::Moved],
            k => vec![k],
        })
        .collect();
    let kinds = kinds.to_vec();
    Ok(Plan {
        backend,
        readers,
        jobs,
        order,
        window: window.clone(),
        weekly_window,
        options: *options,
        kinds,
        previous_totals,
    })
}

/// SQLite: a counted section over the whole history (weekly: over its own window) splits its
/// scan with one reader.
fn sqlite_jobs(
    kinds: &[ReportKind],
    window: &Window,
    weekly_window: Option<&Window>,
    max_readers: usize,
    jobs: &mut Vec<Job>,
) -> usize {
    let splits = |k: ReportKind| {
        let own = if k == ReportKind::Weekly { weekly_window.unwrap_or(window) } else { window };
        max_readers > 0 && COUNTED.contains(&k) && !own.is_bounded()
    };
    for &k in kinds {
        let work = if splits(k) { Work::Split(k) } else { Work::Alone(k) };
        jobs.push(Job { work, on: Connection::Main });
    }
    usize::from(kinds.iter().any(|&k| splits(k)))
}

/// PostgreSQL: the last orphans and duplicates sections on readers of their own, as long as
/// one section stays on the run's connection; experts, totals and weekly from one pass when
/// all three are asked for over one window.
fn postgres_jobs(kinds: &[ReportKind], max_readers: usize, one_window: bool, jobs: &mut Vec<Job>) -> usize {
    let background = kinds.iter().filter(|k| BACKGROUND.contains(k)).count();
    let readers = background.min(kinds.len().saturating_sub(1)).min(max_readers).min(MAX_READERS);
    // Which sections get the readers: the first of BACKGROUND's order that the run has.
    let chosen: Vec<ReportKind> = BACKGROUND.iter().filter(|k| kinds.contains(k)).take(readers).copied().collect();
    let mut on_readers = Vec::new();
    for (n, &k) in kinds.iter().rev().filter(|k| chosen.contains(k)).enumerate() {
        on_readers.push(Job { work: background_work(k), on: Connection::Reader(n) });
    }
    jobs.extend(on_readers.iter().cloned());
    let shared = one_window && COUNTED.iter().all(|k| kinds.contains(k));
    if shared {
        jobs.push(Job { work: Work::SharedPass, on: Connection::Main });
    }
    for &k in kinds {
        let covered = on_readers.iter().any(|j| j.yields().contains(&k)) || (shared && COUNTED.contains(&k));
        if !covered {
            jobs.push(Job { work: Work::Alone(k), on: Connection::Main });
        }
    }
    readers
}

/// The job that computes `kind` on a reader.
fn background_work(kind: ReportKind) -> Work {
    match kind {
        ReportKind::Orphans => Work::Orphans,
        ReportKind::Duplicates => Work::Duplicates,
        ReportKind::Latency => Work::Latency,
        ReportKind::Moved => Work::Moved,
        other => unreachable!("{other:?} does not run on a reader"),
    }
}

impl Plan {
    /// The same run planned again for the readers that could be opened, when fewer than
    /// planned (a role's connection limit, a server out of slots).
    pub(crate) fn with_readers(&self, available: usize) -> Plan {
        if available >= self.readers {
            return self.clone();
        }
        let options =
            Options { resources: Resources { max_readers: available, ..self.options.resources }, ..self.options };
        let request = Request {
            kinds: &self.kinds,
            window: &self.window,
            weekly_window: self.weekly_window.as_ref(),
            options: &options,
            previous_totals: self.previous_totals,
        };
        plan(self.backend, request).expect("planned once already")
    }

    /// The job that yields `kind`.
    pub(crate) fn producer(&self, kind: ReportKind) -> Option<&Job> {
        self.jobs.iter().find(|j| j.yields().contains(&kind))
    }

    /// Moved's period before and where it is counted, when a job counts it for the window
    /// pass.
    pub(crate) fn moved_before(&self) -> Option<(&Window, Connection)> {
        self.jobs.iter().find_map(|j| match &j.work {
            Work::MovedBefore(before) => Some((before, j.on)),
            _ => None,
        })
    }

    /// What the window pass yields besides the five sections, when the plan has one.
    pub fn window_pass(&self) -> Option<Extras> {
        self.jobs.iter().find_map(|j| match j.work {
            Work::WindowPass(extras) => Some(extras),
            _ => None,
        })
    }

    /// Whether a job does `work`.
    pub fn has(&self, work: &Work) -> bool {
        self.jobs.iter().any(|j| &j.work == work)
    }

    /// The plan in words, with each job's SQL as it would be sent on `db` (inside the run's
    /// snapshot: reading the catalog, how timestamps are stored and, for the weekly
    /// boundaries, the window's first and last timestamps; no report statement runs).
    pub(crate) fn explain(&self, db: &mut Database) -> Result<String> {
        let mut out = String::new();
        let backend = match self.backend {
            Backend::Postgres => "PostgreSQL",
            Backend::Sqlite => "SQLite",
        };
        let names: Vec<&str> = self.order.iter().map(|k| k.name()).collect();
        let _ = writeln!(out, "plan: {} job(s) on {backend}, in one read-only snapshot", self.jobs.len());
        let overlapped = match self.jobs.iter().any(|j| j.on == Connection::Overlapped) {
            true => ", and one opened on it while the run's connection works",
            false => "",
        };
        let _ = writeln!(out, "connections: the run's own and {} reader(s) on its snapshot{overlapped}", self.readers);
        let _ = writeln!(out, "sections, in output order: {}", names.join(", "));
        for (i, job) in self.jobs.iter().enumerate() {
            let on = match job.on {
                Connection::Main => "the run's connection".to_string(),
                Connection::Reader(n) => format!("reader {}", n + 1),
                Connection::Overlapped => "the connection opened while the run's works".to_string(),
            };
            let yields: Vec<&str> = job.yields().iter().map(|k| k.name()).collect();
            let yields = if yields.is_empty() { String::new() } else { format!(" -> {}", yields.join(", ")) };
            let _ = writeln!(out, "\njob {} on {on}: {}{yields}", i + 1, self.describe(&job.work));
            for (label, sql) in self.statements(db, &job.work)? {
                let _ = writeln!(out, "  -- {label}\n{}", indent(&sql.explained()));
            }
        }
        Ok(out)
    }

    fn describe(&self, work: &Work) -> &'static str {
        match work {
            Work::PreviousTotals(_) => "totals of the previous period of the same length",
            Work::WindowPass(Extras { latency: false, moved: false }) => {
                "the window's rows read once, five sections from them"
            }
            Work::WindowPass(_) => "the window's rows read once, the sections from them (moved's period before apart)",
            Work::MovedBefore(_) => "moved's period before, counted per expert (the window pass writes moved)",
            Work::SharedPass => "experts, totals and weekly from one grouping per (expert, week)",
            Work::Alone(_) => "one section",
            Work::Split(_) => "one section, its scan split at a rowid pivot with reader 1",
            Work::Orphans => "the dangling links counted (for totals), then the orphans rows",
            Work::Duplicates => "the duplicates rows",
            Work::Latency => "the latency report, while the run's connection works",
            Work::Moved => "the moved report, while the run's connection works",
            Work::LatencyOverall => "the latency over the whole window (for --expect)",
        }
    }

    /// The statements `work` sends, labelled.
    fn statements(&self, db: &mut Database, work: &Work) -> Result<Vec<(&'static str, Sql)>> {
        let window = &self.window;
        let weeks = |db: &mut Database, w: &Window| -> Result<Vec<chrono::DateTime<chrono::Utc>>> {
            Ok(super::weekly::bounds(db, w)?.map(|w| w.bounds).unwrap_or_default())
        };
        Ok(match work {
            Work::PreviousTotals(previous) => vec![("totals", super::totals::statement(db.sql(), previous))],
            Work::WindowPass(extras) => {
                let bounds = weeks(db, window)?;
                let ask = super::window_pass::LatencyAsk {
                    sla_seconds: self.options.sla_seconds,
                    overall: self.options.latency_overall,
                };
                let ask = extras.latency.then_some(ask);
                let planner = |text: &str| {
                    let mut sql = db.sql();
                    sql.push(text);
                    sql
                };
                vec![
                    ("the planner, for the pass", planner(super::window_pass::PLANNER)),
                    ("the sections", super::window_pass::statement(db, window, Some(&bounds), ask)),
                    ("the planner, after the pass", planner(super::window_pass::PLANNER_RESET)),
                ]
            }
            Work::MovedBefore(before) => {
                let (b0, b1) = (before.since.expect("bounded"), before.until.expect("bounded"));
                vec![("moved, the period before", moved::before_statement(db, b0, b1))]
            }
            Work::SharedPass => {
                let bounds = weeks(db, window)?;
                vec![
                    ("groups", super::shared::statement(db, window, Some(&bounds))),
                    ("dangling links", super::totals::dangling_statement(db, window)),
                ]
            }
            Work::Orphans => vec![
                ("dangling links", super::totals::dangling_statement(db, window)),
                ("orphans", orphans_statement(db, window)),
            ],
            Work::Duplicates | Work::Alone(ReportKind::Duplicates) => {
                vec![("duplicates", super::duplicates::statement(db, window)?)]
            }
            Work::Alone(kind) | Work::Split(kind) => self.section_statements(db, *kind)?,
            Work::Latency => self.section_statements(db, ReportKind::Latency)?,
            Work::Moved => self.section_statements(db, ReportKind::Moved)?,
            Work::LatencyOverall => self.latency_statements(db, false)?,
        })
    }

    fn section_statements(&self, db: &mut Database, kind: ReportKind) -> Result<Vec<(&'static str, Sql)>> {
        let window = &self.window;
        Ok(match kind {
            ReportKind::Experts => vec![("experts", super::experts::statement(db.sql(), window, None))],
            ReportKind::Totals => vec![("totals", super::totals::statement(db.sql(), window))],
            ReportKind::Orphans => vec![("orphans", orphans_statement(db, window))],
            ReportKind::Duplicates => vec![("duplicates", super::duplicates::statement(db, window)?)],
            ReportKind::Weekly => {
                let weeks_window = self.weekly_window.as_ref().unwrap_or(window);
                match super::weekly::bounds(db, weeks_window)? {
                    Some(weeks) => vec![("weekly", super::weekly::statement(db, weeks_window, &weeks, None))],
                    None => Vec::new(),
                }
            }
            ReportKind::Latency => self.latency_statements(db, true)?,
            ReportKind::Moved | ReportKind::MovedSummary => {
                let before = window.previous().expect("checked by plan");
                let b = |w: &Window| (w.since.expect("bounded"), w.until.expect("bounded"));
                let ((b0, b1), (a0, a1)) = (b(&before), b(window));
                vec![("moved", moved::statement(db, [b0, b1, a0, a1]))]
            }
        })
    }

    fn latency_statements(&self, db: &mut Database, grouped: bool) -> Result<Vec<(&'static str, Sql)>> {
        let window = &self.window;
        let span = super::weekly::bounds(db, window)?;
        let sla = self.options.sla_seconds;
        Ok(match self.backend {
            Backend::Postgres => {
                let mut v = Vec::new();
                if grouped {
                    v.push(("latency per week", latency::pg_statement(self.backend, window, span.as_ref(), sla, true)));
                }
                if !grouped || self.options.latency_overall {
                    v.push((
                        "latency over the window",
                        latency::pg_statement(self.backend, window, span.as_ref(), sla, false),
                    ));
                }
                v
            }
            Backend::Sqlite => {
                let bounds = span.map(|w| w.bounds).unwrap_or_default();
                let [counts, latencies] = latency::sqlite_statements(db, window, &bounds, sla);
                vec![
                    ("latency counts per bucket", counts),
                    ("latencies in order (percentiles picked in Rust)", latencies),
                ]
            }
        })
    }
}

/// The orphans statement with both branches (a run that counted no dangling links skips
/// that branch).
fn orphans_statement(db: &Database, window: &Window) -> Sql {
    super::orphans::statement(db, window, super::orphans::Branches::ALL).expect("both branches")
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn week() -> Window {
        let since = chrono::Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap();
        Window { since: Some(since), until: Some(since + Duration::days(7)), tz: chrono_tz::UTC }
    }

    fn request<'a>(kinds: &'a [ReportKind], window: &'a Window, options: &'a Options) -> Request<'a> {
        Request { kinds, window, weekly_window: None, options, previous_totals: false }
    }

    #[test]
    fn every_section_asked_for_has_exactly_one_producer_on_every_path() {
        let options = Options::default();
        let all: Vec<ReportKind> =
            ReportKind::ALL.iter().copied().chain([ReportKind::Latency, ReportKind::Moved]).collect();
        let subsets: Vec<Vec<ReportKind>> = (1u32..(1 << all.len()))
            .map(|mask| all.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, k)| *k).collect())
            .collect();
        let windows = [week(), Window::all(chrono_tz::UTC)];
        let mut plans = 0;
        for backend in [Backend::Postgres, Backend::Sqlite] {
            for max_readers in [usize::MAX, 1, 0] {
                for window in &windows {
                    for kinds in &subsets {
                        let options = Options { resources: Resources { max_readers, ..options.resources }, ..options };
                        let Ok(plan) = plan(backend, request(kinds, window, &options)) else {
                            assert!(kinds.contains(&ReportKind::Moved) && !window.is_bounded());
                            continue;
                        };
                        plans += 1;
                        for kind in &plan.order {
                            let n = plan.jobs.iter().filter(|j| j.yields().contains(kind)).count();
                            assert_eq!(n, 1, "{backend:?} {kinds:?} {kind:?}: {:?}", plan.jobs);
                        }
                        let yielded: usize = plan.jobs.iter().map(|j| j.yields().len()).sum();
                        assert_eq!(yielded, plan.order.len(), "{backend:?} {kinds:?}: {:?}", plan.jobs);
                        assert!(plan.readers <= max_readers.min(MAX_READERS));
                        for job in &plan.jobs {
                            if let Connection::Reader(n) = job.on {
                                assert!(n < plan.readers, "{:?}", plan);
                            }
                        }
                    }
                }
            }
        }
        assert!(plans > 500, "{plans}");
    }

    #[test]
    fn report_all_over_a_week_on_postgresql_reads_the_window_once() {
        let options = Options::default();
        let kinds = ReportKind::ALL;
        let p = plan(Backend::Postgres, request(&kinds, &week(), &options)).unwrap();
        assert_eq!(p.readers, 0);
        assert_eq!(p.jobs, vec![Job { work: Work::WindowPass(Extras::default()), on: Connection::Main }]);
        let bundle = ReportKind::bundle(&week());
        let p = plan(Backend::Postgres, request(&bundle, &week(), &options)).unwrap();
        assert_eq!(p.readers, 0, "latency and moved from the window pass");
        let both = Extras { latency: true, moved: true };
        let jobs = |before_on| {
            vec![
                Job { work: Work::WindowPass(both), on: Connection::Main },
                Job { work: Work::MovedBefore(week().previous().unwrap()), on: before_on },
            ]
        };
        // Moved's period before on a connection opened while the pass runs; with no spare
        // connection, after the pass on the run's own.
        assert_eq!(p.jobs, jobs(Connection::Overlapped));
        let serial = Options { resources: Resources::SERIAL, ..options };
        let p = plan(Backend::Postgres, request(&bundle, &week(), &serial)).unwrap();
        assert_eq!(p.jobs, jobs(Connection::Main));
        let whole = plan(Backend::Postgres, request(&kinds, &Window::all(chrono_tz::UTC), &options));
        let whole = whole.unwrap();
        assert!(whole.has(&Work::SharedPass) && whole.has(&Work::Orphans) && whole.has(&Work::Duplicates));
        assert_eq!(whole.readers, 2);
        assert_eq!(ReportKind::bundle(&Window::all(chrono_tz::UTC)), kinds, "the five over the whole history");
        let with_latency = [&kinds[..], &[ReportKind::Latency]].concat();
        let whole = plan(Backend::Postgres, request(&with_latency, &Window::all(chrono_tz::UTC), &options));
        let whole = whole.unwrap();
        assert_eq!(whole.readers, MAX_READERS, "at most three connections");
        assert!(
            whole.has(&Work::Orphans) && whole.has(&Work::Duplicates) && whole.has(&Work::Alone(ReportKind::Latency))
        );
        let two = [ReportKind::Totals, ReportKind::Latency];
        let two = plan(Backend::Postgres, request(&two, &Window::all(chrono_tz::UTC), &options)).unwrap();
        assert!(two.has(&Work::Latency), "latency on a reader while totals runs");
        let sqlite = plan(Backend::Sqlite, request(&kinds, &Window::all(chrono_tz::UTC), &options));
        let sqlite = sqlite.unwrap();
        assert_eq!(sqlite.readers, 1);
        assert!(sqlite.has(&Work::Split(ReportKind::Experts)));
    }
}
