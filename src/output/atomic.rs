//! The output target of a run: standard output through a spool, or a file written atomically.
//!
//! Both are all-or-nothing. A file is written to an **unnamed** temporary file in the target's
//! folder (Linux `O_TMPFILE`), so that until the commit no crash, not even `kill -9`, can leave
//! a name behind. [`Output::commit`] syncs it, gives it the replaced file's owner, group, ACL
//! and mode (where permitted), then, in one step the signal handler waits for, links it under
//! a temporary name (see [`super::cleanup`]) through `/proc/self/fd` and renames that over the
//! target. A file system without `O_TMPFILE` gets a named temporary file instead, registered
//! before it exists. A new file is created with mode `0666`, so the kernel applies the umask
//! or the folder's default ACL, and a setgid folder's group, exactly as for any new file.
//!
//! Standard output is written to an anonymous temporary file in `$TMPDIR` first and copied to
//! the real standard output only by [`Output::commit`], which a run calls after its read
//! snapshot has closed: a failed run prints nothing, and a slow reader of the output cannot
//! hold the snapshot open. A target that is not a regular file (a FIFO, a character device,
//! `/dev/stdout`, `/dev/fd/N`) is written in place, never renamed over.

use std::ffi::OsString;
use std::fs;
use std::io::{self, BufWriter, IsTerminal, Seek, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags, CWD};
use rustix::io::Errno;

use super::cleanup::{self, CreatedFolders, Kind, Registered};
use super::target;
use crate::error::{quoted, Error, Result};

/// Where bytes go: standard output (spooled), or a temporary file that replaces the target
/// only when [`Output::commit`] runs (same folder, flushed and synced, then renamed).
pub enum Output {
    /// Standard output, spooled until [`Output::commit`]; the spool is created on first write.
    Stdout(Option<BufWriter<fs::File>>),
    /// A file being written.
    File(Box<AtomicFile>),
    /// An existing target that is not a regular file (`/dev/null`, a FIFO, `/dev/fd/N`):
    /// written in place, since renaming a file over it would replace the device or pipe.
    Special {
        /// The opened target.
        file: BufWriter<fs::File>,
        /// The target path.
        path: PathBuf,
    },
}

/// A file being written atomically (see the module's documentation).
pub struct AtomicFile {
    file: BufWriter<fs::File>,
    /// The temporary file's name, when the file system has no unnamed files.
    named: Option<(OsString, Registered)>,
    /// The target's folder, opened (every later step is relative to it).
    dir: OwnedFd,
    /// The target's folder, for messages and the folder sync.
    dir_path: PathBuf,
    /// The target's name in `dir`.
    name: OsString,
    /// The target path (links resolved), for messages.
    path: PathBuf,
    /// The file whose owner, group, ACL and mode the new file takes if it exists (the
    /// target, or the file a set's file replaces).
    mode_of: PathBuf,
    /// Folders created for the target, removed again unless the commit succeeds.
    created: Option<CreatedFolders>,
}

const BUFFER: usize = 64 * 1024;

impl Output {
    /// Standard output, through a spool.
    pub(crate) fn stdout() -> Self {
        Output::Stdout(None)
    }

    /// Starts writing `path` atomically: nothing appears there until [`Output::commit`].
    pub fn file(path: &Path) -> Result<Self> {
        Output::file_with_mode_of(path, None)
    }

    /// Starts writing the file `name` in the folder `dir`, which is created with its missing
    /// parents (as `mkdir -p`); folders created for it are removed again when the output is
    /// dropped without a commit.
    pub(crate) fn file_in(dir: &Path, name: &str) -> Result<Self> {
        let folder = target::resolve(dir, "cannot write into")?;
        if let Some(on) = first_existing(&folder.path) {
            if let Some(fs_name) = target::pseudo_file_system(&on) {
                return Err(target::pseudo_file_system_error("cannot write into", dir, &on, fs_name));
            }
        }
        let created = CreatedFolders::make(&folder.path).map_err(|e| Error::io("cannot write into", dir, e))?;
        let mut out = Output::file(&folder.path.join(name))?;
        if let Output::File(f) = &mut out {
            f.created = Some(created);
        } else {
            created.keep();
        }
        Ok(out)
    }

    /// [`Output::file`], the new file taking the attributes of `mode_of` when that exists
    /// (instead of the target's).
    pub(crate) fn file_with_mode_of(path: &Path, mode_of: Option<&Path>) -> Result<Self> {
        Output::file_at(path, mode_of, unnamed_files_can_be_linked())
    }

