//! The two spellings of a PostgreSQL connection target, parsed the way libpq reads them: a
//! `postgres://` URL (RFC 3986; a byte that must be percent-encoded is refused, quoting
//! nothing) and a keyword string (`host=… password='…'`).

use super::*;

pub(super) fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

pub(super) fn sub_delim(b: u8) -> bool {
    matches!(b, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=')
}

/// Checks that `part` holds only bytes `allowed` or `%HH`, and decodes it as libpq does
/// (`%00` is refused, as libpq refuses it); `what` names the part in the message.
pub(super) fn decode(part: &str, what: &str, allowed: impl Fn(u8) -> bool) -> Result<String> {
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
pub(super) fn check_ports(ports: &str, what: &str) -> Result<()> {
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
pub(super) fn parse_url(scheme: &'static str, rest: &str) -> Result<Target> {
    let mut t = Target { scheme: Some(scheme), params: Vec::new() };
    let (userinfo, after) = match rest.rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    if let Some(userinfo) = userinfo {
        push_userinfo(&mut t, userinfo)?;
    }
    let host_end = after.find(['/', '?']).unwrap_or(after.len());
    let (hostlist, tail) = after.split_at(host_end);
    push_hosts(&mut t, hostlist)?;
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
        push_query(&mut t, query)?;
    }
    Ok(t)
}

/// The URL's `user[:password]` (before the last `@`), percent-decoded.
fn push_userinfo(t: &mut Target, userinfo: &str) -> Result<()> {
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
    Ok(())
}

/// The URL's hosts, each with an optional port (`h1:5432,[::1]:5433`), as libpq's
/// comma-separated `host` and `port`.
fn push_hosts(t: &mut Target, hostlist: &str) -> Result<()> {
    let mut hosts = Vec::new();
    let mut ports = Vec::new();
    for spec in hostlist.split(',') {
        let (host, port) = host_and_port(spec)?;
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
    Ok(())
}

/// One host of the URL: a name or `[IPv6]`, percent-decoded, and its port text if any.
fn host_and_port(spec: &str) -> Result<(String, Option<&str>)> {
    let Some(inner) = spec.strip_prefix('[') else {
        let (h, p) = match spec.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (spec, None),
        };
        return Ok((decode(h, "a host name", |b| unreserved(b) || (sub_delim(b) && b != b','))?, p));
    };
    let Some(close) = inner.find(']') else { return bad("an IPv6 host address in [ ] is not closed") };
    let port = match &inner[close + 1..] {
        "" => None,
        p => Some(p.strip_prefix(':').ok_or_else(|| Error::BadUrl {
            reason: "an IPv6 host address in [ ] is followed by something other than :PORT, `,`, `/` or `?`".into(),
        })?),
    };
    let host = decode(&inner[..close], "an IPv6 host address", |b| {
        b.is_ascii_alphanumeric() || matches!(b, b':' | b'.' | b'-' | b'_')
    })?;
    if host.is_empty() {
        return bad("an IPv6 host address in [ ] is empty");
    }
    Ok((host, port))
}

/// The URL's query: `key=value` pairs of libpq keywords (and libpq's `ssl=true`), each
/// percent-decoded; anything else refused, naming only the parameter's position.
fn push_query(t: &mut Target, query: &str) -> Result<()> {
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
            return bad(format!("the {n} parameter of the query has more than one `=` (write = in a value as %3D)"));
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
    Ok(())
}

/// A libpq keyword/value string, read as libpq reads it (`conninfo_parse`): `key = value`
/// pairs separated by white space; a value is single-quoted (`\'` and `\\` escapes) or runs
/// to the next white space (a `\` escapes the next character, a space too).
pub(super) fn parse_keywords(s: &str) -> Result<Target> {
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
pub(super) fn ordinal(n: usize) -> String {
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
pub(super) fn connect_cause(message: &str) -> &'static str {
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
pub(super) fn one_line(message: &str) -> String {
    message.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

/// `text` with control characters and bidirectional overrides written as escapes, so a
/// printed value cannot drive the terminal.
pub(super) fn visible(text: &str) -> String {
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
pub(super) fn pct_encode(value: &str, keep: &str) -> String {
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
pub(super) fn keyword_display(value: &str) -> String {
    if value.is_empty() || value.contains(|c: char| c.is_whitespace() || c == '\'' || c == '\\') {
        visible(&quote_keyword_value(value))
    } else {
        visible(value)
    }
}

/// The scheme of `s` if it starts with `letters:`, as URLs do.
pub(super) fn scheme_of(s: &str) -> Option<&str> {
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

pub(super) fn strip_query(s: &str) -> &str {
    s.split('?').next().unwrap_or(s)
}

/// True when `s` starts like a libpq keyword/value string: `keyword =`.
pub(super) fn looks_like_keywords(s: &str) -> bool {
    let key_end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    key_end > 0 && s[key_end..].trim_start().starts_with('=') && s.as_bytes()[0].is_ascii_alphabetic()
}

/// A value written for libpq's keyword syntax: single-quoted, `\` and `'` escaped.
pub(super) fn quote_keyword_value(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}
