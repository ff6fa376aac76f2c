"""Tests of the documents context: uploads, versions, links, seals and verification."""
