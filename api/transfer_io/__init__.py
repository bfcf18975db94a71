"""Org-scoped import and export of items, locations, ships and stock (CSV and JSON)."""
