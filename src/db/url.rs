//! Database URL handling: picking the backend from the scheme, `.env`, and never showing a
//! password.
//!
//! Secrets are kept out of messages by structure, never by searching text for them: a URL's
//! userinfo and its `password` / `sslpassword` parameters, and the same keywords of a libpq
//! keyword string, are replaced by `***` in every form faqlink prints, and libpq is handed a
//! connection string faqlink serialised itself, so that libpq reads exactly the structure
//! that was redacted. A libpq message about a connection whose string carries a password is
//! not shown at all: faqlink prints its own wording for the cause class instead
//! ([`DatabaseUrl::connect_failure`]).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The file the embedded SQLite default lives in (relative to the current directory).
pub const DEFAULT_SQLITE_FILE: &str = "faqlink.db";

/// Seconds libpq waits for a server before giving up, unless the URL says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u32 = 10;

/// libpq connection keywords whose value is a secret.
const SECRET_KEYWORDS: [&str; 2] = ["password", "sslpassword"];

/// Every keyword libpq 15-17 accepts in a keyword/value connection string.
const LIBPQ_KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "require_auth",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "sslmode",
    "sslnegotiation",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcertmode",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "service",
    "target_session_attrs",
    "load_balance_hosts",
];

/// A parsed database location. `Debug` and `Display` show the redacted form only.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A PostgreSQL connection: a `postgres://` / `postgresql://` URL (scheme in any case) or
    /// a libpq keyword/value string (`host=… dbname=…`).
    Postgres {
        /// What is handed to libpq: faqlink's own serialisation of what it parsed (with a
        /// default `connect_timeout` added), so libpq sees the structure that was redacted.
        conninfo: String,
        /// The same location with every secret replaced by `***`.
        redacted: String,
        /// Whether the string carries a password (then libpq's messages are not shown).
        has_password: bool,
    },
    /// A SQLite database file.
    Sqlite {
        /// The file's path.
        path: PathBuf,
    },
}

