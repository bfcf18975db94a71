"""Accounts and authentication: registration, tokens, the current user, personal access tokens."""
