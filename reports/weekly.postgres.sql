-- faqlink reference SQL: report `weekly` (PostgreSQL)
--
-- One row per ISO week, weeks without feedback included as zeros. A week starts
-- on Monday 00:00 in the time zone given by the psql variable `tz` (an IANA
-- name such as UTC or Europe/Rome) and ends at the next Monday 00:00 there, so
-- a week across a daylight-saving change lasts 167 or 169 hours.
--   week_start           the local date of the Monday, YYYY-MM-DD
--   iso_week             ISO 8601 week with the ISO year, e.g. 2026-W47
--                        (2027-01-01 belongs to 2026-W53)
--   feedback_total       feedback rows of the week
--   correct_feedback     correct rows
--   faqs_generated       correct rows with generated_faq_id not NULL
--   conversion_rate_pct  ROUND(faqs_generated * 100 / correct_feedback, 2) as
--                        text with two decimals; NULL when correct_feedback = 0
--   orphaned_links       correct rows with task_creation_success TRUE and
--                        generated_faq_id NULL
-- then the week-over-week changes (NULL for the first week, for a partial
-- week and for the week after a partial week):
--   feedback_total_change       feedback_total minus the previous week's
--   faqs_generated_change       faqs_generated minus the previous week's
--   conversion_rate_change_pts  conversion_rate_pct minus the previous week's
--                               (both rounded first), text with two decimals;
--                               NULL when either is NULL
-- and last:
--   complete             'true' when the week lies wholly inside the data's
--                        window and has ended by `now`: its Monday 00:00 is at or
--                        after the lower bound (`since` if given, else the
--                        earliest non-NULL feedback_timestamp in the window) and
--                        after the first feedback_timestamp of the table, its
--                        next Monday 00:00 at or before `until` (if given) and at
--                        or before `now`; else 'false' (a partial week)
--
-- Range of weeks: from the week containing the lower bound (`since` if given,
-- else the earliest non-NULL feedback_timestamp in the window) to the week
-- containing the upper bound (the instant just before `until` if given, else
-- the latest non-NULL feedback_timestamp in the window). No feedback and no
-- window: no rows. Rows whose feedback_timestamp is NULL belong to no week and
-- never appear here, even without a window. Order: week_start.
--
-- Window on expert_feedback.feedback_timestamp: psql variables `since`
-- (inclusive) and `until` (exclusive), RFC 3339 timestamps; an empty value
-- means no bound. A row is counted when it is inside the window and the week.
-- `now` (RFC 3339) is the instant weeks must have ended by; empty means the
-- database's clock.
--
-- Run:
--   psql "$DATABASE_URL" -v since= -v until= -v tz=UTC -v now= -f reports/weekly.postgres.sql
--   psql "$DATABASE_URL" -v since=2026-10-19T00:00:00+02:00 -v until=2026-11-02T00:00:00+01:00 \
--        -v tz=Europe/Rome -v now=2026-11-25T10:00:00Z -f reports/weekly.postgres.sql
WITH windowed AS (
    SELECT ef.feedback_timestamp AS ts,
           ef.feedback_type,
           ef.generated_faq_id,
           ef.task_creation_success
    FROM expert_feedback ef
    WHERE ef.feedback_timestamp IS NOT NULL
      AND (:'since' = '' OR ef.feedback_timestamp >= CAST(NULLIF(:'since', '') AS timestamptz))
      AND (:'until' = '' OR ef.feedback_timestamp <  CAST(NULLIF(:'until', '') AS timestamptz))
),
bounds AS (
    SELECT COALESCE(CAST(NULLIF(:'since', '') AS timestamptz),
                    (SELECT MIN(ts) FROM windowed)) AS lower_instant,
           -- where the data's window starts: the later of that and the very first
           -- feedback (GREATEST ignores a NULL)
           GREATEST(COALESCE(CAST(NULLIF(:'since', '') AS timestamptz), (SELECT MIN(ts) FROM windowed)),
                    (SELECT MIN(feedback_timestamp) FROM expert_feedback)) AS data_lower,
           COALESCE(CAST(NULLIF(:'until', '') AS timestamptz) - interval '1 microsecond',
                    (SELECT MAX(ts) FROM windowed)) AS upper_instant
),
weeks AS (
    -- Local wall-clock Mondays: stepping a timestamp WITHOUT time zone by one
    -- week never lands beside midnight on a daylight-saving change.
    SELECT CAST(monday AS date) AS week_start,
           monday AT TIME ZONE :'tz' AS starts_at,
           (monday + interval '1 week') AT TIME ZONE :'tz' AS ends_at,
           data_lower
    FROM bounds,
         generate_series(date_trunc('week', lower_instant AT TIME ZONE :'tz'),
                         date_trunc('week', upper_instant AT TIME ZONE :'tz'),
                         interval '1 week') AS monday
),
per_week AS (
    SELECT CAST(date_trunc('week', ts AT TIME ZONE :'tz') AS date) AS week_start,
           COUNT(*) AS feedback_total,
           COUNT(*) FILTER (WHERE feedback_type = 'correct') AS correct_feedback,
           COUNT(*) FILTER (WHERE feedback_type = 'correct'
                              AND generated_faq_id IS NOT NULL) AS faqs_generated,
           COUNT(*) FILTER (WHERE feedback_type = 'correct'
                              AND task_creation_success IS TRUE
                              AND generated_faq_id IS NULL) AS orphaned_links
    FROM windowed
    GROUP BY 1
),
counted AS (
    SELECT w.week_start,
           COALESCE(p.feedback_total, 0) AS feedback_total,
           COALESCE(p.correct_feedback, 0) AS correct_feedback,
           COALESCE(p.faqs_generated, 0) AS faqs_generated,
           ROUND(p.faqs_generated::numeric * 100 / NULLIF(p.correct_feedback, 0), 2) AS rate,
           COALESCE(p.orphaned_links, 0) AS orphaned_links,
           (w.data_lower <= w.starts_at
            AND (:'until' = '' OR w.ends_at <= CAST(NULLIF(:'until', '') AS timestamptz))
            AND w.ends_at <= COALESCE(CAST(NULLIF(:'now', '') AS timestamptz), now())) AS complete
    FROM weeks w
    LEFT JOIN per_week p ON p.week_start = w.week_start
),
compared AS (
    -- A change is shown only between two complete weeks.
    SELECT c.*,
           (c.complete AND LAG(c.complete) OVER o) AS comparable,
           LAG(c.feedback_total) OVER o AS prev_total,
           LAG(c.faqs_generated) OVER o AS prev_faqs,
           LAG(c.rate) OVER o AS prev_rate
    FROM counted c
    WINDOW o AS (ORDER BY c.week_start)
)
SELECT to_char(week_start, 'YYYY-MM-DD') AS week_start,
       to_char(week_start, 'IYYY-"W"IW') AS iso_week,
       feedback_total,
       correct_feedback,
       faqs_generated,
       CAST(rate AS text) AS conversion_rate_pct,
       orphaned_links,
       CASE WHEN comparable THEN feedback_total - prev_total END AS feedback_total_change,
       CASE WHEN comparable THEN faqs_generated - prev_faqs END AS faqs_generated_change,
       CASE WHEN comparable THEN CAST(rate - prev_rate AS text) END AS conversion_rate_change_pts,
       CASE WHEN complete THEN 'true' ELSE 'false' END AS complete
FROM compared
ORDER BY week_start;
