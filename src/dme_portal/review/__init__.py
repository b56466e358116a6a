"""Network review: the queue, claims, information requests and decisions (DESIGN §4, §7)."""
