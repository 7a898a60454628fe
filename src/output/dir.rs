//! `--output-dir`: a folder of report files replaced as a set. A reader that opens the folder
//! by its path sees the old set or the new set, never a mix.
//!
//! The new files are written into a new sibling folder (`.faqlink-NAME.XXXXXX.tmp`, see
//! [`super::cleanup`]), each synced; the files of the old folder that this run does not
//! write are carried over by hard link; the sibling is synced and swapped with the folder in
//! one step (Linux `renameat2(RENAME_EXCHANGE)`), and the parent folder is synced. A missing
//! folder is created by renaming the sibling into place. The old set is then removed.
//!
//! A folder that is a mount point (systemd's `ReadWritePaths=` naming it, say) or whose parent
//! is not writable cannot be swapped: the new set is then written into a temporary folder
//! inside it and its files are renamed one by one, with a warning on stderr.
//!
//! ```no_run
//! # fn main() -> faqlink::error::Result<()> {
//! use std::io::Write;
//! let mut dir = faqlink::output::OutputDir::create(std::path::Path::new("reports-2026-W47"))?;
//! let mut out = dir.file("totals.csv")?;
//! out.write_all(b"feedback\r\n1\r\n").map_err(|e| out.error(e))?;
//! out.commit()?; // into the new set, still invisible
//! dir.commit()?; // the new set replaces the old one
//! # Ok(()) }
//! ```

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rustix::fs::{RenameFlags, CWD};

use super::cleanup::{self, Registered};
use super::Output;
use crate::error::{quoted, Error, Result};

/// A folder being replaced as a set: files are added with [`OutputDir::file`], and the set
/// replaces the folder's current contents with [`OutputDir::commit`]. Dropped without a
/// commit, it leaves the folder as it was and removes what it wrote.
pub struct OutputDir {
    /// The folder (absolute; a symlink to a folder is resolved, so the link stays).
    target: PathBuf,
    /// The new set, a sibling of `target`.
    staging: Option<tempfile::TempDir>,
    registered: Option<Registered>,
    /// Names written into the new set.
    names: HashSet<OsString>,
    /// Why the folder cannot be swapped (the new set is then written inside it and its files
    /// are renamed one by one), or `None`.
    one_by_one: Option<&'static str>,
}

