//! Rendering: one small sink per format over the same typed rows, and the output target
//! (standard output, or a file written atomically).

pub mod csv;
pub mod document;
pub mod html;
pub mod json;
pub mod markdown;
pub mod openmetrics;
pub mod table;
pub mod xlsx;

use std::fs;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use chrono::SecondsFormat;

use crate::config::{Format, ReportConfig, Target};
use crate::error::{Error, Result};
use crate::reports::{Cell, Sink};

/// Where bytes go: standard output, or a temporary file that replaces the target only
/// when [`Output::commit`] runs (same folder, flushed and synced, then renamed).
pub enum Output {
    /// Standard output.
    Stdout(BufWriter<io::Stdout>),
    /// A file being written.
    File {
        /// The temporary file beside the target.
        tmp: BufWriter<tempfile::NamedTempFile>,
        /// The target path.
        path: PathBuf,
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

impl Output {
    /// Standard output.
    pub fn stdout() -> Self {
        Output::Stdout(BufWriter::with_capacity(64 * 1024, io::stdout()))
    }

    /// Starts writing `path` atomically: nothing appears there until [`Output::commit`].
    pub fn file(path: &Path) -> Result<Self> {
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
            return Ok(Output::Special { file: BufWriter::with_capacity(64 * 1024, file), path: path.to_path_buf() });
        }
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{}.", path.file_name().map_or("faqlink".into(), |n| n.to_string_lossy())))
            .suffix(".tmp")
            .tempfile_in(&dir)
            // tempfile's message names the temporary file; say only what went wrong.
            .map_err(|e| io_error("cannot create a file in", &dir, io::Error::from(e.kind())))?;
        Ok(Output::File { tmp: BufWriter::with_capacity(64 * 1024, tmp), path: path.to_path_buf() })
    }

    /// True when this is standard output attached to a terminal.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Output::Stdout(_)) && io::stdout().is_terminal()
    }

    /// Finishes the output: flushes standard output, or syncs and renames the file into place.
    pub fn commit(self) -> Result<()> {
        match self {
            Output::Stdout(mut w) => w.flush().map_err(Error::stdout),
            Output::File { tmp, path } => {
                let tmp = tmp.into_inner().map_err(|e| io_error("cannot write", &path, e.into_error()))?;
                tmp.as_file().sync_all().map_err(|e| io_error("cannot write", &path, e))?;
                let mode = fs::metadata(&path).map(|m| m.permissions()).ok();
                let perms = mode.unwrap_or_else(default_permissions);
                fs::set_permissions(tmp.path(), perms).map_err(|e| io_error("cannot write", &path, e))?;
                tmp.persist(&path).map_err(|e| io_error("cannot write", &path, e.error))?;
                Ok(())
            }
            Output::Special { mut file, path } => file.flush().map_err(|e| io_error("cannot write", &path, e)),
        }
    }

    fn name(&self) -> String {
        match self {
            Output::Stdout(_) => "standard output".into(),
            Output::File { path, .. } | Output::Special { path, .. } => path.display().to_string(),
        }
    }

    /// Maps a write error to a faqlink error naming this output.
    pub fn error(&self, e: io::Error) -> Error {
        match self {
            Output::Stdout(_) => Error::stdout(e),
            Output::File { .. } | Output::Special { .. } => {
                Error::Io { what: "cannot write", path: self.name(), source: e }
            }
        }
    }
}

#[cfg(unix)]
fn default_permissions() -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    fs::Permissions::from_mode(0o644)
}

#[cfg(not(unix))]
fn default_permissions() -> fs::Permissions {
    fs::metadata(".").map(|m| m.permissions()).expect("current directory")
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File { tmp, .. } => tmp.write(buf),
            Output::Special { file, .. } => file.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File { tmp, .. } => tmp.flush(),
            Output::Special { file, .. } => file.flush(),
        }
    }
}

fn io_error(what: &'static str, path: &Path, source: io::Error) -> Error {
    Error::Io { what, path: path.display().to_string(), source }
}

/// True when colour is allowed: `NO_COLOR` unset or empty.
pub fn colour_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Builds the sink for a report run.
pub fn sink(config: &ReportConfig) -> Result<Box<dyn Sink>> {
    let open = || match &config.target {
        Target::File(p) => Output::file(p),
        _ => Ok(Output::stdout()),
    };
    Ok(match (&config.target, config.format) {
        (Target::Dir(dir), _) => Box::new(csv::DirSink::new(dir, config.csv)?),
        (_, Format::Csv) => Box::new(csv::CsvSink::new(open()?, config.csv)?),
        (_, Format::Json) => Box::new(json::JsonSink::new(open()?, config.all)),
        (_, Format::Markdown) => Box::new(markdown::MarkdownSink::new(open()?)),
        (_, Format::Table) => Box::new(table::TableSink::new(open()?)),
    })
}

/// Plain text of a cell for text formats (`None` for NULL), with `decimal` as separator.
pub fn plain(cell: &Cell, decimal: char) -> Option<String> {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Int(i) => i.map(|v| v.to_string()),
        Cell::Pct(p) => p.map(|p| p.format(decimal)),
        Cell::Timestamp(t) => t.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        Cell::Date(d) => Some(d.format("%Y-%m-%d").to_string()),
        Cell::Bool(b) => Some(b.to_string()),
    }
}
