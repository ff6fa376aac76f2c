"""What contracts tell people about amendments, in zh-CN with English fallback. Every message
names the region, the contract's title and its ocid, and what the amendment is."""

from __future__ import annotations

from services.notifications.service import define_event

AMENDMENT_DRAFTED = define_event(
    "contracts.amendment_drafted",
    ("合同变更待签署", "Contract amendment drafted"),
    (
        "【{tenant_name}】{kind_name}待签署：{title}",
        "您好：\n\n采购人拟订了“{title}”（{ocid}）的{kind_name}（第{version}版）。"
        "理由：{reason}\n请核对文本后签署。",
    ),
    (
        "[{tenant_name}] Contract amendment drafted: {title}",
        "Hello,\n\nThe buyer drafted an amendment ({kind}, version {version}) of the contract of "
        '"{title}" ({ocid}). Reason: {reason}',
    ),
)
AMENDMENT_SIGNED_BY_ONE_SIDE = define_event(
    "contracts.amendment_signed_by_one_side",
    ("合同变更待签署", "Contract amendment to sign"),
    (
        "【{tenant_name}】{kind_name}待您签署：{title}",
        "您好：\n\n{party}已签署“{title}”（{ocid}）的{kind_name}（第{version}版，"
        "文本 SHA-256 {sha256}）。请核对同一文本后签署。",
    ),
    (
        "[{tenant_name}] Contract amendment to sign: {title}",
        "Hello,\n\nThe {party} signed version {version} of an amendment ({kind}) of the contract "
        'of "{title}" ({ocid}), document SHA-256 {sha256}. Please check the same document and '
        "sign it.",
    ),
)
AMENDMENT_EFFECTIVE = define_event(
    "contracts.amendment_effective",
    ("合同变更已生效", "Contract amendment in effect"),
    (
        "【{tenant_name}】{kind_name}已生效：{title}",
        "您好：\n\n“{title}”（{ocid}）的{kind_name}已由双方签署并生效，已公告。"
        "理由：{reason}\n合同金额：{value}元；合同状态：{status}。",
    ),
    (
        "[{tenant_name}] Contract amendment in effect: {title}",
        'Hello,\n\nBoth sides signed the amendment ({kind}) of the contract of "{title}" '
        "({ocid}); it is in effect and published. Reason: {reason}. The contract's value: "
        "{value} yuan; its status: {status}.",
    ),
)
