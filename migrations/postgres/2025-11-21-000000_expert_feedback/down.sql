DROP TABLE expert_feedback;
DROP TABLE expert_profiles;
DROP TYPE italian_feedback_category;
DROP TYPE feedback_type;
