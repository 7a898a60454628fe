-- faqlink reference SQL: report `moved` (SQLite)
--
-- The formulas and columns of reports/moved.postgres.sql, in 64-bit integer
-- arithmetic: each term is an integer fraction num/den (den > 0) rounded once
-- to hundredths, halves away from zero. Exact while the products fit in 64
-- bits (up to about 100 correct rows per period; beyond that SQLite turns an
-- overflowing product into a float). The total row's mix_pp and rate_pp need a
-- common denominator of every expert's counts, out of reach of 64-bit
-- integers: they are NULL here (the PostgreSQL reference computes them).
--
-- Parameters in the stored form YYYY-MM-DDTHH:MM:SS.ffffffZ:
--   .param set :before_since '2026-11-09T00:00:00.000000Z'
--   .param set :since '2026-11-16T00:00:00.000000Z'
--   .param set :until '2026-11-23T00:00:00.000000Z'
--   .read reports/moved.sqlite.sql
WITH per AS (
    SELECT ef.expert_id,
           COUNT(*) FILTER (WHERE ef.feedback_timestamp < :since) AS a,
           COUNT(ef.generated_faq_id) FILTER (WHERE ef.feedback_timestamp < :since) AS f,
           COUNT(*) FILTER (WHERE ef.feedback_timestamp >= :since) AS b,
           COUNT(ef.generated_faq_id) FILTER (WHERE ef.feedback_timestamp >= :since) AS g
    FROM expert_feedback ef
    WHERE ef.feedback_type = 'correct'
      AND ef.feedback_timestamp >= :before_since AND ef.feedback_timestamp < :until
    GROUP BY ef.expert_id
),
tot AS (SELECT SUM(a) AS ta, SUM(f) AS tf, SUM(b) AS tb, SUM(g) AS tg FROM per),
fractions AS (
    SELECT p.expert_id, p.a, p.f, p.b, p.g, t.ta, t.tf, t.tb, t.tg,
           CASE WHEN p.a > 0 AND p.b > 0 THEN (p.a * p.g - p.b * p.f) * (p.a * t.tb + p.b * t.ta) ELSE 0 END AS rate_num,
           CASE WHEN p.a > 0 AND p.b > 0 THEN 2 * p.a * p.b * t.ta * t.tb ELSE 1 END AS rate_den,
           CASE WHEN p.a > 0 AND p.b > 0
                THEN (p.b * t.ta - p.a * t.tb) * (t.ta * t.tb * (p.f * p.b + p.g * p.a) - p.a * p.b * (t.tf * t.tb + t.tg * t.ta))
                WHEN p.a = 0 THEN p.b * t.ta * (2 * p.g * t.ta * t.tb - p.b * (t.tf * t.tb + t.tg * t.ta))
                ELSE -p.a * t.tb * (2 * p.f * t.ta * t.tb - p.a * (t.tf * t.tb + t.tg * t.ta)) END AS mix_num,
           CASE WHEN p.a > 0 AND p.b > 0 THEN 2 * p.a * p.b * t.ta * t.ta * t.tb * t.tb
                WHEN p.a = 0 THEN 2 * p.b * t.ta * t.ta * t.tb * t.tb
                ELSE 2 * p.a * t.ta * t.ta * t.tb * t.tb END AS mix_den,
           2 * t.ta * t.tb * (p.g * t.ta - p.f * t.tb) - (p.b * t.ta - p.a * t.tb) * (t.tf * t.tb + t.tg * t.ta) AS total_num,
           2 * t.ta * t.ta * t.tb * t.tb AS total_den
    FROM per p CROSS JOIN tot t
    WHERE (p.a > 0 OR p.b > 0)
),
-- hundredths of a point: num * 10000 / den, halves away from zero
hundredths AS (
    SELECT expert_id, a, f, b, g, ta, tf, tb, tg, total_num, total_den,
           CASE WHEN ta = 0 OR tb = 0 THEN NULL WHEN mix_num >= 0 THEN (20000 * mix_num + mix_den) / (2 * mix_den)
                ELSE -((-20000 * mix_num + mix_den) / (2 * mix_den)) END AS mix_h,
           CASE WHEN ta = 0 OR tb = 0 THEN NULL WHEN rate_num >= 0 THEN (20000 * rate_num + rate_den) / (2 * rate_den)
                ELSE -((-20000 * rate_num + rate_den) / (2 * rate_den)) END AS rate_h,
           CASE WHEN ta = 0 OR tb = 0 THEN NULL WHEN total_num >= 0 THEN (20000 * total_num + total_den) / (2 * total_den)
                ELSE -((-20000 * total_num + total_den) / (2 * total_den)) END AS total_h
    FROM fractions
),
shown AS (
    SELECT 0 AS last, x.expert_id, ep.professional_registration_number,
           x.a, x.ta, x.b, x.tb, x.f, x.g, x.mix_h, x.rate_h, x.total_h,
           -- every total_num shares the denominator 2*A^2*B^2: |total| orders as |total_num|
           abs(x.total_num) AS magnitude
    FROM hundredths x LEFT JOIN expert_profiles ep ON ep.id = x.expert_id
    UNION ALL
    SELECT 1, NULL, NULL, t.ta, t.ta, t.tb, t.tb, t.tf, t.tg, NULL, NULL,
           CASE WHEN t.ta > 0 AND t.tb > 0 THEN
             CASE WHEN t.tg * t.ta - t.tf * t.tb >= 0
                  THEN (20000 * (t.tg * t.ta - t.tf * t.tb) + t.ta * t.tb) / (2 * t.ta * t.tb)
                  ELSE -((-20000 * (t.tg * t.ta - t.tf * t.tb) + t.ta * t.tb) / (2 * t.ta * t.tb)) END END,
           NULL
    FROM tot t
)
SELECT expert_id, professional_registration_number,
       CASE WHEN ta > 0 THEN printf('%d.%02d', (a * 20000 + ta) / (2 * ta) / 100, (a * 20000 + ta) / (2 * ta) % 100) END AS share_before_pct,
       CASE WHEN tb > 0 THEN printf('%d.%02d', (b * 20000 + tb) / (2 * tb) / 100, (b * 20000 + tb) / (2 * tb) % 100) END AS share_after_pct,
       CASE WHEN a > 0 THEN printf('%d.%02d', (f * 20000 + a) / (2 * a) / 100, (f * 20000 + a) / (2 * a) % 100) END AS rate_before_pct,
       CASE WHEN b > 0 THEN printf('%d.%02d', (g * 20000 + b) / (2 * b) / 100, (g * 20000 + b) / (2 * b) % 100) END AS rate_after_pct,
       CASE WHEN mix_h IS NOT NULL THEN printf('%s%d.%02d', CASE WHEN mix_h < 0 THEN '-' ELSE '' END, abs(mix_h) / 100, abs(mix_h) % 100) END AS mix_pp,
       CASE WHEN rate_h IS NOT NULL THEN printf('%s%d.%02d', CASE WHEN rate_h < 0 THEN '-' ELSE '' END, abs(rate_h) / 100, abs(rate_h) % 100) END AS rate_pp,
       CASE WHEN total_h IS NOT NULL THEN printf('%s%d.%02d', CASE WHEN total_h < 0 THEN '-' ELSE '' END, abs(total_h) / 100, abs(total_h) % 100) END AS total_pp
FROM shown
ORDER BY last, magnitude DESC, expert_id;
