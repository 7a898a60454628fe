//! The one error type of faqlink: every variant names what failed, and maps to an exit code.

use std::path::PathBuf;

/// Everything that can go wrong in a faqlink run.
///
/// Messages never contain a database password: a connection target is carried in the
/// allow-listed form built from its parse (see [`crate::db::url::DatabaseUrl::redacted`]), a
/// refused connection string is not quoted at all, and libpq's connection messages are shown
/// only when the parse vouches for every value they quote
/// ([`crate::db::url::DatabaseUrl::connect_failure`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad option value, found after clap parsed the command line (exit 2).
    #[error("{0}")]
    Usage(String),

    /// The database URL could not be understood (exit 2). Nothing of the string is quoted
    /// (it may hold a password in a place faqlink could not parse); `reason` names the part
    /// and the rule.
    #[error("invalid database URL: {reason}")]
    BadUrl { reason: String },

    /// A read command was pointed at a SQLite file that does not exist.
    #[error("SQLite database {} does not exist; create it with `faqlink migrate` (empty) or `faqlink demo` (with sample data)", quoted(&.path.display().to_string()))]
    MissingDatabase { path: PathBuf },

    /// Connecting failed.
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },

    /// A query failed; `what` says which, `class` what kind of failure it was.
    #[error("{what} failed on {url}: {reason}{}", .class.sqlstate().map(|s| format!(" (SQLSTATE {s})")).unwrap_or_default())]
    Query { what: String, url: String, reason: String, class: QueryClass },

    /// A write would leave rows that break a foreign key; it was rolled back. `what` names
    /// the work (a migration, the seed), `url` the database (redacted).
    #[error("{what} would leave {count} foreign-key violation(s) in {url} (`PRAGMA foreign_key_check` lists them); rolled back")]
    ForeignKeyViolations { what: String, url: String, count: i64 },

    /// Reading or writing a file or standard output failed.
    #[error("{what} {target}: {source}")]
    Io {
        what: &'static str,
        target: IoTarget,
        #[source]
        source: std::io::Error,
    },

    /// The command refused to act (to protect data); the message says how to proceed.
    #[error("{0}")]
    Refused(String),

    /// `check` found required pieces missing (the table was already printed); `failed`
    /// names each failed check.
    #[error("check failed: {} required check(s) failed: {}", .failed.len(), .failed.join(", "))]
    CheckFailed { failed: Vec<String> },

    /// A stored value no report can read the way it was meant (a timestamp in no accepted
    /// form, text that is not UTF-8): named by table, column and the row's primary key.
    #[error("{0}")]
    BadValue(Box<BadValue>),

    /// `--fail-on-any` found `rows` orphaned or dangling links (the report was still written).
    #[error("--fail-on-any: {rows} orphaned or dangling link(s) found")]
    FoundRows { rows: u64 },
    /// An expectation failed (`--expect`), or a warning with `--fail-on warn` (exit 4).
    #[error("{failed} expectation(s) failed")]
    ExpectationsFailed { failed: usize },
}

/// A stored value that made a report fail, with where it is ([`Error::BadValue`]).
#[derive(Debug)]
pub struct BadValue {
    /// What failed (`the report`).
    pub what: String,
    /// The table.
    pub table: String,
    /// The column.
    pub column: String,
    /// The row's primary key, as `id "…"`.
    pub key: String,
    /// The value, quoted and escaped.
    pub value: String,
    /// What is wrong with it.
    pub problem: String,
}

impl std::fmt::Display for BadValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} failed: {}.{} of the row with {} holds {}, which {}; run `faqlink check` to list every such value",
            self.what, self.table, self.column, self.key, self.value, self.problem
        )
    }
}

/// Where an I/O error happened.
#[derive(Debug)]
pub enum IoTarget {
    /// A file or folder. Shown quoted when it holds a control character (a newline, an
    /// escape), so the message stays one line.
    Path(PathBuf),
    /// Standard output.
    StandardOutput,
}

impl std::fmt::Display for IoTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IoTarget::Path(p) => f.write_str(&quoted(&p.display().to_string())),
            IoTarget::StandardOutput => f.write_str("standard output"),
        }
    }
}

impl Error {
    /// The documented process exit code for this error (see docs/CLI.md).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::BadUrl { .. } => 2,
            Error::FoundRows { .. } => 3,
            Error::ExpectationsFailed { .. } => 4,
            _ => 1,
        }
    }

    /// True when running the whole read again may succeed (a hot standby's recovery conflict).
    pub(crate) fn is_retryable(&self) -> bool {
        matches!(self, Error::Query { class, .. } if class.is_retryable())
    }

    /// True when this is a broken pipe on standard output, which ends a run quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// An I/O error on the file or folder `path`.
    pub(crate) fn io(what: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io { what, target: IoTarget::Path(path.to_path_buf()), source }
    }

    /// Shorthand for an I/O error on standard output.
    pub(crate) fn stdout(source: std::io::Error) -> Self {
        Error::Io { what: "cannot write to", target: IoTarget::StandardOutput, source }
    }
}

