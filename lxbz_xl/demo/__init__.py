"""Demo data: a realistic, deterministic population of cases for one city (see `population`)."""
