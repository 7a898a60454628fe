-- faqlink reference SQL: report `experts` (SQLite)
--
-- One row per expert with at least one `correct` feedback in the window: the
-- design document's analytics query ("FAQ generation rate by expert",
-- migration 20251124_add_generated_faq_id) plus an expert_id column.
--   expert_id                          expert_profiles.id (lowercase UUID text)
--   professional_registration_number   may be NULL
--   total_feedback                     the expert's `correct` feedback rows
--   faqs_generated                     of those, rows whose generated_faq_id is not NULL
--   faq_rate_pct                       ROUND(faqs_generated * 100 / total_feedback, 2)
--                                      as text with two decimals ('12.50')
-- The percentage uses integer arithmetic only (no floating point), so it equals
-- PostgreSQL's numeric ROUND (halves away from zero):
--   basis points v = (part * 10000 * 2 + whole) / (2 * whole), text v/100 '.' v%100.
-- Order: faqs_generated DESC, faq_rate_pct DESC (the rounded value),
-- professional_registration_number ASC (BINARY = byte order) with NULLs last,
-- expert_id ASC.
--
-- Window on expert_feedback.feedback_timestamp: parameters :since (inclusive)
-- and :until (exclusive), in the stored canonical text form
-- YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC, six fractional digits), compared as text;
-- '' means no bound. Without any bound every row counts, including rows whose
-- feedback_timestamp is NULL; with a bound those rows are out.
--
-- Run:
--   sqlite3 faqlink.db
--   .param init
--   .param set :since "''"
--   .param set :until "''"
--   .read reports/experts.sqlite.sql
-- (a bound: .param set :since "'2026-11-16T00:00:00.000000Z'")
WITH per_expert AS (
    SELECT ep.id AS expert_id,
           ep.professional_registration_number,
           COUNT(*) AS total_feedback,
           COUNT(ef.generated_faq_id) AS faqs_generated,
           (COUNT(ef.generated_faq_id) * 10000 * 2 + COUNT(*)) / (2 * COUNT(*)) AS rate_bp
    FROM expert_feedback ef
    JOIN expert_profiles ep ON ef.expert_id = ep.id
    WHERE ef.feedback_type = 'correct'
      AND (:since = '' OR ef.feedback_timestamp >= :since)
      AND (:until = '' OR ef.feedback_timestamp <  :until)
    GROUP BY ep.id, ep.professional_registration_number
)
SELECT expert_id,
       professional_registration_number,
       total_feedback,
       faqs_generated,
       printf('%d.%02d', rate_bp / 100, rate_bp % 100) AS faq_rate_pct
FROM per_expert
ORDER BY faqs_generated DESC,
         rate_bp DESC,
         professional_registration_number ASC NULLS LAST,
         expert_id ASC;
