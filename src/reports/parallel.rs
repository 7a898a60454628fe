//! Sections of one run computed at once on PostgreSQL: the orphans and duplicates sections
//! each get a connection of their own on the run's snapshot
//! ([`Database::read_snapshot_with_readers`]) and a thread, while the run's own connection
//! computes the other sections. Their rows wait in small bounded queues until the output
//! reaches their section, so memory stays flat and the output is the same, byte for byte, as
//! the sections run one after another.
//!
//! The orphans thread first counts the dangling links (which `totals` also needs), so that
//! anti-join runs once per run, as in the serial order (docs/PERFORMANCE.md, "report all").

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::Scope;

use super::duplicates::{self, DuplicateRow};
use super::latency::Latency;
use super::moved::Moved;
use super::orphans::{self, Branches, OrphanRow};
use super::plan::{Connection, Plan, Work};
use super::totals::{self, Dangling};
use super::Window;
use crate::db::Database;
use crate::error::{Error, Result};

/// Rows a section's thread may compute ahead of the output (a few hundred KiB at most).
const QUEUE: usize = 1024;

/// One message of a section's thread.
enum Message<T> {
    /// The next row.
    Row(T),
    /// The section is complete.
    Done,
}

/// The receiving end of a section computed by another thread.
pub(crate) struct Incoming<T> {
    what: &'static str,
    rx: Receiver<Result<Message<T>>>,
}

impl<T> Incoming<T> {
    /// Hands each row to `f` as it arrives; returns how many there were. A thread that ends
    /// without saying its section is complete is an error, never a short section.
    pub(crate) fn drain(self, mut f: impl FnMut(T) -> Result<()>) -> Result<u64> {
        let mut n = 0u64;
        loop {
            match self.rx.recv() {
                Ok(Ok(Message::Row(row))) => {
                    n += 1;
                    f(row)?;
                }
                Ok(Ok(Message::Done)) => return Ok(n),
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(stopped(self.what)),
            }
        }
    }
}

fn stopped(what: &str) -> Error {
    Error::Refused(format!("{what} stopped before it was complete"))
}

/// The sections running on other threads, as far as this run has not yet taken them.
#[derive(Default)]
pub(crate) struct Background {
    /// The dangling-link counts, sent by the orphans thread before its rows.
    dangling: Option<Receiver<Result<Dangling>>>,
    /// The orphans section's rows.
    pub orphans: Option<Incoming<OrphanRow>>,
    /// The duplicates section's rows.
    pub duplicates: Option<Incoming<DuplicateRow>>,
    /// The latency report, computed whole (a row per week).
    pub latency: Option<Receiver<Result<Latency>>>,
    /// The moved report, computed whole.
    pub moved: Option<Receiver<Result<Moved>>>,
}

