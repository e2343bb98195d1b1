"""Ratings: interned columns, the RatingSet, the one checker, reading, writing, migration
between map versions and blank rating sheets. Imports ``maps`` and the base modules only."""