impl DatabaseUrl {
    /// Parses `--database-url` / `DATABASE_URL`, or the embedded default when `None`.
    ///
    /// A string faqlink cannot read as PostgreSQL or as a SQLite path is a usage error
    /// ([`Error::BadUrl`], exit 2) whose message shows it redacted: quoted strings, scheme-like
    /// near-misses (`postgres//…`, `postgres:/…`), unknown schemes, and anything containing
    /// `@` or `=` that is not a PostgreSQL URL or keyword string. Such strings never become a
    /// SQLite file name.
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        let Some(raw) = raw else {
            return Ok(DatabaseUrl::Sqlite { path: PathBuf::from(DEFAULT_SQLITE_FILE) });
        };
        let s = raw.trim();
        if s.is_empty() {
            return Err(Error::BadUrl { url: "\"\"".into(), reason: "it is empty".into() });
        }
        let bad = |reason: &str| Error::BadUrl { url: redact_unparsed(s), reason: reason.to_string() };
        if s.starts_with(['"', '\'']) || s.ends_with(['"', '\'']) {
            return Err(bad("it is wrapped in quotes, which are part of the value here; remove them"));
        }
        if looks_like_keywords(s) {
            return Self::parse_keywords(s);
        }
        match scheme_of(s).map(|x| x.to_ascii_lowercase()).as_deref() {
            Some("postgres") | Some("postgresql") => {
                let rest = &s[s.find(':').expect("a scheme ends with ':'") + 1..];
                if !rest.starts_with("//") {
                    return Err(bad("a PostgreSQL URL starts with postgres:// or postgresql:// (two slashes)"));
                }
                Self::parse_postgres(s)
            }
            Some(scheme @ ("sqlite" | "file")) => {
                let rest = &s[scheme.len() + 1..];
                let rest = rest.strip_prefix("//").unwrap_or(rest);
                Self::sqlite_from(s, strip_query(rest))
            }
            Some(other) => Err(bad(&format!(
                "unknown scheme `{other}`; use postgres://, postgresql://, a libpq keyword string \
                 (host=… dbname=…), sqlite://PATH, file:PATH or a plain file path \
                 (write ./{other}:… for a file whose name has a colon)"
            ))),
            None => {
                let lower = s.to_ascii_lowercase();
                // `postgres//…` (the colon missing); `postgres/x.db` is a file in a folder.
                if ["postgres//", "postgresql//"].iter().any(|p| lower.starts_with(p)) || s.contains("://") {
                    return Err(bad(
                        "it looks like a mistyped URL; a PostgreSQL URL starts with postgres:// or postgresql:// \
                         (for a SQLite file, write ./PATH)",
                    ));
                }
                Self::sqlite_from(s, s)
            }
        }
    }

    fn sqlite_from(raw: &str, path: &str) -> Result<Self> {
        let bad = |reason: &str| Error::BadUrl { url: redact_unparsed(raw), reason: reason.to_string() };
        if path.is_empty() {
            return Err(bad("no SQLite file path"));
        }
        // Such a string is a mistyped connection string far more often than a file name, and
        // a file created from it would carry its password in its name.
        if path.contains(['@', '=']) || path.contains("://") {
            return Err(bad(
                "a SQLite path may not contain `@`, `=` or `://` (this looks like a mistyped connection string)",
            ));
        }
        Ok(DatabaseUrl::Sqlite { path: PathBuf::from(path) })
    }

    fn parse_postgres(raw: &str) -> Result<Self> {
        let parsed = url::Url::parse(raw).map_err(|e| Error::BadUrl {
            url: redact_unparsed(raw),
            reason: format!("not a valid PostgreSQL URL ({e})"),
        })?;
        let secret_param = |k: &str| SECRET_KEYWORDS.contains(&k);
        let has_password =
            parsed.password().is_some() || parsed.query_pairs().any(|(k, v)| secret_param(&k) && !v.is_empty());
        let mut redacted_url = parsed.clone();
        if parsed.password().is_some() {
            let _ = redacted_url.set_password(Some("***"));
        }
        if parsed.query_pairs().any(|(k, _)| secret_param(&k)) {
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, v)| {
                    let v = if secret_param(&k) { "***".to_string() } else { v.into_owned() };
                    (k.into_owned(), v)
                })
                .collect();
            redacted_url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        let redacted = redacted_url.to_string().replace("%2A%2A%2A", "***");
        // The url crate's serialisation, not the raw string: it lower-cases the scheme
        // (libpq only knows `postgres://` and `postgresql://`) and percent-encodes a raw `@`
        // of the password, which libpq would otherwise take as the end of the userinfo.
        let mut conninfo = parsed.to_string();
        if !parsed.query_pairs().any(|(k, _)| k == "connect_timeout") {
            conninfo.push(if parsed.query().is_some() { '&' } else { '?' });
            conninfo.push_str(&format!("connect_timeout={DEFAULT_CONNECT_TIMEOUT_SECS}"));
        }
        Ok(DatabaseUrl::Postgres { conninfo, redacted, has_password })
    }

    fn parse_keywords(raw: &str) -> Result<Self> {
        let pairs = parse_keyword_pairs(raw)
            .map_err(|reason| Error::BadUrl { url: redact_unparsed(raw), reason: reason.to_string() })?;
        if let Some((k, _)) = pairs.iter().find(|(k, _)| !LIBPQ_KEYWORDS.contains(&k.as_str())) {
            return Err(Error::BadUrl {
                url: redact_unparsed(raw),
                reason: format!("`{k}` is not a libpq connection keyword (and a SQLite path may not contain `=`)"),
            });
        }
        let has_password = pairs.iter().any(|(k, v)| SECRET_KEYWORDS.contains(&k.as_str()) && !v.is_empty());
        let mut conninfo: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", quote_keyword_value(v))).collect();
        if !pairs.iter().any(|(k, _)| k == "connect_timeout") {
            conninfo.push(format!("connect_timeout={DEFAULT_CONNECT_TIMEOUT_SECS}"));
        }
        let redacted = pairs
            .iter()
            .map(|(k, v)| {
                if SECRET_KEYWORDS.contains(&k.as_str()) {
                    format!("{k}=***")
                } else if v.is_empty() || v.contains(|c: char| c.is_whitespace() || c == '\'' || c == '\\') {
                    format!("{k}={}", quote_keyword_value(v))
                } else {
                    format!("{k}={v}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        Ok(DatabaseUrl::Postgres { conninfo: conninfo.join(" "), redacted, has_password })
    }

    /// The form safe to print: the location without its password, or the SQLite path.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Postgres { redacted, .. } => redacted.clone(),
            DatabaseUrl::Sqlite { path } => path.display().to_string(),
        }
    }

    /// Makes a driver or server message one line. It does not search the message for a
    /// password (that would let anyone who knows the message's wording read the password back
    /// from where `***` appears): query errors come from the server, which never sees the
    /// connection string, and connection errors go through [`DatabaseUrl::connect_failure`].
    pub fn scrub(&self, message: &str) -> String {
        one_line(message)
    }

    /// What to print for libpq's connection failure `message`. Without a password in the
    /// connection string, libpq's own message (one line). With one, faqlink's own wording of
    /// the cause class: libpq echoes parts of the string it was given, and no text search can
    /// tell which parts of its message are the password.
    pub fn connect_failure(&self, message: &str) -> String {
        match self {
            DatabaseUrl::Postgres { has_password: true, .. } => connect_cause(message).to_string(),
            _ => one_line(message),
        }
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

/// faqlink's wording for the cause class of a libpq connection failure (the message itself
/// is never shown when the connection string carries a password).
fn connect_cause(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| m.contains(n));
    if has(&["connection refused"]) {
        "connection refused (is the server running and accepting TCP/IP connections on that host and port?)"
    } else if has(&["could not translate host name", "name or service not known", "name resolution"]) {
        "host not found"
    } else if has(&["timeout expired", "timed out"]) {
        "timeout: no answer within connect_timeout"
    } else if has(&["password authentication failed", "authentication failed", "no password supplied", "pg_hba.conf"])
        || (m.contains("role \"") && m.contains("does not exist"))
    {
        "authentication failed (unknown user, wrong password, or no pg_hba.conf entry for this client)"
    } else if m.contains("database \"") && m.contains("does not exist") {
        "the database does not exist"
    } else if has(&["too many connections", "remaining connection slots"]) {
        "the server has no free connection slots"
    } else if has(&["starting up", "shutting down", "in recovery mode", "not yet accepting"]) {
        "the server is not accepting connections yet"
    } else if has(&["ssl", "gssapi"]) {
        "SSL/GSSAPI negotiation failed"
    } else if has(&["invalid", "unrecognized", "missing", "option"]) {
        "libpq rejected a connection parameter (check the URL's port and ?parameters)"
    } else if has(&["server closed the connection", "could not receive data", "could not send data"]) {
        "the server closed the connection"
    } else {
        "connection failed; libpq's message is not shown because the connection string carries a password \
         (use ~/.pgpass or PGPASSWORD instead to see it)"
    }
}

/// Driver messages can span lines; errors are one line.
fn one_line(message: &str) -> String {
    message.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
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

/// True when `s` starts like a libpq keyword/value string: `keyword =`.
fn looks_like_keywords(s: &str) -> bool {
    let key_end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    key_end > 0 && s[key_end..].trim_start().starts_with('=') && s.as_bytes()[0].is_ascii_alphabetic()
}

/// Splits a libpq keyword/value string as libpq does: `key = value` pairs separated by
/// spaces; a value is single-quoted (`\'` and `\\` escapes) or runs to the next space.
fn parse_keyword_pairs(s: &str) -> std::result::Result<Vec<(String, String)>, &'static str> {
    let mut pairs = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err("a keyword string is `keyword=value` pairs separated by spaces: a `=` is missing");
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => return Err("a quoted value in the keyword string is not closed"),
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key.to_ascii_lowercase(), value));
    }
}

