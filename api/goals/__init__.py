"""Goals domain."""
