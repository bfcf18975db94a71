"""Display names next to ids: item name and unit, location name and path, person and org names."""
