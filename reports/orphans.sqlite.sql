-- faqlink reference SQL: report `orphans` (SQLite)
--
-- One row per broken FAQ link among the feedback rows in the window:
--   kind = 'orphaned'  a `correct` row with task_creation_success TRUE and
--                      generated_faq_id NULL: the FAQ was published, then
--                      deleted, and ON DELETE SET NULL cleared the link
--                      (generated_faq_id is NULL in the output);
--   kind = 'dangling'  a row of any feedback_type whose generated_faq_id names
--                      no faq_entries row (on SQLite: a connection that did
--                      not run PRAGMA foreign_keys = ON deleted the FAQ).
-- Columns: feedback_id and expert_id as stored (lowercase UUID text);
-- professional_registration_number from a LEFT JOIN on expert_profiles (NULL
-- when the expert has none, or no profile row exists); feedback_timestamp as
-- stored (canonical UTC text YYYY-MM-DDTHH:MM:SS.ffffffZ; NULL stays NULL).
-- Order: feedback_timestamp ASC with NULLs last (text order = time order for
-- the canonical form), then feedback_id ASC (BINARY = byte order).
--
-- Window on expert_feedback.feedback_timestamp: parameters :since (inclusive)
-- and :until (exclusive), in the stored canonical text form, compared as text;
-- '' means no bound. Without any bound every row counts, including rows whose
-- feedback_timestamp is NULL; with a bound those rows are out.
--
-- Run:
--   sqlite3 faqlink.db
--   .param init
--   .param set :since "''"
--   .param set :until "''"
--   .read reports/orphans.sqlite.sql
SELECT ef.id AS feedback_id,
       ef.expert_id AS expert_id,
       ep.professional_registration_number,
       ef.feedback_timestamp AS feedback_timestamp,
       CASE WHEN ef.generated_faq_id IS NULL THEN 'orphaned' ELSE 'dangling' END AS kind,
       ef.generated_faq_id
FROM expert_feedback ef
LEFT JOIN expert_profiles ep ON ep.id = ef.expert_id
LEFT JOIN faq_entries fe ON fe.id = ef.generated_faq_id
WHERE (:since = '' OR ef.feedback_timestamp >= :since)
  AND (:until = '' OR ef.feedback_timestamp <  :until)
  AND (   (ef.feedback_type = 'correct'
           AND ef.task_creation_success IS TRUE
           AND ef.generated_faq_id IS NULL)
       OR (ef.generated_faq_id IS NOT NULL AND fe.id IS NULL))
ORDER BY ef.feedback_timestamp ASC NULLS LAST,
         ef.id ASC;
