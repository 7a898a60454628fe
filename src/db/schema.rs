//! The Diesel schema of the two tables `seed` writes with Diesel's query builder (binary
//! `COPY` on PostgreSQL), kept by hand (see `diesel.toml`); reports use plain SQL.
//!
//! Only the columns faqlink uses are declared: production tables carry more, and a `table!`
//! that names a subset reads them fine. Column types are the portable ones of
//! [`crate::db::types`], so the same schema serves PostgreSQL and SQLite.

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::PortableTimestamptz;

    /// Published FAQ entries (the Golden Set).
    faq_entries (id) {
        id -> Varchar,
        question -> Text,
        answer -> Text,
        category -> Varchar,
        language -> Varchar,
        needs_review -> Bool,
        hit_count -> Integer,
        version -> Integer,
        created_at -> PortableTimestamptz,
        updated_at -> PortableTimestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{FeedbackCategorySql, FeedbackTypeSql, PortableTimestamptz, PortableUuid};

    /// One expert review of one AI answer, and what the Golden Set workflow made of it.
    expert_feedback (id) {
        id -> PortableUuid,
        query_id -> PortableUuid,
        expert_id -> PortableUuid,
        feedback_type -> FeedbackTypeSql,
        category -> Nullable<FeedbackCategorySql>,
        query_text -> Text,
        original_answer -> Text,
        expert_answer -> Nullable<Text>,
        confidence_score -> Nullable<Double>,
        time_spent_seconds -> Integer,
        complexity_rating -> Nullable<Integer>,
        feedback_timestamp -> Nullable<PortableTimestamptz>,
        action_taken -> Nullable<Varchar>,
        improvement_applied -> Nullable<Bool>,
        created_at -> Nullable<PortableTimestamptz>,
        updated_at -> Nullable<PortableTimestamptz>,
        task_creation_attempted -> Nullable<Bool>,
        task_creation_success -> Nullable<Bool>,
        task_creation_error -> Nullable<Text>,
        generated_faq_id -> Nullable<Varchar>,
    }
}