    /// [`Output::file_with_mode_of`], with an unnamed temporary file when `unnamed` is true
    /// and the file system has them, else a named one.
    fn file_at(path: &Path, mode_of: Option<&Path>, unnamed: bool) -> Result<Self> {
        let resolved = target::resolve(path, "cannot write")?;
        if resolved.descriptor {
            // One of this process's descriptors: standard output itself goes through the
            // spool (written to the descriptor the shell opened, `>>` included); another is
            // opened again, appending.
            if target::is_standard_output(&resolved.path) {
                return Ok(Output::Stdout(None));
            }
            let file = fs::OpenOptions::new()
                .append(true)
                .custom_flags(OFlags::NOCTTY.bits() as i32)
                .open(&resolved.path)
                .map_err(|e| io_error("cannot write", path, e))?;
            return Ok(Output::Special { file: BufWriter::with_capacity(BUFFER, file), path: path.to_path_buf() });
        }
        let path = resolved.path.as_path();
        match fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                return Err(io_error("cannot write to", path, io::Error::other("it is a directory")));
            }
            Ok(m) if !m.file_type().is_file() => {
                if target::is_standard_output(path) {
                    return Ok(Output::Stdout(None));
                }
                let file = fs::OpenOptions::new()
                    .write(true)
                    .custom_flags(OFlags::NOCTTY.bits() as i32)
                    .open(path)
                    .map_err(|e| io_error("cannot write", path, e))?;
                return Ok(Output::Special { file: BufWriter::with_capacity(BUFFER, file), path: path.to_path_buf() });
            }
            _ => {}
        }
        let dir_path = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("/"),
        };
        match fs::metadata(&dir_path) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(io_error(
                    "cannot write",
                    path,
                    io::Error::other(format!("{} is not a folder", quoted(&dir_path.display().to_string()))),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if let Some(on) = first_existing(&dir_path) {
                    if let Some(fs_name) = target::pseudo_file_system(&on) {
                        return Err(target::pseudo_file_system_error("cannot write", path, &on, fs_name));
                    }
                }
                return Err(io_error(
                    "cannot write",
                    path,
                    io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("the folder {} does not exist", quoted(&dir_path.display().to_string())),
                    ),
                ));
            }
            Err(e) => return Err(io_error("cannot write", path, e)),
        }
        if let Some(fs_name) = target::pseudo_file_system(&dir_path) {
            return Err(target::pseudo_file_system_error("cannot write", path, &dir_path, fs_name));
        }
        let create_error = |e: io::Error| io_error("cannot create a file in", &dir_path, e);
        // Opened for reading, so that the commit can sync it without opening anything more
        // (a folder that may not be read is opened as a path only, and synced by its path).
        let dir = rustix::fs::open(&dir_path, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
            .or_else(|_| rustix::fs::open(&dir_path, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()))
            .map_err(|e| create_error(e.into()))?;
        let name = path.file_name().unwrap_or(path.as_os_str()).to_os_string();
        cleanup::remove_stale(&dir_path, &name);
        let mode_of = mode_of.unwrap_or(path).to_path_buf();
        // A replaced file's attributes are copied at the commit: until then only faqlink's
        // user may read the new one. A new file gets what the kernel gives any new file.
        let replaces = fs::symlink_metadata(&mode_of).is_ok_and(|m| m.is_file());
        let mode = Mode::from_raw_mode(if replaces { 0o600 } else { 0o666 });
        let unnamed = if unnamed {
            match rustix::fs::openat(&dir, ".", OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC, mode) {
                Ok(fd) => Some(fs::File::from(fd)),
                // No O_TMPFILE on this file system (or kernel).
                Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL | Errno::NOSYS) => None,
                Err(e) => return Err(create_error(e.into())),
            }
        } else {
            None
        };
        let (file, named) = match unnamed {
            Some(file) => (file, None),
            None => {
                let (file, tmp, registered) = create_named(&dir, &dir_path, &name, mode).map_err(create_error)?;
                (file, Some((tmp, registered)))
            }
        };
        Ok(Output::File(Box::new(AtomicFile {
            file: BufWriter::with_capacity(BUFFER, file),
            named,
            dir,
            dir_path,
            name,
            path: path.to_path_buf(),
            mode_of,
            created: None,
        })))
    }

    /// True when this is standard output attached to a terminal (the real standard output,
    /// not the spool).
    pub(crate) fn is_terminal(&self) -> bool {
        matches!(self, Output::Stdout(_)) && io::stdout().is_terminal()
    }

    /// Finishes the output: copies the spool to standard output, or syncs the file, gives it
    /// its attributes and renames it into place (then syncs the folder, so the rename is
    /// durable).
    pub fn commit(self) -> Result<()> {
        match self {
            Output::Stdout(None) => io::stdout().flush().map_err(Error::stdout),
            Output::Stdout(Some(spool)) => {
                let mut spool = spool.into_inner().map_err(|e| Error::stdout(e.into_error()))?;
                spool.rewind().map_err(Error::stdout)?;
                let mut out = io::stdout().lock();
                io::copy(&mut spool, &mut out).map_err(Error::stdout)?;
                out.flush().map_err(Error::stdout)
            }
            Output::File(mut f) => f.commit(),
            Output::Special { mut file, path } => file.flush().map_err(|e| io_error("cannot write", &path, e)),
        }
    }

    /// Maps a write error to a faqlink error naming this output.
    pub fn error(&self, e: io::Error) -> Error {
        match self {
            Output::Stdout(_) => Error::stdout(e),
            Output::File(f) => Error::io("cannot write", &f.path, e),
            Output::Special { path, .. } => Error::io("cannot write", path, e),
        }
    }
}

