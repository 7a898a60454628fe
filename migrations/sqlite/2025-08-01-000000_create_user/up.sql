-- The pre-existing user table the production chain builds on (only the columns faqlink needs).
-- Timestamps are TEXT in one format everywhere: RFC 3339 UTC, six fractional digits, 'Z'.
CREATE TABLE "user" (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email VARCHAR(255) NOT NULL UNIQUE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
);
