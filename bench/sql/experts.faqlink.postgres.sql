-- faqlink's OWN query for `report experts` on PostgreSQL, as faqlink runs it (not the
-- reference): the SQL text built in src/reports/experts.rs, after the session settings of
-- src/db/mod.rs (Database::report_session) (jit = off, work_mem = 64MB,
-- parallel_leader_participation = off), inside the read-only snapshot of src/db/mod.rs.
-- faqlink sorts the ~200 rows itself, so there is no ORDER BY.
-- psql variable `window`: empty (full history) or the conditions faqlink appends
-- (src/reports/mod.rs push_window), e.g.
--   -v "window=AND ef.feedback_timestamp >= '2026-11-16T00:00:00Z' AND ef.feedback_timestamp < '2026-11-23T00:00:00Z'"
-- faqlink binds the bounds as timestamptz parameters; psql inlines them as literals.
-- Used by bench/reports.sh to measure what faqlink adds to the database's own time.
SET jit = off;
SET work_mem = '64MB';
SET parallel_leader_participation = off;
BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
SELECT CAST(ep.id AS TEXT) AS expert_id,
       ep.professional_registration_number AS professional_registration_number,
       s.total_feedback AS total_feedback, s.faqs_generated AS faqs_generated
FROM (SELECT ef.expert_id AS expert_id, COUNT(*) AS total_feedback,
             COUNT(ef.generated_faq_id) AS faqs_generated
      FROM expert_feedback ef WHERE ef.feedback_type = 'correct' :window
      GROUP BY ef.expert_id) s
JOIN expert_profiles ep ON ep.id = s.expert_id;
ROLLBACK;
