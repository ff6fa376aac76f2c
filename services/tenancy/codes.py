"""Reading identifiers: GB/T 2260 division codes and 统一社会信用代码 (GB 32100-2015)."""

from __future__ import annotations

from enum import StrEnum

from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from services.kit.errors import InvalidField


class Level(StrEnum):
    province = "province"
    city = "city"
    county = "county"


def division_level(code: str) -> Level:
    if code.endswith("0000"):
        return Level.province
    if code.endswith("00"):
        return Level.city
    return Level.county


def parent_candidates(code: str) -> list[str]:
    """Nearest first: a county's city, then its province; a city's province."""
    level = division_level(code)
    if level is Level.county:
        return [code[:4] + "00", code[:2] + "0000"]
    if level is Level.city:
        return [code[:2] + "0000"]
    return []


def check_division_code(code: str, field: str = "code") -> str:
    if len(code) != 6 or not code.isdigit():
        raise InvalidField("must be a 6-digit GB/T 2260 division code", field=field)
    if code[:2] in ("00", "99") or code == "000000":
        raise InvalidField("is not a province-level prefix of GB/T 2260", field=field)
    return code


class ProviderKind(StrEnum):
    social_group = "social_group"  # 社会团体
    private_non_enterprise = "private_non_enterprise"  # 民办非企业单位 / 社会服务机构
    foundation = "foundation"  # 基金会
    enterprise = "enterprise"  # 企业
    institution = "institution"  # 机关、事业单位
    other = "other"


_CIVIL_AFFAIRS_TYPES = {
    "1": ProviderKind.social_group,
    "2": ProviderKind.private_non_enterprise,
    "3": ProviderKind.foundation,
}


def check_uscc(raw: str, field: str = "uscc") -> str:
    """Validate with python-stdnum and return the compact form; errors name the field."""
    try:
        return str(stdnum_uscc.validate(raw))
    except InvalidLength:
        raise InvalidField("must be 18 characters", field=field) from None
    except InvalidChecksum:
        raise InvalidField("check digit does not match", field=field) from None
    except ValidationError:
        raise InvalidField("is not a valid 统一社会信用代码", field=field) from None


def provider_kind(uscc: str) -> ProviderKind:
    """The registration authority (1st char) and type (2nd) say what the organisation is."""
    authority, kind = uscc[0], uscc[1]
    if authority == "5":
        return _CIVIL_AFFAIRS_TYPES.get(kind, ProviderKind.other)
    if authority == "9":
        return ProviderKind.enterprise
    if authority == "1":
        return ProviderKind.institution
    return ProviderKind.other
