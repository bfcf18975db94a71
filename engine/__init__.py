"""Quartermaster engine package."""
