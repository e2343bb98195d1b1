"""Tests of icmaps.stats, one module per statistics module."""
