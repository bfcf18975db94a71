"""Shared plumbing of every domain: database sessions, auth dependencies, errors, settings."""
