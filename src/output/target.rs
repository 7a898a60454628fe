//! Resolving an output path before anything is written there.
//!
//! - **Links in shared folders.** faqlink follows symbolic links itself, one component at a
//!   time, under the kernel's `fs.protected_symlinks` rule, whatever that setting is on the
//!   host: a link that sits in a sticky, world-writable folder (such as `/tmp`) is followed
//!   only when it belongs to the user running faqlink or to the folder's owner. Any other is
//!   refused (exit 1), so a link planted by another user cannot send a run's output over a
//!   file it could not write itself.
//! - **Dangling links** are refused with a message that names the link and where it points.
//! - **Open descriptors.** A path that reaches one of the process's open descriptors
//!   (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`) is that descriptor: it is written in place
//!   (appending), never replaced by a rename.
//! - **No check-then-use window.** [`resolve`] checks each link once; [`open_folder`] and
//!   [`open_last`] then open the result one component at a time relative to the previous
//!   descriptor with `O_NOFOLLOW`, so a link planted after the check is refused, never
//!   followed, and whether the target is written in place is decided by an `fstat` of the
//!   descriptor that is then written, never by a second look at the path.
//! - **Kernel file systems.** A folder on `proc`, `sysfs`, `cgroup` and the like holds no
//!   ordinary files: [`pseudo_file_system`] names it, for a message that says so.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use crate::error::{quoted, Error, Result};

/// A resolved output path.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// The path with every symbolic link resolved (absolute); its last components may not
    /// exist yet.
    pub path: PathBuf,
    /// True when the path reaches an open descriptor through `/proc/…/fd/N` (then `path` is
    /// that `/proc` path, which only the kernel can follow further).
    pub descriptor: bool,
}

/// Symbolic links followed before giving up (the kernel's limit).
const MAX_LINKS: usize = 40;

fn show(p: &Path) -> String {
    quoted(&p.display().to_string())
}

/// Resolves `path` for writing (see the module's rules); `what` is the option's name for
/// messages. Errors name `path` (and the link at fault).
pub(crate) fn resolve(path: &Path, what: &'static str) -> Result<Resolved> {
    let fail = |source: io::Error| Error::io(what, path, source);
    let mut rest: Vec<OsString> = Vec::new();
    push_components(&mut rest, path);
    let mut cur = if path.is_absolute() { PathBuf::from("/") } else { std::env::current_dir().map_err(fail)? };
    // Links being expanded: (the link, its text, `rest.len()` before its components).
    let mut links: Vec<(PathBuf, PathBuf, usize)> = Vec::new();
    let mut followed = 0;
    while let Some(part) = rest.pop() {
        links.retain(|(_, _, base)| rest.len() + 1 > *base);
        match Path::new(&part).components().next() {
            Some(Component::RootDir) => cur = PathBuf::from("/"),
            Some(Component::ParentDir) => {
                cur.pop();
            }
            Some(Component::Normal(name)) => {
                let next = cur.join(name);
                match fs::symlink_metadata(&next) {
                    Ok(m) if m.file_type().is_symlink() => {
                        followed += 1;
                        if followed > MAX_LINKS {
                            return Err(fail(io::Error::other("too many levels of symbolic links")));
                        }
                        check_link(&cur, &next, &m).map_err(|e| Error::io(what, path, e))?;
                        if is_descriptor_folder(&cur) {
                            return Ok(unresolved(next, &rest, true));
                        }
                        let text = fs::read_link(&next).map_err(|e| fail(changed_while_resolved(&next, e)))?;
                        links.push((next, text.clone(), rest.len()));
                        push_components(&mut rest, &text);
                    }
                    Ok(_) => cur = next,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        if let Some((link, text, _)) = links.last() {
                            return Err(fail(dangling(link, text)));
                        }
                        return Ok(unresolved(next, &rest, false));
                    }
                    // Not a folder where one is needed, or no permission: the caller's own
                    // checks name it.
                    Err(_) => return Ok(unresolved(next, &rest, false)),
                }
            }
            _ => {}
        }
    }
    Ok(Resolved { path: cur, descriptor: false })
}

/// `next` with the components not yet resolved (`rest`, last first) after it, as they are.
fn unresolved(mut next: PathBuf, rest: &[OsString], descriptor: bool) -> Resolved {
    next.extend(rest.iter().rev());
    Resolved { path: next, descriptor }
}

/// The error for a symbolic link whose target does not exist, naming both.
fn dangling(link: &Path, text: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{} is a dangling symbolic link: it points to {}, which does not exist", show(link), show(text)),
    )
}

