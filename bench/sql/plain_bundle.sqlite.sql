-- The plain-client anchors of the `report all` bundle (issue: one pass per window): what a
-- user would run in sqlite3 instead of faqlink. bench/bundle.sh runs them.
-- a, b, c are the three queries the bundle is measured against, one session; f, g, h the
-- same three over one week, the fair anchor of `report all --last-week` (experts, totals with
-- the dangling check, orphans; ../shared/anchors), one session: bench/bundle.sh gives them the
-- same seven days (`:since`/`:until`) as faqlink's last week. floor: one plain scan of
-- expert_feedback's heap, what any report over the whole history pays at least.




-- a_expert_report
SELECT ep.professional_registration_number, COUNT(*) AS total_feedback, COUNT(ef.generated_faq_id) AS faqs_generated, ROUND(100.0 * COUNT(ef.generated_faq_id) / COUNT(*), 2) AS faq_rate_pct FROM expert_feedback ef JOIN expert_profiles ep ON ef.expert_id = ep.id WHERE ef.feedback_type = 'correct' GROUP BY ep.id, ep.professional_registration_number ORDER BY faqs_generated DESC;

-- b_funnel
SELECT COUNT(*) AS total_feedback, COUNT(*) FILTER (WHERE ef.feedback_type = 'correct') AS correct, COUNT(*) FILTER (WHERE ef.feedback_type = 'incomplete') AS incomplete, COUNT(*) FILTER (WHERE ef.feedback_type = 'incorrect') AS incorrect, COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_attempted = 1) AS correct_attempted, COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_success = 1) AS correct_success, COUNT(ef.generated_faq_id) AS linked, COUNT(*) FILTER (WHERE ef.task_creation_success = 1 AND ef.generated_faq_id IS NULL) AS orphaned, COUNT(*) FILTER (WHERE ef.generated_faq_id IS NOT NULL AND fe.id IS NULL) AS dangling FROM expert_feedback ef LEFT JOIN faq_entries fe ON fe.id = ef.generated_faq_id;

-- c_orphans
SELECT ef.id, ef.expert_id, ef.feedback_timestamp FROM expert_feedback ef WHERE ef.feedback_type = 'correct' AND ef.task_creation_success = 1 AND ef.generated_faq_id IS NULL ORDER BY ef.feedback_timestamp, ef.id;

-- f_expert_report_7d
SELECT ep.professional_registration_number, COUNT(*) AS total_feedback, COUNT(ef.generated_faq_id) AS faqs_generated, ROUND(100.0 * COUNT(ef.generated_faq_id) / COUNT(*), 2) AS faq_rate_pct FROM expert_feedback ef JOIN expert_profiles ep ON ef.expert_id = ep.id WHERE ef.feedback_type = 'correct' AND ef.feedback_timestamp >= :since AND ef.feedback_timestamp < :until GROUP BY ep.id, ep.professional_registration_number ORDER BY faqs_generated DESC;

-- g_funnel_7d
SELECT COUNT(*) AS total_feedback, COUNT(*) FILTER (WHERE ef.feedback_type = 'correct') AS correct, COUNT(*) FILTER (WHERE ef.feedback_type = 'incomplete') AS incomplete, COUNT(*) FILTER (WHERE ef.feedback_type = 'incorrect') AS incorrect, COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_attempted = 1) AS correct_attempted, COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_success = 1) AS correct_success, COUNT(ef.generated_faq_id) AS linked, COUNT(*) FILTER (WHERE ef.task_creation_success = 1 AND ef.generated_faq_id IS NULL) AS orphaned, COUNT(*) FILTER (WHERE ef.generated_faq_id IS NOT NULL AND fe.id IS NULL) AS dangling FROM expert_feedback ef LEFT JOIN faq_entries fe ON fe.id = ef.generated_faq_id WHERE ef.feedback_timestamp >= :since AND ef.feedback_timestamp < :until;

-- h_orphans_7d
SELECT ef.id, ef.expert_id, ef.feedback_timestamp FROM expert_feedback ef WHERE ef.feedback_type = 'correct' AND ef.task_creation_success = 1 AND ef.generated_faq_id IS NULL AND ef.feedback_timestamp >= :since AND ef.feedback_timestamp < :until ORDER BY ef.feedback_timestamp, ef.id;

-- floor
SELECT count(*) FROM expert_feedback WHERE time_spent_seconds > -1;
