//! The executor: runs any [`plan::Plan`] inside one read-only snapshot, the jobs on readers
//! on threads of their own ([`parallel`]), the others in the plan's order on the run's
//! connection, and writes each section into the sink in the plan's order.

use chrono::{DateTime, Utc};

use super::{
    duplicates, experts, latency, moved, orphans, parallel, plan, shared, split, totals, values, weekly, window_pass,
    Complete, Open, Outcome, ReportKind, Row, Section, Section1, Sink,
};
use crate::db::Database;
use crate::error::Result;

/// Runs `plan` into `sink`, all in one read-only snapshot (its readers on the same one), and
/// proves that every section is complete with the [`Complete`] that [`Sink::finish`] needs.
/// Branches on the plan's jobs only.
pub(crate) fn execute(
    db: &mut Database,
    plan: &plan::Plan,
    now: DateTime<Utc>,
    sink: &mut dyn Sink,
) -> Result<(Outcome, Complete)> {
    let outcome = db.read_snapshot_with_readers(plan.readers, |db, readers| {
        // One reading of the timestamps for the whole snapshot, on every connection.
        let reading = values::timestamps(db)?;
        for r in readers.iter_mut() {
            r.timestamps = reading;
        }
        let plan = &plan.with_readers(readers.len());
        let result = execute_in_snapshot(db, readers, plan, now, sink);
        match result {
            // A value the driver could not decode: name it with its row if it is stored text.
            // (The search never replaces the error with one of its own.)
            Err(e @ crate::error::Error::Query { .. }) => match values::explain(db, "the report") {
                Ok(Some(named)) => Err(named),
                _ => Err(e),
            },
            other => other,
        }
    })?;
    // Only a complete run may reach the output (an atomic file is committed by `finish`).
    Ok((outcome, Complete(())))
}

/// `plan`'s SQL and jobs in words ([`plan::Plan::explain`]), read in a snapshot as the run
/// would be: no report statement runs and nothing is written.
pub(crate) fn explain(db: &mut Database, plan: &plan::Plan) -> Result<String> {
    db.read_snapshot_with_readers(0, |db, _| {
        values::timestamps(db)?;
        plan.explain(db)
    })
}

/// The jobs of a plan, inside its snapshot.
fn execute_in_snapshot(
    db: &mut Database,
    readers: &mut [Database],
    plan: &plan::Plan,
    now: DateTime<Utc>,
    sink: &mut dyn Sink,
) -> Result<Outcome> {
    use plan::Work;
    for job in &plan.jobs {
        if let Work::PreviousTotals(previous) = &job.work {
            let row = totals::row(db, None, previous)?;
            sink.previous_totals(previous, &row)?;
        }
    }
    let mut outcome = Outcome::default();
    let window = &plan.window;
    // On SQLite the one reader splits scans; on PostgreSQL the readers carry sections.
    let split = plan.jobs.iter().any(|j| matches!(j.work, Work::Split(_)));
    let (reader, readers) = match split {
        true => (readers.first_mut(), &mut [][..]),
        false => (None, readers),
    };
    std::thread::scope(|scope| {
        // The jobs on readers start first and run while this connection works.
        let mut background = parallel::Background::start(scope, readers, plan, window);
        outcome.parallel_sections = background.sections();
        let mut computed = window_pass::Computed::default();
        if let Some(extras) = plan.window_pass() {
            computed = run_window_pass(db, scope, plan, extras, now, sink, &mut outcome)?;
            outcome.one_pass = true;
        }
        let run = Run { db: &mut *db, reader, plan, now, computed };
        run.sections(&mut background, sink, &mut outcome)
    })?;
    if plan.has(&Work::LatencyOverall) {
        outcome.latency_overall = latency::compute(db, window, plan.options.sla_seconds, true)?.overall;
    }
    if plan.options.latency_overall {
        if let Some(row) = &outcome.latency_overall {
            sink.latency_overall(row)?;
        }
    }
    Ok(outcome)
}

/// The window pass ([`plan::Work::WindowPass`]), with moved's period before on a connection
/// opened now, while the pass runs, when the plan says so; on this one, after the pass,
/// otherwise or when that connection could not be opened.
fn run_window_pass<'scope>(
    db: &mut Database,
    scope: &'scope std::thread::Scope<'scope, '_>,
    plan: &'scope plan::Plan,
    extras: window_pass::Extras,
    now: DateTime<Utc>,
    sink: &mut dyn Sink,
    outcome: &mut Outcome,
) -> Result<window_pass::Computed> {
    let ask = window_pass::LatencyAsk { sla_seconds: plan.options.sla_seconds, overall: plan.options.latency_overall };
    let overlapped = match plan.moved_before() {
        Some((before, plan::Connection::Overlapped)) => {
            let reading = db.timestamps;
            db.spawn_on_snapshot(scope, reading, move |r| moved::before_counts(r, before))?
        }
        _ => None,
    };
    let before = |db: &mut Database| {
        let from_reader = overlapped.and_then(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        match (from_reader, plan.moved_before()) {
            (Some(counted), _) => counted,
            (None, Some((before, _))) => moved::before_counts(db, before),
            (None, None) => Ok(Vec::new()),
        }
    };
    window_pass::run(db, &plan.window, now, extras, ask, sink, outcome, before)
}

/// The sections of a run on its connection (and the SQLite second reader), in the plan's
/// order, with the sections a reader's thread computes taken from it.
struct Run<'a> {
    db: &'a mut Database,
    reader: Option<&'a mut Database>,
    plan: &'a plan::Plan,
    now: DateTime<Utc>,
    /// What the window pass computed for the sections after its five.
    computed: window_pass::Computed,
}