/// A link checked by [`resolve`] that could not be read just after: removed or replaced
/// meanwhile (another process at work in the folder), said in those words.
fn changed_while_resolved(link: &Path, e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::InvalidInput => io::Error::new(
            e.kind(),
            format!("{} was removed or replaced while faqlink resolved the path; run again", show(link)),
        ),
        _ => e,
    }
}

/// Pushes `p`'s components onto the stack `rest`, the first on top.
fn push_components(rest: &mut Vec<OsString>, p: &Path) {
    let parts: Vec<OsString> = p.components().map(|c| c.as_os_str().to_os_string()).collect();
    rest.extend(parts.into_iter().rev());
}

/// The kernel's `protected_symlinks` rule: a link in a sticky, world-writable folder is
/// followed only when its owner is the caller or the folder's owner.
fn check_link(folder: &Path, link: &Path, meta: &fs::Metadata) -> io::Result<()> {
    let Ok(dir) = fs::metadata(folder) else { return Ok(()) };
    let shared = dir.mode() & 0o1002 == 0o1002;
    let me = rustix::process::geteuid().as_raw();
    if shared && meta.uid() != me && meta.uid() != dir.uid() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is a symbolic link owned by another user (uid {}) in the shared folder {} (sticky and \
                 world-writable); faqlink does not follow such links (the kernel's protected_symlinks rule): \
                 name the file itself",
                show(link),
                meta.uid(),
                show(folder)
            ),
        ));
    }
    Ok(())
}

/// True for `/proc/PID/fd` (and `task/TID/fd`): its links are the process's descriptors.
fn is_descriptor_folder(folder: &Path) -> bool {
    folder.file_name().is_some_and(|n| n == "fd")
        && rustix::fs::statfs(folder).is_ok_and(|s| s.f_type == rustix::fs::PROC_SUPER_MAGIC)
}

/// True when `path` is the file standard output is open on (same device and inode).
pub(crate) fn is_standard_output(path: &Path) -> bool {
    let Ok(out) = rustix::fs::fstat(std::io::stdout()) else { return false };
    fs::metadata(path).is_ok_and(|m| m.dev() == out.st_dev && m.ino() == out.st_ino)
}

/// What the last component of a resolved output path is, as found on a descriptor opened
/// without following links ([`open_last`]).
#[derive(Debug)]
pub(crate) enum Last {
    /// No such name in the folder: a new file.
    Missing,
    /// A regular file: replaced by a rename.
    Regular,
    /// The file standard output is open on: written through the spool.
    StandardOutput,
    /// Not a regular file (a FIFO, a device), opened for writing: written in place.
    Special(fs::File),
}

/// Opens the folder `dir` (absolute, its links resolved by [`resolve`]) one component at a
/// time, each relative to the previous descriptor and with `O_NOFOLLOW`: a link found on the
/// way was planted after [`resolve`] checked the path, and is refused. The folder is opened
/// for reading when permitted (so that it can be synced), else as a path only.
pub(crate) fn open_folder(dir: &Path) -> io::Result<OwnedFd> {
    let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut fd = rustix::fs::open("/", flags | OFlags::DIRECTORY, Mode::empty())?;
    let mut at = PathBuf::from("/");
    for part in dir.components() {
        let name = match part {
            Component::Normal(name) => name,
            Component::ParentDir => OsStr::new(".."),
            _ => continue,
        };
        at.push(part);
        let next = rustix::fs::openat(&fd, name, flags, Mode::empty())?;
        match FileType::from_raw_mode(rustix::fs::fstat(&next)?.st_mode) {
            FileType::Directory => fd = next,
            FileType::Symlink => return Err(link_appeared(&at)),
            _ => return Err(io::Error::other(format!("{} is not a folder", show(&at)))),
        }
    }
    let readable = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    Ok(rustix::fs::openat(&fd, ".", readable, Mode::empty()).unwrap_or(fd))
}

/// Finds what `name` is in the folder `dir` without following a link, from an `fstat` of a
/// descriptor: a target that is not a regular file is opened for writing here, and kept only
/// if the opened descriptor is the same file (never a link). `shown` names it in messages.
pub(crate) fn open_last(dir: &OwnedFd, name: &OsStr, shown: &Path) -> io::Result<Last> {
    let probe = match rustix::fs::openat(dir, name, OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty()) {
        Err(Errno::NOENT) => return Ok(Last::Missing),
        other => other?,
    };
    let seen = rustix::fs::fstat(&probe)?;
    match FileType::from_raw_mode(seen.st_mode) {
        FileType::RegularFile => Ok(Last::Regular),
        FileType::Directory => Err(io::Error::other("it is a directory")),
        FileType::Symlink => Err(link_appeared(shown)),
        _ if is_standard_output_stat(&seen) => Ok(Last::StandardOutput),
        _ => open_in_place(dir, name, &seen, shown).map(Last::Special),
    }
}

