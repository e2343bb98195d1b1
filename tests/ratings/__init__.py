"""Tests of icmaps.ratings: the one checker and streaming."""
