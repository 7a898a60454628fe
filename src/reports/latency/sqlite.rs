//! `report latency` on SQLite, which has no percentile function: the counts per time bucket
//! in one grouped pass (added into weeks in Rust), then the latencies in one stream ordered by
//! latency, of which each week keeps only the values at the ranks its percentiles read
//! (docs/METRICS.md gives the formula, PostgreSQL's `percentile_cont`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Nullable};
use diesel::QueryableByName;

use super::*;

#[derive(QueryableByName)]
struct SqliteBucket {
    #[diesel(sql_type = Nullable<BigInt>)]
    bucket: Option<i64>,
    #[diesel(embed)]
    counts: Counts,
}

#[derive(QueryableByName)]
struct SqliteLatency {
    #[diesel(sql_type = BigInt)]
    bucket: i64,
    #[diesel(sql_type = BigInt)]
    l: i64,
}

/// The values one row's percentiles need: for each fraction, the ranks `lo` and `hi` and
/// the values found there.
pub(super) struct Picks {
    seen: i64,
    wanted: [(i64, i64, f64); 3],
    found: [(Option<i64>, Option<i64>); 3],
}

impl Picks {
    pub(super) fn new(n: i64) -> Self {
        let wanted = FRACTIONS.map(|f| if n > 0 { ranks(n, f) } else { (-1, -1, 0.0) });
        Picks { seen: 0, wanted, found: [(None, None); 3] }
    }

    /// The next value in ascending order.
    pub(super) fn push(&mut self, micros: i64) {
        let rank = self.seen;
        self.seen += 1;
        for ((lo, hi, _), (a, b)) in self.wanted.iter().zip(self.found.iter_mut()) {
            if rank == *lo {
                *a = Some(micros);
            }
            if rank == *hi {
                *b = Some(micros);
            }
        }
    }

    pub(super) fn percentiles(&self) -> [Option<f64>; 3] {
        let mut out = [None; 3];
        for (i, ((_, _, proportion), (a, b))) in self.wanted.iter().zip(self.found).enumerate() {
            out[i] = a.zip(b).map(|(a, b)| lerp(seconds(a), seconds(b), *proportion));
        }
        out
    }
}

/// SQLite's two statements: the counts per time bucket, and the latencies ordered by latency.
pub(crate) fn sqlite_statements(
    db: &Database,
    window: &Window,
    bounds: &[DateTime<Utc>],
    sla_seconds: i64,
) -> [Sql; 2] {
    let feedback = db.sql().ts("ef.feedback_timestamp");
    let created = crate::db::types::sqlite_timestamp_key("fe.created_at");
    let (bucket_select, bucket_key) = weekly::bucket_sql(Backend::Sqlite, &feedback, weekly::bucket_seconds(bounds));
    let latency = latency_us_sql(Backend::Sqlite, &feedback, &created);
    let inner = |sql: &mut Sql, tail: &str| {
        sql.push(" FROM (SELECT ")
            .push(&bucket_select)
            .push(" AS bucket, ")
            .push(&bucket_key)
            .push(" AS k, ")
            .push(&latency)
            .push(" AS l");
        push_from(sql, window);
        sql.push(tail).push(") x");
    };
    let mut counts = db.sql();
    counts.push("SELECT MIN(x.bucket) AS bucket, ");
    push_counts(&mut counts, sla_seconds);
    // `LIMIT -1` (no limit) keeps SQLite from flattening the subquery into the aggregate,
    // which computed each row's latency once per use of `x.l` (four): 1M rows, the whole
    // history's counts 8.7 s -> 3.2 s in sqlite3, the same rows.
    inner(&mut counts, " LIMIT -1");
    counts.push(" GROUP BY x.k");
    let mut latencies = db.sql();
    latencies.push("SELECT x.bucket AS bucket, x.l AS l");
    inner(&mut latencies, "");
    latencies.push(" WHERE x.l >= 0 AND x.bucket IS NOT NULL ORDER BY x.l");
    [counts, latencies]
}

/// SQLite: the counts per time bucket (added into weeks), then the latencies in one stream
/// ordered by latency, picked at the ranks each week's percentiles read.
pub(super) fn sqlite(db: &mut Database, window: &Window, span: Option<&Weeks>, sla_seconds: i64) -> Result<Latency> {
    let mut weeks = week_rows(span, window);
    let mut no_week = LatencyRow::empty(None);
    let bounds: &[DateTime<Utc>] = span.map_or(&[], |w| w.bounds.as_slice());
    let week_of = |bucket: i64| bounds.partition_point(|x| x.timestamp() <= bucket).checked_sub(1);
    let [sql, latencies] = sqlite_statements(db, window, bounds, sla_seconds);
    db.for_each("the latency report (counts)", &sql, |b: SqliteBucket| {
        let slot = b.bucket.and_then(week_of).and_then(|w| weeks.get_mut(w));
        b.counts.add_to(slot.unwrap_or(&mut no_week));
        Ok(())
    })?;

    let mut picks: Vec<Picks> = weeks.iter().map(|w| Picks::new(w.measured)).collect();
    let mut all = LatencyRow::empty(None);
    for w in weeks.iter().chain([&no_week]) {
        all.linked_faqs += w.linked_faqs;
        all.within_sla += w.within_sla;
        all.negative_latency += w.negative_latency;
        all.missing_timestamp += w.missing_timestamp;
        all.measured += w.measured;
    }
    let mut overall = Picks::new(all.measured);
    if all.measured > 0 {
        let sql = latencies;
        // Buckets repeat: find each one's week once.
        let mut cache: HashMap<i64, Option<usize>> = HashMap::new();
        db.for_each("the latency report (percentiles)", &sql, |r: SqliteLatency| {
            let w = *cache.entry(r.bucket).or_insert_with(|| week_of(r.bucket));
            if let Some(p) = w.and_then(|w| picks.get_mut(w)) {
                p.push(r.l);
            }
            overall.push(r.l);
            Ok(())
        })?;
    }
    for (w, p) in weeks.iter_mut().zip(&picks) {
        w.percentiles = p.percentiles();
    }
    all.percentiles = overall.percentiles();
    Ok(Latency { weeks: finish(weeks, no_week), overall: Some(all) })
}