impl Run<'_> {
    fn sections(
        mut self,
        background: &mut parallel::Background,
        sink: &mut dyn Sink,
        outcome: &mut Outcome,
    ) -> Result<()> {
        use plan::Work;
        let (db, plan, now) = (&mut *self.db, self.plan, self.now);
        let window = &plan.window;
        // What an earlier section counted in this snapshot, for a later one to reuse.
        let mut known_orphans = None;
        let mut shared = None;
        if plan.has(&Work::SharedPass) {
            shared = Some(shared::compute(db, window, now, |db| background.dangling(db, window))?);
        }
        for &kind in &plan.order {
            let Some(job) = plan.producer(kind) else { continue };
            match (&job.work, kind) {
                (Work::WindowPass(_), ReportKind::Latency) => {
                    let report = self.computed.latency.take().expect("the window pass computed latency");
                    emit_latency(sink, report, plan.options.latency_overall, outcome)?;
                }
                (Work::WindowPass(_), ReportKind::Moved) => {
                    emit_moved(sink, self.computed.moved.as_ref().expect("the window pass computed moved"))?;
                }
                // Written by the window pass, already (moved's summary: with moved, next).
                (Work::WindowPass(_), _) => {}
                (Work::SharedPass, kind) => {
                    let counted = shared.as_mut().expect("the shared pass ran");
                    if let Some(known) = emit_shared(counted, kind, sink)? {
                        known_orphans = Some(known);
                    }
                }
                (Work::Orphans | Work::Duplicates, kind) => emit_background(background, kind, sink, outcome)?,
                (Work::Alone(_) | Work::Split(_), kind) => {
                    let reader = match job.work {
                        Work::Split(_) => self
                            .reader
                            .as_deref_mut()
                            .map(|db| split::Reader { db, min_rows: plan.options.resources.split_min_rows }),
                        _ => None,
                    };
                    let mut section = Section1 { db: &mut *db, reader, plan, now, background: &mut *background };
                    section.emit(kind, sink, outcome, &mut known_orphans)?;
                }
                (Work::Latency, _) => {
                    emit_latency(sink, background.wait_latency()?, plan.options.latency_overall, outcome)?;
                }
                (Work::Moved, ReportKind::Moved) => {
                    emit_moved(sink, &background.wait_moved()?)?;
                }
                // Written with `moved`, which the plan puts right after it.
                (Work::Moved, _) => {}
                (Work::PreviousTotals(_) | Work::LatencyOverall | Work::MovedBefore(_), _) => {}
            }
        }
        Ok(())
    }
}

/// Writes `kind` from the shared pass's sums (taking them); after totals, the orphans
/// branches its counts make known.
fn emit_shared(
    counted: &mut shared::Shared,
    kind: ReportKind,
    sink: &mut dyn Sink,
) -> Result<Option<orphans::Branches>> {
    match kind {
        ReportKind::Experts => {
            let rows = std::mem::take(&mut counted.experts);
            emit(sink, &experts::SECTION, rows.iter().map(Row::Expert))?;
        }
        ReportKind::Totals => {
            let row = counted.totals;
            emit(sink, &totals::SECTION, std::iter::once(Row::Totals(&row)))?;
            return Ok(Some(orphans::Branches::counted(row.counters.orphaned_links, row.dangling_links)));
        }
        _ => {
            let rows = std::mem::take(&mut counted.weeks);
            emit(sink, &weekly::SECTION, rows.iter().map(Row::Week))?;
        }
    }
    Ok(None)
}

/// Writes the orphans or duplicates section as its reader's thread streams it.
fn emit_background(
    background: &mut parallel::Background,
    kind: ReportKind,
    sink: &mut dyn Sink,
    outcome: &mut Outcome,
) -> Result<()> {
    let open = match kind {
        ReportKind::Orphans => {
            let mut open = Open::begin(sink, &orphans::SECTION)?;
            let incoming = background.orphans.take().expect("the orphans thread started");
            outcome.orphan_rows = incoming.drain(|row| open.row(Row::Orphan(&row)))?;
            open
        }
        _ => {
            let mut open = Open::begin(sink, &duplicates::SECTION)?;
            let incoming = background.duplicates.take().expect("the duplicates thread started");
            incoming.drain(|row| open.row(Row::Duplicate(&row)))?;
            open
        }
    };
    open.end().map(|_| ())
}

/// Writes the latency section, keeping the window's overall row when `overall` asked for it.
pub(super) fn emit_latency(
    sink: &mut dyn Sink,
    report: latency::Latency,
    overall: bool,
    outcome: &mut Outcome,
) -> Result<()> {
    emit(sink, &latency::SECTION, report.weeks.iter().map(Row::Latency))?;
    outcome.latency_overall = report.overall.filter(|_| overall);
    Ok(())
}

/// Writes moved's two sections: its summary, then its lines.
pub(super) fn emit_moved(sink: &mut dyn Sink, report: &moved::Moved) -> Result<()> {
    emit(sink, &moved::SUMMARY, std::iter::once(Row::MovedSummary(report)))?;
    emit(sink, &moved::SECTION, report.lines().map(|line| Row::Moved(report, line)))
}

pub(super) fn emit<'r>(sink: &mut dyn Sink, section: &Section, rows: impl Iterator<Item = Row<'r>>) -> Result<()> {
    let mut open = Open::begin(sink, section)?;
    for row in rows {
        open.row(row)?;
    }
    open.end().map(|_| ())
}