/// What kind of failure a query error was, as far as the driver lets faqlink know: Diesel
/// gives PostgreSQL's SQLSTATE only as a [`diesel::result::DatabaseErrorKind`], which names a
/// few codes (40001 among them) and folds every error that closed the connection into one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryClass {
    /// SQLSTATE 40001 `serialization_failure`: on a hot standby, "canceling statement due to
    /// conflict with recovery" (retryable).
    SerializationFailure,
    /// A hot standby ended the statement or the session because of a recovery conflict, told
    /// by PostgreSQL's (English) message "… due to conflict with recovery" where the
    /// SQLSTATE is not reachable: a buffer-pin deadlock (40P01) or a terminated session
    /// (FATAL 40001). Retryable.
    RecoveryConflict,
    /// The connection was lost (the server closed it, or the network failed) with no
    /// message saying why: a hot standby that ends a session for a recovery conflict may
    /// close it before its message arrives. Retryable only when the server was found to be
    /// a standby at the start of the run ([`QueryClass::LostOnStandby`]).
    ConnectionLost,
    /// [`QueryClass::ConnectionLost`] on a server in recovery (a hot standby). Retryable.
    LostOnStandby,
    /// SQLSTATE 40P01 `deadlock_detected`, told by PostgreSQL's (English) message "deadlock
    /// detected": on a hot standby, the replay of a lock the primary took can deadlock with a
    /// report waiting for another one. A read-only run is safe to repeat. Retryable.
    Deadlock,
    /// SQLSTATE 25006 `read_only_sql_transaction`.
    ReadOnly,
    /// Anything else.
    Other,
}

impl QueryClass {
    /// Classifies a Diesel error.
    pub(crate) fn of(e: &diesel::result::Error) -> QueryClass {
        use diesel::result::{DatabaseErrorKind, Error as D};
        match e {
            D::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => QueryClass::SerializationFailure,
            D::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _) => QueryClass::ReadOnly,
            D::DatabaseError(_, info) if info.message().contains("due to conflict with recovery") => {
                QueryClass::RecoveryConflict
            }
            D::DatabaseError(_, info) if info.message().starts_with("deadlock detected") => QueryClass::Deadlock,
            D::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => QueryClass::ConnectionLost,
            _ => QueryClass::Other,
        }
    }

    /// The SQLSTATE, where it is known exactly.
    pub(crate) fn sqlstate(self) -> Option<&'static str> {
        match self {
            QueryClass::SerializationFailure => Some("40001"),
            QueryClass::Deadlock => Some("40P01"),
            QueryClass::ReadOnly => Some("25006"),
            QueryClass::RecoveryConflict
            | QueryClass::ConnectionLost
            | QueryClass::LostOnStandby
            | QueryClass::Other => None,
        }
    }

    /// True when running the whole read again may succeed.
    pub(crate) fn is_retryable(self) -> bool {
        matches!(
            self,
            QueryClass::SerializationFailure
                | QueryClass::RecoveryConflict
                | QueryClass::Deadlock
                | QueryClass::LostOnStandby
        )
    }
}

/// A path or other text for a one-line message: as is, or quoted with escapes (`"a\nb"`,
/// `"\u{1b}[31m"`, `"\u{202e}"`) when it holds a control, bidi or invisible character
/// ([`crate::output::escape::quoted`], the same escaping as the terminal table).
pub(crate) fn quoted(text: &str) -> String {
    crate::output::escape::quoted(text)
}

/// A value the user typed for an option, for a one-line message, by allow-list: shown quoted
/// (`"Mars/Olympus"`) when it is at most three characters (too short to hold any 4-character
/// part of a secret), or made only of ASCII letters, digits, spaces
/// and `-_/:.+`, the characters of every date, week, zone and format faqlink takes; otherwise
/// described, not shown. A connection string typed into the wrong option (`--since
/// postgres://u:pw@h/db`, `--tz 'password=…'`) always holds a character outside that set, so
/// its password is never echoed (docs/RELIABILITY.md, "Secrets").
pub(crate) fn typed(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || " -_/:.+".contains(c);
    if value.chars().count() <= 3 || value.chars().all(plain) {
        format!("{value:?}")
    } else {
        "the value given (not shown: it holds characters no such value has, and may be a connection string or a secret)"
            .to_string()
    }
}

/// The result type used across faqlink.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::typed;

    #[test]
    fn typed_values_are_shown_by_allow_list() {
        for shown in ["Mars/Olympus", "2026-13-01", "2026-W99", "x", "@", "Etc/GMT+1", "2026-11-23T09:15:00Z"] {
            assert_eq!(typed(shown), format!("{shown:?}"), "{shown}");
        }
        for hidden in
            ["postgres://u:pw@h/db", "host=h password=pw", "pwd=secret", "postgres:SECRET?x", "ab\u{1b}cd", "Zürich"]
        {
            assert!(!typed(hidden).contains(hidden), "{hidden}");
            assert!(typed(hidden).contains("not shown"), "{hidden}");
        }
    }
}
