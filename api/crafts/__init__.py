"""Crafts: N runs of a blueprint at a location, with reservations and partial completion."""
