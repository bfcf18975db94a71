"""Consented usage analytics and the org analytics dashboard (docs/analytics.md)."""
