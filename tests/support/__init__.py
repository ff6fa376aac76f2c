"""Helpers the test modules share: the demo world, clients, actors and real servers."""