/// A value written for libpq's keyword syntax: single-quoted, `\` and `'` escaped.
fn quote_keyword_value(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Redaction of a string faqlink refused, by its structure only: the values of `password`
/// and `sslpassword` keywords or parameters, and everything before the last `@` after a
/// leading scheme-like prefix (the userinfo, also when mistyped or holding a raw `@`).
fn redact_unparsed(s: &str) -> String {
    // Keyword strings, also ones that do not parse: each secret keyword's value, up to the
    // next space (or to the end, when its quote is not closed).
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let secret_key = |before: &str| {
        let key: String = before
            .chars()
            .rev()
            .skip_while(|c| c.is_whitespace())
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        SECRET_KEYWORDS.iter().any(|k| key.eq_ignore_ascii_case(k))
    };
    while let Some(eq) = rest.find('=') {
        let (before, after) = rest.split_at(eq + 1);
        out.push_str(before);
        rest = after;
        if secret_key(&before[..before.len() - 1]) {
            let value = rest.trim_start();
            let end = if let Some(quoted) = value.strip_prefix('\'') {
                // The closing quote not preceded by a backslash, or the end.
                let mut escaped = false;
                quoted
                    .char_indices()
                    .find(|&(_, c)| {
                        let close = c == '\'' && !escaped;
                        escaped = c == '\\' && !escaped;
                        close
                    })
                    .map_or(value.len(), |(i, _)| i + 2)
            } else {
                value.find(|c: char| c.is_whitespace() || c == '&').unwrap_or(value.len())
            };
            out.push_str("***");
            rest = &value[end..];
        }
    }
    out.push_str(rest);
    // The userinfo: after a scheme-like prefix (`word:`, `word//`, `word://`, any mix),
    // everything up to the last `@`.
    if let Some(at) = out.rfind('@') {
        let prefix_end =
            out.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '"' | '\''))).unwrap_or(0);
        let sep_end = out[prefix_end..].find(|c: char| c != ':' && c != '/').map_or(out.len(), |i| prefix_end + i);
        let start = if sep_end > prefix_end { sep_end } else { 0 };
        if start < at {
            out.replace_range(start..at, "***");
        }
    }
    out
}

