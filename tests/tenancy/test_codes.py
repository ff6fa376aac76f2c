"""Identifiers: 统一社会信用代码 through python-stdnum, and GB/T 2260 division codes."""

from __future__ import annotations

import pytest

from services.kit.errors import InvalidField
from services.tenancy.codes import (
    Level,
    ProviderKind,
    check_division_code,
    check_uscc,
    division_level,
    parent_candidates,
    provider_kind,
)

SOCIAL_GROUP = "51440100MJL000010Q"
PRIVATE_NON_ENTERPRISE = "52440300MJL0000201"
ENTERPRISE = "91110000600037341L"


def test_valid_uscc_is_returned_compact() -> None:
    assert check_uscc(" 51440100MJL000010Q ") == SOCIAL_GROUP
    assert check_uscc("51440100-MJL000010Q") == SOCIAL_GROUP


def test_bad_check_digit_names_the_field() -> None:
    with pytest.raises(InvalidField) as error:
        check_uscc(SOCIAL_GROUP[:-1] + "R")
    assert error.value.field == "uscc"
    assert "check digit" in error.value.detail


@pytest.mark.parametrize("raw", [SOCIAL_GROUP[:-1], SOCIAL_GROUP + "0", ""])
def test_wrong_length_is_refused(raw: str) -> None:
    with pytest.raises(InvalidField) as error:
        check_uscc(raw)
    assert "18 characters" in error.value.detail


@pytest.mark.parametrize(
    ("uscc", "kind"),
    [
        (SOCIAL_GROUP, ProviderKind.social_group),
        (PRIVATE_NON_ENTERPRISE, ProviderKind.private_non_enterprise),
        (ENTERPRISE, ProviderKind.enterprise),
    ],
)
def test_kind_is_read_from_the_code(uscc: str, kind: ProviderKind) -> None:
    assert provider_kind(uscc) is kind


@pytest.mark.parametrize(
    ("code", "level", "parents"),
    [
        ("440000", Level.province, []),
        ("440100", Level.city, ["440000"]),
        ("440106", Level.county, ["440100", "440000"]),
    ],
)
def test_division_hierarchy(code: str, level: Level, parents: list[str]) -> None:
    assert division_level(code) is level
    assert parent_candidates(code) == parents


@pytest.mark.parametrize("code", ["44010", "4401000", "44a100", "000000", "990000"])
def test_bad_division_codes(code: str) -> None:
    with pytest.raises(InvalidField):
        check_division_code(code)
