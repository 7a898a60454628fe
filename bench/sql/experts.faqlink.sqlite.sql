-- faqlink's OWN query for `report experts` on SQLite, full history (not the reference): the
-- SQL text built in src/reports/experts.rs, inside one read transaction as faqlink runs it.
-- faqlink sorts the ~200 rows itself, so there is no ORDER BY. Used by bench/reports.sh.
BEGIN DEFERRED;
SELECT CAST(ep.id AS TEXT) AS expert_id,
       ep.professional_registration_number AS professional_registration_number,
       s.total_feedback AS total_feedback, s.faqs_generated AS faqs_generated
FROM (SELECT ef.expert_id AS expert_id, COUNT(*) AS total_feedback,
             COUNT(ef.generated_faq_id) AS faqs_generated
      FROM expert_feedback ef WHERE ef.feedback_type = 'correct'
      GROUP BY ef.expert_id) s
JOIN expert_profiles ep ON ep.id = s.expert_id;
ROLLBACK;
