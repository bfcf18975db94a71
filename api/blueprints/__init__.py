"""Blueprints domain."""
