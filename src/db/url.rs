//! Database URL handling: picking the backend from the scheme, and never showing a password.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The file the embedded SQLite default lives in (relative to the current directory).
pub const DEFAULT_SQLITE_FILE: &str = "faqlink.db";

/// Seconds libpq waits for a server before giving up, unless the URL says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u32 = 10;

/// A parsed database location. `Debug` and `Display` show the redacted form only.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A PostgreSQL connection string (`postgres://` or `postgresql://`), kept verbatim for libpq.
    Postgres {
        /// What is handed to libpq (with a default `connect_timeout` added).
        conninfo: String,
        /// The same URL with any password replaced by `***`.
        redacted: String,
        /// Secrets to scrub from driver messages (raw and percent-decoded password).
        secrets: Vec<String>,
    },
    /// A SQLite database file.
    Sqlite {
        /// The file's path.
        path: PathBuf,
    },
}

impl DatabaseUrl {
    /// Parses `--database-url` / `DATABASE_URL`, or the embedded default when `None`.
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        let Some(raw) = raw else {
            return Ok(DatabaseUrl::Sqlite { path: PathBuf::from(DEFAULT_SQLITE_FILE) });
        };
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Error::BadUrl { url: "\"\"".into(), reason: "it is empty".into() });
        }
        let scheme = scheme_of(trimmed);
        match scheme.map(|s| s.to_ascii_lowercase()).as_deref() {
            Some("postgres") | Some("postgresql") => Self::parse_postgres(trimmed),
            Some("sqlite") => {
                let rest = &trimmed["sqlite:".len()..];
                let rest = rest.strip_prefix("//").unwrap_or(rest);
                Self::sqlite_from(raw, strip_query(rest))
            }
            Some("file") => {
                let rest = &trimmed["file:".len()..];
                let rest = rest.strip_prefix("//").unwrap_or(rest);
                Self::sqlite_from(raw, strip_query(rest))
            }
            Some(other) if trimmed.contains("://") => Err(Error::BadUrl {
                url: redact_generic(trimmed),
                reason: format!(
                    "unknown scheme `{other}`; use postgres://, postgresql://, sqlite://PATH, file:PATH or a plain file path"
                ),
            }),
            _ => Self::sqlite_from(raw, trimmed),
        }
    }

    fn sqlite_from(raw: &str, path: &str) -> Result<Self> {
        if path.is_empty() {
            return Err(Error::BadUrl { url: redact_generic(raw), reason: "no SQLite file path".into() });
        }
        Ok(DatabaseUrl::Sqlite { path: PathBuf::from(path) })
    }

    fn parse_postgres(raw: &str) -> Result<Self> {
        let parsed = url::Url::parse(raw).map_err(|e| Error::BadUrl {
            url: redact_generic(raw),
            reason: format!("not a valid PostgreSQL URL ({e})"),
        })?;
        let mut secrets = Vec::new();
        if let Some(pw) = parsed.password() {
            push_secret(&mut secrets, pw);
        }
        for (k, v) in parsed.query_pairs() {
            if k == "password" {
                push_secret(&mut secrets, &v);
            }
        }
        // Also the raw (undecoded) query value, which libpq may echo.
        if let Some(q) = parsed.query() {
            for pair in q.split('&') {
                if let Some(v) = pair.strip_prefix("password=") {
                    push_secret(&mut secrets, v);
                }
            }
        }
        let mut redacted_url = parsed.clone();
        if parsed.password().is_some() {
            let _ = redacted_url.set_password(Some("***"));
        }
        if parsed.query_pairs().any(|(k, _)| k == "password") {
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k == "password" { "***".to_string() } else { v.into_owned() };
                    (k.into_owned(), v)
                })
                .collect();
            redacted_url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        let redacted = redacted_url.to_string().replace("%2A%2A%2A", "***");
        let mut conninfo = raw.to_string();
        if !parsed.query_pairs().any(|(k, _)| k == "connect_timeout") {
            conninfo.push(if parsed.query().is_some() { '&' } else { '?' });
            conninfo.push_str(&format!("connect_timeout={DEFAULT_CONNECT_TIMEOUT_SECS}"));
        }
        Ok(DatabaseUrl::Postgres { conninfo, redacted, secrets })
    }

    /// The form safe to print: the URL without its password, or the SQLite path.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Postgres { redacted, .. } => redacted.clone(),
            DatabaseUrl::Sqlite { path } => path.display().to_string(),
        }
    }

    /// Removes every secret of this URL from a message (driver errors may echo the conninfo).
    pub fn scrub(&self, message: &str) -> String {
        let mut out = message.trim().to_string();
        if let DatabaseUrl::Postgres { secrets, .. } = self {
            for s in secrets {
                out = out.replace(s.as_str(), "***");
            }
        }
        // Driver messages can span lines; errors are one line.
        out.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
    }

    /// The SQLite path, if this is SQLite.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            DatabaseUrl::Sqlite { path } => Some(path),
            DatabaseUrl::Postgres { .. } => None,
        }
    }

    /// True for PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseUrl::Postgres { .. })
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

