-- faqlink reference SQL: report `moved` (PostgreSQL)
--
-- The change in conversion (linked FAQs per `correct` feedback) from the period
-- before [before_since, since) to the period after [since, until), split into
-- per-expert contributions with the symmetric Kitagawa decomposition. For an
-- expert: a, f = correct rows and linked ones before; b, g = after; A, F, B, G
-- the same over every expert. Shares w0 = a/A, w1 = b/B; rates r0 = f/a,
-- r1 = g/b (a new expert's r0 is r1, a gone expert's r1 is r0); R0 = F/A,
-- R1 = G/B. Written over integers, each with one division at the end:
--   rate_i  = (a*g - b*f) * (a*B + b*A) / (2*a*b*A*B)          (0 unless a, b > 0)
--   mix_i   = (b*A - a*B) * (A*B*(f*b + g*a) - a*b*(F*B + G*A)) / (2*a*b*A^2*B^2)
--             new expert (a = 0):  b*A * (2*g*A*B - b*(F*B + G*A)) / (2*b*A^2*B^2)
--             gone (b = 0):       -a*B * (2*f*A*B - a*(F*B + G*A)) / (2*a*A^2*B^2)
--   total_i = (2*A*B*(g*A - f*B) - (b*A - a*B)*(F*B + G*A)) / (2*A^2*B^2)
--             (= w1*r1 - w0*r0 - (w1 - w0)*(R0 + R1)/2, an independent form)
-- Columns: expert_id, professional_registration_number, share_before_pct,
-- share_after_pct, rate_before_pct, rate_after_pct, mix_pp, rate_pp, total_pp
-- (points with two decimals, ROUND of the fraction * 100), one row per expert
-- with correct feedback in either period, sorted by |total| descending then
-- expert_id; then the total row (NULL expert): 100.00, 100.00, R0, R1, the sum
-- of the mix terms, the sum of the rate terms, R1 - R0. Contributions are NULL
-- when either period has no correct feedback.
--
-- Run (faqlink's default periods: the window and the one of the same length
-- before it):
--   psql "$DATABASE_URL" -v before_since=2026-11-09T00:00:00Z -v since=2026-11-16T00:00:00Z \
--        -v until=2026-11-23T00:00:00Z -f reports/moved.postgres.sql
WITH per AS (
    SELECT ef.expert_id,
           COUNT(*) FILTER (WHERE ef.feedback_timestamp < CAST(:'since' AS timestamptz)) AS a,
           COUNT(ef.generated_faq_id) FILTER (WHERE ef.feedback_timestamp < CAST(:'since' AS timestamptz)) AS f,
           COUNT(*) FILTER (WHERE ef.feedback_timestamp >= CAST(:'since' AS timestamptz)) AS b,
           COUNT(ef.generated_faq_id) FILTER (WHERE ef.feedback_timestamp >= CAST(:'since' AS timestamptz)) AS g
    FROM expert_feedback ef
    WHERE ef.feedback_type = 'correct'
      AND ef.feedback_timestamp >= CAST(:'before_since' AS timestamptz)
      AND ef.feedback_timestamp < CAST(:'until' AS timestamptz)
    GROUP BY ef.expert_id
),
tot AS (
    SELECT CAST(SUM(a) AS numeric) AS ta, CAST(SUM(f) AS numeric) AS tf,
           CAST(SUM(b) AS numeric) AS tb, CAST(SUM(g) AS numeric) AS tg FROM per
),
terms AS (
    SELECT p.expert_id, p.a, p.f, p.b, p.g, t.*,
           CASE WHEN t.ta = 0 OR t.tb = 0 THEN NULL
                WHEN p.a > 0 AND p.b > 0
                THEN CAST((p.a * p.g - p.b * p.f) * (p.a * t.tb + p.b * t.ta) AS numeric(80, 40))
                     / (2 * p.a * p.b * t.ta * t.tb)
                ELSE 0 END AS rate_term,
           CASE WHEN t.ta = 0 OR t.tb = 0 THEN NULL
                WHEN p.a > 0 AND p.b > 0
                THEN CAST((p.b * t.ta - p.a * t.tb)
                          * (t.ta * t.tb * (p.f * p.b + p.g * p.a) - p.a * p.b * (t.tf * t.tb + t.tg * t.ta)) AS numeric(80, 40))
                     / (2 * p.a * p.b * t.ta ^ 2 * t.tb ^ 2)
                WHEN p.a = 0
                THEN CAST(p.b * t.ta * (2 * p.g * t.ta * t.tb - p.b * (t.tf * t.tb + t.tg * t.ta)) AS numeric(80, 40))
                     / (2 * p.b * t.ta ^ 2 * t.tb ^ 2)
                ELSE CAST(-p.a * t.tb * (2 * p.f * t.ta * t.tb - p.a * (t.tf * t.tb + t.tg * t.ta)) AS numeric(80, 40))
                     / (2 * p.a * t.ta ^ 2 * t.tb ^ 2)
           END AS mix_term,
           CASE WHEN t.ta = 0 OR t.tb = 0 THEN NULL
                ELSE CAST(2 * t.ta * t.tb * (p.g * t.ta - p.f * t.tb)
                          - (p.b * t.ta - p.a * t.tb) * (t.tf * t.tb + t.tg * t.ta) AS numeric(80, 40))
                     / (2 * t.ta ^ 2 * t.tb ^ 2)
           END AS total_term
    FROM per p CROSS JOIN tot t
    WHERE p.a > 0 OR p.b > 0
),
shown AS (
    SELECT 0 AS last, CAST(x.expert_id AS text) AS expert_id, ep.professional_registration_number,
           ROUND(x.a * 100.0 / NULLIF(x.ta, 0), 2) AS share_before_pct,
           ROUND(x.b * 100.0 / NULLIF(x.tb, 0), 2) AS share_after_pct,
           ROUND(x.f * 100.0 / NULLIF(x.a, 0), 2) AS rate_before_pct,
           ROUND(x.g * 100.0 / NULLIF(x.b, 0), 2) AS rate_after_pct,
           ROUND(x.mix_term * 100, 2) AS mix_pp,
           ROUND(x.rate_term * 100, 2) AS rate_pp,
           ROUND(x.total_term * 100, 2) AS total_pp,
           abs(x.total_term) AS magnitude
    FROM terms x LEFT JOIN expert_profiles ep ON ep.id = x.expert_id
    UNION ALL
    SELECT 1, NULL, NULL,
           ROUND(t.ta * 100.0 / NULLIF(t.ta, 0), 2), ROUND(t.tb * 100.0 / NULLIF(t.tb, 0), 2),
           ROUND(t.tf * 100.0 / NULLIF(t.ta, 0), 2), ROUND(t.tg * 100.0 / NULLIF(t.tb, 0), 2),
           (SELECT ROUND(SUM(mix_term) * 100, 2) FROM terms),
           (SELECT ROUND(SUM(rate_term) * 100, 2) FROM terms),
           CASE WHEN t.ta > 0 AND t.tb > 0
                THEN ROUND(CAST(t.tg * t.ta - t.tf * t.tb AS numeric(80, 40)) * 100 / (t.ta * t.tb), 2) END,
           NULL
    FROM tot t
)
SELECT expert_id, professional_registration_number,
       CAST(share_before_pct AS text) AS share_before_pct, CAST(share_after_pct AS text) AS share_after_pct,
       CAST(rate_before_pct AS text) AS rate_before_pct, CAST(rate_after_pct AS text) AS rate_after_pct,
       CAST(mix_pp AS text) AS mix_pp, CAST(rate_pp AS text) AS rate_pp, CAST(total_pp AS text) AS total_pp
FROM shown
ORDER BY last, magnitude DESC, expert_id COLLATE "C";
