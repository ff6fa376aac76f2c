"""Tests of the tenancy context: regions, role grants, providers and their registrations."""
