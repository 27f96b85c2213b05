"""Training done outside Sinau: submitted with evidence, verified, credited once."""
