DROP TABLE expert_feedback;
DROP TABLE expert_profiles;
