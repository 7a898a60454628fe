//! SQLite files: opening one (a hot journal rolled back, or named with the command that
//! recovers it; read-only opens that create no side file), and building a new database under
//! a temporary name that appears whole or not at all ([`NewFile`]).

use super::*;

pub(super) fn open_sqlite(url: &DatabaseUrl, path: &Path, mode: SqliteMode) -> Result<SqliteConnection> {
    match open_sqlite_once(url, path, mode) {
        // A read that needs a rollback first: a write was interrupted (a crash, `kill -9`)
        // and left a hot journal. Roll it back when this user may write there (what any
        // SQLite connection that can write does on its first read), else say so in one line.
        Err(e) if mode == SqliteMode::ReadOnly && has_journal(path) && !in_wal_mode(path) => {
            match roll_back_hot_journal(path) {
                Ok(()) => {
                    eprintln!(
                        "faqlink: note: {} had a hot journal ({}-journal) left by an interrupted write; \
                         rolled back to its last committed state",
                        crate::error::quoted(&path.display().to_string()),
                        crate::error::quoted(&path.display().to_string())
                    );
                    open_sqlite_once(url, path, mode)
                }
                Err(_) => {
                    let sqlite = match &e {
                        Error::Connect { reason, .. } => reason.clone(),
                        other => other.to_string(),
                    };
                    Err(Error::Connect {
                        url: url.redacted(),
                        reason: format!(
                            "a write to it was interrupted and left a hot journal ({}-journal) that must be rolled \
                             back before the file can be read, and this user cannot write there (SQLite: {sqlite}); \
                             a user who can (its owner) recovers it with `faqlink migrate`, which restores the last \
                             committed state",
                            crate::error::quoted(&path.display().to_string())
                        ),
                    })
                }
            }
        }
        other => other,
    }
}

/// Whether a non-empty `-journal` file lies beside `path` (a hot journal when no writer is live).
fn has_journal(path: &Path) -> bool {
    let mut journal = path.as_os_str().to_owned();
    journal.push("-journal");
    std::fs::metadata(PathBuf::from(journal)).is_ok_and(|m| m.is_file() && m.len() > 0)
}