impl Background {
    /// Starts the plan's jobs that run on readers (connections on the run's snapshot), each
    /// on a thread of its own.
    pub(crate) fn start<'scope>(
        scope: &'scope Scope<'scope, '_>,
        readers: &'scope mut [Database],
        plan: &'scope Plan,
        window: &'scope Window,
    ) -> Background {
        let mut background = Background::default();
        let mut readers: Vec<Option<&'scope mut Database>> = readers.iter_mut().map(Some).collect();
        for job in &plan.jobs {
            let Connection::Reader(n) = job.on else { continue };
            let db = readers.get_mut(n).and_then(Option::take).expect("the plan opened this reader");
            match job.work {
                Work::Orphans => {
                    let (dangling_tx, dangling_rx) = sync_channel(1);
                    let (tx, rx) = sync_channel(QUEUE);
                    scope.spawn(move || orphans_thread(db, window, dangling_tx, tx));
                    background.dangling = Some(dangling_rx);
                    background.orphans = Some(Incoming { what: "the orphans report's thread", rx });
                }
                Work::Duplicates => {
                    let (tx, rx) = sync_channel(QUEUE);
                    scope.spawn(move || {
                        let sent = duplicates::stream(db, window, |row| send(&tx, row));
                        finish(&tx, sent);
                    });
                    background.duplicates = Some(Incoming { what: "the duplicates report's thread", rx });
                }
                Work::Latency => {
                    let (tx, rx) = sync_channel(1);
                    let (sla, overall) = (plan.options.sla_seconds, plan.options.latency_overall);
                    scope.spawn(move || {
                        let _ = tx.send(super::latency::compute(db, window, sla, overall));
                    });
                    background.latency = Some(rx);
                }
                Work::Moved => {
                    let (tx, rx) = sync_channel(1);
                    scope.spawn(move || {
                        let before = window.previous().expect("the plan checked that the window is bounded");
                        let _ = tx.send(super::moved::compute(db, &before, window));
                    });
                    background.moved = Some(rx);
                }
                ref other => unreachable!("the plan puts only orphans and duplicates on readers, not {other:?}"),
            }
        }
        background
    }

    /// The dangling-link counts of the window: from the orphans thread when there is one
    /// (waiting for it), else counted on `db`.
    pub(crate) fn dangling(&mut self, db: &mut Database, window: &Window) -> Result<Dangling> {
        match self.counts_dangling() {
            true => self.wait_dangling(),
            false => totals::dangling(db, window),
        }
    }

    /// How many sections run on other threads.
    pub(crate) fn sections(&self) -> usize {
        [self.orphans.is_some(), self.duplicates.is_some(), self.latency.is_some(), self.moved.is_some()]
            .iter()
            .filter(|on| **on)
            .count()
    }

    /// The latency report from its thread, waiting for it.
    pub(crate) fn wait_latency(&mut self) -> Result<Latency> {
        let rx = self.latency.take().ok_or_else(|| stopped("the latency report's thread"))?;
        rx.recv().map_err(|_| stopped("the latency report's thread"))?
    }

    /// The moved report from its thread, waiting for it.
    pub(crate) fn wait_moved(&mut self) -> Result<Moved> {
        let rx = self.moved.take().ok_or_else(|| stopped("the moved report's thread"))?;
        rx.recv().map_err(|_| stopped("the moved report's thread"))?
    }

    /// Whether the orphans thread counts the dangling links (and this run has not taken them).
    pub(crate) fn counts_dangling(&self) -> bool {
        self.dangling.is_some()
    }

    /// The dangling-link counts from the orphans thread, waiting for them.
    pub(crate) fn wait_dangling(&mut self) -> Result<Dangling> {
        let rx = self.dangling.take().ok_or_else(|| stopped("the orphans report's thread"))?;
        rx.recv().map_err(|_| stopped("the orphans report's thread"))?
    }
}

/// Counts the dangling links (sent first: `totals` waits for them), then streams the orphans
/// section, skipping its dangling branch when there are none.
fn orphans_thread(
    db: &mut Database,
    window: &Window,
    dangling_tx: SyncSender<Result<Dangling>>,
    tx: SyncSender<Result<Message<OrphanRow>>>,
) {
    let dangling = match totals::dangling(db, window) {
        Ok(d) => d,
        Err(e) => {
            let _ = dangling_tx.send(Err(e));
            return;
        }
    };
    // The receiver may be gone (the run failed elsewhere): the rows are then not wanted.
    let _ = dangling_tx.send(Ok(dangling));
    let branches = Branches { orphaned: true, dangling: dangling.dangling_links > 0 };
    let sent = orphans::stream(db, window, branches, |row| send(&tx, row));
    finish(&tx, sent);
}

/// Queues one row; fails (ending the section's query) when the run no longer reads them.
fn send<T>(tx: &SyncSender<Result<Message<T>>>, row: T) -> Result<()> {
    tx.send(Ok(Message::Row(row))).map_err(|_| Error::Refused("the run ended before this section was read".into()))
}

/// Says how the section ended: complete, or the error that stopped it.
fn finish<T>(tx: &SyncSender<Result<Message<T>>>, sent: Result<u64>) {
    let _ = tx.send(sent.map(|_| Message::Done));
}
