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
-- then the week-over-week changes (NULL for the first week, for a partial
-- week and for the week after a partial week):
--   feedback_total_change       feedback_total minus the previous week's
--   faqs_generated_change       faqs_generated minus the previous week's
--   conversion_rate_change_pts  conversion_rate_pct minus the previous week's
--                               (both rounded first), text with two decimals;
--                               NULL when either is NULL
-- and last:
--   complete             'true' when the week lies wholly inside the data's
--                        window and has ended by :now: its Monday 00:00 is at or
--                        after the lower bound (:since if given, else the earliest
--                        non-NULL feedback_timestamp in the window) and after the
--                        first feedback_timestamp of the table, its next
--                        Monday 00:00 at or before :until (if given) and at or
--                        before :now; else 'false' (a partial week)
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
-- counted when it is inside the window and the week. :now, in the same form,
-- is the instant weeks must have ended by; '' means the clock.
--
-- Run:
--   sqlite3 faqlink.db
--   .param init
--   .param set :since "''"
--   .param set :until "''"
--   .param set :now "''"
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
    SELECT CASE WHEN :since <> '' THEN :since ELSE (SELECT MIN(ts) FROM windowed) END AS lower_instant,
           -- where the data's window starts: the later of that and the very first feedback
           (SELECT MIN(feedback_timestamp) FROM expert_feedback) AS first_feedback,
           CASE WHEN :now <> '' THEN :now ELSE strftime('%Y-%m-%dT%H:%M:%S.000000Z', 'now') END AS now_instant,
           CASE WHEN :since <> ''
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
),
counted AS (
    SELECT w.week_start,
           COALESCE(p.feedback_total, 0) AS feedback_total,
           COALESCE(p.correct_feedback, 0) AS correct_feedback,
           COALESCE(p.faqs_generated, 0) AS faqs_generated,
           -- the rate in hundredths of a percent, rounded half up (counts are >= 0)
           CASE WHEN COALESCE(p.correct_feedback, 0) = 0 THEN NULL
                ELSE (p.faqs_generated * 10000 * 2 + p.correct_feedback) / (2 * p.correct_feedback)
           END AS rate,
           COALESCE(p.orphaned_links, 0) AS orphaned_links,
           (b.lower_instant <= w.week_start || 'T00:00:00.000000Z'
            AND COALESCE(b.first_feedback, '') <= w.week_start || 'T00:00:00.000000Z'
            AND (:until = '' OR date(w.week_start, '+7 days') || 'T00:00:00.000000Z' <= :until)
            AND date(w.week_start, '+7 days') || 'T00:00:00.000000Z' <= b.now_instant) AS complete
    FROM weeks w
    CROSS JOIN bounds b
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
),
changed AS (
    SELECT *, CASE WHEN comparable THEN rate - prev_rate END AS rate_change FROM compared
)
SELECT week_start,
       printf('%s-W%02d',
              strftime('%Y', week_start, '+3 days'),
              (CAST(strftime('%j', week_start, '+3 days') AS INTEGER) - 1) / 7 + 1) AS iso_week,
       feedback_total,
       correct_feedback,
       faqs_generated,
       CASE WHEN rate IS NULL THEN NULL ELSE printf('%d.%02d', rate / 100, rate % 100) END AS conversion_rate_pct,
       orphaned_links,
       CASE WHEN comparable THEN feedback_total - prev_total END AS feedback_total_change,
       CASE WHEN comparable THEN faqs_generated - prev_faqs END AS faqs_generated_change,
       CASE WHEN rate_change IS NULL THEN NULL
            ELSE printf('%s%d.%02d', CASE WHEN rate_change < 0 THEN '-' ELSE '' END,
                        abs(rate_change) / 100, abs(rate_change) % 100)
       END AS conversion_rate_change_pts,
       CASE WHEN complete THEN 'true' ELSE 'false' END AS complete
FROM changed
ORDER BY week_start;