impl AtomicFile {
    fn commit(&mut self) -> Result<()> {
        let path = self.path.clone();
        let fail = |e: io::Error| io_error("cannot write", &path, e);
        self.file.flush().map_err(fail)?;
        let file = self.file.get_ref();
        if let Ok(old) = fs::symlink_metadata(&self.mode_of) {
            if old.is_file() {
                copy_host_attributes(&self.mode_of, &old, file, &[ACL_ACCESS]).map_err(fail)?;
            }
        }
        file.sync_all().map_err(fail)?;
        let renamed = match self.named.take() {
            Some((tmp, registered)) => registered.settle(|| {
                let renamed = rustix::fs::renameat(&self.dir, &tmp, &self.dir, &self.name);
                if renamed.is_err() {
                    let _ = rustix::fs::unlinkat(&self.dir, &tmp, AtFlags::empty());
                }
                renamed
            }),
            // Named and renamed into place as one step: a signal's clean-up waits for both.
            None => cleanup::held(|| self.link_and_rename()),
        };
        renamed.map_err(|e| fail(e.into()))?;
        if let Some(created) = self.created.take() {
            created.keep();
        }
        match rustix::fs::fsync(&self.dir) {
            Err(Errno::BADF) => cleanup::sync_dir(&self.dir_path),
            other => other.map_err(io::Error::from),
        }
        .map_err(|e| io_error("cannot sync the folder of", &path, e))
    }

    /// Gives the unnamed file a temporary name and renames that over the target.
    fn link_and_rename(&self) -> rustix::io::Result<()> {
        let fd = self.file.get_ref();
        let by_proc = format!("/proc/self/fd/{}", fd.as_raw_fd());
        for _ in 0..100 {
            let tmp = cleanup::temp_name(&self.name);
            let linked = match rustix::fs::linkat(CWD, &by_proc, &self.dir, &tmp, AtFlags::SYMLINK_FOLLOW) {
                // No /proc: the descriptor itself (needs CAP_DAC_READ_SEARCH).
                Err(Errno::NOENT) => rustix::fs::linkat(fd, "", &self.dir, &tmp, AtFlags::EMPTY_PATH),
                other => other,
            };
            match linked {
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(e),
                Ok(()) => {}
            }
            let renamed = rustix::fs::renameat(&self.dir, &tmp, &self.dir, &self.name);
            if renamed.is_err() {
                let _ = rustix::fs::unlinkat(&self.dir, &tmp, AtFlags::empty());
            }
            return renamed;
        }
        Err(Errno::EXIST)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // A file not committed: its name (if it has one) goes; an unnamed one vanishes with
        // its descriptor. Then the folders created for it, while empty.
        if let Some((tmp, registered)) = self.named.take() {
            let _ = rustix::fs::unlinkat(&self.dir, &tmp, AtFlags::empty());
            drop(registered);
        }
    }
}

/// True when an unnamed file can be given a name later: through `/proc/self/fd`, or by its
/// descriptor (root).
fn unnamed_files_can_be_linked() -> bool {
    Path::new("/proc/self/fd").is_dir() || rustix::process::geteuid().is_root()
}

