"""Statistics for the ministry, the provinces and each region (issue 14).

Kept incrementally through the outbox. A trigger on each base table whose change matters
(projects, budgets and their lines and sources, procurements, bids, contracts, payments,
progress reports, acceptances, evaluations, disqualifications) adds a ``statistics.refresh``
job for (region, fiscal year) in the changing transaction itself (migration 0045): nothing is
lost when the change commits, nothing is queued when it rolls back, and no context's code
knows this one exists. The job recomputes that region-year's rows from the base tables, bound
to the region with RLS on, replaces them, and sums the province's rollup again; a replayed or
duplicated job therefore writes the same rows and never counts anything twice.

Cross-region reads go through ``statistics_figures``, a SECURITY DEFINER function owned by the
NOLOGIN role ``sws_statistics``: it answers aggregates for the bound region and the regions
under it, never a row.
"""
