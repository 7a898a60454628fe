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
use super::target::{self, Last};
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
            return Output::descriptor(path, &resolved.path);
        }
        Output::open_resolved(&resolved.path, mode_of, unnamed)
    }

    /// One of this process's descriptors, reached by `path` through `/proc/…/fd/N`
    /// (`proc_path`): standard output itself goes through the spool (written to the
    /// descriptor the shell opened, `>>` included); another is opened again, appending.
    fn descriptor(path: &Path, proc_path: &Path) -> Result<Self> {
        if target::is_standard_output(proc_path) {
            return Ok(Output::Stdout(None));
        }
        let file = fs::OpenOptions::new()
            .append(true)
            .custom_flags(OFlags::NOCTTY.bits() as i32)
            .open(proc_path)
            .map_err(|e| io_error("cannot write", path, e))?;
        Ok(Output::Special { file: BufWriter::with_capacity(BUFFER, file), path: path.to_path_buf() })
    }

    /// Opens the resolved `path` without following any link ([`target::open_folder`],
    /// [`target::open_last`]): a target that is not a regular file is written in place, any
    /// other gets a temporary file in the opened folder.
    fn open_resolved(path: &Path, mode_of: Option<&Path>, unnamed: bool) -> Result<Self> {
        let Some(name) = path.file_name().map(OsString::from) else {
            return Err(io_error("cannot write to", path, io::Error::other("it is a directory")));
        };
        let dir_path = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("/"),
        };
        let dir = target::open_folder(&dir_path).map_err(|e| folder_error(path, &dir_path, e))?;
        let last = target::open_last(&dir, &name, path).map_err(|e| io_error("cannot write", path, e))?;
        let regular = matches!(last, Last::Regular);
        match last {
            Last::StandardOutput => return Ok(Output::Stdout(None)),
            Last::Special(file) => {
                return Ok(Output::Special { file: BufWriter::with_capacity(BUFFER, file), path: path.to_path_buf() })
            }
            Last::Missing | Last::Regular => {}
        }
        if let Some(fs_name) = target::pseudo_file_system(&dir_path) {
            return Err(target::pseudo_file_system_error("cannot write", path, &dir_path, fs_name));
        }
        // A replaced file's attributes are copied at the commit: until then only faqlink's
        // user may read the new one. A new file gets what the kernel gives any new file.
        let replaces = match mode_of {
            None => regular,
            Some(other) => fs::symlink_metadata(other).is_ok_and(|m| m.is_file()),
        };
        let mode_of = mode_of.unwrap_or(path).to_path_buf();
        Output::temporary(path, dir, dir_path, name, mode_of, replaces, unnamed)
    }

    /// Creates the temporary file for `path` in its opened folder `dir`: unnamed when
    /// `unnamed` is true and the file system has them, else named and registered.
    fn temporary(
        path: &Path,
        dir: OwnedFd,
        dir_path: PathBuf,
        name: OsString,
        mode_of: PathBuf,
        replaces: bool,
        unnamed: bool,
    ) -> Result<Self> {
        let create_error = |e: io::Error| io_error("cannot create a file in", &dir_path, e);
        cleanup::remove_stale(&dir_path, &name);
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

/// The error for the folder `dir_path` of the target `path` that could not be opened: a
/// missing folder is named (or the kernel file system it would be on).
fn folder_error(path: &Path, dir_path: &Path, e: io::Error) -> Error {
    if e.kind() != io::ErrorKind::NotFound {
        return io_error("cannot write", path, e);
    }
    if let Some(on) = first_existing(dir_path) {
        if let Some(fs_name) = target::pseudo_file_system(&on) {
            return target::pseudo_file_system_error("cannot write", path, &on, fs_name);
        }
    }
    let missing = format!("the folder {} does not exist", quoted(&dir_path.display().to_string()));
    io_error("cannot write", path, io::Error::new(io::ErrorKind::NotFound, missing))
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

    /// A FIFO whose read end is open (non-blocking), so that a write would not block and
    /// would be seen.
    fn fifo_with_reader(path: &Path) -> fs::File {
        rustix::fs::mknodat(CWD, path, rustix::fs::FileType::Fifo, Mode::from_raw_mode(0o600), 0).unwrap();
        fs::OpenOptions::new().read(true).custom_flags(OFlags::NONBLOCK.bits() as i32).open(path).unwrap()
    }

    fn unread(reader: &mut fs::File) -> usize {
        let mut buf = [0u8; 4096];
        match io::Read::read(reader, &mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
            Err(e) => panic!("{e}"),
        }
    }

    fn refusal(opened: Result<Output>) -> String {
        match opened {
            Ok(_) => panic!("opened"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_link_planted_after_the_check_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let d = fs::canonicalize(dir.path()).unwrap();
        let mut reader = fifo_with_reader(&d.join("fifo"));
        fs::create_dir(d.join("sub")).unwrap();
        fs::create_dir(d.join("elsewhere")).unwrap();
        let mut elsewhere_reader = fifo_with_reader(&d.join("elsewhere/r.csv"));
        // The last component: checked while missing, then a link to the FIFO planted.
        let target = d.join("r.csv");
        let resolved = target::resolve(&target, "cannot write").unwrap();
        std::os::unix::fs::symlink(d.join("fifo"), &target).unwrap();
        for unnamed in [true, false] {
            let e = refusal(Output::open_resolved(&resolved.path, None, unnamed));
            assert!(e.contains("became a symbolic link after faqlink checked the path"), "{e}");
        }
        // A folder on the way: checked as a folder, then swapped for a link to another one.
        let deep = target::resolve(&d.join("sub/r.csv"), "cannot write").unwrap();
        fs::remove_dir(d.join("sub")).unwrap();
        std::os::unix::fs::symlink(d.join("elsewhere"), d.join("sub")).unwrap();
        let e = refusal(Output::open_resolved(&deep.path, None, true));
        assert!(e.contains("sub") && e.contains("became a symbolic link"), "{e}");
        assert_eq!(unread(&mut reader) + unread(&mut elsewhere_reader), 0, "nothing reached a FIFO");
        // The FIFO named itself is written in place; a regular file is replaced.
        let mut out = Output::open_resolved(&d.join("fifo"), None, true).unwrap();
        assert!(matches!(out, Output::Special { .. }));
        out.write_all(b"in place").unwrap();
        out.commit().unwrap();
        assert_eq!(unread(&mut reader), 8);
        fs::remove_file(&target).unwrap();
        fs::write(&target, "old").unwrap();
        let out = Output::open_resolved(&target, None, true).unwrap();
        assert!(matches!(out, Output::File(_)));
    }
}
