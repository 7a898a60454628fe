//! Database URL handling: picking the backend from the scheme, `.env`, and never showing a
//! password.
//!
//! Whatever faqlink prints about a PostgreSQL connection is built by an allow-list, never by
//! a deny-list. A connection string is parsed once, the way libpq parses it, into libpq
//! keywords and values ([`Target`]); libpq is then handed faqlink's own serialisation of that
//! parse (`key='value' …`), so libpq uses exactly the values faqlink parsed. The printed form
//! is built from the same parse: the scheme, user, hosts, ports, database name and the values
//! of keywords whose values are enumerations or numbers are shown; every other value is
//! `***`, whatever its keyword is called. A URL whose user name, password or query holds a
//! byte that RFC 3986 says must be percent-encoded is refused (exit 2), since such a string
//! could be split differently by a reader that follows the RFC, by libpq, and by the user who
//! wrote it. A string faqlink refuses is never quoted, not in part: the message names the
//! part (the password, the third keyword, …) and the rule. libpq's connection messages are
//! shown only when every quoted value in them is a value the printed form shows and no part
//! of them, quoted or not, holds a hidden value or any 4-character window of one
//! ([`DatabaseUrl::connect_failure`]); otherwise faqlink names the cause class itself.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The file the embedded SQLite default lives in (relative to the current directory).
pub(crate) const DEFAULT_SQLITE_FILE: &str = "faqlink.db";

/// Seconds libpq waits for a server before giving up, unless the URL says otherwise.
pub(crate) const DEFAULT_CONNECT_TIMEOUT_SECS: u32 = 10;

/// The largest `.env` faqlink reads (bytes).
pub(crate) const DOTENV_MAX_BYTES: u64 = 1 << 20;

/// Every keyword the bundled libpq (18) accepts in a connection string.
const LIBPQ_KEYWORDS: &[&str] = &[
    "service",
    "user",
    "password",
    "passfile",
    "channel_binding",
    "connect_timeout",
    "dbname",
    "host",
    "hostaddr",
    "port",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "sslmode",
    "sslnegotiation",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslcertmode",
    "sslpassword",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "require_auth",
    "min_protocol_version",
    "max_protocol_version",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "gssencmode",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "replication",
    "target_session_attrs",
    "load_balance_hosts",
    "scram_client_key",
    "scram_server_key",
    "oauth_issuer",
    "oauth_client_id",
    "oauth_client_secret",
    "oauth_scope",
    "sslkeylogfile",
];

