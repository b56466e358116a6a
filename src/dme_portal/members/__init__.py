"""Members (children), their CCS eligibility and network enrollments."""
