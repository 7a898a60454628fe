//! `--output-dir`: a folder of report files replaced as a set. A reader that opens the folder
//! by its path sees the old set or the new set, never a mix.
//!
//! The new files are written into a new sibling folder (`.faqlink-NAME.XXXXXX.tmp`, see
//! [`super::cleanup`]; registered before it exists), each synced; the sibling takes the old
//! folder's owner, group, ACLs and mode first, so the new files get what the old folder's
//! would. The files of the old folder that this run does not write are carried over by hard
//! link; the sibling is synced and swapped with the folder in one step (Linux
//! `renameat2(RENAME_EXCHANGE)`), and the parent folder is synced. A missing folder is created
//! by renaming the sibling into place (its missing parents are created first, as `mkdir -p`,
//! and removed again if the run fails). The old set is then removed (a warning says so when it
//! cannot be).
//!
//! A folder that is a mount point (systemd's `ReadWritePaths=` naming it, say), whose parent
//! is not writable, or whose owner or group a new folder could not keep (another user's)
//! cannot be swapped: the new set is then written into a temporary folder inside it and its
//! files are renamed one by one, with a warning on stderr. The path is resolved by
//! [`super::target::resolve`] (links in shared folders, `/` refused).
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
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::fs::{RenameFlags, CWD};

use super::atomic::{copy_host_attributes, ACL_ACCESS, ACL_DEFAULT};
use super::cleanup::{self, CreatedFolders, Kind, Registered};
use super::{target, Output};
use crate::error::{quoted, Error, Result};

/// A folder being replaced as a set: files are added with [`OutputDir::file`], and the set
/// replaces the folder's current contents with [`OutputDir::commit`]. Dropped without a
/// commit, it leaves the folder as it was and removes what it wrote (and the folders it
/// created for it).
pub struct OutputDir {
    /// The folder (absolute; a symlink to a folder is resolved, so the link stays).
    target: PathBuf,
    /// The new set, a sibling of `target` (inside it when one by one).
    staging: Option<PathBuf>,
    registered: Option<Registered>,
    /// Names written into the new set.
    names: HashSet<OsString>,
    /// Why the folder cannot be swapped (the new set is then written inside it and its files
    /// are renamed one by one), or `None`.
    one_by_one: Option<&'static str>,
    /// Missing parents created for the folder (`mkdir -p`), removed again unless committed.
    created: Option<CreatedFolders>,
}

impl OutputDir {
    /// Starts a new set for `dir`, which is created if missing, with its missing parents. A
    /// folder that holds sub-folders is refused: it is replaced as a whole.
    pub fn create(dir: &Path) -> Result<Self> {
        let (target, parent, name, existing) = located(dir)?;
        let on_disk = if existing.is_some() { target.clone() } else { first_existing(&parent) };
        if let Some(fs_name) = target::pseudo_file_system(&on_disk) {
            return Err(target::pseudo_file_system_error("cannot write into", dir, &on_disk, fs_name));
        }
        let created = match existing {
            Some(_) => None,
            None => Some(CreatedFolders::make(&parent).map_err(|e| dir_error(dir, e))?),
        };
        // A mount point (systemd's ReadWritePaths= naming the folder itself, say) cannot be
        // renamed, nor can a sibling be created in a parent that is not writable: the new set
        // is then written inside the folder and its files are renamed one by one.
        let mut one_by_one = existing.as_ref().and_then(|_| why_not_swappable(&target, &parent));
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
        cleanup::remove_stale(&parent, &name);
        if existing.is_some() {
            cleanup::remove_stale(&target, &name);
        }
        let mut staging = None;
        if let (Some(old), None) = (&existing, one_by_one) {
            match staging_like(old, &target, &parent, &name).map_err(|e| dir_error(dir, e))? {
                Ok(made) => staging = Some(made),
                Err(why) => one_by_one = Some(why),
            }
        }
        let (staging, registered) = match staging {
            Some(s) => s,
            None => {
                // A new folder is created as any folder is (umask, the parent's default ACL
                // and setgid group); one inside the folder is faqlink's alone.
                let (home, mode) = if one_by_one.is_some() { (&target, 0o700) } else { (&parent, 0o777) };
                make_staging(home, &name, mode).map_err(|e| Error::io("cannot create a folder in", home, e))?
            }
        };
        Ok(OutputDir {
            target,
            staging: Some(staging),
            registered: Some(registered),
            names: HashSet::new(),
            one_by_one,
            created,
        })
    }

    /// A file of the new set, named `name` (a plain file name); commit it before
    /// [`OutputDir::commit`].
    pub fn file(&mut self, name: &str) -> Result<Output> {
        let staging = self.staging.as_ref().expect("open until commit");
        self.names.insert(OsString::from(name));
        // A file that replaces one of the folder keeps that file's owner, group, ACL and mode.
        Output::file_with_mode_of(&staging.join(name), Some(&self.target.join(name)))
    }

