//! Portable SQL types: one Rust type per production column type that differs between backends.
//!
//! PostgreSQL has `uuid`, `timestamptz` and the `feedback_type` enum; faqlink's SQLite schema
//! stores all three as TEXT. Each SQL type below maps to the native PostgreSQL type and to
//! SQLite TEXT, so one `table!` schema and one query text serve both backends.
//! SQLite timestamps are always written as RFC 3339 UTC with six fractional digits and `Z`
//! (see [`canonical_timestamp`]), so that string order is time order.

use std::io::Write;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, SecondsFormat, Utc};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{SqlType, Text};
use diesel::sqlite::{Sqlite, SqliteValue};

/// SQL type of a UUID column: PostgreSQL `uuid`, SQLite TEXT (lowercase, hyphenated).
#[derive(Debug, Clone, Copy, SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(oid = 2950, array_oid = 2951))]
#[diesel(sqlite_type(name = "Text"))]
pub struct PortableUuid;

/// SQL type of a timestamp column: PostgreSQL `timestamptz`, SQLite canonical TEXT.
#[derive(Debug, Clone, Copy, SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Text"))]
pub struct PortableTimestamptz;

/// SQL type of `expert_feedback.feedback_type`: the PostgreSQL enum `feedback_type`, SQLite TEXT.
#[derive(Debug, Clone, Copy, SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(name = "feedback_type"))]
#[diesel(sqlite_type(name = "Text"))]
pub struct FeedbackTypeSql;

/// SQL type of `expert_feedback.category`: the PostgreSQL enum `italian_feedback_category`,
/// SQLite TEXT. faqlink never reads it; it is declared so the schema (and COPY) covers it.
#[derive(Debug, Clone, Copy, SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(name = "italian_feedback_category"))]
#[diesel(sqlite_type(name = "Text"))]
pub struct FeedbackCategorySql;

/// A UUID as its lowercase hyphenated text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = PortableUuid)]
pub struct Uuid(pub String);

impl Uuid {
    /// Builds the canonical text form from 16 bytes.
    pub(crate) fn from_bytes(b: [u8; 16]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(36);
        for (i, byte) in b.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                s.push('-');
            }
            s.push(char::from(HEX[usize::from(byte >> 4)]));
            s.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        Uuid(s)
    }

    /// The 16 bytes of this UUID, if its text is a valid UUID (hyphens anywhere are ignored).
    pub(crate) fn to_bytes(&self) -> Option<[u8; 16]> {
        let mut out = [0u8; 16];
        let mut nibbles = 0usize;
        for c in self.0.bytes().filter(|&c| c != b'-') {
            let v = char::from(c).to_digit(16)? as u8;
            let byte = out.get_mut(nibbles / 2)?;
            *byte = (*byte << 4) | v;
            nibbles += 1;
        }
        (nibbles == 32).then_some(out)
    }
}

impl std::fmt::Display for Uuid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl ToSql<PortableUuid, Pg> for Uuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        let bytes = self.to_bytes().ok_or_else(|| format!("not a UUID: {:?}", self.0))?;
        out.write_all(&bytes)?;
        Ok(IsNull::No)
    }
}

impl FromSql<PortableUuid, Pg> for Uuid {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let bytes: [u8; 16] = value.as_bytes().try_into().map_err(|_| "a uuid is 16 bytes")?;
        Ok(Uuid::from_bytes(bytes))
    }
}

impl ToSql<PortableUuid, Sqlite> for Uuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.as_str());
        Ok(IsNull::No)
    }
}

impl FromSql<PortableUuid, Sqlite> for Uuid {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        Ok(Uuid(<String as FromSql<Text, Sqlite>>::from_sql(value)?))
    }
}

/// An instant in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = PortableTimestamptz)]
pub struct Timestamp(pub DateTime<Utc>);

