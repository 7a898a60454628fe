//! The output target of a run: standard output through a spool, or a file written atomically.
//!
//! Both are all-or-nothing. A file is written to a temporary file beside it (see
//! [`super::cleanup`] for its name), synced, given the mode the target had (or the one the
//! umask gives a new file) and renamed over the target by [`Output::commit`]. Standard output
//! is written to an anonymous temporary file in `$TMPDIR` first and copied to the real
//! standard output only by [`Output::commit`], which a run calls after its read snapshot has
//! closed: a failed run prints nothing, and a slow reader of the output cannot hold the
//! snapshot open.

use std::fs;
use std::io::{self, BufWriter, IsTerminal, Seek, Write};
use std::path::{Path, PathBuf};

use super::cleanup::{self, Registered};
use crate::error::{Error, Result};

/// Where bytes go: standard output (spooled), or a temporary file that replaces the target
/// only when [`Output::commit`] runs (same folder, flushed and synced, then renamed).
pub enum Output {
    /// Standard output, spooled until [`Output::commit`]; the spool is created on first write.
    Stdout(Option<BufWriter<fs::File>>),
    /// A file being written.
    File {
        /// The temporary file beside the target.
        tmp: BufWriter<tempfile::NamedTempFile>,
        /// Its entry in the registry the signal handler empties.
        registered: Registered,
        /// The target path.
        path: PathBuf,
        /// The file whose mode the new file takes if it exists (the target, or the file a
        /// set's file replaces).
        mode_of: PathBuf,
    },
    /// An existing target that is not a regular file (`/dev/null`, a FIFO): written in place,
    /// since renaming a file over it would replace the device or pipe.
    Special {
        /// The opened target.
        file: BufWriter<fs::File>,
        /// The target path.
        path: PathBuf,
    },
}

const BUFFER: usize = 64 * 1024;

impl Output {
    /// Standard output, through a spool.
    pub fn stdout() -> Self {
        Output::Stdout(None)
    }

    /// Starts writing `path` atomically: nothing appears there until [`Output::commit`].
    pub fn file(path: &Path) -> Result<Self> {
        Output::file_with_mode_of(path, None)
    }

    /// [`Output::file`], the new file taking the mode of `mode_of` when that exists (instead
    /// of the target's).
    pub(crate) fn file_with_mode_of(path: &Path, mode_of: Option<&Path>) -> Result<Self> {
        // A symlink is followed: the file it points at is replaced, the link stays.
        let resolved;
        let path = if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            resolved = fs::canonicalize(path).map_err(|e| io_error("cannot write", path, e))?;
            resolved.as_path()
        } else {
            path
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if path.is_dir() {
            return Err(io_error("cannot write to", path, io::Error::other("it is a directory")));
        }
        if fs::metadata(path).is_ok_and(|m| !m.file_type().is_file()) {
            let file = fs::OpenOptions::new().write(true).open(path).map_err(|e| io_error("cannot write", path, e))?;
            return Ok(Output::Special { file: BufWriter::with_capacity(BUFFER, file), path: path.to_path_buf() });
        }
        match fs::metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(io_error(
                    "cannot write",
                    path,
                    io::Error::other(format!("{} is not a folder", crate::error::quoted(&dir.display().to_string()))),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(io_error(
                    "cannot write",
                    path,
                    io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("the folder {} does not exist", crate::error::quoted(&dir.display().to_string())),
                    ),
                ))
            }
            Err(e) => return Err(io_error("cannot write", path, e)),
        }
        let name = path.file_name().unwrap_or(path.as_os_str());
        cleanup::remove_stale(&dir, name);
        let tmp = tempfile::Builder::new()
            .prefix(&cleanup::temp_prefix(name))
            .rand_bytes(cleanup::RANDOM_LEN)
            .suffix(cleanup::SUFFIX)
            .tempfile_in(&dir)
            // tempfile's message names the temporary file; say only what went wrong.
            .map_err(|e| io_error("cannot create a file in", &dir, io::Error::from(e.kind())))?;
        let registered = cleanup::register(tmp.path());
        let mode_of = mode_of.unwrap_or(path).to_path_buf();
        Ok(Output::File { tmp: BufWriter::with_capacity(BUFFER, tmp), registered, path: path.to_path_buf(), mode_of })
    }

    /// True when this is standard output attached to a terminal (the real standard output,
    /// not the spool).
    pub fn is_terminal(&self) -> bool {
        matches!(self, Output::Stdout(_)) && io::stdout().is_terminal()
    }

    /// Finishes the output: copies the spool to standard output, or syncs the file, gives it
    /// its mode and renames it into place (then syncs the folder, so the rename is durable).
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
            Output::File { tmp, registered, path, mode_of } => {
                let tmp = tmp.into_inner().map_err(|e| io_error("cannot write", &path, e.into_error()))?;
                tmp.as_file().sync_all().map_err(|e| io_error("cannot write", &path, e))?;
                // An existing file keeps its mode; a new one gets what the umask gives.
                let perms =
                    fs::metadata(&mode_of).map(|m| m.permissions()).unwrap_or_else(|_| cleanup::new_file_permissions());
                tmp.as_file().set_permissions(perms).map_err(|e| io_error("cannot write", &path, e))?;
                registered.settle(|| tmp.persist(&path)).map_err(|e| io_error("cannot write", &path, e.error))?;
                let dir = match path.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                cleanup::sync_dir(dir).map_err(|e| io_error("cannot sync the folder of", &path, e))
            }
            Output::Special { mut file, path } => file.flush().map_err(|e| io_error("cannot write", &path, e)),
        }
    }

    /// Maps a write error to a faqlink error naming this output.
    pub fn error(&self, e: io::Error) -> Error {
        match self {
            Output::Stdout(_) => Error::stdout(e),
            Output::File { path, .. } | Output::Special { path, .. } => Error::io("cannot write", path, e),
        }
    }
}

/// The spool: an unnamed temporary file (nothing to clean up, whatever ends the process).
fn spool() -> io::Result<BufWriter<fs::File>> {
    let file = tempfile::tempfile().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "cannot create its spool file in {}: {e}",
                crate::error::quoted(&std::env::temp_dir().display().to_string())
            ),
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
            Output::File { tmp, .. } => tmp.write(buf),
            Output::Special { file, .. } => file.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.as_mut().map_or(Ok(()), |w| w.flush()),
            Output::File { tmp, .. } => tmp.flush(),
            Output::Special { file, .. } => file.flush(),
        }
    }
}

fn io_error(what: &'static str, path: &Path, source: io::Error) -> Error {
    Error::io(what, path, source)
}
