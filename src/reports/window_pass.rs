//! `report all` over a bounded window on PostgreSQL in one statement that reads the window's
//! rows once: they are materialised (a CTE, narrow columns only) and every section is computed
//! from that copy: experts, totals and weekly from one grouping per (expert, week), the
//! dangling links by one anti-join, the orphaned and dangling rows, and the candidate
//! duplicates. The parts arrive in output order (part, then each section's own order), so
//! every section streams into the sink as it would run alone, byte for byte.
//!
//! When the run also writes `latency` and `moved` (`report all` over a bounded window), the
//! same pass yields them ([`Extras`]): the FAQ of every linked row is looked up once, for the
//! dangling check and for its `created_at` (latency's percentiles per week, in SQL), and each
//! expert's `correct` and linked rows of the window come from the groups. Only moved's
//! period before is read apart, after the pass ([`super::plan::Work::MovedBefore`]): an index
//! range of one more week.
//!
//! The sections run one by one read the window's rows five times, each time from the heap
//! through the timestamp index (the production index covers no other column); at 10M rows a
//! week is ~96,000 rows on as many pages (docs/PERFORMANCE.md, "report all --last-week").

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};
use diesel::QueryableByName;

use super::counters::{self, Counters};
use super::duplicates::{self, DuplicateRow};
use super::latency::{self, Aggregates, Latency, PgWeeks};
use super::moved::{self, AfterCounts, ExpertCounts, Moved};
use super::orphans::{self, OrphanRow};
use super::shared::{self, Sums};
use super::totals::{self, Dangling};
use super::{emit, experts, weekly, Open, Outcome, Sink, Window};
use crate::db::types::PortableTimestamptz;
use crate::db::{Database, Sql, Timestamp};
use crate::error::Result;

/// The parts of the statement's result, in output order (the number is the `part` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    /// One row: the dangling-link counts.
    Dangling = 0,
    /// The counters per (expert, week).
    Groups = 1,
    /// The orphaned, then the dangling rows, in the orphans report's order.
    Orphans = 2,
    /// The candidate duplicates' linked rows, by query.
    Duplicates = 3,
    /// Latency's aggregates per week (and over the window), when asked for.
    Latency = 4,
}

/// What the pass yields besides the five sections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extras {
    /// The latency section (its SLA and, with `overall`, the window as a whole are the run's
    /// options).
    pub latency: bool,
    /// The moved sections (the window's counts per expert; the period before is read apart).
    pub moved: bool,
}

/// Latency in the pass: the SLA, and whether the window as a whole is wanted too.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LatencyAsk {
    pub sla_seconds: i64,
    pub overall: bool,
}

impl Part {
    /// Every part, in order.
    const ALL: [Part; 5] = [Part::Dangling, Part::Groups, Part::Orphans, Part::Duplicates, Part::Latency];

    /// The part numbered `n` in the result.
    fn numbered(n: i32) -> Result<Part> {
        usize::try_from(n).ok().and_then(|i| Part::ALL.get(i)).copied().ok_or_else(|| {
            crate::error::Error::Refused(format!("the one-pass statement returned a row of unknown part {n}"))
        })
    }

    /// The part's number, as the statement writes it.
    fn sql(self) -> String {
        (self as i32).to_string()
    }
}

/// One row of the pass, decoded by its part.
enum Item {
    Dangling(Dangling),
    Group { expert: String, has_profile: bool, registration: Option<String>, week: Option<i32>, counters: Counters },
    Orphan(OrphanRow),
    Link { query_id: String, feedback_id: String, faq_id: String },
    Latency { week: Option<i32>, whole: bool, aggregates: Aggregates },
}

