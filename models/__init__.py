"""Quartermaster models package."""
