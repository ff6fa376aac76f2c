"""The client address behind a trusted ingress, which login throttling counts."""

from __future__ import annotations

from services.kit.proxy import client_address, parse_networks

INGRESS = parse_networks("10.42.0.0/16, 127.0.0.1")


def test_an_untrusted_peer_is_the_client_whatever_it_claims() -> None:
    assert client_address("203.0.113.9", "198.51.100.1", INGRESS) == "203.0.113.9"


def test_behind_the_ingress_the_last_untrusted_hop_is_the_client() -> None:
    assert client_address("10.42.3.7", "198.51.100.1, 203.0.113.5", INGRESS) == "203.0.113.5"


def test_hops_added_by_trusted_proxies_are_skipped() -> None:
    assert client_address("10.42.3.7", "203.0.113.5, 10.42.9.9", INGRESS) == "203.0.113.5"


def test_no_header_leaves_the_peer() -> None:
    assert client_address("10.42.3.7", "", INGRESS) == "10.42.3.7"


def test_garbage_in_the_header_is_not_trusted_as_a_proxy() -> None:
    assert client_address("127.0.0.1", "not-an-ip", INGRESS) == "not-an-ip"


def test_no_trusted_proxies_means_the_peer() -> None:
    assert client_address("10.42.3.7", "203.0.113.5", []) == "10.42.3.7"
