"""The location tree: the shared universe plus org and personal locations."""
