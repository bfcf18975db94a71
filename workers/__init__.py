"""Quartermaster workers package."""