fn push_secret(secrets: &mut Vec<String>, s: &str) {
    if s.is_empty() {
        return;
    }
    for v in [s.to_string(), percent_decode(s)] {
        if !v.is_empty() && !secrets.contains(&v) {
            secrets.push(v);
        }
    }
    // Longest first, so a secret that contains another is removed whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The scheme of `s` if it starts with `letters:`, as URLs do.
fn scheme_of(s: &str) -> Option<&str> {
    let end = s.find(':')?;
    let scheme = &s[..end];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    // A one-letter "scheme" is a Windows drive letter, not a scheme.
    if scheme.len() < 2 || !first.is_ascii_alphabetic() {
        return None;
    }
    chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')).then_some(scheme)
}

fn strip_query(s: &str) -> &str {
    s.split('?').next().unwrap_or(s)
}

/// Best-effort redaction of a string we could not parse: drop `user:pass@` and `password=`.
fn redact_generic(s: &str) -> String {
    let mut out = s.to_string();
    if let Some(scheme_end) = out.find("://") {
        let after = scheme_end + 3;
        if let Some(at) = out[after..].rfind('@') {
            let userinfo = &out[after..after + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(after + colon + 1..after + at, "***");
            }
        }
    }
    if let Some(pos) = out.find("password=") {
        let start = pos + "password=".len();
        let end = out[start..].find(['&', ' ']).map_or(out.len(), |e| start + e);
        out.replace_range(start..end, "***");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_backend_by_scheme() {
        assert!(DatabaseUrl::parse(Some("postgres://u@h/db")).unwrap().is_postgres());
        assert!(DatabaseUrl::parse(Some("postgresql://u@h/db")).unwrap().is_postgres());
        for (raw, path) in [
            ("sqlite://x.db", "x.db"),
            ("sqlite:///tmp/x.db", "/tmp/x.db"),
            ("file:x.db", "x.db"),
            ("./a/b.db", "./a/b.db"),
            ("b.db", "b.db"),
        ] {
            let u = DatabaseUrl::parse(Some(raw)).unwrap();
            assert_eq!(u.sqlite_path().unwrap(), Path::new(path), "{raw}");
        }
        assert_eq!(DatabaseUrl::parse(None).unwrap().sqlite_path().unwrap(), Path::new("faqlink.db"));
    }

    #[test]
    fn unknown_scheme_is_an_error_without_the_password() {
        let err = DatabaseUrl::parse(Some("mysql://u:s3cret@h/db")).unwrap_err().to_string();
        assert!(err.contains("unknown scheme `mysql`"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn password_is_redacted_and_scrubbed() {
        let u = DatabaseUrl::parse(Some("postgres://bob:p%40ss%2Fw0rd@h:5432/db?password=qs3cret&sslmode=disable"))
            .unwrap();
        let shown = format!("{u} {u:?}");
        assert!(!shown.contains("p%40ss"), "{shown}");
        assert!(!shown.contains("qs3cret"), "{shown}");
        assert!(shown.contains("bob:***@h:5432/db"), "{shown}");
        let msg = u.scrub("failed for p@ss/w0rd and p%40ss%2Fw0rd and qs3cret\nsecond line");
        assert_eq!(msg, "failed for *** and *** and ***; second line");
    }

    #[test]
    fn connect_timeout_is_added_unless_given() {
        let DatabaseUrl::Postgres { conninfo, .. } = DatabaseUrl::parse(Some("postgres://h/db")).unwrap() else {
            panic!()
        };
        assert_eq!(conninfo, "postgres://h/db?connect_timeout=10");
        let DatabaseUrl::Postgres { conninfo, .. } =
            DatabaseUrl::parse(Some("postgres://h/db?connect_timeout=2")).unwrap()
        else {
            panic!()
        };
        assert_eq!(conninfo, "postgres://h/db?connect_timeout=2");
    }
}