impl OutputDir {
    /// Starts a new set for `dir`, which is created if missing (its parent must exist). A
    /// folder that holds sub-folders is refused: it is replaced as a whole.
    pub fn create(dir: &Path) -> Result<Self> {
        let target = resolve(dir)?;
        let parent = target.parent().expect("resolved to an absolute path with a name").to_path_buf();
        let name = target.file_name().expect("resolved to an absolute path with a name").to_os_string();
        let existing = match fs::metadata(&target) {
            Ok(m) if m.is_dir() => Some(m.permissions()),
            Ok(_) => return Err(dir_error(dir, io::Error::other("it exists and is not a folder"))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(dir_error(dir, e)),
        };
        // A mount point (systemd's ReadWritePaths= naming the folder itself, say) cannot be
        // renamed, nor can a sibling be created in a parent that is not writable: the new set
        // is then written inside the folder and its files are renamed one by one.
        let one_by_one = existing.as_ref().and_then(|_| why_not_swappable(&target, &parent));
        if existing.is_some() && one_by_one.is_none() {
            if let Some(sub) = first_subfolder(&target).map_err(|e| dir_error(dir, e))? {
                return Err(dir_error(
                    dir,
                    io::Error::other(format!(
                        "it holds a folder ({}), and --output-dir replaces its folder as a whole; give it a folder of its own",
                        quoted(&sub.to_string_lossy())
                    )),
                ));
            }
        }
        let home = if one_by_one.is_some() { &target } else { &parent };
        cleanup::remove_stale(home, &name);
        let staging = tempfile::Builder::new()
            .prefix(&cleanup::temp_prefix(&name))
            .rand_bytes(cleanup::RANDOM_LEN)
            .suffix(cleanup::SUFFIX)
            .tempdir_in(home)
            .map_err(|e| Error::io("cannot create a folder in", home, io::Error::from(e.kind())))?;
        let registered = cleanup::register(staging.path());
        if one_by_one.is_none() {
            // The new folder gets the old one's mode, or the one the umask gives a new folder.
            let perms = existing.unwrap_or_else(cleanup::new_dir_permissions);
            fs::set_permissions(staging.path(), perms).map_err(|e| dir_error(dir, e))?;
        }
        Ok(OutputDir {
            target,
            staging: Some(staging),
            registered: Some(registered),
            names: HashSet::new(),
            one_by_one,
        })
    }

    /// The folder this set replaces.
    pub fn path(&self) -> &Path {
        &self.target
    }

    /// A file of the new set, named `name` (a plain file name); commit it before
    /// [`OutputDir::commit`].
    pub fn file(&mut self, name: &str) -> Result<Output> {
        let staging = self.staging.as_ref().expect("open until commit");
        self.names.insert(OsString::from(name));
        // A file that replaces one of the folder keeps that file's mode.
        Output::file_with_mode_of(&staging.path().join(name), Some(&self.target.join(name)))
    }

    /// Replaces the folder's contents with the new set (files of the folder that the new set
    /// does not name are kept), durably.
    pub fn commit(mut self) -> Result<()> {
        let staging = self.staging.take().expect("commit once");
        let registered = self.registered.take().expect("commit once");
        let new = staging.path().to_path_buf();
        let target = self.target.clone();
        let err = |e| dir_error(&target, e);
        let parent = target.parent().expect("absolute").to_path_buf();
        // The set is complete once its folder is synced (each file was synced when committed).
        cleanup::sync_dir(&new).map_err(err)?;
        let staging = staging.keep();
        let cleanup_staging = |e: Error| {
            let _ = fs::remove_dir_all(&staging);
            e
        };
        if let Some(why) = self.one_by_one {
            eprintln!(
                "faqlink: warning: {} {why}: its files are replaced one by one, not as a set \
                 (an atomic swap needs a folder that is not a mount point, in a writable parent)",
                quoted(&target.display().to_string())
            );
            let names: Vec<OsString> = self.names.iter().cloned().collect();
            let renamed = registered.settle(|| names.iter().try_for_each(|n| fs::rename(new.join(n), target.join(n))));
            renamed.map_err(err).map_err(&cleanup_staging)?;
            let _ = fs::remove_dir_all(&new);
            return cleanup::sync_dir(&target).map_err(err);
        }
        if !target.exists() {
            // A missing folder: the new set is renamed into place (never over a folder that
            // appeared meanwhile).
            let renamed =
                registered.settle(|| rustix::fs::renameat_with(CWD, &new, CWD, &target, RenameFlags::NOREPLACE));
            match renamed {
                Ok(()) => return cleanup::sync_dir(&parent).map_err(err),
                Err(e) if e == rustix::io::Errno::EXIST || e == rustix::io::Errno::NOTEMPTY => {
                    return Err(cleanup_staging(err(io::Error::other(
                        "it was created by someone else during this run; run again",
                    ))))
                }
                Err(e) => return Err(cleanup_staging(err(e.into()))),
            }
        }
        // Carry the files this run does not write over into the new set.
        for entry in fs::read_dir(&target).map_err(err).map_err(&cleanup_staging)? {
            let entry = entry.map_err(err).map_err(&cleanup_staging)?;
            let name = entry.file_name();
            if self.names.contains(&name) {
                continue;
            }
            if entry.file_type().map_err(err).map_err(&cleanup_staging)?.is_dir() {
                return Err(cleanup_staging(err(io::Error::other(format!(
                    "a folder ({}) appeared in it during this run; --output-dir replaces its folder as a whole",
                    quoted(&name.to_string_lossy())
                )))));
            }
            fs::hard_link(entry.path(), new.join(&name)).map_err(err).map_err(&cleanup_staging)?;
        }
        cleanup::sync_dir(&new).map_err(err).map_err(&cleanup_staging)?;
        let swapped = registered.settle(|| rustix::fs::renameat_with(CWD, &new, CWD, &target, RenameFlags::EXCHANGE));
        match swapped {
            Ok(()) => {
                cleanup::sync_dir(&parent).map_err(err)?;
                // `new` now holds the old set: remove it, keeping anything added to the
                // folder since the carry-over (moved into the new set, never over a file).
                remove_old_set(&new, &target);
                Ok(())
            }
            Err(e) => {
                // No atomic exchange here (a file system without RENAME_EXCHANGE, or a
                // mount point): replace the files one by one, and say so.
                eprintln!(
                    "faqlink: warning: cannot swap {} as a whole ({}); its files are replaced one by one",
                    quoted(&target.display().to_string()),
                    io::Error::from(e)
                );
                for name in &self.names {
                    fs::rename(new.join(name), target.join(name)).map_err(err).map_err(&cleanup_staging)?;
                }
                let _ = fs::remove_dir_all(&new);
                cleanup::sync_dir(&target).map_err(err)
            }
        }
    }
}

/// The absolute folder path: a symlink is resolved (the folder it points at is replaced and
/// the link stays), `.` and relative paths become absolute.
fn resolve(dir: &Path) -> Result<PathBuf> {
    if fs::metadata(dir).is_ok() {
        return fs::canonicalize(dir).map_err(|e| dir_error(dir, e));
    }
    let name = dir.file_name().ok_or_else(|| dir_error(dir, io::Error::other("it does not name a folder")))?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match fs::canonicalize(parent) {
        Ok(p) if p.is_dir() => Ok(p.join(name)),
        Ok(_) => {
            Err(dir_error(dir, io::Error::other(format!("{} is not a folder", quoted(&parent.display().to_string())))))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(dir_error(
            dir,
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("its parent folder {} does not exist", quoted(&parent.display().to_string())),
            ),
        )),
        Err(e) => Err(dir_error(dir, e)),
    }
}

/// Why `target` (an existing folder) cannot be swapped with a sibling: it is a mount point,
/// or `parent` is not writable. `None` when it can.
fn why_not_swappable(target: &Path, parent: &Path) -> Option<&'static str> {
    use rustix::fs::{AtFlags, StatxAttributes, StatxFlags};
    let mount_root = match rustix::fs::statx(CWD, target, AtFlags::empty(), StatxFlags::empty()) {
        Ok(x) if x.stx_attributes_mask.contains(StatxAttributes::MOUNT_ROOT) => {
            x.stx_attributes.contains(StatxAttributes::MOUNT_ROOT)
        }
        // Without statx's answer: another device than the parent's means a mount point.
        _ => {
            use std::os::unix::fs::MetadataExt;
            matches!((fs::metadata(target), fs::metadata(parent)), (Ok(t), Ok(p)) if t.dev() != p.dev())
        }
    };
    if mount_root {
        return Some("is a mount point");
    }
    if rustix::fs::access(parent, rustix::fs::Access::WRITE_OK).is_err() {
        return Some("is in a folder faqlink cannot write to");
    }
    None
}

fn first_subfolder(dir: &Path) -> io::Result<Option<OsString>> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            return Ok(Some(entry.file_name()));
        }
    }
    Ok(None)
}

/// Removes the old set (now at `old`), moving into `target` whatever is not in it there.
fn remove_old_set(old: &Path, target: &Path) {
    if let Ok(entries) = fs::read_dir(old) {
        for entry in entries.flatten() {
            let moved = rustix::fs::renameat_with(
                CWD,
                entry.path(),
                CWD,
                target.join(entry.file_name()),
                RenameFlags::NOREPLACE,
            );
            if moved.is_err() {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    let _ = fs::remove_dir_all(old);
}

fn dir_error(dir: &Path, source: io::Error) -> Error {
    Error::io("cannot write into", dir, source)
}