/// One row of any part; the columns a part does not use are NULL (counters 0).
#[derive(QueryableByName)]
struct PassRow {
    #[diesel(sql_type = Integer)]
    part: i32,
    /// GROUPS, ORPHANS: the expert; DUPLICATES: the query.
    #[diesel(sql_type = Nullable<Text>)]
    key: Option<String>,
    /// GROUPS: whether the expert has a profile.
    #[diesel(sql_type = Bool)]
    has_profile: bool,
    #[diesel(sql_type = Nullable<Text>)]
    professional_registration_number: Option<String>,
    /// GROUPS: the 1-based week.
    #[diesel(sql_type = Nullable<Integer>)]
    week: Option<i32>,
    #[diesel(embed)]
    counters: Counters,
    /// DANGLING: the counts.
    #[diesel(sql_type = BigInt)]
    dangling_links: i64,
    #[diesel(sql_type = BigInt)]
    dangling_correct: i64,
    /// ORPHANS, DUPLICATES: the feedback row.
    #[diesel(sql_type = Nullable<Text>)]
    feedback_id: Option<String>,
    #[diesel(sql_type = Nullable<PortableTimestamptz>)]
    feedback_timestamp: Option<Timestamp>,
    /// ORPHANS: `orphaned` or `dangling`.
    #[diesel(sql_type = Nullable<Text>)]
    kind: Option<String>,
    /// ORPHANS: the missing FAQ; DUPLICATES: the linked FAQ.
    #[diesel(sql_type = Nullable<Text>)]
    faq_id: Option<String>,
    /// LATENCY: the aggregates of the week (or of the window, `whole`).
    #[diesel(embed)]
    latency: Aggregates,
    #[diesel(sql_type = Bool)]
    whole: bool,
}

impl PassRow {
    /// The row as what its part means (the columns other parts use are ignored).
    fn decode(self) -> Result<(Part, Item)> {
        let part = Part::numbered(self.part)?;
        let item = match part {
            Part::Dangling => Item::Dangling(Dangling {
                dangling_links: self.dangling_links,
                dangling_correct: self.dangling_correct,
            }),
            Part::Groups => Item::Group {
                expert: self.key.unwrap_or_default(),
                has_profile: self.has_profile,
                registration: self.professional_registration_number,
                week: self.week,
                counters: self.counters,
            },
            Part::Orphans => Item::Orphan(OrphanRow {
                feedback_id: self.feedback_id.unwrap_or_default(),
                expert_id: self.key.unwrap_or_default(),
                professional_registration_number: self.professional_registration_number,
                feedback_timestamp: self.feedback_timestamp,
                kind: self.kind.unwrap_or_default(),
                generated_faq_id: self.faq_id,
            }),
            Part::Duplicates => Item::Link {
                query_id: self.key.unwrap_or_default(),
                feedback_id: self.feedback_id.unwrap_or_default(),
                faq_id: self.faq_id.unwrap_or_default(),
            },
            Part::Latency => Item::Latency { week: self.week, whole: self.whole, aggregates: self.latency },
        };
        Ok((part, item))
    }
}

/// The statement (binds: the window's bounds, the week boundaries); with `latency`, it also
/// yields latency's part.
pub(crate) fn statement(
    db: &Database,
    window: &Window,
    bounds: Option<&[DateTime<Utc>]>,
    latency: Option<LatencyAsk>,
) -> Sql {
    let mut sql = db.sql();
    push_rows(&mut sql, window, latency.is_some());
    sql.push(
        "SELECT p.part AS part, p.key AS key, ep.id IS NOT NULL AS has_profile, \
                ep.professional_registration_number AS professional_registration_number, p.week AS week, ",
    )
    .push(&counters::select_as("p"))
    .push(
        ", p.dangling_links AS dangling_links, p.dangling_correct AS dangling_correct, \
                CAST(p.feedback_id AS TEXT) AS feedback_id, p.feedback_timestamp AS feedback_timestamp, \
                p.kind AS kind, p.faq_id AS faq_id, p.linked_faqs AS linked_faqs, p.within_sla AS within_sla, \
                p.negative_latency AS negative_latency, p.missing_timestamp AS missing_timestamp, \
                p.p50 AS p50, p.p90 AS p90, p.p99 AS p99, p.whole AS whole \
         FROM (",
    );
    let zeros = counters::zeros();
    push_dangling_and_groups(&mut sql, &zeros, bounds);
    push_orphans_and_duplicates(&mut sql, &zeros);
    if let Some(ask) = latency {
        push_latency(&mut sql, &zeros, bounds, ask);
    }
    // Each section's own order: orphans by time (NULLs last) then id, duplicates by query.
    sql.push(
        ") p LEFT JOIN expert_profiles ep ON ep.id = p.expert \
         ORDER BY p.part, p.feedback_timestamp ASC NULLS LAST, p.key_uuid ASC",
    );
    sql
}

