//! faqlink's temporary files and folders, and the signals that end a run: recognisable names
//! that fit `NAME_MAX`, a registry of the named temporaries that SIGTERM, SIGINT, SIGHUP and
//! SIGQUIT empty before the process dies, callbacks run on those signals, SIGXFSZ ignored (a
//! write over `ulimit -f` fails with `EFBIG` and is reported), the removal of stale
//! temporaries left by a run that was killed outright, and folders created for a run
//! (`mkdir -p`) that are removed again when the run fails.
//!
//! A temporary is registered **before** it exists and while the registry is held
//! ([`create`]): the signal thread takes the registry and never gives it back, so a signal
//! either finds the path registered (and removes it) or stops the creation from happening.
//! Files written by [`super::atomic`] have no name at all until their commit on Linux
//! (`O_TMPFILE`); only file systems without it use a registered name.
//!
//! Names: `.faqlink-NAME.XXXXXX.tmp`, beside the target `NAME` (a file, or the folder of
//! `--output-dir`). `NAME` is shortened to [`MAX_NAME_IN_TEMP`] bytes, so a target name of up
//! to 255 bytes still gets a temporary name of at most 255.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime};

/// Every temporary name starts with this.
pub(crate) const PREFIX: &str = ".faqlink-";
/// Every temporary name ends with this.
pub(crate) const SUFFIX: &str = ".tmp";
/// Random characters between the target's name and [`SUFFIX`].
pub(crate) const RANDOM_LEN: usize = 6;
/// Bytes of the target's name kept in a temporary name: `NAME_MAX` (255) minus the prefix,
/// the dot before the random part, the random part and the suffix.
pub(crate) const MAX_NAME_IN_TEMP: usize = 255 - PREFIX.len() - 1 - RANDOM_LEN - SUFFIX.len();
/// A temporary file or folder of the same target older than this is left from a run that
/// was killed outright, and the next run removes it. No report run lasts this long.
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// The part of a temporary name before the random characters: `.faqlink-NAME.`, with `NAME`
/// cut to [`MAX_NAME_IN_TEMP`] bytes (at a character boundary when it is UTF-8).
pub(crate) fn temp_prefix(target_name: &OsStr) -> OsString {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let bytes = target_name.as_bytes();
    let mut cut = bytes.len().min(MAX_NAME_IN_TEMP);
    if let Ok(text) = std::str::from_utf8(bytes) {
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
    }
    let mut out = PREFIX.as_bytes().to_vec();
    out.extend_from_slice(&bytes[..cut]);
    out.push(b'.');
    OsString::from_vec(out)
}

/// A fresh temporary name for the target `target_name`: [`temp_prefix`], [`RANDOM_LEN`]
/// random letters and digits, [`SUFFIX`].
pub(crate) fn temp_name(target_name: &OsStr) -> OsString {
    use rand::Rng;
    let mut name = temp_prefix(target_name);
    let random: String =
        rand::thread_rng().sample_iter(&rand::distributions::Alphanumeric).take(RANDOM_LEN).map(char::from).collect();
    name.push(random);
    name.push(SUFFIX);
    name
}

/// Removes this target's temporary files or folders in `dir` that are older than
/// [`STALE_AFTER`] (a run killed outright leaves them). Best effort: what cannot be removed
/// is left, silently (it may belong to another user).
pub(crate) fn remove_stale(dir: &Path, target_name: &OsStr) {
    use std::os::unix::ffi::OsStrExt;
    let prefix = temp_prefix(target_name);
    let Ok(entries) = fs::read_dir(dir) else { return };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let n = name.as_bytes();
        // Exactly this target's names: prefix, RANDOM_LEN characters, suffix.
        if n.len() != prefix.len() + RANDOM_LEN + SUFFIX.len()
            || !n.starts_with(prefix.as_bytes())
            || !n.ends_with(SUFFIX.as_bytes())
        {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let old = meta.modified().ok().and_then(|m| now.duration_since(m).ok()).is_some_and(|age| age > STALE_AFTER);
        if old {
            let _ = remove(&entry.path(), if meta.is_dir() { Kind::Tree } else { Kind::File });
        }
    }
}

/// What a registered path is, which says how a signal removes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A file: unlinked.
    File,
    /// A folder faqlink filled itself: removed with everything in it.
    Tree,
    /// A folder faqlink created for the user's target (`mkdir -p`): removed only while empty.
    EmptyFolder,
}

fn remove(path: &Path, kind: Kind) -> io::Result<()> {
    match kind {
        Kind::File => fs::remove_file(path),
        Kind::Tree => fs::remove_dir_all(path),
        Kind::EmptyFolder => fs::remove_dir(path),
    }
}

