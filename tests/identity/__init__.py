"""Tests of the identity context: sign-in, tokens, throttling, passwords."""
