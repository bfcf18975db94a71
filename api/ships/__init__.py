"""Ships: org and personal ships, their cargo holds as stock locations."""