/// A named temporary file in `dir` (a file system without `O_TMPFILE`), registered before it
/// is created.
fn create_named(
    dir: &OwnedFd,
    dir_path: &Path,
    name: &OsString,
    mode: Mode,
) -> io::Result<(fs::File, OsString, Registered)> {
    for _ in 0..100 {
        let tmp = cleanup::temp_name(name);
        let flags = OFlags::CREATE | OFlags::EXCL | OFlags::RDWR | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        match cleanup::create(&dir_path.join(&tmp), Kind::File, || {
            rustix::fs::openat(dir, &tmp, flags, mode).map_err(io::Error::from)
        }) {
            Ok((fd, registered)) => return Ok((fs::File::from(fd), tmp, registered)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::from(io::ErrorKind::AlreadyExists))
}

/// The extended attribute holding a file's access ACL.
pub(crate) const ACL_ACCESS: &str = "system.posix_acl_access";
/// The extended attribute holding a folder's default ACL.
pub(crate) const ACL_DEFAULT: &str = "system.posix_acl_default";

/// Gives `to` the owner and group of `from` (described by `old`; the owner only where
/// permitted, the group where permitted), its ACLs named in `acls` (an ACL `from` lacks is
/// removed from `to`; skipped where the file system has none), and finally its mode. Only a
/// mode that cannot be set is an error.
pub(crate) fn copy_host_attributes(from: &Path, old: &fs::Metadata, to: impl AsFd, acls: &[&str]) -> io::Result<()> {
    use rustix::fs::{Gid, Uid};
    let to = to.as_fd();
    let (uid, gid) = (Uid::from_raw(old.uid()), Gid::from_raw(old.gid()));
    if rustix::fs::fchown(to, Some(uid), Some(gid)).is_err() {
        let _ = rustix::fs::fchown(to, None, Some(gid));
    }
    for acl in acls {
        match get_xattr(from, acl) {
            Ok(value) => {
                let _ = rustix::fs::fsetxattr(to, *acl, &value, rustix::fs::XattrFlags::empty());
            }
            Err(Errno::NODATA) => {
                let _ = rustix::fs::fremovexattr(to, *acl);
            }
            Err(_) => {}
        }
    }
    rustix::fs::fchmod(to, Mode::from_raw_mode(old.mode() & 0o7777)).map_err(io::Error::from)
}

fn get_xattr(path: &Path, name: &str) -> rustix::io::Result<Vec<u8>> {
    let len = rustix::fs::lgetxattr_query(path, name)?;
    let mut value = vec![0u8; len];
    let got = rustix::fs::lgetxattr(path, name, &mut value[..])?;
    value.truncate(got);
    Ok(value)
}

/// The nearest existing ancestor of `p` (itself included).
fn first_existing(p: &Path) -> Option<PathBuf> {
    p.ancestors().find(|a| !a.as_os_str().is_empty() && fs::symlink_metadata(a).is_ok()).map(Path::to_path_buf)
}

/// The spool: an unnamed temporary file (nothing to clean up, whatever ends the process).
fn spool() -> io::Result<BufWriter<fs::File>> {
    let file = tempfile::tempfile().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot create its spool file in {}: {e}", quoted(&std::env::temp_dir().display().to_string())),
        )
    })?;
    Ok(BufWriter::with_capacity(BUFFER, file))
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(w) => {
                if w.is_none() {
                    *w = Some(spool()?);
                }
                w.as_mut().expect("just created").write(buf)
            }
            Output::File(f) => f.file.write(buf),
            Output::Special { file, .. } => file.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.as_mut().map_or(Ok(()), |w| w.flush()),
            Output::File(f) => f.file.flush(),
            Output::Special { file, .. } => file.flush(),
        }
    }
}

fn io_error(what: &'static str, path: &Path, source: io::Error) -> Error {
    Error::io(what, path, source)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temporaries(dir: &Path) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".faqlink-r.csv."))
            .collect();
        found.sort();
        found
    }

    #[test]
    fn a_named_temporary_is_registered_while_it_lives_and_an_unnamed_one_is_invisible() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("r.csv");
        fs::write(&target, "old").unwrap();
        // Without O_TMPFILE: a registered name beside the target, renamed over it at commit.
        let mut out = Output::file_at(&target, None, false).unwrap();
        out.write_all(b"new").unwrap();
        let live = temporaries(dir.path());
        assert_eq!(live.len(), 1, "{live:?}");
        assert!(cleanup::registered_paths().contains(&live[0]), "registered while it exists");
        out.commit().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert!(temporaries(dir.path()).is_empty());
        assert!(!cleanup::registered_paths().contains(&live[0]), "unregistered after the rename");
        // Dropped without a commit: removed and unregistered, the target untouched.
        let mut out = Output::file_at(&target, None, false).unwrap();
        out.write_all(b"lost").unwrap();
        let live = temporaries(dir.path());
        drop(out);
        assert!(temporaries(dir.path()).is_empty());
        assert!(!cleanup::registered_paths().contains(&live[0]));
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        // With O_TMPFILE: no name at all until the commit.
        let mut out = Output::file_at(&target, None, true).unwrap();
        out.write_all(b"newer").unwrap();
        out.flush().unwrap();
        assert!(temporaries(dir.path()).is_empty(), "nothing named before the commit");
        out.commit().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "newer");
        assert!(temporaries(dir.path()).is_empty());
    }
}
