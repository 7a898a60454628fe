-- faqlink-only (not part of the production chain): the rows whose feedback_timestamp is not
-- the canonical text faqlink writes (YYYY-MM-DDTHH:MM:SS.ffffffZ, in 0001..9999, a real
-- date and time). Other tools write other forms (`2026-11-23 10:00:00`, `+05:30`); every
-- report run asks for these rows first, to read the timestamps as instants when there are
-- any (docs/METRICS.md). On a file written by faqlink the index is empty, and the question
-- is one lookup instead of a scan of every row. The WHERE clause is, word for word,
-- NOT db::types::sqlite_timestamp_canonical("feedback_timestamp") (a test holds them equal).
CREATE INDEX ix_faqlink_unusual_timestamps ON expert_feedback (id, feedback_timestamp)
    WHERE NOT (feedback_timestamp GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z'
          AND feedback_timestamp >= '0001-01-01' AND (substr(feedback_timestamp, 6, 2) BETWEEN '01' AND '12' AND substr(feedback_timestamp, 9, 2) >= '01'
          AND CAST(substr(feedback_timestamp, 9, 2) AS INTEGER) <= (CASE CAST(substr(feedback_timestamp, 6, 2) AS INTEGER)
                WHEN 2 THEN 28 + (CAST(substr(feedback_timestamp, 1, 4) AS INTEGER) % 4 = 0 AND (CAST(substr(feedback_timestamp, 1, 4) AS INTEGER) % 100 <> 0 OR CAST(substr(feedback_timestamp, 1, 4) AS INTEGER) % 400 = 0))
                WHEN 4 THEN 30 WHEN 6 THEN 30 WHEN 9 THEN 30 WHEN 11 THEN 30 ELSE 31 END)
          AND substr(feedback_timestamp, 12, 2) <= '23' AND substr(feedback_timestamp, 15, 2) <= '59' AND substr(feedback_timestamp, 18, 2) <= '59'));
