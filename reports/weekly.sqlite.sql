-- faqlink reference SQL: report `weekly` (SQLite)
--
-- UTC WEEKS ONLY: SQLite has no time-zone database, so this file computes
-- weeks that start on Monday 00:00 UTC (faqlink's --tz UTC, the default). For
-- other zones use weekly.postgres.sql, or faqlink itself.
--
-- One row per ISO week, weeks without feedback included as zeros.
--   week_start           the date of the Monday, YYYY-MM-DD
--   iso_week             ISO 8601 week with the ISO year, e.g. 2026-W47
--                        (2027-01-01 belongs to 2026-W53): the ISO year and
--                        week are those of the week's Thursday
--   feedback_total       feedback rows of the week
--   correct_feedback     correct rows
--   faqs_generated       correct rows with generated_faq_id not NULL
--   conversion_rate_pct  ROUND(faqs_generated * 100 / correct_feedback, 2) as
--                        text with two decimals (integer arithmetic only);
--                        NULL when correct_feedback = 0
--   orphaned_links       correct rows with task_creation_success TRUE and
--                        generated_faq_id NULL
-- Only these 7 fixed columns: faqlink appends week-over-week change columns,
-- which this reference does not compute.
--
-- Range of weeks: from the week containing the lower bound (:since if given,
-- else the earliest non-NULL feedback_timestamp in the window) to the week
-- containing the upper bound (the instant just before :until if given, else
-- the latest non-NULL feedback_timestamp in the window). No feedback and no
-- window: no rows. Rows whose feedback_timestamp is NULL belong to no week and
-- never appear here, even without a window. Order: week_start.
-- Dates are taken from the first 10 characters of the canonical timestamp
-- text, never through SQLite's millisecond date arithmetic (which would round
-- 23:59:59.9996 up to the next day).
--
-- Window on expert_feedback.feedback_timestamp: parameters :since (inclusive)
-- and :until (exclusive), in the stored canonical text form
-- YYYY-MM-DDTHH:MM:SS.ffffffZ, compared as text; '' means no bound. A row is
-- counted when it is inside the window and the week.
--
-- Run:
--   sqlite3 faqlink.db
--   .param init
--   .param set :since "''"
--   .param set :until "''"
--   .read reports/weekly.sqlite.sql
WITH RECURSIVE windowed AS (
    SELECT ef.feedback_timestamp AS ts,
           ef.feedback_type,
           ef.generated_faq_id,
           ef.task_creation_success
    FROM expert_feedback ef
    WHERE ef.feedback_timestamp IS NOT NULL
      AND (:since = '' OR ef.feedback_timestamp >= :since)
      AND (:until = '' OR ef.feedback_timestamp <  :until)
),
bounds AS (
    -- date(d, '-6 days', 'weekday 1') is the Monday on or before date d.
    SELECT CASE WHEN :since <> ''
                THEN date(substr(:since, 1, 10), '-6 days', 'weekday 1')
                ELSE (SELECT date(substr(MIN(ts), 1, 10), '-6 days', 'weekday 1')
                      FROM windowed)
           END AS first_week,
           CASE WHEN :until <> ''
                -- the day of the instant just before :until
                THEN date(CASE WHEN substr(:until, 12) = '00:00:00.000000Z'
                               THEN date(substr(:until, 1, 10), '-1 day')
                               ELSE substr(:until, 1, 10)
                          END, '-6 days', 'weekday 1')
                ELSE (SELECT date(substr(MAX(ts), 1, 10), '-6 days', 'weekday 1')
                      FROM windowed)
           END AS last_week
),
weeks(week_start) AS (
    SELECT first_week FROM bounds
    WHERE first_week IS NOT NULL AND last_week IS NOT NULL AND first_week <= last_week
    UNION ALL
    SELECT date(weeks.week_start, '+7 days')
    FROM weeks, bounds
    WHERE date(weeks.week_start, '+7 days') <= bounds.last_week
),
per_week AS (
    SELECT date(substr(ts, 1, 10), '-6 days', 'weekday 1') AS week_start,
           COUNT(*) AS feedback_total,
           COUNT(*) FILTER (WHERE feedback_type = 'correct') AS correct_feedback,
           COUNT(*) FILTER (WHERE feedback_type = 'correct'
                              AND generated_faq_id IS NOT NULL) AS faqs_generated,
           COUNT(*) FILTER (WHERE feedback_type = 'correct'
                              AND task_creation_success IS TRUE
                              AND generated_faq_id IS NULL) AS orphaned_links
    FROM windowed
    GROUP BY 1
)
SELECT w.week_start AS week_start,
       printf('%s-W%02d',
              strftime('%Y', w.week_start, '+3 days'),
              (CAST(strftime('%j', w.week_start, '+3 days') AS INTEGER) - 1) / 7 + 1) AS iso_week,
       COALESCE(p.feedback_total, 0) AS feedback_total,
       COALESCE(p.correct_feedback, 0) AS correct_feedback,
       COALESCE(p.faqs_generated, 0) AS faqs_generated,
       CASE WHEN COALESCE(p.correct_feedback, 0) = 0 THEN NULL
            ELSE printf('%d.%02d',
                        ((p.faqs_generated * 10000 * 2 + p.correct_feedback) / (2 * p.correct_feedback)) / 100,
                        ((p.faqs_generated * 10000 * 2 + p.correct_feedback) / (2 * p.correct_feedback)) % 100)
       END AS conversion_rate_pct,
       COALESCE(p.orphaned_links, 0) AS orphaned_links
FROM weeks w
LEFT JOIN per_week p ON p.week_start = w.week_start
ORDER BY w.week_start;
