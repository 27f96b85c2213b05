"""Mentoring by an OPD leader: assigned, logged, signed off, approved, credited once."""
