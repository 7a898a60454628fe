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
    } else if ["postgres", "postgresql"].iter().any(|p| edit_distance(scheme, p) <= 2) {
        format!("its scheme is not postgres or postgresql (a typo?); {help}")
    } else {
        format!("an unknown scheme (not shown); {help}")
    }
}

/// Levenshtein distance (for near-miss schemes).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + usize::from(ca != b[j]));
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// libpq's keyword for `name`, in any case.
fn keyword(name: &str) -> Option<&'static str> {
    LIBPQ_KEYWORDS.iter().copied().find(|k| k.eq_ignore_ascii_case(name))
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn sub_delim(b: u8) -> bool {
    matches!(b, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=')
}

/// Checks that `part` holds only bytes `allowed` or `%HH`, and decodes it as libpq does
/// (`%00` is refused, as libpq refuses it); `what` names the part in the message.
fn decode(part: &str, what: &str, allowed: impl Fn(u8) -> bool) -> Result<String> {
    let encode_rule = || Error::BadUrl {
        reason: format!(
            "{what} holds a character that must be percent-encoded in a URL (RFC 3986), a `%` not followed by \
                 two hexadecimal digits, or %00; write `@` as %40, `/` as %2F, `?` as %3F, `#` as %23, `[` and `]` \
                 as %5B and %5D, a space as %20, `%` as %25 and any non-ASCII character as its UTF-8 bytes \
                 (or use a keyword string such as host=… password='…' dbname=…)"
        ),
    };
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = |i: usize| bytes.get(i).and_then(|c| char::from(*c).to_digit(16));
            match (hex(i + 1), hex(i + 2)) {
                (Some(hi), Some(lo)) if hi * 16 + lo != 0 => out.push((hi * 16 + lo) as u8),
                _ => return Err(encode_rule()),
            }
            i += 3;
        } else if allowed(b) {
            out.push(b);
            i += 1;
        } else {
            return Err(encode_rule());
        }
    }
    String::from_utf8(out)
        .map_err(|_| Error::BadUrl { reason: format!("{what} holds percent-encoded bytes that are not UTF-8") })
}

/// A port list entry: empty (libpq's default) or 1 to 65535.
fn check_ports(ports: &str, what: &str) -> Result<()> {
    let valid = |p: &str| {
        p.is_empty()
            || (p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && (1..=65535).contains(&p.parse::<u32>().unwrap_or(0)))
    };
    if ports.split(',').all(valid) {
        Ok(())
    } else {
        bad(format!("{what} is not a port number from 1 to 65535"))
    }
}

