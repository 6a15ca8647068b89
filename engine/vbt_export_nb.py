"""The flexible order function that feeds our fills to vectorbt, in our order, bar by bar."""

from __future__ import annotations

from numba import njit
from vectorbt.portfolio.nb import order_nb, order_nothing_nb


@njit(cache=True)
def fill_order_nb(c, row_start, row_end, col, size, price, fixed_fees):
    """The ``call_idx``-th fill of bar ``c.i`` as a long-only order, or ``-1`` when the bar is
    done. Orders are never partial: a refused order raises instead of diverging silently."""
    k = row_start[c.i] + c.call_idx
    if k >= row_end[c.i]:
        return -1, order_nothing_nb()
    return col[k], order_nb(
        size=size[k],
        price=price[k],
        fixed_fees=fixed_fees[k],
        direction=0,
        allow_partial=False,
        raise_reject=True,
    )
