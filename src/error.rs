//! The one error type of faqlink: every variant names what failed, and maps to an exit code.

use std::path::PathBuf;

/// Everything that can go wrong in a faqlink run.
///
/// Messages never contain a database password: URLs are carried in their
/// redacted form (see [`crate::db::url::DatabaseUrl::redacted`]), and libpq's
/// connection messages are replaced by faqlink's own wording when the connection
/// string carries a password ([`crate::db::url::DatabaseUrl::connect_failure`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad option value, found after clap parsed the command line (exit 2).
    #[error("{0}")]
    Usage(String),

    /// The database URL could not be understood (exit 2); `url` is its redacted form.
    #[error("invalid database URL {url}: {reason}")]
    BadUrl { url: String, reason: String },

    /// A read command was pointed at a SQLite file that does not exist.
    #[error("SQLite database {path} does not exist; create it with `faqlink migrate` (empty) or `faqlink demo` (with sample data)")]
    MissingDatabase { path: PathBuf },

    /// Connecting failed.
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },

    /// A query failed; `what` says which.
    #[error("{what} failed on {url}: {reason}")]
    Query { what: String, url: String, reason: String },

    /// The database lacks something a command needs.
    #[error("{0}")]
    Schema(String),

    /// Reading or writing a file or stream failed.
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// The command refused to act (to protect data); the message says how to proceed.
    #[error("{0}")]
    Refused(String),

    /// `check` found a required piece missing (the table was already printed).
    #[error("check failed: {0}")]
    CheckFailed(String),

    /// `--fail-on-any` found rows (the report was still written).
    #[error("{0}")]
    FoundRows(String),
}

impl Error {
    /// The documented process exit code for this error (see docs/CLI.md).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::BadUrl { .. } => 2,
            Error::FoundRows(_) => 3,
            _ => 1,
        }
    }

    /// True when this is a broken pipe on standard output, which ends a run quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// Shorthand for an I/O error on standard output.
    pub fn stdout(source: std::io::Error) -> Self {
        Error::Io { what: "cannot write to", path: "standard output".into(), source }
    }
}

/// The result type used across faqlink.
pub type Result<T, E = Error> = std::result::Result<T, E>;
