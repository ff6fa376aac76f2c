"""Tests of the shared kernel: audit, jobs, RLS, logging, input rules, outages and the like."""
