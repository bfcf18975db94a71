"""Quartermaster api package."""