/// The one text form faqlink writes SQLite timestamps in: `2026-11-23T09:15:00.000000Z`.
pub(crate) fn canonical_timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The earliest instant faqlink reads or writes: 0001-01-01T00:00:00Z (PostgreSQL has no
/// year 0, and SQLite text sorts as time only with four-digit years).
pub(crate) fn earliest_instant() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(1, 1, 1).expect("a valid date").and_time(NaiveTime::MIN).and_utc()
}

/// The latest instant faqlink reads or writes: 9999-12-31T23:59:59.999999Z.
pub(crate) fn latest_instant() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .expect("a valid date")
        .and_hms_micro_opt(23, 59, 59, 999_999)
        .expect("a valid time")
        .and_utc()
}

/// How a report run reads `expert_feedback.feedback_timestamp`, decided once per snapshot
/// (`reports::timestamps`) and carried by every statement built on the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampReading {
    /// Every stored value is canonical and in range (SQLite), or in range (PostgreSQL): the
    /// column is compared as it is (index ranges; on SQLite text order is time order).
    #[default]
    Stored,
    /// Some values are not: on SQLite every reference reads the value through
    /// [`sqlite_timestamp_key`], and on both backends values outside the range are left out.
    Normalised,
}

/// What a stored timestamp text is, read by faqlink's one grammar ([`read_timestamp_text`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimestampText {
    /// Canonical (`2026-11-23T09:15:00.000000Z`) and in range: text order is time order.
    Canonical(DateTime<Utc>),
    /// Readable and in range, in another accepted form (an offset, a space, fewer or more
    /// fractional digits): read as that instant, never compared as text.
    Other(DateTime<Utc>),
    /// Readable, but its instant lies outside 0001-01-01T00:00:00Z ..
    /// 9999-12-31T23:59:59.999999Z: left out of every report, counted by `check`.
    OutOfRange,
    /// Not a timestamp in any accepted form: a report fails naming its row.
    Unreadable,
}

/// Reads SQLite timestamp text by the one grammar faqlink accepts (docs/METRICS.md):
/// `YYYY-MM-DD` then `T` or a space, `HH:MM:SS`, an optional fraction of 1 to 9 digits
/// (digits after the sixth are dropped: faqlink reads microseconds), then `Z`, an offset
/// `+HH:MM` / `-HH:MM` (hours 00-23, minutes 00-59) or nothing (UTC). The same reading is
/// written in SQL by [`sqlite_timestamp_key`]; a test holds the two equal on generated text.
pub(crate) fn read_timestamp_text(s: &str) -> TimestampText {
    match parse_any(s) {
        None => TimestampText::Unreadable,
        Some(t) if t < earliest_instant() || t > latest_instant() => TimestampText::OutOfRange,
        Some(t) if canonical_timestamp(&t) == s => TimestampText::Canonical(t),
        Some(t) => TimestampText::Other(t),
    }
}

/// Parses SQLite timestamp text ([`read_timestamp_text`]'s grammar) to an instant in range.
pub(crate) fn parse_timestamp_text(s: &str) -> Option<DateTime<Utc>> {
    match read_timestamp_text(s) {
        TimestampText::Canonical(t) | TimestampText::Other(t) => Some(t),
        TimestampText::OutOfRange | TimestampText::Unreadable => None,
    }
}

