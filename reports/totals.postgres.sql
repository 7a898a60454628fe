-- faqlink reference SQL: report `totals` (PostgreSQL)
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
--   conversion_rate_pct   ROUND(faqs_generated * 100 / correct_feedback, 2) as text
--                         with two decimals; NULL when correct_feedback = 0
-- faq_entries is LEFT JOINed on its primary key, so no feedback row is counted twice.
--
-- Window on expert_feedback.feedback_timestamp: psql variables `since`
-- (inclusive) and `until` (exclusive), RFC 3339 timestamps; an empty value
-- means no bound. Without any bound every row counts, including rows whose
-- feedback_timestamp is NULL; with a bound those rows are out.
--
-- Run:
--   psql "$DATABASE_URL" -v since= -v until= -f reports/totals.postgres.sql
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
    WHERE (:'since' = '' OR ef.feedback_timestamp >= CAST(NULLIF(:'since', '') AS timestamptz))
      AND (:'until' = '' OR ef.feedback_timestamp <  CAST(NULLIF(:'until', '') AS timestamptz))
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
       CAST(ROUND(faqs_generated::numeric * 100 / NULLIF(correct_feedback, 0), 2) AS text)
           AS conversion_rate_pct
FROM counts;
