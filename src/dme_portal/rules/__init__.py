"""Network rulesets and their pure evaluation (DESIGN §5): no I/O, no clock reads."""
