"""Tests of what spans the whole API: authorisation matrix, isolation, OpenAPI, fuzzing."""