/// Opens the non-regular file `name` in `dir` for writing (`O_NOFOLLOW`), and checks by an
/// `fstat` of the new descriptor that it is still the file `seen` described.
fn open_in_place(dir: &OwnedFd, name: &OsStr, seen: &Stat, shown: &Path) -> io::Result<fs::File> {
    let flags = OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = match rustix::fs::openat(dir, name, flags, Mode::empty()) {
        Err(Errno::LOOP) => return Err(link_appeared(shown)),
        other => other?,
    };
    let now = rustix::fs::fstat(&fd)?;
    if (now.st_dev, now.st_ino) != (seen.st_dev, seen.st_ino) {
        return Err(io::Error::other(format!("{} was replaced by another file while faqlink opened it", show(shown))));
    }
    Ok(fs::File::from(fd))
}

/// The error for a link found where [`resolve`] had found none: planted while faqlink ran.
fn link_appeared(at: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "{} became a symbolic link after faqlink checked the path (planted while it ran?); faqlink \
             does not follow it: name the file itself",
            show(at)
        ),
    )
}

/// True when `st` describes the file standard output is open on.
fn is_standard_output_stat(st: &Stat) -> bool {
    rustix::fs::fstat(std::io::stdout()).is_ok_and(|out| (out.st_dev, out.st_ino) == (st.st_dev, st.st_ino))
}

/// The name of the kernel file system `dir` is on when that holds no ordinary files (`proc`,
/// `sysfs`, …), else `None`.
pub(crate) fn pseudo_file_system(dir: &Path) -> Option<&'static str> {
    const KERNEL: [(rustix::fs::FsWord, &str); 16] = [
        (0x9fa0, "proc"),
        (0x6265_6572, "sysfs"),
        (0x0027_e0eb, "cgroup"),
        (0x6367_7270, "cgroup2"),
        (0x1cd1, "devpts"),
        (0x6462_6720, "debugfs"),
        (0x7472_6163, "tracefs"),
        (0x7363_6673, "securityfs"),
        (0xcafe_4a11, "bpf"),
        (0x6165_676c, "pstore"),
        (0xde5e_81e4, "efivarfs"),
        (0x6265_6570, "configfs"),
        (0x6573_5543, "fusectl"),
        (0x4249_4e4d, "binfmt_misc"),
        (0x6e73_6673, "nsfs"),
        (0xf97c_ff8c, "selinuxfs"),
    ];
    let kind = rustix::fs::statfs(dir).ok()?.f_type;
    KERNEL.iter().find(|(magic, _)| *magic == kind).map(|(_, name)| *name)
}

/// The error for a target in a folder on a kernel file system.
pub(crate) fn pseudo_file_system_error(what: &'static str, path: &Path, dir: &Path, fs_name: &str) -> Error {
    Error::io(
        what,
        path,
        io::Error::other(format!(
            "{} is on the kernel's {fs_name} file system, which holds no ordinary files; choose a folder on a disk",
            show(dir)
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_like_the_kernel_and_dangling_links_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let d = fs::canonicalize(dir.path()).unwrap();
        fs::create_dir(d.join("real")).unwrap();
        std::os::unix::fs::symlink("real", d.join("rel")).unwrap();
        std::os::unix::fs::symlink(d.join("real"), d.join("abs")).unwrap();
        std::os::unix::fs::symlink("missing/x.csv", d.join("dangling.csv")).unwrap();
        std::os::unix::fs::symlink("loop", d.join("loop")).unwrap();
        let r = |p: &Path| resolve(p, "cannot write");
        for (given, want) in [
            (d.join("rel/x.csv"), d.join("real/x.csv")),
            (d.join("abs/../real/./x.csv"), d.join("real/x.csv")),
            (d.join("new/deeper/x"), d.join("new/deeper/x")),
            (d.join("rel"), d.join("real")),
        ] {
            assert_eq!(r(&given).unwrap(), Resolved { path: want, descriptor: false }, "{}", given.display());
        }
        let e = r(&d.join("dangling.csv")).unwrap_err().to_string();
        assert!(e.contains("dangling.csv is a dangling symbolic link: it points to missing/x.csv"), "{e}");
        assert!(r(&d.join("loop")).unwrap_err().to_string().contains("too many levels"));
        let out = r(Path::new("/dev/stdout")).unwrap();
        assert!(out.descriptor && out.path.ends_with("fd/1"), "{out:?}");
        assert_eq!(pseudo_file_system(Path::new("/proc")), Some("proc"));
        assert_eq!(pseudo_file_system(&d), None);
    }
}