/// Keywords whose value is shown when it is one of these words (libpq's own value sets).
const ENUMERATED: &[(&str, &[&str])] = &[
    ("sslmode", &["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]),
    ("gssencmode", &["disable", "prefer", "require"]),
    ("channel_binding", &["disable", "prefer", "require"]),
    ("target_session_attrs", &["any", "read-write", "read-only", "primary", "standby", "prefer-standby"]),
    ("load_balance_hosts", &["disable", "random"]),
    ("sslnegotiation", &["postgres", "direct"]),
    ("sslcertmode", &["disable", "allow", "require"]),
    ("replication", &["true", "false", "on", "off", "yes", "no", "1", "0", "database"]),
    ("sslcompression", &["0", "1"]),
    ("sslsni", &["0", "1"]),
    ("keepalives", &["0", "1"]),
    ("gssdelegation", &["0", "1"]),
    ("gsslib", &["gssapi", "sspi"]),
    ("ssl_min_protocol_version", &["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
    ("ssl_max_protocol_version", &["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
    ("min_protocol_version", &["3.0", "3.2", "latest"]),
    ("max_protocol_version", &["3.0", "3.2", "latest"]),
];

/// Keywords whose value is shown when it is an integer.
const NUMERIC: &[&str] =
    &["connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout"];

/// `require_auth`'s methods (a comma list, each optionally negated with `!`).
const AUTH_METHODS: &[&str] = &["password", "md5", "gss", "sspi", "scram-sha-256", "oauth", "none"];

/// Schemes faqlink names when it refuses them. Any other is "an unknown scheme": a string
/// faqlink cannot read is never quoted, not even the part before its first colon.
const NAMED_SCHEMES: &[&str] = &[
    "mysql",
    "mariadb",
    "sqlserver",
    "mssql",
    "oracle",
    "redis",
    "mongodb",
    "http",
    "https",
    "ftp",
    "jdbc",
    "odbc",
    "pgsql",
    "psql",
    "sqlite3",
    "cockroachdb",
];

/// Where libpq looks for a server's socket when no host is given (for matching its messages).
const DEFAULT_SOCKET_DIRS: &[&str] = &["/var/run/postgresql", "/run/postgresql", "/tmp"];

/// A PostgreSQL connection target: the libpq keywords and values faqlink parsed, in the order
/// libpq applies them (a repeated keyword keeps its last value, as in libpq).
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    /// `Some("postgres")` / `Some("postgresql")` for a URL, `None` for a keyword string: the
    /// printed form follows the form the user wrote.
    scheme: Option<&'static str>,
    params: Vec<Param>,
}

#[derive(Clone, PartialEq, Eq)]
struct Param {
    /// A libpq keyword (one of [`LIBPQ_KEYWORDS`]).
    key: &'static str,
    value: String,
    /// For a URL: given in the query string (printed there) rather than in the authority or path.
    in_query: bool,
}

/// A parsed database location. `Debug` and `Display` show the allow-listed form only.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A PostgreSQL connection: a `postgres://` / `postgresql://` URL (scheme in any case) or
    /// a libpq keyword/value string (`host=… dbname=…`).
    Postgres {
        /// What is handed to libpq: faqlink's serialisation of `target` (with a default
        /// `connect_timeout` added), so libpq uses exactly the values faqlink parsed.
        conninfo: String,
        /// The parse, from which every printed form is built.
        target: Target,
    },
    /// A SQLite database file.
    Sqlite {
        /// The file's path.
        path: PathBuf,
    },
}

mod parse;

use parse::*;

fn bad<T>(reason: impl Into<String>) -> Result<T> {
    Err(Error::BadUrl { reason: reason.into() })
}

impl DatabaseUrl {
    /// Parses `--database-url` / `DATABASE_URL`, or the embedded default when `None`.
    ///
    /// A string faqlink cannot read as PostgreSQL or as a SQLite path is a usage error
    /// ([`Error::BadUrl`], exit 2) whose message quotes nothing of it: quoted strings,
    /// scheme-like near-misses (`postgres//…`, `postgres:/…`), unknown schemes, URLs with a
    /// byte that must be percent-encoded in the user name, password or query, unknown
    /// keywords, and anything containing `@` or `=` that is not a PostgreSQL URL or keyword
    /// string. Such strings never become a SQLite file name.
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        let Some(raw) = raw else {
            return Ok(DatabaseUrl::Sqlite { path: PathBuf::from(DEFAULT_SQLITE_FILE) });
        };
        let s = raw.trim();
        if s.is_empty() {
            return bad("it is empty");
        }
        if s.contains('\0') {
            return bad("it holds a NUL byte");
        }
        if looks_like_keywords(s) {
            return Self::postgres(parse_keywords(s)?);
        }
        if s.starts_with(['"', '\'']) || s.ends_with(['"', '\'']) {
            return bad("it is wrapped in quotes, which are not part of a URL or path; remove them");
        }
        match scheme_of(s).map(|x| x.to_ascii_lowercase()).as_deref() {
            Some(scheme @ ("postgres" | "postgresql")) => {
                let rest = &s[scheme.len() + 1..];
                let Some(rest) = rest.strip_prefix("//") else {
                    return bad("a PostgreSQL URL starts with postgres:// or postgresql:// (two slashes)");
                };
                let scheme = if scheme == "postgres" { "postgres" } else { "postgresql" };
                Self::postgres(parse_url(scheme, rest)?)
            }
            Some(scheme @ ("sqlite" | "file")) => {
                let rest = &s[scheme.len() + 1..];
                let rest = rest.strip_prefix("//").unwrap_or(rest);
                Self::sqlite_from(strip_query(rest))
            }
            Some(other) => bad(unknown_scheme(other)),
            None => {
                let lower = s.to_ascii_lowercase();
                // `postgres//…` (the colon missing); `postgres/x.db` is a file in a folder.
                if ["postgres//", "postgresql//"].iter().any(|p| lower.starts_with(p)) || s.contains("://") {
                    return bad(
                        "it looks like a mistyped URL; a PostgreSQL URL starts with postgres:// or postgresql:// \
                         (for a SQLite file, write ./PATH)",
                    );
                }
                Self::sqlite_from(s)
            }
        }
    }

    fn postgres(target: Target) -> Result<Self> {
        Ok(DatabaseUrl::Postgres { conninfo: target.conninfo(), target })
    }

    fn sqlite_from(path: &str) -> Result<Self> {
        if path.is_empty() {
            return bad("no SQLite file path");
        }
        // Such a string is a mistyped connection string far more often than a file name, and
        // a file created from it would carry its password in its name.
        if path.contains(['@', '=']) || path.contains("://") {
            return bad(
                "a SQLite path may not contain `@`, `=` or `://` (this looks like a mistyped connection string)",
            );
        }
        Ok(DatabaseUrl::Sqlite { path: PathBuf::from(path) })
    }

    /// The form safe to print: the allow-listed form of the connection, or the SQLite path.
    pub(crate) fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Postgres { target, .. } => target.printed(),
            DatabaseUrl::Sqlite { path } => visible(&path.display().to_string()),
        }
    }

    /// The parse of a PostgreSQL connection string.
    pub fn target(&self) -> Option<&Target> {
        match self {
            DatabaseUrl::Postgres { target, .. } => Some(target),
            DatabaseUrl::Sqlite { .. } => None,
        }
    }

    /// Makes a driver or server message one line. Query errors come from the server, which
    /// never sees the connection string; connection errors go through
    /// [`DatabaseUrl::connect_failure`].
    pub(crate) fn scrub(&self, message: &str) -> String {
        one_line(message)
    }

    /// What to print for libpq's connection failure `message`: libpq's message (one line)
    /// when every double-quoted value in it is a value the printed form shows (a host, the
    /// user, the database, a port, a keyword, an enumerated value) and no part of it, quoted
    /// or not, holds a value the printed form hides or any 4-character window of one; else
    /// faqlink's own wording of the cause class.
    pub fn connect_failure(&self, message: &str) -> String {
        let line = one_line(message);
        match self {
            DatabaseUrl::Postgres { target, .. } if !target.vouches_for(message) || !target.vouches_for(&line) => format!(
                "{} (libpq's message is not shown: it quotes something the connection string's printed form does not show)",
                connect_cause(&line)
            ),
            _ => visible(&line),
        }
    }

    /// The SQLite path, if this is SQLite.
    pub(crate) fn sqlite_path(&self) -> Option<&Path> {
        match self {
            DatabaseUrl::Sqlite { path } => Some(path),
            DatabaseUrl::Postgres { .. } => None,
        }
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

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Target({})", self.printed())
    }
}

impl Target {
    /// The value libpq will use for `key`, if the string sets it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.iter().find(|p| p.key == key).map(|p| p.value.as_str())
    }

    /// Sets `key`; a repeated keyword keeps its last value, as in libpq.
    fn set(&mut self, key: &'static str, value: String, in_query: bool) {
        self.params.retain(|p| p.key != key);
        self.params.push(Param { key, value, in_query });
    }

    /// The keyword/value string handed to libpq: every value single-quoted, `\` and `'`
    /// escaped, so libpq reads back exactly these values.
    fn conninfo(&self) -> String {
        let mut parts: Vec<String> =
            self.params.iter().map(|p| format!("{}={}", p.key, quote_keyword_value(&p.value))).collect();
        if self.get("connect_timeout").is_none() {
            parts.push(format!("connect_timeout={DEFAULT_CONNECT_TIMEOUT_SECS}"));
        }
        parts.join(" ")
    }

    /// The printed form, in the form the user wrote (URL or keyword string): only allow-listed
    /// values ([`shown`]); every other value is `***`.
    pub(crate) fn printed(&self) -> String {
        fn value(p: &Param) -> Option<&str> {
            shown(p.key, &p.value).then_some(p.value.as_str())
        }
        let Some(scheme) = self.scheme else {
            return self
                .params
                .iter()
                .map(|p| format!("{}={}", p.key, value(p).map_or_else(|| "***".to_string(), keyword_display)))
                .collect::<Vec<_>>()
                .join(" ");
        };
        let in_authority = |key: &str| self.params.iter().find(|p| p.key == key && !p.in_query);
        let mut out = format!("{scheme}://");
        let user = in_authority("user");
        let password = in_authority("password");
        if user.is_some() || password.is_some() {
            if let Some(u) = user {
                out.push_str(&value(u).map_or_else(|| "***".to_string(), |v| pct_encode(v, "")));
            }
            if password.is_some() {
                out.push_str(":***");
            }
            out.push('@');
        }
        let hosts: Vec<&str> = in_authority("host").map_or_else(Vec::new, |p| p.value.split(',').collect());
        let ports: Vec<&str> = in_authority("port").map_or_else(Vec::new, |p| p.value.split(',').collect());
        for i in 0..hosts.len().max(ports.len()) {
            if i > 0 {
                out.push(',');
            }
            match hosts.get(i) {
                Some(h) if h.contains(':') => out.push_str(&format!("[{}]", pct_encode(h, ":"))),
                Some(h) => out.push_str(&pct_encode(h, "")),
                None => {}
            }
            if let Some(p) = ports.get(i).filter(|p| !p.is_empty()) {
                out.push(':');
                out.push_str(if p.bytes().all(|b| b.is_ascii_digit()) { p } else { "***" });
            }
        }
        if let Some(db) = in_authority("dbname") {
            out.push('/');
            out.push_str(&value(db).map_or_else(|| "***".to_string(), |v| pct_encode(v, "")));
        }
        let query: Vec<String> = self
            .params
            .iter()
            .filter(|p| p.in_query)
            .map(|p| format!("{}={}", p.key, value(p).map_or_else(|| "***".to_string(), |v| pct_encode(v, ""))))
            .collect();
        if !query.is_empty() {
            out.push('?');
            out.push_str(&query.join("&"));
        }
        out
    }

    /// True when libpq's `message` may be shown: it echoes no hidden value ([`Target::echoes_hidden`])
    /// and every double-quoted part of it is something the printed form shows: a shown value
    /// (or one entry of a host or port list), a keyword, or the socket path libpq builds from
    /// a host or default socket folder and a port.
    fn vouches_for(&self, message: &str) -> bool {
        !self.echoes_hidden(message) && self.quotes_only_shown(message)
    }

    /// True when `message` holds, anywhere and in any letter case, a value the printed form
    /// hides (`***`): the whole value, or any 4-character window of it.
    fn echoes_hidden(&self, message: &str) -> bool {
        let message = message.to_lowercase();
        self.params.iter().filter(|p| !shown(p.key, &p.value) && !p.value.is_empty()).any(|p| {
            let value: Vec<char> = p.value.to_lowercase().chars().collect();
            if value.len() < WINDOW {
                return message.contains(&String::from_iter(&value));
            }
            value.windows(WINDOW).any(|w| message.contains(&String::from_iter(w)))
        })
    }

    /// True when every double-quoted part of `message` is something the printed form shows.
    fn quotes_only_shown(&self, message: &str) -> bool {
        let mut allowed: Vec<String> = LIBPQ_KEYWORDS.iter().map(|k| k.to_string()).collect();
        for p in self.params.iter().filter(|p| shown(p.key, &p.value)) {
            allowed.push(p.value.clone());
            if matches!(p.key, "host" | "hostaddr" | "port") {
                allowed.extend(p.value.split(',').map(str::to_string));
            }
        }
        let hosts = self.get("host").map_or_else(Vec::new, |h| h.split(',').collect::<Vec<_>>());
        let ports = self.get("port").map_or_else(Vec::new, |p| p.split(',').collect::<Vec<_>>());
        for dir in hosts.iter().copied().filter(|h| h.starts_with('/')).chain(DEFAULT_SOCKET_DIRS.iter().copied()) {
            for port in ports.iter().copied().filter(|p| !p.is_empty()).chain(["5432"]) {
                allowed.push(format!("{dir}/.s.PGSQL.{port}"));
            }
        }
        let parts: Vec<&str> = message.split('"').collect();
        parts.len() % 2 == 1 && parts.iter().skip(1).step_by(2).all(|q| allowed.iter().any(|a| a == q))
    }
}

