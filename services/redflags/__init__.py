"""Red flags for supervisors (issue 14): indicators over the OCDS data the platform publishes.

Cardinal's own methodology for a single valid bid (R018) and a short submission period (R003),
and four of the platform's (a winner that keeps winning with one buyer, a price at the
ceiling, a late contract, a late payment), read from public data — the compiled releases of
``open_data_releases`` and the ceiling price of the published notices — and, for the late
payment, the region's own payments' last day to pay, read bound to that region.

Kept like the statistics: a release or a payment change marks its region dirty in the same
transaction (migration 0046), the chronograph's sweep queues one measure per dirty region
(``sweep``), and the measure stores the region's flags (``measure``); the routes read the
stored rows, readable in every region like the releases they are computed from.
"""
