"""Commerce: views of posts and the orders they bring, and the organic orders of active users.

On the market's scale (real audiences, views and orders): the views of an
agent's creators together are Poisson with mean weight × posts × active audience
× engagement (the sum of its creators' Poisson views); their orders are Poisson
with mean views × ``commerce.conversion`` × its product fit, each worth
``commerce.basket_value``. Active users also order on their own
(``commerce.organic_orders_per_user`` a day, taken at its expectation: over a
real market's active users the Poisson noise is a fraction of a percent).
The platform keeps ``take_rate`` of all sales as revenue.

Owns: the module :class:`Commerce` (the ``sell`` stage; no state of its own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .modules import Module

if TYPE_CHECKING:
    from .day import Day


class Commerce(Module):
    """Views, sales and revenue per platform, each day."""

    key: ClassVar[str] = "commerce"
    words: ClassVar[str] = "nothing that lasts: the day's views, orders and sales"
    reads: ClassVar[tuple[str, ...]] = ("commerce", "platforms.N.take_rate")
    stages: ClassVar[dict[str, float]] = {"sell": 60}
    columns: ClassVar[tuple[str, ...]] = ("views", "gmv", "revenue")
    metrics: ClassVar[tuple[str, ...]] = ("gmv_total", "net_total")

    def sell(self, today: Day) -> None:
        """Views of posts by active followers; orders from views; organic orders."""
        model = self.model
        table, commerce = model.influencers, model.config.commerce
        today.views = model.draws("commerce.views").poisson(  # the group's, all its creators
            today.posts * today.active_audience
            * (table.engagement * table.weight)[:, None]).astype(float)
        orders = model.draws("commerce.orders").poisson(
            today.views * commerce.conversion * table.product_fit[:, None])
        today.gmv = orders * commerce.basket_value
        today.organic_orders = (commerce.organic_orders_per_user * model.people.n_active
                                * model.scale)

    def record(self, today: Day, k: int) -> dict[str, float]:
        """Views, sales ($: influencers' and organic) and the platform's revenue ($)."""
        platform = self.model.platforms[k]
        gmv = (float(today.gmv[:, k].sum())
               + today.organic_orders[k] * self.model.config.commerce.basket_value)
        return {"views": float(today.views[:, k].sum()), "gmv": gmv,
                "revenue": platform.spec.take_rate * gmv}
