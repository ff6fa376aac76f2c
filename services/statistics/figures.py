"""What each figure counts, row by row, in one region and fiscal year.

One query lists every base row a figure counts (``DETAIL``); the summaries are its sums
(``SUMMARY``) and the drill-down is its rows, so a figure always traces to what it counts.
Each row: the quarter it happened in (Asia/Shanghai; 0 for a figure of the whole year), the
project's programme area, the metric, its dimension (method, funding source, target group,
grade...), the value it adds, and the object it comes from.
"""

from __future__ import annotations

from sqlalchemy import text

# Additive metrics; the shares and rates are quotients of these, taken when read.
METRICS = (
    "budget_approved",  # 元 approved by finance, by funding source
    "procurements",  # count, by method
    "procurements_failed",  # count of failed procurements, by method
    "procurements_reviewed",  # count whose bids were reviewed, by method
    "valid_bids",  # valid bids of the reviewed procurements, by method
    "single_valid_bid",  # reviewed procurements with exactly one valid bid, by method
    "budget_awarded",  # the budget of the awarded procurements
    "awarded_value",  # their awarded prices
    "contracts",  # signed contracts
    "contracted_value",  # their prices
    "paid",  # 元 paid to providers
    "people_served",  # from accepted progress reports, by target group
    "service_hours",  # from accepted progress reports, by staff level
    "acceptances",  # concluded acceptances, by result (pass, fail)
    "evaluations",  # confirmed third-party evaluations, by grade
    "bars_in_force",  # confirmed disqualifications of the region meeting the year, by scope
)

_Q = "extract(quarter FROM ({} AT TIME ZONE 'Asia/Shanghai'))::int"

