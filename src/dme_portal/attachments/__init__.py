"""Documents attached to authorization requests: prescriptions, letters, evaluations."""