/// Opens `path` read-write (never creating it) and reads it, which makes SQLite roll a hot
/// journal back; fails when this user cannot write the file or its folder.
fn roll_back_hot_journal(path: &Path) -> std::result::Result<(), String> {
    let target = format!("file:{}?mode=rw", uri_escape(&path.to_string_lossy()));
    let mut c = SqliteConnection::establish(&target).map_err(|e| e.to_string())?;
    c.batch_execute(&format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; SELECT COUNT(*) FROM sqlite_master"))
        .map_err(|e| e.to_string())?;
    drop(c);
    if has_journal(path) {
        return Err("the journal is still there".into());
    }
    Ok(())
}

fn open_sqlite_once(url: &DatabaseUrl, path: &Path, mode: SqliteMode) -> Result<SqliteConnection> {
    let exists = path.exists();
    if mode == SqliteMode::ReadOnly && !exists {
        return Err(Error::MissingDatabase { path: path.to_path_buf() });
    }
    if path.is_dir() {
        return Err(Error::Connect { url: url.redacted(), reason: "it is a directory, not a SQLite file".into() });
    }
    let target = match mode {
        // SQLite URI: mode=ro makes a missing file an error and any write fail.
        SqliteMode::ReadOnly => format!("file:{}?mode=ro", uri_escape(&path.to_string_lossy())),
        SqliteMode::WriteWal | SqliteMode::Write => path.to_string_lossy().into_owned(),
    };
    // A read failing on a file in WAL mode is almost always the -shm file SQLite must create
    // beside it even to read: say so, and how to fix it, instead of "readonly database".
    let failed = |e: &dyn std::fmt::Display| {
        let mut reason = e.to_string();
        if mode == SqliteMode::ReadOnly && in_wal_mode(path) {
            reason = format!(
                "{reason}: the file is in WAL mode, in which SQLite must create {}-shm and {}-wal beside it \
                 even to read, and this user cannot write there; faqlink's write commands leave their \
                 files in rollback-journal mode (its owner can run `faqlink migrate`, or \
                 `sqlite3 FILE 'PRAGMA journal_mode=DELETE'`)",
                path.display(),
                path.display()
            );
        }
        Error::Connect { url: url.redacted(), reason }
    };
    let mut c = SqliteConnection::establish(&target).map_err(|e| failed(&e))?;
    let mut setup = format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON;");
    match mode {
        // A 1 MiB page cache (SQLite's default is 2 MiB): reports scan once, so a larger one
        // buys nothing, and a split report holds two (10M rows, `report all`: peak RSS 19.7 ->
        // 16.8 MiB, no report slower).
        SqliteMode::ReadOnly => setup.push_str("PRAGMA query_only = 1; PRAGMA cache_size = -1024;"),
        // While a write runs, WAL lets readers go on; WAL changes the file, so only
        // connections that may write switch it on, and they switch it back when they finish
        // (Database::finish_writes).
        SqliteMode::WriteWal => setup.push_str("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"),
        // faqlink's write commands: the file's own journal mode (a rollback journal, as
        // faqlink leaves its files); `seed` switches to WAL itself for a long write.
        SqliteMode::Write => {}
    }
    c.batch_execute(&setup).map_err(|e| failed(&e))?;
    // Reading the schema proves this is a SQLite file at all (a text file fails here).
    c.batch_execute("SELECT COUNT(*) FROM sqlite_master").map_err(|e| failed(&e))?;
    Ok(c)
}

/// A new SQLite database built under a temporary name beside its target (see
/// [`Database::open_to_write`]). Until it is published, the temporary file and its side files
/// are registered for removal at a signal, and removed when this is dropped.
pub(super) struct NewFile {
    /// Where the database goes.
    pub(super) target: PathBuf,
    /// The temporary file SQLite writes.
    pub(super) temp: PathBuf,
    /// The temporary file's registration (taken when it is published).
    main: Option<crate::output::cleanup::Registered>,
    /// The registrations of SQLite's side files of the temporary name.
    sides: Vec<crate::output::cleanup::Registered>,
    /// Moved into place: nothing to remove.
    published: bool,
}

/// The side files SQLite may create beside a database.
const SIDE_SUFFIXES: [&str; 3] = ["-journal", "-wal", "-shm"];

impl NewFile {
    /// Creates an empty file `.faqlink-NAME.XXXXXX.tmp` beside `target` (mode `0644` less the
    /// umask, as SQLite creates files; the folder's default ACL applies), registered for
    /// removal at a signal before it exists.
    pub(super) fn create(target: &Path) -> std::io::Result<NewFile> {
        use crate::output::cleanup;
        use std::os::unix::fs::OpenOptionsExt;
        let name = target.file_name().ok_or_else(|| std::io::Error::other("the path names no file"))?;
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        cleanup::remove_stale(&dir, name);
        let mut attempt = 0;
        loop {
            let temp = dir.join(cleanup::temp_name(name));
            // SQLite's side files first (they do not exist yet: registered so that a signal
            // removes them once SQLite has made them), then the file itself, registered before
            // it exists.
            let sides = SIDE_SUFFIXES
                .iter()
                .map(|suffix| {
                    let mut side = temp.as_os_str().to_owned();
                    side.push(suffix);
                    cleanup::create(Path::new(&side), cleanup::Kind::File, || Ok(())).map(|((), r)| r)
                })
                .collect::<std::io::Result<Vec<_>>>()?;
            let created = cleanup::create(&temp, cleanup::Kind::File, || {
                std::fs::OpenOptions::new().write(true).create_new(true).mode(0o644).open(&temp)
            });
            match created {
                Ok((_, main)) => {
                    return Ok(NewFile {
                        target: target.to_path_buf(),
                        temp,
                        main: Some(main),
                        sides,
                        published: false,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// Moves the temporary file to the target, never replacing one (`renameat2` with
    /// `RENAME_NOREPLACE`; a hard link where the file system lacks it), and syncs the folder.
    /// `Ok(false)`: the target exists (another run created it meanwhile).
    pub(super) fn publish(&mut self) -> std::io::Result<bool> {
        let main = self.main.take().expect("a new file is published once");
        let moved = main.settle(|| rename_noreplace(&self.temp, &self.target));
        match moved {
            Ok(()) => {
                self.published = true;
                let dir = self.target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                crate::output::cleanup::sync_dir(dir)?;
                Ok(true)
            }
            Err(e) => {
                // Not moved: registered again, so that a signal still removes it.
                let again = crate::output::cleanup::create(&self.temp, crate::output::cleanup::Kind::File, || Ok(()));
                self.main = again.ok().map(|((), r)| r);
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }
}

impl Drop for NewFile {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_file(&self.temp);
        }
        for suffix in SIDE_SUFFIXES {
            let mut side = self.temp.as_os_str().to_owned();
            side.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(side));
        }
        self.sides.clear();
    }
}

/// `rename(from, to)` that fails with `AlreadyExists` instead of replacing `to`.
fn rename_noreplace(from: &Path, to: &Path) -> std::io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        // A file system without RENAME_NOREPLACE: a hard link never replaces either.
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {
            std::fs::hard_link(from, to)?;
            std::fs::remove_file(from)
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether the SQLite file at `path` is in WAL mode: its header's read and write format
/// versions (bytes 18 and 19) are 2.
pub(super) fn in_wal_mode(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 20];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut header)).is_ok() && header[18..20] == [2, 2]
}

/// Escapes the characters that would end or alter the path part of a SQLite URI.
fn uri_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            _ => out.push(c),
        }
    }
    out
}
