-- faqlink reference SQL: report `latency` (PostgreSQL)
--
-- Time from a `correct` feedback to its FAQ: for correct feedback whose
-- generated_faq_id names an existing faq_entries row, the latency is
-- faq_entries.created_at - expert_feedback.feedback_timestamp, in seconds.
-- One row per ISO week of the feedback (Monday 00:00 in the time zone given by
-- the psql variable `tz`), weeks without linked FAQs included as zeros:
--   week               ISO 8601 week with the ISO year, e.g. 2026-W47
--   linked_faqs        correct rows of the week whose FAQ exists
--   p50_seconds        percentile_cont(0.5) of the latency in seconds (double
--   p90_seconds        precision), over the latencies >= 0 only; NULL when
--   p99_seconds        there are none
--   within_sla_pct     ROUND(latencies between 0 and :sla_seconds inclusive
--                      * 100 / latencies >= 0, 2), two decimals; NULL when
--                      there are none
--   negative_latency   latencies < 0 (the FAQ predates its feedback)
--   missing_timestamp  rows with a NULL feedback_timestamp or FAQ created_at
-- Rows whose feedback_timestamp is NULL (possible only without a window) have
-- no week: they form one last row whose week is NULL, when there are any.
--
-- Range of weeks: as reports/weekly.postgres.sql (from the week of `since`, else
-- of the earliest feedback_timestamp of any type in the window, to the week of
-- the instant before `until`, else of the latest one). Order: week.
--
-- Window on expert_feedback.feedback_timestamp: psql variables `since`
-- (inclusive) and `until` (exclusive), RFC 3339 timestamps; an empty value
-- means no bound. `sla_seconds`: the SLA in whole seconds (faqlink's default
-- --sla 48h is 172800).
--
-- Run:
--   psql "$DATABASE_URL" -v since= -v until= -v tz=UTC -v sla_seconds=172800 \
--        -f reports/latency.postgres.sql
WITH windowed AS (
    SELECT ef.feedback_timestamp AS ts
    FROM expert_feedback ef
    WHERE ef.feedback_timestamp IS NOT NULL
      AND (:'since' = '' OR ef.feedback_timestamp >= CAST(NULLIF(:'since', '') AS timestamptz))
      AND (:'until' = '' OR ef.feedback_timestamp <  CAST(NULLIF(:'until', '') AS timestamptz))
),
bounds AS (
    SELECT COALESCE(CAST(NULLIF(:'since', '') AS timestamptz),
                    (SELECT MIN(ts) FROM windowed)) AS lower_instant,
           COALESCE(CAST(NULLIF(:'until', '') AS timestamptz) - interval '1 microsecond',
                    (SELECT MAX(ts) FROM windowed)) AS upper_instant
),
weeks AS (
    SELECT CAST(monday AS date) AS week_start
    FROM bounds,
         generate_series(date_trunc('week', lower_instant AT TIME ZONE :'tz'),
                         date_trunc('week', upper_instant AT TIME ZONE :'tz'),
                         interval '1 week') AS monday
),
linked AS (
    SELECT CAST(date_trunc('week', ef.feedback_timestamp AT TIME ZONE :'tz') AS date) AS week_start,
           -- exact seconds (numeric); NULL when a timestamp is missing
           EXTRACT(EPOCH FROM fe.created_at) - EXTRACT(EPOCH FROM ef.feedback_timestamp) AS l
    FROM expert_feedback ef
    JOIN faq_entries fe ON fe.id = ef.generated_faq_id
    WHERE ef.feedback_type = 'correct'
      AND (:'since' = '' OR ef.feedback_timestamp >= CAST(NULLIF(:'since', '') AS timestamptz))
      AND (:'until' = '' OR ef.feedback_timestamp <  CAST(NULLIF(:'until', '') AS timestamptz))
),
per_week AS (
    SELECT week_start,
           COUNT(*) AS linked_faqs,
           COUNT(*) FILTER (WHERE l >= 0) AS measured,
           COUNT(*) FILTER (WHERE l >= 0 AND l <= :sla_seconds) AS within_sla,
           COUNT(*) FILTER (WHERE l < 0) AS negative_latency,
           COUNT(*) FILTER (WHERE l IS NULL) AS missing_timestamp,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY CAST(l AS double precision)) FILTER (WHERE l >= 0) AS p50,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY CAST(l AS double precision)) FILTER (WHERE l >= 0) AS p90,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY CAST(l AS double precision)) FILTER (WHERE l >= 0) AS p99
    FROM linked
    GROUP BY week_start
),
shown AS (
    SELECT w.week_start, COALESCE(p.linked_faqs, 0) AS linked_faqs, COALESCE(p.measured, 0) AS measured,
           COALESCE(p.within_sla, 0) AS within_sla, COALESCE(p.negative_latency, 0) AS negative_latency,
           COALESCE(p.missing_timestamp, 0) AS missing_timestamp, p.p50, p.p90, p.p99
    FROM weeks w LEFT JOIN per_week p ON p.week_start = w.week_start
    UNION ALL
    SELECT NULL, linked_faqs, measured, within_sla, negative_latency, missing_timestamp, p50, p90, p99
    FROM per_week WHERE week_start IS NULL
)
SELECT to_char(week_start, 'IYYY-"W"IW') AS week,
       linked_faqs,
       p50 AS p50_seconds,
       p90 AS p90_seconds,
       p99 AS p99_seconds,
       CAST(ROUND(within_sla::numeric * 100 / NULLIF(measured, 0), 2) AS text) AS within_sla_pct,
       negative_latency,
       missing_timestamp
FROM shown
ORDER BY week_start NULLS LAST;
