"""Every handler table of the fake, per platform, in the order ``FakePandaPon.routes`` lists their routes."""

from __future__ import annotations

from . import (
    _alibaba,
    _alibaba_aftersales,
    _alibaba_cart,
    _alibaba_orders,
    _other,
    _taobao,
    _taobao_aftersales,
    _taobao_cart,
)
from ._routes import RouteTable

__all__ = ["TABLES"]

TABLES: tuple[RouteTable, ...] = (
    _taobao.TABLE,
    _taobao_aftersales.TABLE,
    _taobao_cart.TABLE,
    _alibaba.TABLE,
    _alibaba_orders.TABLE,
    _alibaba_aftersales.TABLE,
    _alibaba_cart.TABLE,
    _other.TABLE,
)
