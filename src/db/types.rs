//! Portable SQL types: one Rust type per production column type that differs between backends.
//!
//! PostgreSQL has `uuid`, `timestamptz` and the `feedback_type` enum; faqlink's SQLite schema
//! stores all three as TEXT. Each SQL type below maps to the native PostgreSQL type and to
//! SQLite TEXT, so one `table!` schema and one query text serve both backends.
//! SQLite timestamps are always written as RFC 3339 UTC with six fractional digits and `Z`
//! (see [`canonical_timestamp`]), so that string order is time order.

use std::io::Write;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
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
    pub fn from_bytes(b: [u8; 16]) -> Self {
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
    pub fn to_bytes(&self) -> Option<[u8; 16]> {
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
pub fn canonical_timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses SQLite timestamp text: the canonical form, any RFC 3339, or `YYYY-MM-DD HH:MM:SS[.f]` (UTC).
pub fn parse_timestamp_text(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|n| n.and_utc())
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
    pub fn label(self) -> &'static str {
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
pub struct FeedbackCategory(pub &'static str);

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

    #[test]
    fn canonical_timestamps_sort_as_text() {
        let a = parse_timestamp_text("2026-11-23T09:15:00Z").unwrap();
        let b = parse_timestamp_text("2026-11-23 09:15:00.5").unwrap();
        assert_eq!(canonical_timestamp(&a), "2026-11-23T09:15:00.000000Z");
        assert_eq!(canonical_timestamp(&b), "2026-11-23T09:15:00.500000Z");
        assert!(canonical_timestamp(&a) < canonical_timestamp(&b));
    }
}
