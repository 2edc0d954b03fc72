-- The engines' tracker store (Rasa's SQL tracker store creates its `events` table itself).
CREATE DATABASE engine_tracker OWNER assistant;