/// The file, in the current directory, that may set `DATABASE_URL`.
pub const DOTENV_FILE: &str = ".env";

/// `DATABASE_URL` as set by the `.env` file at `path`: `None` when there is no such file or it
/// does not set it. Read only when the database is needed and neither `--database-url` nor
/// the environment gives it. dotenvy's syntax (comments, quotes, `export`, `${VAR}`); nothing
/// is put into the environment. A line that does not parse is a usage error (exit 2) naming
/// its line number only: the line may hold a secret, so its contents are never shown.
pub fn database_url_from_dotenv(path: &Path) -> Result<Option<String>> {
    let io = |source| Error::io("cannot read", path, source);
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let text = String::from_utf8(text)
        .map_err(|_| Error::Usage(format!("{}: not UTF-8 text (its contents are not shown)", path.display())))?;
    for item in dotenvy::Iter::new(text.as_bytes()) {
        match item {
            Ok((key, value)) if key == "DATABASE_URL" => return Ok(Some(value)),
            Ok(_) => {}
            Err(dotenvy::Error::LineParse(line, _)) => {
                let at = text.find(line.as_str()).map(|i| text[..i].matches('\n').count() + 1);
                return Err(Error::Usage(format!(
                    "{}: {} does not parse as KEY=VALUE (its contents are not shown); fix it, or give \
                     the database with --database-url",
                    path.display(),
                    at.map_or("a line".to_string(), |n| format!("line {n}"))
                )));
            }
            Err(dotenvy::Error::Io(e)) => return Err(io(e)),
            Err(dotenvy::Error::EnvVar(_)) | Err(_) => {
                return Err(Error::Usage(format!("{}: cannot be read (its contents are not shown)", path.display())))
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(raw: &str) -> (String, String, bool) {
        match DatabaseUrl::parse(Some(raw)).unwrap() {
            DatabaseUrl::Postgres { conninfo, redacted, has_password } => (conninfo, redacted, has_password),
            other => panic!("{raw}: {other:?}"),
        }
    }

    fn refused(raw: &str) -> String {
        match DatabaseUrl::parse(Some(raw)) {
            Err(e @ Error::BadUrl { .. }) => {
                assert_eq!(e.exit_code(), 2, "{raw}");
                e.to_string()
            }
            other => panic!("{raw}: {other:?}"),
        }
    }

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
            ("./odd:name.db", "./odd:name.db"),
            ("postgres/x.db", "postgres/x.db"),
            ("./postgres//x.db", "./postgres//x.db"),
        ] {
            let u = DatabaseUrl::parse(Some(raw)).unwrap();
            assert_eq!(u.sqlite_path().unwrap(), Path::new(path), "{raw}");
        }
        assert_eq!(DatabaseUrl::parse(None).unwrap().sqlite_path().unwrap(), Path::new("faqlink.db"));
    }

    #[test]
    fn unknown_scheme_is_an_error_without_the_password() {
        let err = refused("mysql://u:s3cret@h/db");
        assert!(err.contains("unknown scheme `mysql`"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn password_is_redacted_by_structure() {
        let (_, redacted, has) = pg("postgres://bob:p%40ss%2Fw0rd@h:5432/db?password=qs3cret&sslmode=disable");
        assert!(has);
        assert_eq!(redacted, "postgres://bob:***@h:5432/db?password=***&sslmode=disable");
        let u = DatabaseUrl::parse(Some("postgres://bob:pw@h/db")).unwrap();
        assert_eq!(format!("{u} {u:?}"), "postgres://bob:***@h/db DatabaseUrl(postgres://bob:***@h/db)");
        let (_, redacted, has) = pg("postgres://bob@h/db?sslpassword=k3y");
        assert!(has);
        assert_eq!(redacted, "postgres://bob@h/db?sslpassword=***");
        assert!(!pg("postgres://bob@h/db").2);
    }

    #[test]
    fn messages_are_never_searched_for_the_password() {
        // A password that is a word of libpq's messages must not blank that word.
        let u = DatabaseUrl::parse(Some("postgres://u:server@h/db")).unwrap();
        assert_eq!(u.scrub("connection to server at \"h\"\nfailed"), "connection to server at \"h\"; failed");
        // With a password, libpq's connection message is replaced by faqlink's words.
        let msg = "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running";
        assert!(u.connect_failure(msg).starts_with("connection refused"), "{}", u.connect_failure(msg));
        assert!(!u.connect_failure(msg).contains("127.0.0.1"));
        let other = "something libpq says about server and its parameters";
        assert!(!u.connect_failure(other).contains("something"));
        // Without one, libpq's own message (one line).
        let plain = DatabaseUrl::parse(Some("postgres://u@h/db")).unwrap();
        assert_eq!(plain.connect_failure("a\n b"), "a; b");
    }

    #[test]
    fn libpq_gets_the_structure_faqlink_redacted() {
        // A raw `@` in the password: the last `@` ends the userinfo, for libpq too.
        let (conninfo, redacted, _) = pg("postgres://u:pa@ss@host/db");
        assert_eq!(conninfo, "postgres://u:pa%40ss@host/db?connect_timeout=10");
        assert_eq!(redacted, "postgres://u:***@host/db");
        // A capitalised scheme is accepted and handed to libpq in the form it knows.
        let (conninfo, _, _) = pg("Postgres://u@h/db");
        assert_eq!(conninfo, "postgres://u@h/db?connect_timeout=10");
        let (conninfo, _, _) = pg("POSTGRESQL://u@h/db?connect_timeout=2");
        assert_eq!(conninfo, "postgresql://u@h/db?connect_timeout=2");
    }

    #[test]
    fn keyword_strings_are_postgres_with_the_password_redacted() {
        let (conninfo, redacted, has) = pg("host=db.example port = 5432 user=bob password='p w\\'d' dbname=app");
        assert!(has);
        assert_eq!(redacted, "host=db.example port=5432 user=bob password=*** dbname=app");
        assert_eq!(
            conninfo,
            "host='db.example' port='5432' user='bob' password='p w\\'d' dbname='app' connect_timeout=10"
        );
        let (conninfo, _, has) = pg("host=h dbname=d connect_timeout=3");
        assert!(!has);
        assert_eq!(conninfo, "host='h' dbname='d' connect_timeout='3'");
        for raw in ["host=h password=s3cret bogus=1", "host=h password='s3cret", "host=h password=s3cret dbname"] {
            let err = refused(raw);
            assert!(!err.contains("s3cret"), "{raw}: {err}");
        }
    }

    #[test]
    fn near_misses_are_refused_without_the_password() {
        for raw in [
            "postgres//u:s3cret@h/db",
            "postgres:/u:s3cret@h/db",
            "postgresql:u:s3cret@h/db",
            "\"postgres://u:s3cret@h/db\"",
            "'postgres://u:s3cret@h/db'",
            "u:s3cret@h/db",
            "sqlite://u:s3cret@h/db",
            "file:u:s3cret@h",
            "x=1 password=s3cret",
            "a=b.db",
            "dir/password=s3cret",
            "ftp://u:s3cret@h/db?password=s3cret",
            "postgres://u:s3cret@[::1/db",
            "postgres://u:s3cret@h:notaport/db",
            "postgres://u:s3cr@t@h:notaport/db",
            "http://h/x?password=s3cret",
        ] {
            let err = refused(raw);
            assert!(!err.contains("s3cret") && !err.contains("s3cr"), "{raw}: {err}");
        }
    }

    #[test]
    fn connect_timeout_is_added_unless_given() {
        let (conninfo, _, _) = pg("postgres://h/db");
        assert_eq!(conninfo, "postgres://h/db?connect_timeout=10");
        let (conninfo, _, _) = pg("postgres://h/db?connect_timeout=2");
        assert_eq!(conninfo, "postgres://h/db?connect_timeout=2");
    }

    #[test]
    fn dotenv_lines_that_do_not_parse_are_named_by_number_only() {
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join(".env");
        assert_eq!(database_url_from_dotenv(&env).unwrap(), None);
        std::fs::write(&env, "# c\nA=1\nSOME_API_KEY=sk-live-abc and more\nDATABASE_URL=x.db\n").unwrap();
        let err = database_url_from_dotenv(&env).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let err = err.to_string();
        assert!(err.contains("line 3") && !err.contains("sk-live"), "{err}");
        std::fs::write(&env, "A=1\nexport DATABASE_URL=\"postgres://u:p w@h/db\"\nDATABASE_URL=y.db\n").unwrap();
        assert_eq!(database_url_from_dotenv(&env).unwrap().as_deref(), Some("postgres://u:p w@h/db"));
    }
}
