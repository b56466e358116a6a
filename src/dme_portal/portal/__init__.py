"""The HTML portal: a second door over the same services as the JSON API (DESIGN §11)."""
