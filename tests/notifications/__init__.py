"""Tests of the notifications context: inbox, email, preferences, templates, webhooks."""