/// The grammar of [`read_timestamp_text`], without the range.
fn parse_any(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)?;
    let (h, m, sec) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let rest = &s[19..];
    let (frac, offset_minutes) = if let Some(f) = rest.strip_suffix('Z') {
        (f, 0i64)
    } else if rest.len() >= 6 && matches!(rest.as_bytes()[rest.len() - 6], b'+' | b'-') {
        let (f, z) = rest.split_at(rest.len() - 6);
        let zb = z.as_bytes();
        let (oh, om) = (zb.get(1..3)?, zb.get(4..6)?);
        if zb[3] != b':' || !oh.iter().chain(om).all(u8::is_ascii_digit) {
            return None;
        }
        let (oh, om) = (i64::from((oh[0] - b'0') * 10 + oh[1] - b'0'), i64::from((om[0] - b'0') * 10 + om[1] - b'0'));
        if oh > 23 || om > 59 {
            return None;
        }
        (f, if zb[0] == b'+' { oh * 60 + om } else { -(oh * 60 + om) })
    } else {
        (rest, 0)
    };
    let micros = match frac.strip_prefix('.') {
        None if frac.is_empty() => 0,
        None => return None,
        Some(d) if (1..=9).contains(&d.len()) && d.bytes().all(|c| c.is_ascii_digit()) => {
            format!("{:0<6}", &d[..d.len().min(6)]).parse::<u32>().ok()?
        }
        Some(_) => return None,
    };
    let local = date.and_hms_micro_opt(h, m, sec, micros)?;
    Some(local.and_utc() - Duration::minutes(offset_minutes))
}

/// The SQLite expression that reads the timestamp text `x`, a value [`read_timestamp_text`]
/// reads (the run's first question, [`sqlite_timestamp_readable`], refuses every other), as
/// the canonical text of its instant, or NULL when that lies outside the range (and for
/// NULL). Text order of its results is time order. Cheap by construction: the date and time
/// are cut out of the text, and only a value with an offset goes through SQLite's date
/// arithmetic (`'+N minutes'`, once); the range is one `max` against a text below
/// `0001-01-01` that sorts above every year-0 or negative result.
pub(crate) fn sqlite_timestamp_key(x: &str) -> String {
    let local = sqlite_local(x);
    let offset = format!("substr({x}, -6, 1) IN ('+', '-')");
    let utc = format!(
        "(CASE WHEN {offset} THEN strftime('%Y-%m-%dT%H:%M:%S', {local}, printf('%+d minutes', \
           (CASE substr({x}, -6, 1) WHEN '+' THEN -1 ELSE 1 END) \
           * (CAST(substr({x}, -5, 2) AS INTEGER) * 60 + CAST(substr({x}, -2) AS INTEGER)))) ELSE {local} END)"
    );
    let zone = format!("(CASE WHEN {offset} THEN 6 WHEN substr({x}, -1) = 'Z' THEN 1 ELSE 0 END)");
    let fraction = format!("substr(substr({x}, 21, max(length({x}) - 20 - {zone}, 0)) || '000000', 1, 6)");
    format!("(nullif(max({utc}, '0000-99'), '0000-99') || '.' || {fraction} || 'Z')")
}

/// SQLite: whether `x` is readable by [`read_timestamp_text`]'s grammar (in range or not).
/// Patterns, cuts and integer arithmetic only (no date function: the run asks it of every
/// value that is not canonical).
pub(crate) fn sqlite_timestamp_readable(x: &str) -> String {
    let zone = format!(
        "(CASE WHEN substr({x}, -1) = 'Z' THEN 1 \
           WHEN substr({x}, -6, 1) IN ('+', '-') AND substr({x}, -3, 1) = ':' \
                AND substr({x}, -5, 2) GLOB '[0-9][0-9]' AND substr({x}, -2) GLOB '[0-9][0-9]' THEN 6 ELSE 0 END)"
    );
    let frac = format!("substr({x}, 20, length({x}) - 19 - {zone})");
    let date_time = sqlite_date_time_exists(x);
    format!(
        "COALESCE({x} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][T ][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*' \
          AND {date_time} \
          AND ({frac} = '' OR (length({frac}) BETWEEN 2 AND 10 AND substr({frac}, 1, 1) = '.' \
                              AND NOT substr({frac}, 2) GLOB '*[^0-9]*')) \
          AND ({zone} < 6 OR (substr({x}, -5, 2) <= '23' AND substr({x}, -2) <= '59')), 0)"
    )
}