    /// Replaces the folder's contents with the new set (files of the folder that the new set
    /// does not name are kept), durably.
    pub fn commit(mut self) -> Result<()> {
        let done = self.swap_in();
        if done.is_ok() {
            if let Some(created) = self.created.take() {
                created.keep();
            }
        }
        done
    }

    fn swap_in(&mut self) -> Result<()> {
        let new = self.staging.take().expect("commit once");
        let registered = self.registered.take().expect("commit once");
        let staging = new.clone();
        let target = self.target.clone();
        let err = |e| dir_error(&target, e);
        let parent = target.parent().expect("absolute").to_path_buf();
        let names = &self.names;
        let cleanup_staging = |e: Error| {
            remove_set_folder(&staging, names);
            e
        };
        // The set is complete once its folder is synced (each file was synced when committed).
        cleanup::sync_dir(&new).map_err(err).map_err(&cleanup_staging)?;
        if let Some(why) = self.one_by_one {
            eprintln!(
                "faqlink: warning: {} {why}: its files are replaced one by one, not as a set \
                 (an atomic swap needs a folder that is not a mount point, in a writable parent)",
                quoted(&target.display().to_string())
            );
            let renamed = registered.settle(|| rename_each(&new, &target, &self.names));
            renamed.map_err(err).map_err(&cleanup_staging)?;
            remove_set_folder(&new, &self.names);
            return cleanup::sync_dir(&target).map_err(err);
        }
        if !target.exists() {
            rename_into_place(registered, &new, &target).map_err(err).map_err(&cleanup_staging)?;
            return cleanup::sync_dir(&parent).map_err(err);
        }
        carry_over(&target, &new, &self.names).map_err(err).map_err(&cleanup_staging)?;
        // Opened before the swap, so that the old set can be listed and removed after it
        // without opening anything more (a run short of descriptors stops here, unswapped).
        let handle = fs::File::open(&new).map_err(err).map_err(&cleanup_staging)?;
        handle.sync_all().map_err(err).map_err(&cleanup_staging)?;
        // The staging name stays registered through the exchange and after it: it then holds
        // the old set, which a signal must remove as well until `remove_old_set` has.
        let swapped = registered.hold(|| rustix::fs::renameat_with(CWD, &new, CWD, &target, RenameFlags::EXCHANGE));
        match swapped {
            Ok(()) => {
                // `new` now holds the old set: remove it, keeping anything added to the
                // folder since the carry-over (moved into the new set, never over a file).
                remove_old_set(handle, &new, &target);
                drop(registered);
                cleanup::sync_dir(&parent).map_err(err)
            }
            Err(e) => {
                // No atomic exchange here (a file system without RENAME_EXCHANGE, or a
                // mount point): replace the files one by one, and say so.
                eprintln!(
                    "faqlink: warning: cannot swap {} as a whole ({}); its files are replaced one by one",
                    quoted(&target.display().to_string()),
                    io::Error::from(e)
                );
                rename_each(&new, &target, &self.names).map_err(err).map_err(&cleanup_staging)?;
                remove_set_folder(&new, &self.names);
                drop(registered);
                cleanup::sync_dir(&target).map_err(err)
            }
        }
    }
}

/// Carries the files of `target` this run does not write (`names`) over into the new set
/// `new`, as hard links; a folder that appeared in `target` meanwhile is an error.
fn carry_over(target: &Path, new: &Path, names: &HashSet<OsString>) -> io::Result<()> {
    for entry in fs::read_dir(target)? {
        let entry = entry?;
        let name = entry.file_name();
        if names.contains(&name) {
            continue;
        }
        if entry.file_type()?.is_dir() {
            return Err(io::Error::other(format!(
                "a folder ({}) appeared in it during this run; --output-dir replaces its folder as a whole",
                quoted(&name.to_string_lossy())
            )));
        }
        fs::hard_link(entry.path(), new.join(&name))?;
    }
    Ok(())
}