/// The live temporary paths of this process, in the order they were created.
static LIVE: Mutex<Vec<(PathBuf, Kind, u64)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn live() -> MutexGuard<'static, Vec<(PathBuf, Kind, u64)>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A temporary path that a signal removes until this is dropped (dropping only unregisters:
/// the owner removes or renames the path itself).
#[derive(Debug)]
pub(crate) struct Registered(u64);

/// Creates a temporary path with `make`, registered before it exists: the registry is held
/// while `make` runs, so a signal cannot end the process between the creation and the
/// registration. On failure nothing stays registered.
pub(crate) fn create<T>(path: &Path, kind: Kind, make: impl FnOnce() -> io::Result<T>) -> io::Result<(T, Registered)> {
    install();
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let mut live = live();
    live.push((path.to_path_buf(), kind, id));
    match make() {
        Ok(made) => Ok((made, Registered(id))),
        Err(e) => {
            live.pop();
            Err(e)
        }
    }
}

/// The registered paths (for tests).
#[cfg(test)]
pub(crate) fn registered_paths() -> Vec<PathBuf> {
    live().iter().map(|(p, _, _)| p.clone()).collect()
}

/// Runs `f` with the registry held, so that a signal arriving meanwhile waits until `f` is
/// done (used to give a temporary its name and rename it into place as one step).
pub(crate) fn held<T>(f: impl FnOnce() -> T) -> T {
    let _live = live();
    f()
}

fn unregister(live: &mut Vec<(PathBuf, Kind, u64)>, id: u64) {
    if let Some(i) = live.iter().rposition(|(_, _, i)| *i == id) {
        live.remove(i);
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        unregister(&mut live(), self.0);
    }
}

impl Registered {
    /// Runs `rename` (which moves the path into place or away) with the registry held, so
    /// that a signal arriving meanwhile waits until it is done; the path is no longer live
    /// afterwards, whatever `rename` returned.
    pub(crate) fn settle<T>(self, rename: impl FnOnce() -> T) -> T {
        let mut live = live();
        let out = rename();
        unregister(&mut live, self.0);
        std::mem::forget(self);
        out
    }

    /// Runs `f` with the registry held, like [`Registered::settle`], but the path stays live:
    /// for a rename that leaves something else at the registered path (an exchange leaves the
    /// old set there), which a signal must still remove until its owner has.
    pub(crate) fn hold<T>(&self, f: impl FnOnce() -> T) -> T {
        let _live = live();
        f()
    }
}

/// The signals that remove faqlink's temporary paths, run the [`on_signal`] callbacks, then
/// end the process by the same signal.
pub(crate) const SIGNALS: [i32; 4] = [
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGHUP,
    signal_hook::consts::SIGQUIT,
];

type Hook = Box<dyn Fn() + Send + Sync>;
static HOOKS: Mutex<Vec<(u64, Hook)>> = Mutex::new(Vec::new());

/// A callback run when one of [`SIGNALS`] ends the run, until this is dropped.
#[must_use = "the callback is removed when this is dropped"]
pub(crate) struct SignalHook(u64);

/// Registers `hook`, run by the signal thread when one of [`SIGNALS`] arrives, after the
/// temporary paths are removed and before the process ends (for example: ask a server to
/// cancel the running query). It runs on another thread than the one it was registered from.
pub(crate) fn on_signal(hook: impl Fn() + Send + Sync + 'static) -> SignalHook {
    install();
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    HOOKS.lock().unwrap_or_else(|p| p.into_inner()).push((id, Box::new(hook)));
    SignalHook(id)
}

impl Drop for SignalHook {
    fn drop(&mut self) {
        HOOKS.lock().unwrap_or_else(|p| p.into_inner()).retain(|(id, _)| *id != self.0);
    }
}