/// SQLite: whether the date and time written in the first 19 characters of `x` (digits in
/// place) exist: month 1-12, the month's days (leap years by the Gregorian rule, year 0
/// included), hours 00-23, minutes and seconds 00-59.
fn sqlite_date_time_exists(x: &str) -> String {
    let y = format!("CAST(substr({x}, 1, 4) AS INTEGER)");
    format!(
        "(substr({x}, 6, 2) BETWEEN '01' AND '12' AND substr({x}, 9, 2) >= '01' \
          AND CAST(substr({x}, 9, 2) AS INTEGER) <= (CASE CAST(substr({x}, 6, 2) AS INTEGER) \
                WHEN 2 THEN 28 + ({y} % 4 = 0 AND ({y} % 100 <> 0 OR {y} % 400 = 0)) \
                WHEN 4 THEN 30 WHEN 6 THEN 30 WHEN 9 THEN 30 WHEN 11 THEN 30 ELSE 31 END) \
          AND substr({x}, 12, 2) <= '23' AND substr({x}, 15, 2) <= '59' AND substr({x}, 18, 2) <= '59')"
    )
}

/// SQLite: the date and time of `x` as written, `YYYY-MM-DDTHH:MM:SS`.
fn sqlite_local(x: &str) -> String {
    format!("(substr({x}, 1, 10) || 'T' || substr({x}, 12, 8))")
}

/// SQLite: whether `x` is canonical and in range, the form faqlink writes (text order is time
/// order). Cheap: patterns, cuts and integer arithmetic. The partial index
/// `ix_faqlink_unusual_timestamps` (migration 2026-12-06-000000) holds the rows for which it is
/// not true (`NOT` this, with `feedback_timestamp` for `x`), so finding them is one lookup.
pub(crate) fn sqlite_timestamp_canonical(x: &str) -> String {
    let date_time = sqlite_date_time_exists(x);
    format!(
        "({x} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' \
          AND {x} >= '0001-01-01' AND {date_time})"
    )
}

impl ToSql<PortableTimestamptz, Pg> for Timestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <DateTime<Utc> as ToSql<diesel::sql_types::Timestamptz, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<PortableTimestamptz, Pg> for Timestamp {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Ok(Timestamp(<DateTime<Utc> as FromSql<diesel::sql_types::Timestamptz, Pg>>::from_sql(value)?))
    }
}

impl ToSql<PortableTimestamptz, Sqlite> for Timestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(canonical_timestamp(&self.0));
        Ok(IsNull::No)
    }
}

impl FromSql<PortableTimestamptz, Sqlite> for Timestamp {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        parse_timestamp_text(&text).map(Timestamp).ok_or_else(|| format!("unreadable timestamp {text:?}").into())
    }
}

/// An expert's verdict on an answer (`feedback_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = FeedbackTypeSql)]
pub enum FeedbackType {
    /// "Corretta": the answer was right; the Golden Set workflow may publish an FAQ.
    Correct,
    /// "Incompleta".
    Incomplete,
    /// "Errata".
    Incorrect,
}

impl FeedbackType {
    /// The enum label stored in the database.
    pub(crate) fn label(self) -> &'static str {
        match self {
            FeedbackType::Correct => "correct",
            FeedbackType::Incomplete => "incomplete",
            FeedbackType::Incorrect => "incorrect",
        }
    }

    fn from_label(s: &[u8]) -> deserialize::Result<Self> {
        match s {
            b"correct" => Ok(FeedbackType::Correct),
            b"incomplete" => Ok(FeedbackType::Incomplete),
            b"incorrect" => Ok(FeedbackType::Incorrect),
            other => Err(format!("unknown feedback_type {:?}", String::from_utf8_lossy(other)).into()),
        }
    }
}

impl ToSql<FeedbackTypeSql, Pg> for FeedbackType {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.label().as_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<FeedbackTypeSql, Pg> for FeedbackType {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        FeedbackType::from_label(value.as_bytes())
    }
}

impl ToSql<FeedbackTypeSql, Sqlite> for FeedbackType {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.label());
        Ok(IsNull::No)
    }
}

impl FromSql<FeedbackTypeSql, Sqlite> for FeedbackType {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        FeedbackType::from_label(<String as FromSql<Text, Sqlite>>::from_sql(value)?.as_bytes())
    }
}

