"""Reference back office: patients, scheduling, billing and pharmacy, as a health system's
systems of record would expose them to the assistant."""
