"""Statistics for the ministry, the provinces and each region (issue 14).

Kept incrementally. A trigger on each base table whose change matters (projects, budgets and
their lines and sources, procurements, bids, contracts, payments, progress reports,
acceptances, evaluations, disqualifications) marks (region, fiscal year) dirty in the changing
transaction itself (migration 0045): nothing is lost when the change commits, nothing is
marked when it rolls back, and no context's code knows this one exists. Every minute a sweep
queues one ``statistics.refresh`` job per dirty region-year (``sweep``); the job recomputes that
region-year's rows from the base tables, bound to the region with RLS on, replaces them, sums
the province's rollup again, and clears the mark unless a later change marked it since. A
replayed or duplicated job therefore writes the same rows and never counts anything twice.

Cross-region reads go through ``statistics_figures``, a SECURITY DEFINER function owned by the
NOLOGIN role ``sws_statistics``: it answers aggregates for the bound region and the regions
under it, never a row.

Every table also downloads as .xlsx (``workbook``, with the Chinese names of ``labels``): the
same figures as the JSON, typed as numbers, and a sheet naming the filters and the exporter's
role.
"""
