"""DME vendors and their contracts with networks."""