/// A feedback category label (`expert_feedback.category`), as written by `seed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression)]
#[diesel(sql_type = FeedbackCategorySql)]
pub(crate) struct FeedbackCategory(pub &'static str);

impl ToSql<FeedbackCategorySql, Pg> for FeedbackCategory {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.0.as_bytes())?;
        Ok(IsNull::No)
    }
}

impl ToSql<FeedbackCategorySql, Sqlite> for FeedbackCategory {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0);
        Ok(IsNull::No)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_bytes_round_trip() {
        let u = Uuid("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d".into());
        assert_eq!(Uuid::from_bytes(u.to_bytes().unwrap()), u);
        assert!(Uuid("nope".into()).to_bytes().is_none());
    }

    use diesel::connection::SimpleConnection;
    use diesel::sql_types::{BigInt, Nullable};
    use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
    use proptest::prelude::*;

    #[derive(QueryableByName, Debug)]
    struct Read {
        #[diesel(sql_type = Nullable<Text>)]
        key: Option<String>,
        #[diesel(sql_type = BigInt)]
        readable: i64,
        #[diesel(sql_type = Nullable<BigInt>)]
        canonical: Option<i64>,
    }

    /// What SQLite's expressions make of `x`: (key, readable, canonical); the key only for a
    /// readable value (the reports' precondition: the run refuses the others first).
    fn sqlite_reads(conn: &mut SqliteConnection, x: &str) -> (Option<String>, bool, bool) {
        let sql = format!(
            "SELECT {} AS key, {} AS readable, {} AS canonical FROM (SELECT ? AS x)",
            sqlite_timestamp_key("x"),
            sqlite_timestamp_readable("x"),
            sqlite_timestamp_canonical("x")
        );
        let r: Read = diesel::sql_query(sql).bind::<Text, _>(x).get_result(conn).unwrap();
        (r.key.filter(|_| r.readable == 1), r.readable == 1, r.canonical == Some(1))
    }

    /// What the Rust reader makes of `x`, in the same terms.
    fn rust_reads(x: &str) -> (Option<String>, bool, bool) {
        match read_timestamp_text(x) {
            TimestampText::Canonical(t) => (Some(canonical_timestamp(&t)), true, true),
            TimestampText::Other(t) => (Some(canonical_timestamp(&t)), true, false),
            TimestampText::OutOfRange => (None, true, false),
            TimestampText::Unreadable => (None, false, false),
        }
    }

    fn memory() -> SqliteConnection {
        let mut c = SqliteConnection::establish(":memory:").unwrap();
        c.batch_execute("SELECT 1").unwrap();
        c
    }

    #[test]
    fn every_accepted_form_reads_the_same_instant_in_rust_and_in_sqlite() {
        let mut conn = memory();
        let same = "2026-11-22T19:30:00.000000Z";
        for (x, want) in [
            ("2026-11-22T19:30:00.000000Z", Some(same)),
            ("2026-11-22T19:30:00Z", Some(same)),
            ("2026-11-22 19:30:00", Some(same)),
            ("2026-11-22T19:30:00", Some(same)),
            ("2026-11-23T01:00:00+05:30", Some(same)),
            ("2026-11-22T11:30:00-08:00", Some(same)),
            ("2026-11-22 11:30:00.0-08:00", Some(same)),
            ("2026-11-22T19:30:00.000000000Z", Some(same)),
            ("2026-11-22T19:30:00.1Z", Some("2026-11-22T19:30:00.100000Z")),
            ("2026-11-22T19:30:00.123456789Z", Some("2026-11-22T19:30:00.123456Z")),
            ("2026-11-22 19:30:00.9999999", Some("2026-11-22T19:30:00.999999Z")),
            ("2027-01-01T00:30:00+01:00", Some("2026-12-31T23:30:00.000000Z")),
            ("2024-02-29T12:00:00Z", Some("2024-02-29T12:00:00.000000Z")),
            ("0001-01-01T00:00:00.000000Z", Some("0001-01-01T00:00:00.000000Z")),
            ("9999-12-31T23:59:59.999999Z", Some("9999-12-31T23:59:59.999999Z")),
            // Out of range, readable.
            ("0000-06-01T00:00:00Z", None),
            ("0001-01-01T00:30:00+01:00", None),
            ("9999-12-31T23:59:59.999999-05:00", None),
            // Unreadable.
            ("garbage", None),
            ("2026-11-23", None),
            ("2026-02-30T00:00:00Z", None),
            ("2026-11-23T24:00:00Z", None),
            ("2026-11-23T12:00:60Z", None),
            ("2026-11-23T12:00:00.Z", None),
            ("2026-11-23T12:00:00.1234567890Z", None),
            ("2026-11-23T12:00:00+24:00", None),
            ("2026-11-23T12:00:00+05:60", None),
            ("2026-11-23T12:00:00z", None),
            ("2026-11-23t12:00:00Z", None),
            ("2026-11-23T12:00:00 ", None),
            ("2026-11-23T12:00:00+0530", None),
            ("", None),
        ] {
            let rust = rust_reads(x);
            assert_eq!(rust.0.as_deref(), want, "{x:?}");
            assert_eq!(sqlite_reads(&mut conn, x), rust, "{x:?}");
        }
    }

    /// Text built from the grammar's parts, each part sometimes wrong.
    fn timestamp_text() -> impl Strategy<Value = String> {
        let year = prop_oneof![Just(0u32), Just(1), Just(9999), 0u32..=9999];
        let part = |hi: u32| prop_oneof![0u32..=hi, Just(hi + 1), 0u32..=99];
        let frac = prop_oneof![Just(String::new()), "\\.[0-9]{1,9}", "\\.[0-9]{10}", Just(".".to_string())];
        let zone = prop_oneof![
            Just(String::new()),
            Just("Z".to_string()),
            Just("z".to_string()),
            (prop_oneof![Just('+'), Just('-')], 0u32..=25, 0u32..=61).prop_map(|(s, h, m)| format!("{s}{h:02}:{m:02}")),
        ];
        let sep = prop_oneof![Just('T'), Just(' '), Just('t'), Just('_')];
        (year, part(12), part(31), sep, part(23), part(59), part(59), frac, zone).prop_map(
            |(y, mo, d, sep, h, mi, s, frac, zone)| {
                format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}{frac}{zone}")
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn rust_and_sqlite_read_generated_text_alike(x in timestamp_text()) {
            thread_local!(static CONN: std::cell::RefCell<SqliteConnection> = std::cell::RefCell::new(memory()));
            let sqlite = CONN.with(|c| sqlite_reads(&mut c.borrow_mut(), &x));
            prop_assert_eq!(sqlite, rust_reads(&x), "{:?}", x);
        }
    }

    #[test]
    fn the_migration_indexes_exactly_the_rows_that_are_not_canonical() {
        let up = include_str!("../../migrations/sqlite/2026-12-06-000000_faqlink_unusual_timestamps/up.sql");
        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let statement: String = up.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join(" ");
        let wanted = format!("WHERE NOT {};", sqlite_timestamp_canonical("feedback_timestamp"));
        assert!(words(&statement).ends_with(&words(&wanted)), "{statement}\n{wanted}");
    }

    #[test]
    fn canonical_timestamps_sort_as_text() {
        let a = parse_timestamp_text("2026-11-23T09:15:00Z").unwrap();
        let b = parse_timestamp_text("2026-11-23 09:15:00.5").unwrap();
        assert_eq!(canonical_timestamp(&a), "2026-11-23T09:15:00.000000Z");
        assert_eq!(canonical_timestamp(&b), "2026-11-23T09:15:00.500000Z");
        assert!(canonical_timestamp(&a) < canonical_timestamp(&b));
    }
}
