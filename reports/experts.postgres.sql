-- faqlink reference SQL: report `experts` (PostgreSQL)
--
-- One row per expert with at least one `correct` feedback in the window: the
-- design document's analytics query ("FAQ generation rate by expert",
-- migration 20251124_add_generated_faq_id) plus an expert_id column.
--   expert_id                          expert_profiles.id as lowercase text
--   professional_registration_number   may be NULL
--   total_feedback                     the expert's `correct` feedback rows
--   faqs_generated                     of those, rows whose generated_faq_id is not NULL
--   faq_rate_pct                       ROUND(faqs_generated * 100 / total_feedback, 2)
--                                      as text with two decimals ('12.50')
-- Order: faqs_generated DESC, faq_rate_pct DESC (the rounded numeric value, not
-- the text), professional_registration_number ASC in byte order with NULLs
-- last, expert_id ASC.
--
-- Window on expert_feedback.feedback_timestamp: psql variables `since`
-- (inclusive) and `until` (exclusive), RFC 3339 timestamps; an empty value
-- means no bound. Without any bound every row counts, including rows whose
-- feedback_timestamp is NULL; with a bound those rows are out (the comparison
-- is NULL). NULLIF keeps PostgreSQL from parsing '' as a timestamp.
--
-- Run:
--   psql "$DATABASE_URL" -v since= -v until= -f reports/experts.postgres.sql
--   psql "$DATABASE_URL" -v since=2026-11-16T00:00:00Z -v until=2026-11-23T00:00:00Z \
--        -f reports/experts.postgres.sql
WITH per_expert AS (
    SELECT ep.id::text AS expert_id,
           ep.professional_registration_number,
           COUNT(*) AS total_feedback,
           COUNT(ef.generated_faq_id) AS faqs_generated,
           ROUND(COUNT(ef.generated_faq_id)::numeric * 100 / NULLIF(COUNT(*), 0), 2) AS faq_rate
    FROM expert_feedback ef
    JOIN expert_profiles ep ON ef.expert_id = ep.id
    WHERE ef.feedback_type = 'correct'
      AND (:'since' = '' OR ef.feedback_timestamp >= CAST(NULLIF(:'since', '') AS timestamptz))
      AND (:'until' = '' OR ef.feedback_timestamp <  CAST(NULLIF(:'until', '') AS timestamptz))
    GROUP BY ep.id, ep.professional_registration_number
)
SELECT expert_id,
       professional_registration_number,
       total_feedback,
       faqs_generated,
       CAST(faq_rate AS text) AS faq_rate_pct
FROM per_expert
ORDER BY faqs_generated DESC,
         faq_rate DESC,
         professional_registration_number COLLATE "C" ASC NULLS LAST,
         expert_id COLLATE "C" ASC;
