"""Tests of the tendering context: procurements, bids, evaluation, challenges, negotiation."""
