"""Tests of the processes: supervision of what make run starts, the documentation page."""
