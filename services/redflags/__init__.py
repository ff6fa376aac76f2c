"""Red flags for supervisors (issue 14): indicators over the OCDS data the platform publishes.

Cardinal's own methodology for a single valid bid (R018) and a short submission period (R003),
and three of the platform's (a winner that keeps winning with one buyer, a price at the
ceiling, a late contract), all read from public data: the compiled releases of
``open_data_releases`` and the ceiling price of the published notices. Nothing private crosses
a region, so no SECURITY DEFINER function is needed. Computed on request, never stored.
"""
