-- faqlink reference SQL: report `duplicates` (PostgreSQL)
--
-- Queries that produced more than one FAQ: one row per query_id whose
-- `correct` feedback rows in the window carry more than one DISTINCT non-NULL
-- generated_faq_id (whether or not the FAQ row still exists).
--   query_id         lowercase text
--   faqs_generated   the number of distinct generated_faq_id values
--   feedback_ids     the ids of that query's correct in-window feedback rows
--                    whose generated_faq_id is not NULL, sorted (byte order)
--                    and joined by ';'
--   faq_ids          the distinct generated_faq_id values, sorted (byte
--                    order) and joined by ';'
-- Order: query_id ASC (byte order).
-- COLLATE "C" on the text columns gives byte order in every locale.
--
-- Window on expert_feedback.feedback_timestamp: psql variables `since`
-- (inclusive) and `until` (exclusive), RFC 3339 timestamps; an empty value
-- means no bound. Without any bound every row counts, including rows whose
-- feedback_timestamp is NULL; with a bound those rows are out.
--
-- Run:
--   psql "$DATABASE_URL" -v since= -v until= -f reports/duplicates.postgres.sql
WITH linked AS (
    SELECT ef.query_id::text COLLATE "C" AS query_id,
           ef.id::text COLLATE "C" AS feedback_id,
           ef.generated_faq_id::text COLLATE "C" AS faq_id
    FROM expert_feedback ef
    WHERE ef.feedback_type = 'correct'
      AND ef.generated_faq_id IS NOT NULL
      AND (:'since' = '' OR ef.feedback_timestamp >= CAST(NULLIF(:'since', '') AS timestamptz))
      AND (:'until' = '' OR ef.feedback_timestamp <  CAST(NULLIF(:'until', '') AS timestamptz))
)
SELECT query_id,
       COUNT(DISTINCT faq_id) AS faqs_generated,
       string_agg(feedback_id, ';' ORDER BY feedback_id) AS feedback_ids,
       string_agg(DISTINCT faq_id, ';' ORDER BY faq_id) AS faq_ids
FROM linked
GROUP BY query_id
HAVING COUNT(DISTINCT faq_id) > 1
ORDER BY query_id ASC;