/// The width of the windows of a hidden value that a shown libpq message may not hold.
const WINDOW: usize = 4;

/// The allow-list: whether `key`'s `value` may be printed. The user, hosts, ports (digits),
/// the database, integers of numeric keywords and members of libpq's value sets; nothing else.
fn shown(key: &str, value: &str) -> bool {
    match key {
        "user" | "host" | "hostaddr" | "dbname" => true,
        "port" => value.bytes().all(|b| b.is_ascii_digit() || b == b','),
        "require_auth" => value.split(',').all(|m| AUTH_METHODS.contains(&m.strip_prefix('!').unwrap_or(m))),
        k if NUMERIC.contains(&k) => {
            let digits = value.strip_prefix('-').unwrap_or(value);
            !digits.is_empty() && digits.len() <= 10 && digits.bytes().all(|b| b.is_ascii_digit())
        }
        k => ENUMERATED.iter().any(|(key, values)| *key == k && values.contains(&value)),
    }
}

/// A refused scheme as faqlink names it: a listed one by name, a near-miss of `postgres` as
/// such, anything else as "an unknown scheme".
fn unknown_scheme(scheme: &str) -> String {
    let help = "use postgres://, postgresql://, a libpq keyword string (host=… dbname=…), sqlite://PATH, \
                file:PATH or a plain file path (write ./NAME for a file whose name has a colon)";
    if NAMED_SCHEMES.contains(&scheme) {
        format!("unknown scheme `{scheme}`; {help}")
    } else if ["postgres", "postgresql"].iter().any(|p| strsim::levenshtein(scheme, p) <= 2) {
        format!("its scheme is not postgres or postgresql (a typo?); {help}")
    } else {
        format!("an unknown scheme (not shown); {help}")
    }
}

