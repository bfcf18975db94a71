"""The item catalogue (shared) and org-private items."""