/// Parses what follows `postgres://` as libpq does (`conninfo_uri_parse_options`), more
/// strictly: the user information is everything before the last `@` (so a raw `@`, `/`, `?`,
/// `#`, `[` or `]` in a password is refused, never split at), and every part holds only the
/// bytes RFC 3986 allows there.
fn parse_url(scheme: &'static str, rest: &str) -> Result<Target> {
    let mut t = Target { scheme: Some(scheme), params: Vec::new() };
    let (userinfo, after) = match rest.rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    if let Some(userinfo) = userinfo {
        let (user, password) = match userinfo.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (userinfo, None),
        };
        let user = decode(user, "the user name or password", |b| unreserved(b) || sub_delim(b))?;
        let password = match password {
            Some(p) => Some(decode(p, "the user name or password", |b| unreserved(b) || sub_delim(b) || b == b':')?),
            None => None,
        };
        if !user.is_empty() {
            t.set("user", user, false);
        }
        if let Some(p) = password.filter(|p| !p.is_empty()) {
            t.set("password", p, false);
        }
    }
    let host_end = after.find(['/', '?']).unwrap_or(after.len());
    let (hostlist, tail) = after.split_at(host_end);
    let mut hosts = Vec::new();
    let mut ports = Vec::new();
    for spec in hostlist.split(',') {
        let (host, port) = if let Some(inner) = spec.strip_prefix('[') {
            let Some(close) = inner.find(']') else { return bad("an IPv6 host address in [ ] is not closed") };
            let port = match &inner[close + 1..] {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(|| Error::BadUrl {
                    reason:
                        "an IPv6 host address in [ ] is followed by something other than :PORT, `,`, `/` or `?`".into(),
                })?),
            };
            let host = decode(&inner[..close], "an IPv6 host address", |b| {
                b.is_ascii_alphanumeric() || matches!(b, b':' | b'.' | b'-' | b'_')
            })?;
            if host.is_empty() {
                return bad("an IPv6 host address in [ ] is empty");
            }
            (host, port)
        } else {
            let (h, p) = match spec.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (spec, None),
            };
            (decode(h, "a host name", |b| unreserved(b) || (sub_delim(b) && b != b','))?, p)
        };
        if let Some(p) = port {
            check_ports(p, "a port in the URL")?;
        }
        hosts.push(host);
        ports.push(port.unwrap_or(""));
    }
    let host = hosts.join(",");
    if !host.is_empty() {
        t.set("host", host, false);
    }
    let port = ports.join(",");
    if !port.is_empty() {
        t.set("port", port, false);
    }
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    if let Some(db) = path.strip_prefix('/') {
        let db = decode(db, "the database name", |b| unreserved(b) || sub_delim(b) || matches!(b, b':' | b'/'))?;
        if !db.is_empty() {
            t.set("dbname", db, false);
        }
    }
    if let Some(query) = query {
        let segments: Vec<&str> = query.split('&').collect();
        for (i, segment) in segments.iter().enumerate() {
            let n = ordinal(i + 1);
            if segment.is_empty() && i + 1 == segments.len() {
                break;
            }
            let Some((k, v)) = segment.split_once('=') else {
                return bad(format!("the {n} parameter of the query has no `=`"));
            };
            if v.contains('=') {
                return bad(format!(
                    "the {n} parameter of the query has more than one `=` (write = in a value as %3D)"
                ));
            }
            let what = format!("the {n} parameter of the query");
            let allowed = |b: u8| unreserved(b) || sub_delim(b) || matches!(b, b':' | b'/' | b'?');
            let (k, v) = (decode(k, &what, allowed)?, decode(v, &what, allowed)?);
            // libpq's special case for JDBC compatibility.
            let (key, v) = if k == "ssl" && v == "true" {
                ("sslmode", "require".to_string())
            } else {
                match keyword(&k) {
                    Some(key) => (key, v),
                    None => return bad(format!("the {n} parameter of the query is not a libpq connection keyword")),
                }
            };
            if key == "port" {
                check_ports(&v, "the port parameter")?;
            }
            t.set(key, v, true);
        }
    }
    Ok(t)
}

/// A libpq keyword/value string, read as libpq reads it (`conninfo_parse`): `key = value`
/// pairs separated by white space; a value is single-quoted (`\'` and `\\` escapes) or runs
/// to the next white space (a `\` escapes the next character, a space too).
fn parse_keywords(s: &str) -> Result<Target> {
    let space = |c: &char| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r');
    let mut t = Target { scheme: None, params: Vec::new() };
    let mut chars = s.chars().peekable();
    let mut n = 0;
    loop {
        while chars.next_if(space).is_some() {}
        if chars.peek().is_none() {
            return Ok(t);
        }
        n += 1;
        let nth = ordinal(n);
        let mut name = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !space(c)) {
            name.push(c);
        }
        while chars.next_if(space).is_some() {}
        if chars.next() != Some('=') {
            return bad(format!(
                "the {nth} word of the keyword string is not followed by `=` (a keyword string is keyword=value \
                 pairs separated by spaces; quote a value that has spaces: password='…')"
            ));
        }
        while chars.next_if(space).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => return bad(format!("the value of the {nth} keyword opens a quote that is not closed")),
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !space(c)) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        let Some(key) = keyword(&name) else {
            return bad(format!(
                "the {nth} keyword of the keyword string is not a libpq connection keyword (and a SQLite path may \
                 not contain `=`)"
            ));
        };
        if key == "port" {
            check_ports(&value, "the port keyword")?;
        }
        t.set(key, value, false);
    }
}

/// `1st`, `2nd`, `3rd`, `4th`, …
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// faqlink's wording for the cause class of a libpq connection failure whose message is not
/// shown.
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
        "authentication failed (unknown user, wrong password, or no pg_hba.conf entry for this client; SQLSTATE 28P01/28000)"
    } else if m.contains("database \"") && m.contains("does not exist") {
        "the database does not exist (SQLSTATE 3D000)"
    } else if has(&["too many connections", "remaining connection slots"]) {
        "the server has no free connection slots (SQLSTATE 53300)"
    } else if has(&["starting up", "shutting down", "in recovery mode", "not yet accepting"]) {
        "the server is not accepting connections yet (SQLSTATE 57P03)"
    } else if has(&["ssl", "gssapi"]) {
        "SSL/GSSAPI negotiation failed"
    } else if has(&["invalid", "unrecognized", "missing", "option", "parameter", "requires a value"]) {
        "libpq or the server rejected a connection parameter (check the port and the other parameters)"
    } else if has(&["server closed the connection", "could not receive data", "could not send data"]) {
        "the server closed the connection"
    } else {
        "connection failed"
    }
}

