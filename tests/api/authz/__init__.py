"""The authorisation matrix: every route × every role, one case per cell.

The expected matrix (``expected``) is written by hand from what a real user of each role should be
able to do; it is deliberately NOT read from policy.csv, so a wrong line there (or a guard that
does not honour it) fails a cell here. Each cell is called in 广州市 (440100), the demo users'
tenant. A refused cell must be a 403 problem with code ``forbidden``; an allowed one must get
past the guard, and with the valid input each cell sends (``calls``, one module per context, in
the ``world`` of throwaway objects each cell acts in), get the handler's own answer.

A route added without exactly one declared access level fails
``test_declared_access.test_every_api_handler_declares_exactly_one_access_level``; one without a
row here (or a public entry) fails ``test_declared_access.test_every_route_has_a_row``.
"""
