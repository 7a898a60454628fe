//! faqlink's temporary files and folders: recognisable names that fit `NAME_MAX`, a registry
//! of the live ones that SIGTERM, SIGINT and SIGHUP empty before the process dies, the removal
//! of stale ones left by a run that was killed outright (`kill -9`, a power cut), and the
//! mode a new file gets from the umask.
//!
//! Names: `.faqlink-NAME.XXXXXX.tmp`, beside the target `NAME` (a file, or the folder of
//! `--output-dir`). `NAME` is shortened to [`MAX_NAME_IN_TEMP`] bytes, so a target name of up
//! to 255 bytes still gets a temporary name of at most 255.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime};

/// Every temporary name starts with this.
pub const PREFIX: &str = ".faqlink-";
/// Every temporary name ends with this.
pub const SUFFIX: &str = ".tmp";
/// Random characters between the target's name and [`SUFFIX`].
pub const RANDOM_LEN: usize = 6;
/// Bytes of the target's name kept in a temporary name: `NAME_MAX` (255) minus the prefix,
/// the dot before the random part, the random part and the suffix.
pub const MAX_NAME_IN_TEMP: usize = 255 - PREFIX.len() - 1 - RANDOM_LEN - SUFFIX.len();
/// A temporary file or folder of the same target older than this is left from a run that
/// was killed outright, and the next run removes it. No report run lasts this long.
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// The part of a temporary name before the random characters: `.faqlink-NAME.`, with `NAME`
/// cut to [`MAX_NAME_IN_TEMP`] bytes (at a character boundary when it is UTF-8).
pub fn temp_prefix(target_name: &OsStr) -> OsString {
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

/// Removes this target's temporary files or folders in `dir` that are older than
/// [`STALE_AFTER`] (a run killed outright leaves them). Best effort: what cannot be removed
/// is left, silently (it may belong to another user).
pub fn remove_stale(dir: &Path, target_name: &OsStr) {
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
            let _ = remove(&entry.path(), meta.is_dir());
        }
    }
}

fn remove(path: &Path, is_dir: bool) -> io::Result<()> {
    if is_dir {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

/// The live temporary paths (files and folders) of this process.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A temporary path removed by the signal handler until it is dropped (dropping only
/// unregisters: the owner removes or renames the path itself).
#[derive(Debug)]
pub struct Registered(PathBuf);

/// Registers a live temporary path, installing the signal handler on first use.
pub fn register(path: &Path) -> Registered {
    install_handler();
    live().push(path.to_path_buf());
    Registered(path.to_path_buf())
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut live = live();
        if let Some(i) = live.iter().rposition(|p| *p == self.0) {
            live.swap_remove(i);
        }
    }
}

impl Registered {
    /// Runs `rename` (which moves the path into place or away) with the registry held, so
    /// that a signal arriving meanwhile waits until it is done; the path is no longer live
    /// afterwards, whatever `rename` returned.
    pub fn settle<T>(self, rename: impl FnOnce() -> T) -> T {
        let mut live = live();
        let out = rename();
        if let Some(i) = live.iter().rposition(|p| *p == self.0) {
            live.swap_remove(i);
        }
        out
    }
}

/// The signals that remove faqlink's temporary paths before the process ends.
pub const SIGNALS: [i32; 4] = [
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGHUP,
    signal_hook::consts::SIGQUIT,
];

/// Work the signal thread does first when one of [`SIGNALS`] arrives, before it removes the
/// temporary paths and ends the process (the database layer cancels its queries at the
/// server: [`crate::db::cancel`]).
static HOOKS: Mutex<Vec<fn()>> = Mutex::new(Vec::new());

/// Adds `hook` to the work done when a signal arrives, installing the signal handler.
pub fn on_signal(hook: fn()) {
    install_handler();
    HOOKS.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(hook);
}

fn install_handler() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let Ok(mut signals) = signal_hook::iterator::Signals::new(SIGNALS) else {
            // Without a handler the signals keep their default action: a killed run may then
            // leave temporary files, which the next run's stale clean-up removes.
            return;
        };
        let spawned = std::thread::Builder::new().name("faqlink-signals".into()).spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let hooks = HOOKS.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
                for hook in hooks {
                    hook();
                }
                let live = live();
                for path in live.iter() {
                    let is_dir = fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
                    let _ = remove(path, is_dir);
                }
                // Die of the same signal (the shell shows 128 + its number), as a program
                // without a handler would; exit with that status if that fails.
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        });
        drop(spawned);
    });
}

/// The process umask, read once (`/proc/self/status`, else set and restored at once).
pub fn umask() -> u32 {
    static UMASK: OnceLock<u32> = OnceLock::new();
    *UMASK.get_or_init(|| {
        let from_proc = fs::read_to_string("/proc/self/status").ok().and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("Umask:")).and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        });
        from_proc.unwrap_or_else(|| {
            use rustix::fs::Mode;
            let old = rustix::process::umask(Mode::from_bits_truncate(0o077));
            rustix::process::umask(old);
            old.bits()
        })
    })
}

/// The permissions a newly created file gets from the umask (`0666 & !umask`).
pub fn new_file_permissions() -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    fs::Permissions::from_mode(0o666 & !umask())
}

/// The permissions a newly created folder gets from the umask (`0777 & !umask`).
pub fn new_dir_permissions() -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    fs::Permissions::from_mode(0o777 & !umask())
}

/// Syncs a folder, so that a rename in it is durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
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
    }
}