/// Driver messages can span lines; errors are one line.
fn one_line(message: &str) -> String {
    message.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

/// `text` with control characters and bidirectional overrides written as escapes, so a
/// printed value cannot drive the terminal.
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `value` percent-encoded for a printed URL: everything but unreserved characters (and the
/// bytes in `keep`) as `%HH`.
fn pct_encode(value: &str, keep: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if unreserved(b) || keep.as_bytes().contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A shown value in a printed keyword string: as is, or single-quoted when libpq would need
/// it quoted; control characters escaped.
fn keyword_display(value: &str) -> String {
    if value.is_empty() || value.contains(|c: char| c.is_whitespace() || c == '\'' || c == '\\') {
        visible(&quote_keyword_value(value))
    } else {
        visible(value)
    }
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

/// A value written for libpq's keyword syntax: single-quoted, `\` and `'` escaped.
fn quote_keyword_value(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
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
mod tests {
    use super::*;

    fn pg(raw: &str) -> (String, String) {
        match DatabaseUrl::parse(Some(raw)) {
            Ok(u @ DatabaseUrl::Postgres { .. }) => {
                let DatabaseUrl::Postgres { conninfo, .. } = &u else { unreachable!() };
                (conninfo.clone(), u.redacted())
            }
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
    fn refused_schemes_are_named_only_from_faqlinks_own_list() {
        let err = refused("mysql://u:s3cret@h/db");
        assert!(err.contains("unknown scheme `mysql`"), "{err}");
        for raw in ["postgress://u@h/db?passwd=Qz9s3cret", "Qz9s3cret:x@h", "postgre://u:Qz9s3cret@h/db"] {
            let err = refused(raw);
            assert!(!err.contains("Qz9") && !err.contains("postgress") && !err.contains("passwd"), "{raw}: {err}");
        }
        assert!(refused("postgress://u@h/db").contains("a typo?"));
    }

    #[test]
    fn the_printed_form_is_an_allow_list() {
        for (raw, printed) in [
            (
                "postgres://bob:p%40ss%2Fw0rd@h:5432/db?password=qs3cret&sslmode=disable",
                "postgres://bob@h:5432/db?password=***&sslmode=disable",
            ),
            ("postgres://bob@h/db?sslpassword=k3y", "postgres://bob@h/db?sslpassword=***"),
            ("postgres://bob@h/db?PASSWORD=k3y", "postgres://bob@h/db?password=***"),
            ("Postgres://u@h1:5432,h2:5433/db", "postgres://u@h1:5432,h2:5433/db"),
            ("postgresql://[::1]:5433/db?connect_timeout=3", "postgresql://[::1]:5433/db?connect_timeout=3"),
            ("postgres://%2Ftmp/db?host=h&application_name=k3y", "postgres:///db?host=h&application_name=***"),
            ("postgres://u@h/db?sslmode=k3y&connect_timeout=k3y", "postgres://u@h/db?sslmode=***&connect_timeout=***"),
            (
                "host=h port = 5432 user=bob password='p w\\'d' dbname='my db' options='-c statement_timeout=1'",
                "host=h port=5432 user=bob password=*** dbname='my db' options=***",
            ),
            (
                "host=h passfile=/k3y sslmode=require target_session_attrs=k3y",
                "host=h passfile=*** sslmode=require target_session_attrs=***",
            ),
            ("HOST=h Password=k3y", "host=h password=***"),
            ("host=h dbname=a\\ b", "host=h dbname='a b'"),
        ] {
            let (_, got) = pg(raw);
            assert_eq!(got, printed, "{raw}");
            assert!(!got.contains("k3y") && !got.contains("qs3") && !got.contains("w0rd"), "{raw}: {got}");
        }
        let u = DatabaseUrl::parse(Some("postgres://bob:pw@h/db")).unwrap();
        assert_eq!(format!("{u} {u:?}"), "postgres://bob:***@h/db DatabaseUrl(postgres://bob:***@h/db)");
    }

    #[test]
    fn libpq_gets_exactly_the_values_faqlink_parsed() {
        for (raw, conninfo) in [
            ("postgres://u:a:b@h/db", "user='u' password='a:b' host='h' dbname='db' connect_timeout=10"),
            ("postgres://u:a%23b%40c@h/d%2Fb", "user='u' password='a#b@c' host='h' dbname='d/b' connect_timeout=10"),
            ("POSTGRESQL://u@h/db?connect_timeout=2", "user='u' host='h' dbname='db' connect_timeout='2'"),
            (
                "postgres://u@h1:5432,h2:5433/db",
                "user='u' host='h1,h2' port='5432,5433' dbname='db' connect_timeout=10",
            ),
            ("postgres://h1,h2:5433", "host='h1,h2' port=',5433' connect_timeout=10"),
            (
                "postgres://h/db?ssl=true&password=a+b/c?d",
                "host='h' dbname='db' sslmode='require' password='a+b/c?d' connect_timeout=10",
            ),
            ("postgres://h/db?user=x&host=y", "dbname='db' user='x' host='y' connect_timeout=10"),
            ("postgres://", "connect_timeout=10"),
            (
                "host=h password='it\\'s' dbname='x' options='-c statement_timeout=1'",
                "host='h' password='it\\'s' dbname='x' options='-c statement_timeout=1' connect_timeout=10",
            ),
            ("host=h password=my\\ pw", "host='h' password='my pw' connect_timeout=10"),
            ("host=h password=a\\\\b", "host='h' password='a\\\\b' connect_timeout=10"),
        ] {
            assert_eq!(pg(raw).0, conninfo, "{raw}");
        }
    }

    #[test]
    fn a_url_byte_that_must_be_percent_encoded_is_refused_without_quoting_anything() {
        let reserved = "@/?#[] \"<>\\^`{|}%\u{e9}\u{7f}\t";
        for c in reserved.chars() {
            for at in ["Qz9", ""] {
                let raw = format!("postgres://u:{at}{c}Qz9x@h/db");
                let err = refused(&raw);
                assert!(!err.contains("Qz9"), "{raw}: {err}");
                assert!(err.contains("percent-encoded"), "{raw}: {err}");
            }
            // In the query, `/` and `?` are allowed raw (RFC 3986); `@` would end a userinfo.
            if !"/?".contains(c) {
                let raw = format!("postgres://u@h/db?password=Qz9{c}Qz9x");
                let err = refused(&raw);
                assert!(!err.contains("Qz9"), "{raw}: {err}");
            }
        }
        for raw in [
            "postgres://u:Qz9%zzx@h/db",
            "postgres://u:Qz9%00x@h/db",
            "postgres://u:Qz9%ffx@h/db",
            "postgres://u@h/db?Qz9x",
            "postgres://u@h/db?password=a=Qz9x",
            "postgres://u@h/db?passwd=Qz9x",
            "postgres://u@h/db?a=1&&password=Qz9x",
            "postgres://u:Qz9x@h:notaport/db",
            "postgres://u:Qz9x@h:99999/db",
            "postgres://u:Qz9x@[::1/db",
            "postgres://u:Qz9x@[]/db",
            "postgres://u:Qz9x@[::1]x/db",
        ] {
            let err = refused(raw);
            assert!(!err.contains("Qz9"), "{raw}: {err}");
        }
    }

    #[test]
    fn near_misses_are_refused_without_quoting_anything() {
        for raw in [
            "postgres//u:Qz9s3cret@h/db",
            "postgres:/u:Qz9s3cret@h/db",
            "postgresql:u:Qz9s3cret@h/db",
            "postgres:Qz9s3cret",
            "\"postgres://u:Qz9s3cret@h/db\"",
            "'postgres://u:Qz9s3cret@h/db'",
            "u:Qz9s3cret@h/db",
            "sqlite://u:Qz9s3cret@h/db",
            "file:u:Qz9s3cret@h",
            "x=1 password=Qz9s3cret",
            "host=h passwd=Qz9s3cret",
            "host=h pwd=Qz9s3cret",
            "host=h pasword=Qz9s3cret",
            "host=h db_password=Qz9s3cret",
            "host=h PGPASSWORD=Qz9s3cret",
            "host=h password=Qz9 s3cret",
            "host=h password=Qz9s3 cret=x",
            "host=h password='Qz9s3cret",
            "host=h password=Qz9s3cret dbname",
            "host=h port=Qz9s3cret",
            "a=b.db",
            "dir/password=Qz9s3cret",
            "ftp://u:Qz9s3cret@h/db?password=Qz9s3cret",
            "http://h/x?password=Qz9s3cret",
        ] {
            let err = refused(raw);
            assert!(!err.contains("Qz9") && !err.contains("s3cret") && !err.contains("cret"), "{raw}: {err}");
        }
    }

    #[test]
    fn libpq_messages_are_shown_only_when_the_parse_vouches_for_them() {
        let u = DatabaseUrl::parse(Some("postgres://u:Qz9secret@127.0.0.1:1/db")).unwrap();
        let msg = "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running";
        assert_eq!(
            u.connect_failure(msg),
            "connection to server at \"127.0.0.1\", port 1 failed: Connection refused; Is the server running"
        );
        // A hidden value that is an ordinary word hides any message holding a window of it.
        let word = DatabaseUrl::parse(Some("postgres://u:server@127.0.0.1:1/db")).unwrap();
        assert!(word.connect_failure(msg).starts_with("connection refused (is the server running"));
        let db = "connection to server at \"127.0.0.1\", port 1 failed: FATAL:  database \"db\" does not exist";
        assert!(u.connect_failure(db).ends_with("database \"db\" does not exist"), "{}", u.connect_failure(db));
        // A quoted value the parse does not show: faqlink's words for the class.
        let leak = "connection to server at \"127.0.0.1\", port 1 failed: FATAL:  role \"u#Qz9\" does not exist";
        let shown = u.connect_failure(leak);
        assert!(shown.starts_with("authentication failed") && !shown.contains("Qz9"), "{shown}");
        assert!(!u.connect_failure("odd \"Qz9").contains("Qz9"));
        let socket = DatabaseUrl::parse(Some("host=/tmp port=5433 password=x")).unwrap();
        let msg = "connection to server on socket \"/tmp/.s.PGSQL.5433\" failed: No such file or directory";
        assert_eq!(socket.connect_failure(msg), msg);
        // An unquoted echo of any hidden value, whole, in part or in another case, is not shown.
        for (raw, echo) in [
            ("host=h options='-c Sec9retXy'", "FATAL:  -c Sec9retXy requires a value"),
            ("host=h options='-c Sec9retXy'", "FATAL:  invalid option: sec9retxy"),
            ("host=h application_name=Sec9retXy", "FATAL:  bad name Sec9ret"),
            ("host=h sslpassword=Sec9retXy", "could not decrypt: 9ret"),
            ("postgres://h/db?options=-c%20Sec9retXy", "FATAL:  -c Sec9retXy requires a value"),
            ("postgres://u:Sec9retXy@h/db", "FATAL:  no entry for cXy; ... Sec9 here"),
            ("host=h password=ab", "FATAL:  got ab"),
        ] {
            let u = DatabaseUrl::parse(Some(raw)).unwrap();
            let shown = u.connect_failure(echo);
            assert!(shown.contains("libpq's message is not shown") && !shown.contains(echo), "{raw}: {shown}");
        }
        let opts = DatabaseUrl::parse(Some("host=h options='-c Sec9retXy'")).unwrap();
        assert!(opts
            .connect_failure("FATAL:  -c Sec9retXy requires a value")
            .starts_with("libpq or the server rejected"));
        // Control characters never reach the terminal.
        let plain = DatabaseUrl::parse(Some("postgres://u@h/db")).unwrap();
        assert_eq!(plain.connect_failure("a\n b\u{1b}[31m"), "a; b\\u{1b}[31m");
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

    #[test]
    fn dotenv_is_read_only_from_a_regular_file_of_bounded_size() {
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join(".env");
        // A FIFO nobody writes to: refused at once, not waited on.
        rustix::fs::mkfifoat(rustix::fs::CWD, &env, rustix::fs::Mode::from_raw_mode(0o600)).unwrap();
        let started = std::time::Instant::now();
        let err = database_url_from_dotenv(&env).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert_eq!(err.exit_code(), 2, "{err}");
        assert!(err.to_string().contains("not a regular file"), "{err}");
        std::fs::remove_file(&env).unwrap();
        // An endless device, through a symlink.
        std::os::unix::fs::symlink("/dev/zero", &env).unwrap();
        let err = database_url_from_dotenv(&env).unwrap_err();
        assert!(err.exit_code() == 2 && err.to_string().contains("not a regular file"), "{err}");
        std::fs::remove_file(&env).unwrap();
        // A folder.
        std::fs::create_dir(&env).unwrap();
        assert_eq!(database_url_from_dotenv(&env).unwrap_err().exit_code(), 2);
        std::fs::remove_dir(&env).unwrap();
        // Too large.
        let mut big = "DATABASE_URL=x.db\n".to_string();
        big.push_str(&"#".repeat(DOTENV_MAX_BYTES as usize));
        std::fs::write(&env, big).unwrap();
        let err = database_url_from_dotenv(&env).unwrap_err();
        assert!(err.exit_code() == 2 && err.to_string().contains("larger than"), "{err}");
    }
}
