//! A statement's text and its bound values ([`Sql`]), for either backend, with the one reading
//! of stored timestamps the run decided ([`Sql::ts`]) and the form `--explain` prints.

use super::*;

/// A value bound to a placeholder of a [`Sql`] statement.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    /// TEXT / VARCHAR.
    Text(String),
    /// Nullable TEXT.
    OptText(Option<String>),
    /// BOOLEAN.
    Bool(bool),
    /// DOUBLE PRECISION.
    Double(f64),
    /// A UUID column.
    Uuid(Uuid),
    /// A timestamptz column.
    Ts(Timestamp),
}

/// One SQL statement written once for both backends: text plus typed binds. Placeholders
/// are rendered in the backend's style (`$1` or `?`); values carry portable SQL types, so
/// the text needs no casts.
#[derive(Debug, Clone)]
pub struct Sql {
    backend: Backend,
    text: String,
    binds: Vec<Param>,
    timestamps: TimestampReading,
}

macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut q = $query;
        for b in $binds {
            q = match b.clone() {
                Param::Text(v) => q.bind::<Text, _>(v),
                Param::OptText(v) => q.bind::<Nullable<Text>, _>(v),
                Param::Bool(v) => q.bind::<Bool, _>(v),
                Param::Double(v) => q.bind::<Double, _>(v),
                Param::Uuid(v) => q.bind::<PortableUuid, _>(v),
                Param::Ts(v) => q.bind::<PortableTimestamptz, _>(v),
            };
        }
        q
    }};
}

impl Sql {
    /// An empty statement for `backend` whose timestamps are read as `timestamps` says.
    pub(super) fn reading(backend: Backend, timestamps: TimestampReading) -> Self {
        Sql { timestamps, ..Sql::new(backend) }
    }

    /// An empty statement for `backend` that compares timestamps as stored
    /// ([`TimestampReading::Stored`]). Report statements start from [`Database::sql`]
    /// instead, which carries the reading of the run's snapshot.
    pub fn new(backend: Backend) -> Self {
        Sql { backend, text: String::new(), binds: Vec::new(), timestamps: TimestampReading::Stored }
    }

    /// The backend this statement is written for.
    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// How this statement reads `feedback_timestamp` ([`TimestampReading`]).
    pub(crate) fn timestamps(&self) -> TimestampReading {
        self.timestamps
    }

    /// The expression that reads the timestamp column `column` (e.g. `ef.feedback_timestamp`)
    /// in this statement: the column itself, or on SQLite with [`TimestampReading::Normalised`]
    /// its canonical text ([`types::sqlite_timestamp_key`]). Every comparison, bucket and
    /// order on a timestamp goes through it.
    pub(crate) fn ts(&self, column: &str) -> String {
        match (self.backend, self.timestamps) {
            (Backend::Sqlite, TimestampReading::Normalised) => types::sqlite_timestamp_key(column),
            _ => column.to_string(),
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(crate) fn bind(&mut self, value: Param) -> &mut Self {
        self.binds.push(value);
        match self.backend {
            Backend::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.binds.len().to_string());
            }
            Backend::Sqlite => self.text.push('?'),
        }
        self
    }

    /// The statement text as sent (the benchmarks' copies are checked against it).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text as sent, then one `-- $n = value` line per bind (`--explain`).
    pub(crate) fn explained(&self) -> String {
        let mut out = self.text.clone();
        for (i, b) in self.binds.iter().enumerate() {
            // The value, then its SQL type on PostgreSQL (where a literal put in its place needs
            // the cast, e.g. inside ARRAY[…]); on SQLite every bind is the text shown.
            let (value, pg_type) = match b {
                Param::Text(v) | Param::OptText(Some(v)) => (format!("'{}'", v.replace('\'', "''")), "text"),
                Param::OptText(None) => ("NULL".into(), "text"),
                Param::Bool(v) => (v.to_string(), "boolean"),
                Param::Double(v) => (v.to_string(), "double precision"),
                Param::Uuid(v) => (format!("'{v}'"), "uuid"),
                Param::Ts(t) => match self.backend {
                    Backend::Postgres => {
                        (format!("'{}'", t.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)), "timestamptz")
                    }
                    // The text the bind sends (stored timestamps compare as text).
                    Backend::Sqlite => (format!("'{}'", types::canonical_timestamp(&t.0)), "text"),
                },
            };
            let value = match self.backend {
                Backend::Postgres => format!("{value}::{pg_type}"),
                Backend::Sqlite => value,
            };
            let mark = match self.backend {
                Backend::Postgres => format!("${}", i + 1),
                Backend::Sqlite => format!("?{}", i + 1),
            };
            out.push_str(&format!("\n-- {mark} = {value}"));
        }
        out
    }

    pub(super) fn boxed_pg(&self) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
        bind_all!(diesel::sql_query(self.text.clone()).into_boxed::<Pg>(), &self.binds)
    }

    pub(super) fn boxed_sqlite(&self) -> BoxedSqlQuery<'static, Sqlite, SqlQuery> {
        bind_all!(diesel::sql_query(self.text.clone()).into_boxed::<Sqlite>(), &self.binds)
    }
}
