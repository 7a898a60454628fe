-- faqlink reference SQL: report `latency` (SQLite)
--
-- UTC WEEKS ONLY (SQLite has no time-zone database); see latency.postgres.sql
-- for the columns, the range of weeks and the row without a week.
--
-- SQLite has no percentile function: percentile_cont(p) over the n latencies
-- >= 0 of a week, sorted ascending, is computed as PostgreSQL does in double
-- precision: pos = p * (n - 1), lo = floor(pos), hi = ceil(pos) (0-based
-- ranks), value = v[lo] + (v[hi] - v[lo]) * (pos - lo). The latency in seconds
-- is the exact integer count of microseconds (from the canonical timestamp
-- text YYYY-MM-DDTHH:MM:SS.ffffffZ: whole seconds by unixepoch, then the six
-- fractional digits) divided by 1e6. Percentiles are printed with 17
-- significant digits, which give the double back exactly.
--
-- Window: parameters :since (inclusive) and :until (exclusive) in the stored
-- canonical text form; '' means no bound. :sla_seconds, whole seconds.
--
-- Run:
--   sqlite3 faqlink.db
--   .param init
--   .param set :since "''"
--   .param set :until "''"
--   .param set :sla_seconds 172800
--   .read reports/latency.sqlite.sql
WITH RECURSIVE windowed AS (
    SELECT ef.feedback_timestamp AS ts
    FROM expert_feedback ef
    WHERE ef.feedback_timestamp IS NOT NULL
      AND (:since = '' OR ef.feedback_timestamp >= :since)
      AND (:until = '' OR ef.feedback_timestamp <  :until)
),
bounds AS (
    SELECT CASE WHEN :since <> ''
                THEN date(substr(:since, 1, 10), '-6 days', 'weekday 1')
                ELSE (SELECT date(substr(MIN(ts), 1, 10), '-6 days', 'weekday 1') FROM windowed)
           END AS first_week,
           CASE WHEN :until <> ''
                THEN date(CASE WHEN substr(:until, 12) = '00:00:00.000000Z'
                               THEN date(substr(:until, 1, 10), '-1 day')
                               ELSE substr(:until, 1, 10)
                          END, '-6 days', 'weekday 1')
                ELSE (SELECT date(substr(MAX(ts), 1, 10), '-6 days', 'weekday 1') FROM windowed)
           END AS last_week
),
weeks(week_start) AS (
    SELECT first_week FROM bounds
    WHERE first_week IS NOT NULL AND last_week IS NOT NULL AND first_week <= last_week
    UNION ALL
    SELECT date(weeks.week_start, '+7 days') FROM weeks, bounds
    WHERE date(weeks.week_start, '+7 days') <= bounds.last_week
),
linked AS (
    SELECT CASE WHEN ef.feedback_timestamp IS NOT NULL
                THEN date(substr(ef.feedback_timestamp, 1, 10), '-6 days', 'weekday 1') END AS week_start,
           (unixepoch(substr(fe.created_at, 1, 19)) - unixepoch(substr(ef.feedback_timestamp, 1, 19))) * 1000000
             + (CAST(substr(fe.created_at, 21, 6) AS INTEGER) - CAST(substr(ef.feedback_timestamp, 21, 6) AS INTEGER)) AS us
    FROM expert_feedback ef
    JOIN faq_entries fe ON fe.id = ef.generated_faq_id
    WHERE ef.feedback_type = 'correct'
      AND (:since = '' OR ef.feedback_timestamp >= :since)
      AND (:until = '' OR ef.feedback_timestamp <  :until)
),
per_week AS (
    SELECT week_start,
           COUNT(*) AS linked_faqs,
           COUNT(*) FILTER (WHERE us >= 0) AS measured,
           COUNT(*) FILTER (WHERE us >= 0 AND us <= :sla_seconds * 1000000) AS within_sla,
           COUNT(*) FILTER (WHERE us < 0) AS negative_latency,
           COUNT(*) FILTER (WHERE us IS NULL) AS missing_timestamp
    FROM linked GROUP BY week_start
),
ranked AS (
    SELECT week_start, us / 1e6 AS s,
           ROW_NUMBER() OVER (PARTITION BY week_start ORDER BY us) - 1 AS r,
           COUNT(*) OVER (PARTITION BY week_start) AS n
    FROM linked WHERE us >= 0 AND week_start IS NOT NULL
),
fractions(p) AS (VALUES (0.5), (0.9), (0.99)),
positions AS (
    SELECT DISTINCT ranked.week_start, f.p, f.p * (ranked.n - 1) AS pos,
           CAST(f.p * (ranked.n - 1) AS INTEGER) AS lo,
           CASE WHEN f.p * (ranked.n - 1) > CAST(f.p * (ranked.n - 1) AS INTEGER)
                THEN CAST(f.p * (ranked.n - 1) AS INTEGER) + 1
                ELSE CAST(f.p * (ranked.n - 1) AS INTEGER) END AS hi
    FROM ranked, fractions f
),
pct AS (
    SELECT q.week_start, q.p,
           CASE WHEN q.pos = q.lo THEN a.s ELSE a.s + (b.s - a.s) * (q.pos - q.lo) END AS v
    FROM positions q
    JOIN ranked a ON a.week_start = q.week_start AND a.r = q.lo
    JOIN ranked b ON b.week_start = q.week_start AND b.r = q.hi
),
shown AS (
    SELECT w.week_start, 0 AS last, COALESCE(p.linked_faqs, 0) AS linked_faqs, COALESCE(p.measured, 0) AS measured,
           COALESCE(p.within_sla, 0) AS within_sla, COALESCE(p.negative_latency, 0) AS negative_latency,
           COALESCE(p.missing_timestamp, 0) AS missing_timestamp
    FROM weeks w LEFT JOIN per_week p ON p.week_start = w.week_start
    UNION ALL
    SELECT NULL, 1, linked_faqs, measured, within_sla, negative_latency, missing_timestamp
    FROM per_week WHERE week_start IS NULL
)
SELECT CASE WHEN s.week_start IS NULL THEN NULL ELSE
         printf('%s-W%02d', strftime('%Y', s.week_start, '+3 days'),
                (CAST(strftime('%j', s.week_start, '+3 days') AS INTEGER) - 1) / 7 + 1) END AS week,
       s.linked_faqs,
       (SELECT printf('%!.17g', v) FROM pct WHERE pct.week_start = s.week_start AND pct.p = 0.5) AS p50_seconds,
       (SELECT printf('%!.17g', v) FROM pct WHERE pct.week_start = s.week_start AND pct.p = 0.9) AS p90_seconds,
       (SELECT printf('%!.17g', v) FROM pct WHERE pct.week_start = s.week_start AND pct.p = 0.99) AS p99_seconds,
       CASE WHEN s.measured = 0 THEN NULL ELSE
         printf('%d.%02d', (s.within_sla * 10000 * 2 + s.measured) / (2 * s.measured) / 100,
                           (s.within_sla * 10000 * 2 + s.measured) / (2 * s.measured) % 100) END AS within_sla_pct,
       s.negative_latency,
       s.missing_timestamp
FROM shown s
ORDER BY s.last, s.week_start;