/// A missing folder: the new set `new` is renamed into place as `target`, never over a
/// folder that appeared meanwhile.
fn rename_into_place(registered: Registered, new: &Path, target: &Path) -> io::Result<()> {
    match registered.settle(|| rustix::fs::renameat_with(CWD, new, CWD, target, RenameFlags::NOREPLACE)) {
        Ok(()) => Ok(()),
        Err(e) if e == rustix::io::Errno::EXIST || e == rustix::io::Errno::NOTEMPTY => {
            Err(io::Error::other("it was created by someone else during this run; run again"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Moves each of the set's files (`names`) from `new` into `target`, one by one.
fn rename_each(new: &Path, target: &Path, names: &HashSet<OsString>) -> io::Result<()> {
    names.iter().try_for_each(|n| fs::rename(new.join(n), target.join(n)))
}

/// The nearest existing ancestor of `p` (itself included; `/` at worst).
fn first_existing(p: &Path) -> PathBuf {
    p.ancestors()
        .find(|a| !a.as_os_str().is_empty() && fs::symlink_metadata(a).is_ok())
        .unwrap_or(Path::new("/"))
        .to_path_buf()
}

/// Creates the folder of a new set in `home` (a sibling of the target, or inside it), named
/// for `name`, registered before it exists.
fn make_staging(home: &Path, name: &OsStr, mode: u32) -> io::Result<(PathBuf, Registered)> {
    use std::os::unix::fs::DirBuilderExt;
    for _ in 0..100 {
        let path = home.join(cleanup::temp_name(name));
        match cleanup::create(&path, Kind::Tree, || fs::DirBuilder::new().mode(mode).create(&path)) {
            Ok(((), registered)) => return Ok((path, registered)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::from(io::ErrorKind::AlreadyExists))
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

impl Drop for OutputDir {
    fn drop(&mut self) {
        // Not committed: the new set goes, then the folders created for it (`created`,
        // dropped after this).
        if let Some(staging) = self.staging.take() {
            remove_set_folder(&staging, &self.names);
        }
        self.registered.take();
    }
}

/// Removes the folder of a set faqlink made, its files (`names`) by path first, so that this
/// needs no descriptor (a run that failed for want of them still cleans up).
fn remove_set_folder(dir: &Path, names: &HashSet<OsString>) {
    for name in names {
        let _ = fs::remove_file(dir.join(name));
    }
    if fs::remove_dir(dir).is_err() {
        let _ = fs::remove_dir_all(dir);
    }
}

/// Removes the old set (now at `old`, listed through `handle`, opened before the swap),
/// moving into `target` whatever is not in it there; says so on stderr when it cannot
/// (another user's files that faqlink may not remove).
fn remove_old_set(handle: fs::File, old: &Path, target: &Path) {
    let mut failed = None;
    match rustix::fs::Dir::new(handle) {
        Ok(entries) => {
            for entry in entries {
                let Ok(entry) = entry else { break };
                let name = OsStr::from_bytes(entry.file_name().to_bytes());
                if name == "." || name == ".." {
                    continue;
                }
                let moved =
                    rustix::fs::renameat_with(CWD, old.join(name), CWD, target.join(name), RenameFlags::NOREPLACE);
                if moved.is_err() {
                    if let Err(e) = fs::remove_file(old.join(name)) {
                        failed = Some(e);
                    }
                }
            }
        }
        Err(e) => failed = Some(e.into()),
    }
    if let Err(e) = fs::remove_dir(old) {
        eprintln!(
            "faqlink: warning: the previous files of {} could not be removed ({}); they are in {}",
            quoted(&target.display().to_string()),
            failed.unwrap_or(e),
            quoted(&old.display().to_string())
        );
    }
}

fn dir_error(dir: &Path, source: io::Error) -> Error {
    Error::io("cannot write into", dir, source)
}

/// Where `--output-dir` `dir` goes: the resolved folder, its parent and name, and the folder
/// already there (if any); the root folder, a descriptor or a file are refused.
fn located(dir: &Path) -> Result<(PathBuf, PathBuf, std::ffi::OsString, Option<fs::Metadata>)> {
    let resolved = target::resolve(dir, "cannot write into")?;
    if resolved.descriptor {
        return Err(dir_error(dir, io::Error::other("it is not a folder")));
    }
    let target = resolved.path;
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
        return Err(Error::Usage(format!(
            "--output-dir {}: the root folder cannot be replaced as a set; name a folder inside it",
            quoted(&dir.display().to_string())
        )));
    };
    let (parent, name) = (parent.to_path_buf(), name.to_os_string());
    let existing = match fs::metadata(&target) {
        Ok(m) if m.is_dir() => Some(m),
        Ok(_) => return Err(dir_error(dir, io::Error::other("it exists and is not a folder"))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(dir_error(dir, e)),
    };
    Ok((target, parent, name, existing))
}

/// A staging folder beside `target` that takes the old folder's owner (where permitted),
/// group, ACLs (access and default, so its new files get what the old folder's would) and
/// mode; or, for another user's or group's folder that faqlink may not hand over (swapping
/// it would take the folder from them and leave their old set where faqlink cannot remove
/// it), why its files are replaced inside it instead.
fn staging_like(
    old: &fs::Metadata,
    target: &Path,
    parent: &Path,
    name: &std::ffi::OsStr,
) -> io::Result<std::result::Result<(PathBuf, Registered), &'static str>> {
    let (new, registered) = make_staging(parent, name, 0o700)?;
    let kept = fs::File::open(&new)
        .and_then(|f| copy_host_attributes(target, old, &f, &[ACL_ACCESS, ACL_DEFAULT]).map(|()| f))
        .and_then(|f| f.metadata());
    match kept {
        Ok(m) if m.uid() == old.uid() && m.gid() == old.gid() => Ok(Ok((new, registered))),
        Ok(_) => {
            let _ = fs::remove_dir(&new);
            drop(registered);
            Ok(Err("belongs to another user or group, which a new folder made by faqlink cannot keep"))
        }
        Err(e) => {
            let _ = fs::remove_dir(&new);
            Err(e)
        }
    }
}
