"""What contracts tell people, in zh-CN with English fallback. Every message names the region,
the contract's title and its ocid."""

from __future__ import annotations

from services.notifications.service import define_event

SIGNED_BY_ONE_SIDE = define_event(
    "contracts.signed_by_one_side",
    ("合同待签署", "Contract to sign"),
    (
        "【{tenant_name}】合同待您签署：{title}",
        "您好：\n\n{party}已签署“{title}”（{ocid}）的合同文本（SHA-256 {sha256}）。"
        "请核对同一文本后于{sign_by}前签署（《政府采购法》第四十六条）。",
    ),
    (
        "[{tenant_name}] Contract to sign: {title}",
        'Hello,\n\nThe {party} signed the contract document of "{title}" ({ocid}), SHA-256 '
        "{sha256}. Please check the same document and sign it before {sign_by}.",
    ),
)
SIGNED = define_event(
    "contracts.signed",
    ("合同已签订", "Contract signed"),
    (
        "【{tenant_name}】合同已签订：{title}",
        "您好：\n\n“{title}”（{ocid}）的政府采购合同已由双方签订，合同金额{price}元。"
        "采购人应于{publish_by}前公告合同（《政府采购法实施条例》第五十条），"
        "并于{file_by}前报财政部门备案（《政府采购法》第四十七条）。",
    ),
    (
        "[{tenant_name}] Contract signed: {title}",
        'Hello,\n\nBoth sides signed the contract of "{title}" ({ocid}) for {price} yuan. '
        "The buyer publishes it by {publish_by} and files it with finance by {file_by}.",
    ),
)
SUSPENDED = define_event(
    "contracts.suspended",
    ("合同暂停", "Contract suspended"),
    (
        "【{tenant_name}】合同暂停签订（履行）：{title}",
        "您好：\n\n“{title}”（{ocid}）的合同由{party}决定暂停签订（已签订的暂停履行）。"
        "理由：{reason}",
    ),
    (
        "[{tenant_name}] Contract suspended: {title}",
        'Hello,\n\nThe {party} suspended signing (or performing) the contract of "{title}" '
        "({ocid}). Reason: {reason}",
    ),
)
SUSPENSION_LIFTED = define_event(
    "contracts.suspension_lifted",
    ("合同恢复", "Contract suspension lifted"),
    (
        "【{tenant_name}】合同恢复签订（履行）：{title}",
        "您好：\n\n“{title}”（{ocid}）的合同暂停已解除。理由：{reason}",
    ),
    (
        "[{tenant_name}] Contract suspension lifted: {title}",
        'Hello,\n\nThe suspension of the contract of "{title}" ({ocid}) was lifted. '
        "Reason: {reason}",
    ),
)
SIGN_DUE_SOON = define_event(
    "contracts.sign_due_soon",
    ("合同签订期限将至", "Contract to sign soon"),
    (
        "【{tenant_name}】合同签订期限将至：{title}",
        "您好：\n\n“{title}”（{ocid}）的合同应于{sign_by}前签订（中标、成交通知书发出之日起"
        "三十日内，《政府采购法》第四十六条），目前尚未签订。",
    ),
    (
        "[{tenant_name}] Contract to sign soon: {title}",
        'Hello,\n\nThe contract of "{title}" ({ocid}) must be signed by {sign_by} and is not '
        "signed yet.",
    ),
)
SIGN_OVERDUE = define_event(
    "contracts.sign_overdue",
    ("合同逾期未签订", "Contract not signed in time"),
    (
        "【{tenant_name}】合同逾期未签订：{title}",
        "您好：\n\n“{title}”（{ocid}）的合同签订期限已于{sign_by}届满，至今未签订。"
        "请督促采购人签订，或由其依法确定下一候选人、重新采购（《政府采购法实施条例》第四十九条）。",
    ),
    (
        "[{tenant_name}] Contract not signed in time: {title}",
        'Hello,\n\nThe time to sign the contract of "{title}" ({ocid}) ended {sign_by} and it '
        "is not signed.",
    ),
)
REFUSAL_REPORTED = define_event(
    "contracts.refusal_reported",
    ("中标人拒签报告", "Winner refused to sign"),
    (
        "【{tenant_name}】中标（成交）供应商拒绝签订合同：{title}",
        "您好：\n\n{provider}（{provider_uscc}）未与采购人签订“{title}”（{ocid}）的合同。"
        "理由：{reason}。采购人的决定：{next_step}。可能属于《政府采购法实施条例》"
        "第七十二条规定的情形，请依法处理（《政府采购法》第七十七条）。",
    ),
    (
        "[{tenant_name}] Winner refused to sign: {title}",
        'Hello,\n\n{provider} ({provider_uscc}) did not sign the contract of "{title}" '
        "({ocid}). Reason: {reason}. The buyer's decision: {next_step}.",
    ),
)
PUBLICATION_LATE = define_event(
    "contracts.publication_late",
    ("合同公告逾期", "Contract notice late"),
    (
        "【{tenant_name}】合同未按期公告：{title}",
        "您好：\n\n“{title}”（{ocid}）的合同应于{publish_by}前公告"
        "（签订之日起2个工作日内，《政府采购法实施条例》第五十条），目前尚未公告。",
    ),
    (
        "[{tenant_name}] Contract notice late: {title}",
        'Hello,\n\nThe contract of "{title}" ({ocid}) was due to be published by {publish_by}.',
    ),
)
FILING_LATE = define_event(
    "contracts.filing_late",
    ("合同备案逾期", "Contract filing late"),
    (
        "【{tenant_name}】合同未按期备案：{title}",
        "您好：\n\n“{title}”（{ocid}）的合同应于{file_by}前报财政部门备案"
        "（签订之日起七个工作日内，《政府采购法》第四十七条），目前尚未备案。",
    ),
    (
        "[{tenant_name}] Contract filing late: {title}",
        'Hello,\n\nThe contract of "{title}" ({ocid}) was due to be filed by {file_by}.',
    ),
)
FILED = define_event(
    "contracts.filed",
    ("合同已备案", "Contract filed"),
    (
        "【{tenant_name}】合同已备案：{title}",
        "您好：\n\n财政部门已对“{title}”（{ocid}）的合同予以备案。",
    ),
    (
        "[{tenant_name}] Contract filed: {title}",
        'Hello,\n\nFinance recorded the filing of the contract of "{title}" ({ocid}).',
    ),
)
DEADLINES_RECOMPUTED = define_event(
    "contracts.deadlines_recomputed",
    ("合同期限已重新计算", "Contract deadlines recomputed"),
    (
        "【{tenant_name}】合同期限已按{year}年节假日安排重新计算：{title}",
        "您好：\n\n{year}年节假日安排已录入，“{title}”（{ocid}）合同按工作日或休息日顺延计算的"
        "期限已重新计算：{changes}。",
    ),
    (
        "[{tenant_name}] Contract deadlines recomputed with the {year} holidays: {title}",
        "Hello,\n\nThe holiday arrangement of {year} was entered; the deadlines of the contract "
        'of "{title}" ({ocid}) counted in working days or moved off rest days were counted '
        "again: {changes}.",
    ),
)