/// The planner settings the pass runs under (`SET LOCAL`, inside the run's snapshot), and
/// what restores them after it. With hash and merge joins off, each linked FAQ is looked up
/// by one key probe whatever the planner would estimate: it once hashed the whole of
/// `faq_entries` instead (at 1M rows, a sequential scan of 339,000 FAQs for a week's 3,227
/// links: 255 ms instead of 42 ms). The pass's other joins are a handful of expert profiles.
pub(crate) const PLANNER: &str = "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off";
/// Undoes [`PLANNER`] for the rest of the snapshot's statements.
pub(crate) const PLANNER_RESET: &str = "RESET enable_hashjoin; RESET enable_mergejoin";

/// The rows the parts read: `w`, the window's rows, read once; `d`, those whose link names
/// no faq_entries row; with `lookup` (latency), `j`, the linked rows and their FAQ, looked
/// up once for `d` and for latency.
///
/// `j` (or `d`) reads the window's linked rows from `expert_feedback` itself, not from `w`:
/// a CTE's rows can only be read by the process that made them, while a table's can be
/// shared among PostgreSQL's parallel workers, which then probe the FAQs side by side (at
/// 10M rows, a week's 32,757 probes: 175 ms in one process, 115 ms in two; the window's
/// index range is read twice, 17 ms). The two reads are of the same snapshot.
fn push_rows(sql: &mut Sql, window: &Window, lookup: bool) {
    sql.push(
        "WITH w AS MATERIALIZED (SELECT ef.id, ef.expert_id, ef.query_id, ef.feedback_type, \
                ef.task_creation_attempted, ef.task_creation_success, ef.generated_faq_id, ef.feedback_timestamp \
              FROM expert_feedback ef WHERE 1 = 1",
    );
    super::push_window(sql, "ef.feedback_timestamp", window);
    sql.push(match lookup {
        false => {
            "), d AS MATERIALIZED (SELECT ef.id, ef.expert_id, ef.feedback_type, ef.generated_faq_id, ef.feedback_timestamp \
              FROM expert_feedback ef WHERE ef.generated_faq_id IS NOT NULL \
                AND NOT EXISTS (SELECT 1 FROM faq_entries fe WHERE fe.id = ef.generated_faq_id)"
        }
        // j is kept narrow: what latency reads, and a dangling row's details only when the
        // FAQ is missing (a handful of rows at most).
        true => {
            "), j AS MATERIALIZED (SELECT ef.feedback_timestamp, ef.feedback_type = 'correct' AS correct, \
                    fe.created_at AS created_at, fe.id IS NULL AS missing, \
                    CASE WHEN fe.id IS NULL THEN ef.id END AS id, CASE WHEN fe.id IS NULL THEN ef.expert_id END AS expert_id, \
                    CASE WHEN fe.id IS NULL THEN ef.feedback_type END AS feedback_type, \
                    CASE WHEN fe.id IS NULL THEN ef.generated_faq_id END AS generated_faq_id \
              FROM expert_feedback ef LEFT JOIN faq_entries fe ON fe.id = ef.generated_faq_id \
              WHERE ef.generated_faq_id IS NOT NULL"
        }
    });
    super::push_window(sql, "ef.feedback_timestamp", window);
    if lookup {
        sql.push(
            "), d AS MATERIALIZED (SELECT j.id, j.expert_id, j.feedback_type, j.generated_faq_id, j.feedback_timestamp \
              FROM j WHERE j.missing",
        );
    }
    sql.push(") ");
}

