"""In-app notification centre: notifications fed by org events, per-user preferences."""
