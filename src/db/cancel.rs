//! Interrupts reach the server: every PostgreSQL connection of the run is recorded with its
//! server process id (`pg_backend_pid()`) when it is opened, and when SIGINT, SIGTERM, SIGHUP
//! or SIGQUIT arrives the signal thread ([`crate::output::cleanup::on_signal`]), once it has
//! removed the temporary files, opens one short connection per server and runs
//! `pg_cancel_backend(pid)` for each, before the process dies of the signal. This is what libpq's `PQcancel` achieves (the crate forbids the unsafe
//! code its FFI needs); a role may cancel its own sessions, so no privilege is needed.
//!
//! Without it, a query waiting on a lock keeps running at the server after faqlink is gone,
//! until the lock is released.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// How long the signal thread waits for the cancel requests before the process ends anyway
/// (an unreachable server must not hold Ctrl-C up).
pub(crate) const CANCEL_WAIT: Duration = Duration::from_secs(2);

/// A live PostgreSQL session of this process: its registration number, the connection
/// string it was opened with (never printed) and its server process id.
struct Session {
    id: u64,
    conninfo: String,
    pid: i32,
}

static SESSIONS: Mutex<Vec<Session>> = Mutex::new(Vec::new());
static NEXT: AtomicU64 = AtomicU64::new(0);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn sessions() -> MutexGuard<'static, Vec<Session>> {
    SESSIONS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A recorded session; dropping it (when its connection closes) forgets it.
#[derive(Debug)]
pub(crate) struct Registration(u64);

impl Drop for Registration {
    fn drop(&mut self) {
        sessions().retain(|s| s.id != self.0);
    }
}

/// Records the session `pid` opened with `conninfo`, installing the signal hook on first use.
pub(crate) fn register(conninfo: &str, pid: i32) -> Registration {
    // Installed once and kept for the life of the process.
    static HOOK: OnceLock<crate::output::cleanup::SignalHook> = OnceLock::new();
    HOOK.get_or_init(|| crate::output::cleanup::on_signal(cancel_all));
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    sessions().push(Session { id, conninfo: conninfo.to_string(), pid });
    Registration(id)
}

/// True once a signal has started cancelling this process's queries: the process is about
/// to end of that signal, so an error a cancelled query returns must not be reported (the
/// caller waits instead, see [`wait_if_interrupted`]).
pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// When a signal is cancelling this process's queries, waits for the signal thread to end
/// the process (it does within [`CANCEL_WAIT`] and a little more), so that the query error
/// the cancel causes is never printed nor turned into exit status 1.
pub(crate) fn wait_if_interrupted() {
    if interrupted() {
        loop {
            std::thread::park();
        }
    }
}

/// Cancels every recorded session at its server: one short connection per connection string,
/// all at once, waiting at most [`CANCEL_WAIT`] in all.
fn cancel_all() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let mut by_server: Vec<(String, Vec<i32>)> = Vec::new();
    for s in sessions().iter() {
        match by_server.iter_mut().find(|(c, _)| *c == s.conninfo) {
            Some((_, pids)) => pids.push(s.pid),
            None => by_server.push((s.conninfo.clone(), vec![s.pid])),
        }
    }
    if by_server.is_empty() {
        return;
    }
    let (done, finished) = mpsc::channel();
    let servers = by_server.len();
    for (conninfo, pids) in by_server {
        let done = done.clone();
        let spawned = std::thread::Builder::new().name("faqlink-cancel".into()).spawn(move || {
            if let Ok(mut c) = PgConnection::establish(&conninfo) {
                let list = pids.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
                let _ = c.batch_execute(&format!("SELECT pg_cancel_backend(pid) FROM unnest(ARRAY[{list}]) AS pid"));
            }
            let _ = done.send(());
        });
        drop(spawned);
    }
    let deadline = Instant::now() + CANCEL_WAIT;
    for _ in 0..servers {
        let left = deadline.saturating_duration_since(Instant::now());
        if finished.recv_timeout(left).is_err() {
            break;
        }
    }
}