/// libpq's keyword for `name`, in any case.
fn keyword(name: &str) -> Option<&'static str> {
    LIBPQ_KEYWORDS.iter().copied().find(|k| k.eq_ignore_ascii_case(name))
}

/// The file, in the current directory, that may set `DATABASE_URL`.
pub const DOTENV_FILE: &str = ".env";

/// `DATABASE_URL` as set by the `.env` file at `path`: `None` when there is no such file or it
/// does not set it. Read only when the database is needed and neither `--database-url` nor
/// the environment gives it. Only a regular file of at most [`DOTENV_MAX_BYTES`] is read (a
/// FIFO, a device such as `/dev/zero` or a folder is a usage error, exit 2, found without
/// waiting: the file is opened non-blocking and its type checked on the open handle).
/// dotenvy's syntax (comments, quotes, `export`, `${VAR}`); nothing is put into the
/// environment. A line that does not parse is a usage error (exit 2) naming its line number
/// only: the line may hold a secret, so its contents are never shown.
pub fn database_url_from_dotenv(path: &Path) -> Result<Option<String>> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| Error::io("cannot read", path, source);
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32 | rustix::fs::OFlags::NOCTTY.bits() as i32)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "{}: not a regular file (a folder, FIFO, socket or device); faqlink reads DATABASE_URL only from a \
             regular .env file",
            path.display()
        )));
    }
    let too_big = || {
        Error::Usage(format!(
            "{}: larger than {} KiB, not read; a .env that sets DATABASE_URL is a few lines",
            path.display(),
            DOTENV_MAX_BYTES / 1024
        ))
    };
    if meta.len() > DOTENV_MAX_BYTES {
        return Err(too_big());
    }
    let mut text = Vec::new();
    file.take(DOTENV_MAX_BYTES + 1).read_to_end(&mut text).map_err(io)?;
    if text.len() as u64 > DOTENV_MAX_BYTES {
        return Err(too_big());
    }
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
mod tests;