/// The first parts: the dangling-link counts (one row, which names the columns), then the
/// counters per (expert, week), as in the shared pass.
fn push_dangling_and_groups(sql: &mut Sql, zeros: &str, bounds: Option<&[DateTime<Utc>]>) {
    sql.push(&format!(
        "SELECT {} AS part, CAST(NULL AS UUID) AS expert, CAST(NULL AS UUID) AS key_uuid, CAST(NULL AS TEXT) AS key, ",
        Part::Dangling.sql()
    ))
    .push("CAST(NULL AS INTEGER) AS week, ")
    .push(zeros)
    .push(
        ", COUNT(*) AS dangling_links, COUNT(*) FILTER (WHERE d.feedback_type = 'correct') AS dangling_correct, \
             CAST(NULL AS UUID) AS feedback_id, CAST(NULL AS TIMESTAMPTZ) AS feedback_timestamp, \
             CAST(NULL AS TEXT) AS kind, CAST(NULL AS VARCHAR) AS faq_id, ",
    )
    .push(latency::NO_AGGREGATES)
    .push(", FALSE AS whole FROM d");
    sql.push(&format!(
        " UNION ALL SELECT {}, g.expert_id, CAST(NULL AS UUID), CAST(g.expert_id AS TEXT), g.week, ",
        Part::Groups.sql()
    ))
    .push(&counters::columns("g"))
    .push(", 0, 0, CAST(NULL AS UUID), CAST(NULL AS TIMESTAMPTZ), CAST(NULL AS TEXT), CAST(NULL AS VARCHAR), ")
    .push(NO_LATENCY)
    .push(" FROM (SELECT ef.expert_id AS expert_id, ");
    shared::push_week(sql, bounds);
    sql.push(" AS week, ").push(&counters::SQL).push(" FROM w ef GROUP BY 1, 2) g");
}

/// The orphaned rows, then the dangling ones (ordered by the statement); then the linked
/// correct rows of queries with more than one (the client keeps the queries with more than
/// one distinct FAQ, as `report duplicates` does).
fn push_orphans_and_duplicates(sql: &mut Sql, zeros: &str) {
    let orphans = Part::Orphans.sql();
    sql.push(&format!(" UNION ALL SELECT {orphans}, w.expert_id, w.id, CAST(w.expert_id AS TEXT), NULL, "))
        .push(zeros)
        .push(&format!(
            ", 0, 0, w.id, w.feedback_timestamp, 'orphaned', CAST(NULL AS VARCHAR), {NO_LATENCY} FROM w \
             WHERE w.feedback_type = 'correct' AND w.task_creation_success IS TRUE AND w.generated_faq_id IS NULL \
             UNION ALL SELECT {orphans}, d.expert_id, d.id, CAST(d.expert_id AS TEXT), NULL, ",
        ))
        .push(zeros)
        .push(&format!(", 0, 0, d.id, d.feedback_timestamp, 'dangling', d.generated_faq_id, {NO_LATENCY} FROM d"));
    let duplicates = Part::Duplicates.sql();
    sql.push(&format!(" UNION ALL SELECT {duplicates}, NULL, c.query_id, CAST(c.query_id AS TEXT), NULL, "));
    sql.push(zeros).push(&format!(
        ", 0, 0, c.id, NULL, NULL, c.generated_faq_id, {NO_LATENCY} \
             FROM (SELECT w.query_id, w.id, w.generated_faq_id, COUNT(*) OVER (PARTITION BY w.query_id) AS linked_rows \
                   FROM w WHERE w.feedback_type = 'correct' AND w.generated_faq_id IS NOT NULL) c \
             WHERE c.linked_rows > 1",
    ));
}

/// The latency columns of a part that carries none (after the first part, which names them).
const NO_LATENCY: &str = "0, 0, 0, 0, CAST(NULL AS DOUBLE PRECISION), CAST(NULL AS DOUBLE PRECISION), \
     CAST(NULL AS DOUBLE PRECISION), FALSE";

