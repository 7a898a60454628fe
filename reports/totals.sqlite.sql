-- faqlink reference SQL: report `totals` (SQLite)
--
-- Exactly one row, even when no feedback falls in the window (then every count
-- is 0 and conversion_rate_pct is NULL). `correct` below means
-- feedback_type = 'correct'.
--   feedback_total        all feedback rows in the window
--   correct_feedback      correct rows
--   incomplete_feedback   incomplete rows
--   incorrect_feedback    incorrect rows
--   workflow_attempted    correct rows with task_creation_attempted TRUE
--   faq_published         correct rows with task_creation_success TRUE
--   faqs_generated        correct rows with generated_faq_id not NULL
--   faqs_live             of those, the ones whose faq_entries row exists
--   orphaned_links        correct rows with task_creation_success TRUE and
--                         generated_faq_id NULL (FAQ deleted, SET NULL cleared the link)
--   dangling_links        rows of ANY type whose generated_faq_id names no faq_entries row
--                         (possible on SQLite when foreign keys were not enforced)
--   conversion_rate_pct   ROUND(faqs_generated * 100 / correct_feedback, 2) as text
--                         with two decimals; NULL when correct_feedback = 0
-- The percentage uses integer arithmetic only (no floating point), so it equals
-- PostgreSQL's numeric ROUND (halves away from zero):
--   basis points v = (part * 10000 * 2 + whole) / (2 * whole), text v/100 '.' v%100.
-- faq_entries is LEFT JOINed on its primary key, so no feedback row is counted twice.
--
-- Window on expert_feedback.feedback_timestamp: parameters :since (inclusive)
-- and :until (exclusive), in the stored canonical text form
-- YYYY-MM-DDTHH:MM:SS.ffffffZ, compared as text; '' means no bound. Without
-- any bound every row counts, including rows whose feedback_timestamp is NULL;
-- with a bound those rows are out.
--
-- Run:
--   sqlite3 faqlink.db
--   .param init
--   .param set :since "''"
--   .param set :until "''"
--   .read reports/totals.sqlite.sql
WITH counts AS (
    SELECT COUNT(*) AS feedback_total,
           COUNT(*) FILTER (WHERE ef.feedback_type = 'correct') AS correct_feedback,
           COUNT(*) FILTER (WHERE ef.feedback_type = 'incomplete') AS incomplete_feedback,
           COUNT(*) FILTER (WHERE ef.feedback_type = 'incorrect') AS incorrect_feedback,
           COUNT(*) FILTER (WHERE ef.feedback_type = 'correct'
                              AND ef.task_creation_attempted IS TRUE) AS workflow_attempted,
           COUNT(*) FILTER (WHERE ef.feedback_type = 'correct'
                              AND ef.task_creation_success IS TRUE) AS faq_published,
           COUNT(*) FILTER (WHERE ef.feedback_type = 'correct'
                              AND ef.generated_faq_id IS NOT NULL) AS faqs_generated,
           COUNT(*) FILTER (WHERE ef.feedback_type = 'correct'
                              AND ef.generated_faq_id IS NOT NULL
                              AND fe.id IS NOT NULL) AS faqs_live,
           COUNT(*) FILTER (WHERE ef.feedback_type = 'correct'
                              AND ef.task_creation_success IS TRUE
                              AND ef.generated_faq_id IS NULL) AS orphaned_links,
           COUNT(*) FILTER (WHERE ef.generated_faq_id IS NOT NULL
                              AND fe.id IS NULL) AS dangling_links
    FROM expert_feedback ef
    LEFT JOIN faq_entries fe ON fe.id = ef.generated_faq_id
    WHERE (:since = '' OR ef.feedback_timestamp >= :since)
      AND (:until = '' OR ef.feedback_timestamp <  :until)
)
SELECT feedback_total,
       correct_feedback,
       incomplete_feedback,
       incorrect_feedback,
       workflow_attempted,
       faq_published,
       faqs_generated,
       faqs_live,
       orphaned_links,
       dangling_links,
       CASE WHEN correct_feedback = 0 THEN NULL
            ELSE printf('%d.%02d',
                        ((faqs_generated * 10000 * 2 + correct_feedback) / (2 * correct_feedback)) / 100,
                        ((faqs_generated * 10000 * 2 + correct_feedback) / (2 * correct_feedback)) % 100)
       END AS conversion_rate_pct
FROM counts;