DETAIL = f"""
WITH pr AS (
  SELECT x.id, x.title, x.method, x.status, x.budget_amount, x.awarded_price,
         {_Q.format("x.created_at")} AS quarter, p.programme_area,
         (SELECT count(*) FROM bids b
           WHERE b.tenant_id = x.tenant_id AND b.procurement_id = x.id
             AND b.status = 'submitted' AND b.qualified AND b.compliant) AS valid,
         EXISTS (SELECT FROM bids b
                  WHERE b.tenant_id = x.tenant_id AND b.procurement_id = x.id
                    AND b.status IN ('submitted', 'invalid')
                    AND b.qualified IS NOT NULL) AS reviewed
    FROM procurements x
    JOIN projects p ON p.tenant_id = x.tenant_id AND p.id = x.project_id
   WHERE x.tenant_id = :tenant AND p.fiscal_year = :year AND x.status <> 'draft'
), co AS (
  SELECT c.id, c.title, c.price, c.tenant_id, c.signed_at, p.programme_area
    FROM contracts c
    JOIN projects p ON p.tenant_id = c.tenant_id AND p.id = c.project_id
   WHERE c.tenant_id = :tenant AND p.fiscal_year = :year
), rep AS (
  SELECT r.id, r.content, co.title, {_Q.format("r.reviewed_at")} AS quarter, co.programme_area
    FROM delivery_reports r JOIN co ON co.tenant_id = r.tenant_id AND co.id = r.contract_id
   WHERE r.tenant_id = :tenant AND r.status = 'accepted'
)
SELECT {_Q.format("b.decided_at")} AS quarter, p.programme_area,
       'budget_approved' AS metric, s.source AS dimension, s.approved_amount AS value,
       'budget_line' AS kind, l.id AS object_id, p.title
  FROM budgets b
  JOIN budget_lines l ON l.tenant_id = b.tenant_id AND l.budget_id = b.id
  JOIN budget_line_sources s ON s.tenant_id = l.tenant_id AND s.line_id = l.id
  JOIN projects p ON p.tenant_id = l.tenant_id AND p.id = l.project_id
 WHERE b.tenant_id = :tenant AND b.fiscal_year = :year AND b.status = 'approved'
   AND s.approved_amount > 0
UNION ALL
SELECT pr.quarter, pr.programme_area, m.metric, pr.method, m.value,
       'procurement', pr.id, pr.title
  FROM pr CROSS JOIN LATERAL (VALUES
    ('procurements', 1::numeric),
    ('procurements_failed', CASE WHEN pr.status = 'failed' THEN 1 END),
    ('procurements_reviewed', CASE WHEN pr.reviewed THEN 1 END),
    ('valid_bids', CASE WHEN pr.reviewed THEN pr.valid END),
    ('single_valid_bid', CASE WHEN pr.reviewed AND pr.valid = 1 THEN 1 END)
  ) m(metric, value)
 WHERE m.value IS NOT NULL
UNION ALL
SELECT pr.quarter, pr.programme_area, m.metric, '', m.value, 'procurement', pr.id, pr.title
  FROM pr CROSS JOIN LATERAL (VALUES
    ('budget_awarded', pr.budget_amount), ('awarded_value', pr.awarded_price)
  ) m(metric, value)
 WHERE pr.awarded_price IS NOT NULL AND pr.status NOT IN ('failed', 'cancelled')
UNION ALL
SELECT {_Q.format("co.signed_at")}, co.programme_area, m.metric, '', m.value,
       'contract', co.id, co.title
  FROM co CROSS JOIN LATERAL (VALUES ('contracts', 1::numeric), ('contracted_value', co.price))
       m(metric, value)
 WHERE co.signed_at IS NOT NULL
UNION ALL
SELECT extract(quarter FROM pay.paid_on)::int, co.programme_area, 'paid', '', pay.amount,
       'payment', pay.id, co.title
  FROM contract_payments pay JOIN co ON co.tenant_id = pay.tenant_id AND co.id = pay.contract_id
 WHERE pay.tenant_id = :tenant AND pay.status = 'paid'
UNION ALL
SELECT rep.quarter, rep.programme_area, 'people_served', e->>'target_group',
       (e->>'count')::numeric, 'report', rep.id, rep.title
  FROM rep CROSS JOIN LATERAL jsonb_array_elements(coalesce(rep.content->'served', '[]')) e
UNION ALL
SELECT rep.quarter, rep.programme_area, 'service_hours', e->>'staff_level',
       (e->>'hours')::numeric, 'report', rep.id, rep.title
  FROM rep CROSS JOIN LATERAL jsonb_array_elements(coalesce(rep.content->'hours', '[]')) e
UNION ALL
SELECT {_Q.format("a.concluded_at")}, p.programme_area, 'acceptances', a.result, 1,
       'acceptance', a.id, p.title
  FROM acceptances a JOIN projects p ON p.tenant_id = a.tenant_id AND p.id = a.project_id
 WHERE a.tenant_id = :tenant AND p.fiscal_year = :year AND a.result IS NOT NULL
   AND a.concluded_at IS NOT NULL
UNION ALL
SELECT {_Q.format("e.confirmed_at")}, p.programme_area, 'evaluations', e.grade, 1,
       'evaluation', e.id, e.contract_title
  FROM evaluations e JOIN projects p ON p.tenant_id = e.tenant_id AND p.id = e.project_id
 WHERE e.tenant_id = :tenant AND p.fiscal_year = :year AND e.status = 'confirmed'
   AND e.grade IS NOT NULL
UNION ALL
SELECT 0, '', 'bars_in_force', d.scope, 1, 'disqualification', d.id, d.reason
  FROM disqualifications d
 WHERE d.tenant_id = :tenant AND d.status = 'confirmed'
   AND d.starts_on <= make_date(:year, 12, 31) AND make_date(:year, 1, 1) < d.ends_on
"""  # noqa: S608 - built from constants only

# The region-year's summary rows: the detail summed.
SUMMARY = text(f"""
SELECT quarter, programme_area, metric, dimension, sum(value) AS value
  FROM ({DETAIL}) d
 GROUP BY quarter, programme_area, metric, dimension
""")  # noqa: S608 - built from constants only

# The providers the region contracted with in the year (kind is read from the USCC after).
PROVIDERS = text("""
SELECT DISTINCT c.provider_id, pv.uscc
  FROM contracts c
  JOIN projects p ON p.tenant_id = c.tenant_id AND p.id = c.project_id
  JOIN providers pv ON pv.id = c.provider_id
 WHERE c.tenant_id = :tenant AND p.fiscal_year = :year AND c.signed_at IS NOT NULL
""")

# The drill-down: the rows one metric counts, with the filters of the figures.
ROWS = text(f"""
SELECT kind, object_id, title, dimension, quarter, programme_area, value
  FROM ({DETAIL}) d
 WHERE metric = :metric
   AND (CAST(:quarter AS integer) IS NULL OR quarter IN (0, CAST(:quarter AS integer)))
   AND (CAST(:area AS text) IS NULL OR programme_area IN ('', CAST(:area AS text)))
 ORDER BY kind, title, object_id, dimension
 LIMIT :limit OFFSET :offset
""")  # noqa: S608 - built from constants only
