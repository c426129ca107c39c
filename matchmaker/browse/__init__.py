"""Finding opportunities: the public list and map, filters and sorting."""
