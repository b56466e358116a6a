"""The turnaround clock: deadlines and states (DESIGN §6)."""
