"""A provider's kind, read from its USCC (GB 32100-2015).

The first character is the registration authority: 5 is civil affairs (民政), which registers
social organisations (社会组织); 9 is market regulation (工商), which registers enterprises.
A code that fails its check character counts as ``unknown`` rather than as either.
"""

from __future__ import annotations

from stdnum.cn import uscc

SOCIAL_ORGANISATION = "social_organisation"
ENTERPRISE = "enterprise"
OTHER = "other"
UNKNOWN = "unknown"
NAMES = {
    SOCIAL_ORGANISATION: "社会组织",
    ENTERPRISE: "企业",
    OTHER: "其他",
    UNKNOWN: "统一社会信用代码无法识别",
}


def provider_kind(code: str) -> str:
    if not uscc.is_valid(code):
        return UNKNOWN
    authority = uscc.compact(code)[0]
    if authority == "5":
        return SOCIAL_ORGANISATION
    if authority == "9":
        return ENTERPRISE
    return OTHER
