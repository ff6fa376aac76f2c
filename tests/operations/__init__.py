"""Tests of the operations context: the platform's own housekeeping."""
