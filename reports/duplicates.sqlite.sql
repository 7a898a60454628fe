-- faqlink reference SQL: report `duplicates` (SQLite)
--
-- Queries that produced more than one FAQ: one row per query_id whose
-- `correct` feedback rows in the window carry more than one DISTINCT non-NULL
-- generated_faq_id (whether or not the FAQ row still exists).
--   query_id         as stored (lowercase UUID text)
--   faqs_generated   the number of distinct generated_faq_id values
--   feedback_ids     the ids of that query's correct in-window feedback rows
--                    whose generated_faq_id is not NULL, sorted (byte order)
--                    and joined by ';'
--   faq_ids          the distinct generated_faq_id values, sorted (byte
--                    order) and joined by ';'
-- Order: query_id ASC (BINARY = byte order).
--
-- Ordering inside the lists: SQLite 3.40 has no ORDER BY inside group_concat
-- (3.44 added it), so each list is group_concat over an ordered subquery, with
-- no GROUP BY re-sorting the rows. SQLite honours that order in practice: it
-- keeps a FROM-subquery's ORDER BY when the outer query calls an aggregate
-- other than count/min/max (see the comment on that rule in SQLite's
-- select.c), but the SQL standard does not promise it. group_concat(DISTINCT x)
-- cannot take a separator, hence the SELECT DISTINCT subquery for faq_ids.
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
--   .read reports/duplicates.sqlite.sql
WITH linked AS (
    SELECT ef.query_id AS query_id,
           ef.id AS feedback_id,
           ef.generated_faq_id AS faq_id
    FROM expert_feedback ef
    WHERE ef.feedback_type = 'correct'
      AND ef.generated_faq_id IS NOT NULL
      AND (:since = '' OR ef.feedback_timestamp >= :since)
      AND (:until = '' OR ef.feedback_timestamp <  :until)
),
dup AS (
    SELECT query_id, COUNT(DISTINCT faq_id) AS faqs_generated
    FROM linked
    GROUP BY query_id
    HAVING COUNT(DISTINCT faq_id) > 1
)
SELECT d.query_id,
       d.faqs_generated,
       (SELECT group_concat(s.feedback_id, ';')
          FROM (SELECT l.feedback_id FROM linked l
                WHERE l.query_id = d.query_id
                ORDER BY l.feedback_id) s) AS feedback_ids,
       (SELECT group_concat(s.faq_id, ';')
          FROM (SELECT DISTINCT l.faq_id FROM linked l
                WHERE l.query_id = d.query_id
                ORDER BY l.faq_id) s) AS faq_ids
FROM dup d
ORDER BY d.query_id ASC;
