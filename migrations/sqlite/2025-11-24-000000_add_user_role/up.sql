-- Production revision 20251124_add_user_role, SQLite dialect.
ALTER TABLE "user" ADD COLUMN role VARCHAR(20) NOT NULL DEFAULT 'user'
    CONSTRAINT ck_user_role CHECK (role IN ('user', 'super_user', 'admin'));
CREATE INDEX ix_user_role ON "user" (role);
