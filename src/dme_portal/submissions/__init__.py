"""Authorization requests: submission, reading, timeline, cancellation."""
