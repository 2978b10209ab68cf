"""The endpoints whose answer the fake invents, because the API catalogue does not document it."""

from __future__ import annotations

__all__ = ["INVENTED_RESPONSES"]

#: Endpoints whose response the catalogue does not document (``data`` unknown, or an object whose members are
#: unknown): the fake answers a small, plausible shape of its own. Change them when the real shape is known. Where the
#: SDK models an answer after the upstream 1688 API (``x-pandapon-response-evidence: upstream``), the fake answers
#: with those upstream names.
INVENTED_RESPONSES: tuple[str, ...] = (
    # Taobao goods: search rows and the GET "commodity inquiry" are unknown; batch/check's element members too.
    "POST /open/product/image/search",
    "POST /open/product/item/search",
    "POST /open/product/batch/check",
    "GET /open/product/source/get",
    # Taobao orders: create answers the order (with its 19-digit orderId); the rest are inferred endpoints.
    "POST /open/order",
    "GET /open/order/page",
    "POST /open/order/voucher/upload",
    "POST /open/order/cancel",
    "POST /open/order/pay",
    "GET /open/order/detail/get",
    # Taobao after-sales: list pages, message ids and the inferred calls.
    "POST /open/order/refund/queryList",
    "GET /open/order/refund/render/logistics",
    "POST /open/order/refund/submit/logistics",
    "POST /open/order/refund/submit/message",
    "POST /open/order/refund/submit",
    "POST /open/order/refund/message/queryList",
    "POST /open/order/refund/modify",
    # Taobao cart: every response is unknown (list grouped like the 1688 cart list).
    "POST /open/cart/create/order",
    "POST /open/cart/preview/order",
    "GET /open/cart/list",
    "POST /open/cart/delete",
    "POST /open/cart/add",
    "POST /open/cart/edit-quantity",
    # 1688 goods and marketing (marketing and picture search answer the keyword-search page).
    "POST /alibaba/product/openuid/decrypt",
    "POST /alibaba/product/image/query",
    "POST /alibaba/product/category/get",
    "POST /alibaba/product/productRecommendQuery",
    "POST /alibaba/product/productRelatedRecommendQuery",
    "POST /alibaba/product/global/keywords/query",
    "POST /alibaba/product/strict/keywords/query",
    "POST /alibaba/product/hotlist/query",
    # 1688 orders (previewbatch answers the single preview's shape; create answers upstream fastCreateOrder names).
    "POST /alibaba/order/batch/submit/to/pay",
    "POST /alibaba/order/create/previewbatch",
    "GET /alibaba/order/logistics/trace",
    "POST /alibaba/order/page",
    "POST /alibaba/order/create",
    # 1688 after-sales and cart.
    "POST /alibaba/refund/reason/list",
    "POST /alibaba/refund/voucher/upload",
    "POST /alibaba/refund/goods/return",
    "GET /alibaba/refund/logistics/company/list",
    "POST /alibaba/cart/create/order",
    "POST /alibaba/cart/delete",
    "POST /alibaba/cart/preview/order",
    "POST /alibaba/cart/add",
    # Foundations and warehouse logistics.
    "POST /open/address/get",
    "POST /open/pp/logistics/itemLogisticsPrice",
    "POST /open/pp/logistics/orderRenderFreight",
    "POST /open/pp/logistics/updateLogisticInfo",
    "POST /open/pp/logistics/orderBookingFreight",
)
