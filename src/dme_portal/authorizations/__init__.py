"""Authorizations in force: issued, renewed, expired, carried across networks (DESIGN §8)."""
