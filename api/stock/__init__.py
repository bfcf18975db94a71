"""Stock that never lies: rows per (item, location, quality, owner), reservations, history."""