/// Installs faqlink's signal handling (once; later calls do nothing): a thread that, on one
/// of [`SIGNALS`], takes the registry for good, removes every registered path (newest first),
/// runs the [`on_signal`] callbacks and ends the process by the same signal (a shell shows
/// 128 + its number; SIGQUIT without a core file, so nothing is left behind); and SIGXFSZ
/// caught and ignored, so that a write beyond `ulimit -f` fails with `EFBIG` ("File too
/// large") and is reported like any other write error.
pub fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let _ = signal_hook::flag::register(signal_hook::consts::SIGXFSZ, Arc::new(AtomicBool::new(false)));
        let Ok(mut signals) = signal_hook::iterator::Signals::new(SIGNALS) else {
            // Without a handler the signals keep their default action: a killed run may then
            // leave temporary names, which the next run's stale clean-up removes.
            return;
        };
        let spawned = std::thread::Builder::new().name("faqlink-signals".into()).spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // Held until the process ends: no temporary is created after this point.
                let live = live();
                for (path, kind, _) in live.iter().rev() {
                    let _ = remove(path, *kind);
                }
                for (_, hook) in HOOKS.lock().unwrap_or_else(|p| p.into_inner()).iter() {
                    hook();
                }
                if signal == signal_hook::consts::SIGQUIT {
                    let mut core = rustix::process::getrlimit(rustix::process::Resource::Core);
                    core.current = Some(0);
                    let _ = rustix::process::setrlimit(rustix::process::Resource::Core, core);
                }
                // Die of the same signal, as a program without a handler would; exit with
                // that status if that fails.
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        });
        drop(spawned);
    });
}

/// Folders created for a target that was missing (`mkdir -p`), each registered as an
/// [`Kind::EmptyFolder`]: dropped without [`CreatedFolders::keep`], those still empty are
/// removed again (newest first), so a failed run leaves no empty folder behind.
#[derive(Debug, Default)]
pub(crate) struct CreatedFolders(Vec<(PathBuf, Registered)>);

impl CreatedFolders {
    /// Creates `dir` and its missing parents, with mode `0777` (the kernel applies the umask,
    /// a default ACL and a setgid parent's group). A `dir` that exists is left alone.
    pub(crate) fn make(dir: &Path) -> io::Result<Self> {
        let mut missing = Vec::new();
        let mut at = dir;
        loop {
            match fs::symlink_metadata(at) {
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    missing.push(at.to_path_buf());
                    match at.parent() {
                        Some(p) if !p.as_os_str().is_empty() => at = p,
                        _ => break,
                    }
                }
                Err(e) => return Err(e),
            }
        }
        let mut made = CreatedFolders::default();
        for path in missing.into_iter().rev() {
            let created = create(&path, Kind::EmptyFolder, || fs::create_dir(&path));
            match created {
                Ok(((), registered)) => made.0.push((path, registered)),
                // Created by someone else meanwhile: theirs, not removed.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => {}
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("cannot create the folder {}: {e}", crate::error::quoted(&path.display().to_string())),
                    ))
                }
            }
        }
        Ok(made)
    }

    /// Keeps the folders (the run succeeded).
    pub(crate) fn keep(mut self) {
        self.0.clear();
    }
}

impl Drop for CreatedFolders {
    fn drop(&mut self) {
        while let Some((path, registered)) = self.0.pop() {
            let _ = fs::remove_dir(&path);
            drop(registered);
        }
    }
}

/// Syncs a folder, so that a rename in it is durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_fit_name_max() {
        let long = "é".repeat(127) + "x"; // 255 bytes
        assert_eq!(long.len(), 255);
        let p = temp_prefix(OsStr::new(&long));
        assert!(p.len() + RANDOM_LEN + SUFFIX.len() <= 255, "{}", p.len());
        assert!(p.to_str().is_some(), "cut at a character boundary");
        assert_eq!(temp_prefix(OsStr::new("experts.csv")), OsStr::new(".faqlink-experts.csv."));
        let name = temp_name(OsStr::new(&long));
        assert_eq!(name.len(), p.len() + RANDOM_LEN + SUFFIX.len());
        assert!(name.len() <= 255);
    }

    #[test]
    fn a_registration_whose_creation_fails_leaves_nothing_registered() {
        let dir = tempfile::tempdir().unwrap();
        let mine = || {
            live().iter().filter(|(p, _, _)| p.starts_with(dir.path()) || p.starts_with("/nonexistent-faqlink")).count()
        };
        let failed =
            create(Path::new("/nonexistent-faqlink/x"), Kind::File, || fs::write("/nonexistent-faqlink/x", ""));
        assert!(failed.is_err());
        assert_eq!(mine(), 0);
        let made = CreatedFolders::make(&dir.path().join("a/b/c")).unwrap();
        assert!(dir.path().join("a/b/c").is_dir());
        drop(made);
        assert!(!dir.path().join("a").exists(), "created folders are removed when not kept");
        let made = CreatedFolders::make(&dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/file"), "x").unwrap();
        drop(made);
        assert!(!dir.path().join("a/b").exists() && dir.path().join("a/file").exists(), "only empty folders");
        CreatedFolders::make(&dir.path().join("k/l")).unwrap().keep();
        assert!(dir.path().join("k/l").is_dir());
        assert_eq!(mine(), 0);
    }
}
