"""What payments tell people, in zh-CN with English fallback. Every message names the region,
the contract's title and its ocid (services.contracts.telling adds them)."""

from __future__ import annotations

from services.notifications.service import define_event

PAYMENT_REQUESTED = define_event(
    "contracts.payment_requested",
    ("拨付申请", "Payment requested"),
    (
        "【{tenant_name}】拨付申请待确认：{title}",
        "您好：\n\n{provider}申请拨付“{title}”（{ocid}）第{instalment_seq}期款项{amount}元"
        "（{milestone}），并提交了履约材料。请核实交付成果后确认或退回。",
    ),
    (
        "[{tenant_name}] Payment requested: {title}",
        "Hello,\n\n{provider} asks for {amount} yuan of instalment {instalment_seq} "
        '({milestone}) of "{title}" ({ocid}), with its evidence. Please check the deliverables '
        "and confirm or return the request.",
    ),
)
PAYMENT_CONFIRMED = define_event(
    "contracts.payment_confirmed",
    ("拨付已确认", "Payment confirmed"),
    (
        "【{tenant_name}】拨付申请已确认：{title}",
        "您好：\n\n采购人已确认“{title}”（{ocid}）第{instalment_seq}期的交付成果，"
        "款项{amount}元应于{pay_by}前支付（《保障中小企业款项支付条例》第八条、第九条）。",
    ),
    (
        "[{tenant_name}] Payment confirmed: {title}",
        "Hello,\n\nThe buyer confirmed the deliverables of instalment {instalment_seq} of "
        '"{title}" ({ocid}); {amount} yuan is to be paid by {pay_by}.',
    ),
)
PAYMENT_APPROVED = define_event(
    "contracts.payment_approved",
    ("拨付已审核", "Payment approved"),
    (
        "【{tenant_name}】拨付申请已审核通过：{title}",
        "您好：\n\n财政部门已审核通过“{title}”（{ocid}）第{instalment_seq}期款项{amount}元，"
        "将于{pay_by}前支付。",
    ),
    (
        "[{tenant_name}] Payment approved: {title}",
        'Hello,\n\nFinance approved {amount} yuan of instalment {instalment_seq} of "{title}" '
        "({ocid}), to be paid by {pay_by}.",
    ),
)
PAYMENT_RETURNED = define_event(
    "contracts.payment_returned",
    ("拨付申请退回", "Payment request returned"),
    (
        "【{tenant_name}】拨付申请被退回：{title}",
        "您好：\n\n{party}退回了“{title}”（{ocid}）第{instalment_seq}期款项{amount}元的拨付申请。"
        "理由：{reason}。补正后可重新申请。",
    ),
    (
        "[{tenant_name}] Payment request returned: {title}",
        "Hello,\n\nThe {party} returned the request for {amount} yuan of instalment "
        '{instalment_seq} of "{title}" ({ocid}). Reason: {reason}. You may ask again once '
        "it is put right.",
    ),
)
PAYMENT_PAID = define_event(
    "contracts.payment_paid",
    ("款项已支付", "Payment made"),
    (
        "【{tenant_name}】款项已支付：{title}",
        "您好：\n\n“{title}”（{ocid}）第{instalment_seq}期款项{amount}元已于{paid_on}支付，"
        "支付凭证号{voucher}。",
    ),
    (
        "[{tenant_name}] Payment made: {title}",
        'Hello,\n\n{amount} yuan of instalment {instalment_seq} of "{title}" ({ocid}) was paid '
        "on {paid_on}, voucher {voucher}.",
    ),
)
PAYMENT_DUE_SOON = define_event(
    "contracts.payment_due_soon",
    ("付款期限将至", "Payment due soon"),
    (
        "【{tenant_name}】付款期限将至：{title}",
        "您好：\n\n“{title}”（{ocid}）第{instalment_seq}期款项{amount}元应于{pay_by}前支付"
        "（《保障中小企业款项支付条例》第八条），目前尚未支付。",
    ),
    (
        "[{tenant_name}] Payment due soon: {title}",
        'Hello,\n\n{amount} yuan of instalment {instalment_seq} of "{title}" ({ocid}) is to '
        "be paid by {pay_by} and is not paid yet.",
    ),
)
PAYMENT_OVERDUE = define_event(
    "contracts.payment_overdue",
    ("款项逾期未付", "Payment overdue"),
    (
        "【{tenant_name}】款项逾期未支付：{title}",
        "您好：\n\n“{title}”（{ocid}）第{instalment_seq}期款项{amount}元的付款期限已于{pay_by}"
        "届满，至今未支付。逾期未支付的，应当支付逾期利息（《保障中小企业款项支付条例》"
        "第十五条）。",
    ),
    (
        "[{tenant_name}] Payment overdue: {title}",
        'Hello,\n\nThe time to pay {amount} yuan of instalment {instalment_seq} of "{title}" '
        "({ocid}) ended {pay_by} and it is not paid. Late payment bears interest.",
    ),
)
INSTALMENT_NOT_REQUESTED = define_event(
    "contracts.instalment_not_requested",
    ("分期款项未申请", "Instalment not requested"),
    (
        "【{tenant_name}】分期款项到期未申请：{title}",
        "您好：\n\n“{title}”（{ocid}）第{instalment_seq}期款项（{milestone}，{amount}元）"
        "约定于{due_on}拨付，至今无人申请。请了解履约进度。",
    ),
    (
        "[{tenant_name}] Instalment not requested: {title}",
        'Hello,\n\nInstalment {instalment_seq} of "{title}" ({ocid}) ({milestone}, {amount} '
        "yuan) was due on {due_on} and nobody has asked for it. Please look into the "
        "contract's progress.",
    ),
)