/// Latency's part: the aggregates of the linked `correct` rows whose FAQ exists, per week
/// (and, with `overall`, over the window: `whole`), as `report latency` computes them.
fn push_latency(sql: &mut Sql, zeros: &str, bounds: Option<&[DateTime<Utc>]>, ask: LatencyAsk) {
    sql.push(&format!(
        " UNION ALL SELECT {}, CAST(NULL AS UUID), CAST(NULL AS UUID), CAST(NULL AS TEXT), x.week, ",
        Part::Latency.sql()
    ))
    .push(zeros)
    .push(", 0, 0, CAST(NULL AS UUID), CAST(NULL AS TIMESTAMPTZ), CAST(NULL AS TEXT), CAST(NULL AS VARCHAR), ");
    latency::push_aggregates(sql, ask.sla_seconds);
    sql.push(", GROUPING(x.week) = 1 FROM (SELECT ");
    shared::push_week(sql, bounds);
    sql.push(" AS week, ")
        .push(&latency::pg_latency_us("ef.feedback_timestamp", "ef.created_at"))
        // OFFSET 0: each row's latency computed once, not once per aggregate reading it.
        .push(" AS l FROM j ef WHERE NOT ef.missing AND ef.correct OFFSET 0) x");
    sql.push(if ask.overall { " GROUP BY GROUPING SETS ((x.week), ())" } else { " GROUP BY x.week" });
}

/// What the pass computed for the sections after the five, for the executor to write in
/// the plan's order.
#[derive(Default)]
pub(crate) struct Computed {
    /// The latency section.
    pub latency: Option<Latency>,
    /// The moved sections.
    pub moved: Option<Moved>,
}

/// Runs `report all` over `window`, writing the five sections into `sink` (the caller has
/// handed over the previous period's totals, and commits the sink), and returns the sections
/// of `extras`; moved's period before comes from `before` (called once the pass is read,
/// with the run's connection).
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    db: &mut Database,
    window: &Window,
    now: DateTime<Utc>,
    extras: Extras,
    latency: LatencyAsk,
    sink: &mut dyn Sink,
    outcome: &mut Outcome,
    before: impl FnOnce(&mut Database) -> Result<Vec<ExpertCounts>>,
) -> Result<Computed> {
    let span = weekly::bounds(db, window)?;
    let ask = extras.latency.then_some(latency);
    let sql = statement(db, window, span.as_ref().map(|w| w.bounds.as_slice()), ask);
    let mut state = State {
        sink: Cursor::Idle(sink),
        next: 0,
        dangling: Dangling { dangling_links: 0, dangling_correct: 0 },
        sums: Some(Sums::new(span.as_ref(), window, now)),
        weeks: Vec::new(),
        duplicates: duplicates::Grouper::default(),
        orphan_rows: 0,
        latency: extras.latency.then(|| PgWeeks::new(span.as_ref(), window)),
        after: extras.moved.then(AfterCounts::default),
    };
    db.batch("setting the one-pass statement's planner", PLANNER)?;
    db.for_each("the report (one pass over the window)", &sql, |row: PassRow| state.row(row))?;
    db.batch("restoring the planner after the one-pass statement", PLANNER_RESET)?;
    state.advance(Part::ALL.len())?;
    outcome.orphan_rows = state.orphan_rows;
    emit(state.sink.idle()?, &weekly::SECTION, state.weeks.iter().map(super::Row::Week))?;
    let mut computed = Computed { latency: state.latency.map(PgWeeks::finish), moved: None };
    if let Some(after) = state.after {
        let previous = window.previous().expect("moved's window is bounded");
        computed.moved = Some(moved::decompose(after.join(before(db)?), previous, window.clone()));
    }
    Ok(computed)
}

/// The sink between the parts: free, or holding the section the current part streams into
/// (orphans, then duplicates).
enum Cursor<'a> {
    Idle(&'a mut dyn Sink),
    Open(Open<'a>),
    /// Only while switching between the two.
    Switching,
}

impl<'a> Cursor<'a> {
    /// The open section; rows of a section that is not open are the statement's error.
    fn open(&mut self) -> Result<&mut Open<'a>> {
        match self {
            Cursor::Open(open) => Ok(open),
            _ => Err(out_of_order()),
        }
    }

    /// The sink, no section open.
    fn idle(&mut self) -> Result<&mut dyn Sink> {
        match self {
            Cursor::Idle(sink) => Ok(&mut **sink),
            _ => Err(out_of_order()),
        }
    }

    /// Ends the open section, if any, and begins `section`, if given.
    fn switch(&mut self, section: Option<&super::Section>) -> Result<()> {
        let sink = match std::mem::replace(self, Cursor::Switching) {
            Cursor::Idle(sink) => sink,
            Cursor::Open(open) => open.end()?,
            Cursor::Switching => return Err(out_of_order()),
        };
        *self = match section {
            Some(section) => Cursor::Open(Open::begin(sink, section)?),
            None => Cursor::Idle(sink),
        };
        Ok(())
    }
}

/// The error for rows that arrive outside their part's order.
fn out_of_order() -> crate::error::Error {
    crate::error::Error::Refused("the one-pass statement returned its parts out of order".into())
}

/// Where the stream of parts is, and what it has gathered.
struct State<'a> {
    sink: Cursor<'a>,
    /// The first part whose rows may still come (an index of [`Part::ALL`]).
    next: usize,
    dangling: Dangling,
    /// The groups' sums, until the sections they make are written.
    sums: Option<Sums>,
    /// The weekly section, written last.
    weeks: Vec<super::weekly::WeekRow>,
    duplicates: duplicates::Grouper,
    orphan_rows: u64,
    /// Latency's rows, when the pass computes them.
    latency: Option<PgWeeks>,
    /// Each expert's counts in the window, for moved.
    after: Option<AfterCounts>,
}

impl State<'_> {
    fn row(&mut self, row: PassRow) -> Result<()> {
        let (part, item) = row.decode()?;
        self.advance(part as usize)?;
        match item {
            Item::Dangling(d) => self.dangling = d,
            Item::Group { expert, has_profile, registration, week, counters } => {
                if let Some(after) = self.after.as_mut() {
                    after.add(&expert, registration.as_ref(), counters.correct_feedback, counters.faqs_generated);
                }
                let sums = self.sums.as_mut().ok_or_else(out_of_order)?;
                sums.add(&expert, has_profile, registration.as_ref(), week, counters);
            }
            Item::Orphan(orphan) => {
                self.orphan_rows += 1;
                self.sink.open()?.row(super::Row::Orphan(&orphan))?;
            }
            Item::Link { query_id, feedback_id, faq_id } => {
                let open = self.sink.open()?;
                self.duplicates
                    .add(query_id, feedback_id, faq_id, &mut |d: DuplicateRow| open.row(super::Row::Duplicate(&d)))?;
            }
            Item::Latency { week, whole, aggregates } => {
                let rows = self.latency.as_mut().ok_or_else(|| {
                    crate::error::Error::Refused("the one-pass statement returned latency rows not asked for".into())
                })?;
                match whole {
                    true => rows.add_overall(aggregates),
                    false => rows.add(week.map(i64::from), aggregates),
                }
            }
        }
        Ok(())
    }

    /// Writes what the parts before `Part::ALL[until]` complete (`Part::ALL.len()`: all of them):
    /// experts and totals (and the orphans section's start) once the groups are in, the
    /// switch from orphans to duplicates, and the end of duplicates.
    fn advance(&mut self, until: usize) -> Result<()> {
        while self.next < until {
            match Part::ALL[self.next] {
                Part::Dangling => {}
                Part::Groups => {
                    let done = self.sums.take().ok_or_else(out_of_order)?.finish(self.dangling);
                    let sink = self.sink.idle()?;
                    emit(sink, &experts::SECTION, done.experts.iter().map(super::Row::Expert))?;
                    emit(sink, &totals::SECTION, std::iter::once(super::Row::Totals(&done.totals)))?;
                    self.weeks = done.weeks;
                    self.sink.switch(Some(&orphans::SECTION))?;
                }
                Part::Orphans => self.sink.switch(Some(&duplicates::SECTION))?,
                Part::Duplicates => {
                    let open = self.sink.open()?;
                    std::mem::take(&mut self.duplicates)
                        .finish(&mut |d: DuplicateRow| open.row(super::Row::Duplicate(&d)))?;
                    self.sink.switch(None)?;
                }
                Part::Latency => {}
            }
            self.next += 1;
        }
        Ok(())
    }
}
