"""Records to wire shapes: the field names (misspellings included) and JSON types the catalogue documents.

The shared helpers and Taobao here; 1688 in :mod:`._serialize_1688`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from ._records import (
    Product,
    TaobaoCartItem,
    TaobaoLine,
    TaobaoOrder,
    TaobaoRefund,
)

__all__ = [
    "DISTRIBUTOR_ID",
    "china_time",
    "fen",
    "product",
    "product_row",
    "taobao_cart_row",
    "taobao_order",
    "taobao_order_line",
    "taobao_refund_aggregate",
    "taobao_refund_order",
    "time_1688",
]

#: The distributor id of the fake's buyer account, 13 digits like the examples.
DISTRIBUTOR_ID = "1223655000541"

# The docs never state a time zone; the platform is Chinese, so the fake writes China Standard Time.
_CST = timezone(timedelta(hours=8))


def china_time(epoch: float) -> str:
    """Format as ``yyyy-MM-dd HH:mm:ss`` (Taobao traces and pushes)."""
    return datetime.fromtimestamp(epoch, _CST).strftime("%Y-%m-%d %H:%M:%S")


def time_1688(epoch: float) -> str:
    """Format as 1688's ``yyyyMMddHHmmssSSS+zzzz``."""
    moment = datetime.fromtimestamp(epoch, _CST)
    return moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}+0800"


def fen(yuan: Decimal) -> int:
    """Convert yuan to fen (1688 preview and refund amounts are fen upstream)."""
    return int((yuan * 100).to_integral_value())


# --------------------------------------------------------------------------- Taobao goods


def product(p: Product) -> dict[str, object]:
    """``GET /open/product/get`` data: itemId is a JSON number here, a string in requests."""
    return {
        "quantity": p.quantity,
        "categoryPath": p.category_path,
        "shopName": p.shop_name,
        "description": p.description,
        "productUnit": None,
        "picUrls": list(p.pic_urls),
        "title": p.title,
        "mpId": p.mp_id,
        "categoryName": p.category_name,
        "itemId": int(p.item_id),
        "userNick": p.user_nick,
        "price": p.price,
        "beginAmount": 0,
        "status": "active",
        "promotionPrice": p.promotion_price,
        "shopId": p.shop_id,
        "categoryId": p.category_id,
        "itemType": "HAVE_MATERIAL",
        "skuList": [
            {
                "picUrl": sku.pic_url,
                "quantity": sku.stock,
                "price": sku.price,
                "skuId": sku.sku_id,
                "status": "active",
                # A string inside skuList (the mirror's example), a number at item level.
                "promotionPrice": str(sku.promotion_price),
                "postFee": 0,
                "mpSkuId": sku.mp_sku_id,
                "properties": [dict(prop) for prop in sku.properties],
            }
            for sku in p.skus
        ],
    }


def product_row(p: Product) -> dict[str, object]:
    """One row of the Taobao product / picture search (invented shape)."""
    return {
        "itemId": int(p.item_id),
        "mpId": p.mp_id,
        "title": p.title,
        "picUrl": p.pic_urls[0],
        "price": p.price,
        "promotionPrice": p.promotion_price,
        "quantity": p.quantity,
        "shopId": p.shop_id,
        "shopName": p.shop_name,
        "categoryId": p.category_id,
    }


def taobao_cart_row(item: TaobaoCartItem) -> dict[str, object]:
    """One Taobao cart record (invented shape, the cart-add fields plus the record id)."""
    p, sku = item.product, item.sku
    return {
        "id": item.id,
        "itemId": int(p.mp_id) if p.mp_id else int(p.item_id),
        "skuId": sku.sku_id,
        "mpId": p.mp_id,
        "mpSkuId": sku.mp_sku_id,
        "itemTitle": p.title,
        "itemPic": p.pic_urls[0],
        "price": sku.price,
        "promotionPrice": sku.promotion_price,
        "properties": json.dumps(item.properties or sku.properties, ensure_ascii=False, separators=(",", ":")),
        "quantity": item.quantity,
        "skuQuantity": str(sku.stock),
        "shopId": p.shop_id,
        "shopName": p.shop_name,
        "userNick": p.user_nick,
    }


# --------------------------------------------------------------------------- Taobao orders


def taobao_order_line(line: TaobaoLine) -> dict[str, object]:
    return {
        "orderLineNo": line.line_no,
        "itemId": line.product.mp_id,
        "skuId": line.sku.mp_sku_id,
        "taobaoItemId": line.product.item_id,
        "taobaoSkuId": line.sku.sku_id,
        "itemTitle": line.product.title,
        "itemPic": line.product.pic_urls[0],
        "quantity": line.quantity,
        "price": line.price,
        "currency": line.currency,
        "subPurchaseOrderId": line.sub_purchase_order_id,
        "purchaseOrderOuterId": line.purchase_order_outer_id,
    }


def taobao_order(o: TaobaoOrder) -> dict[str, object]:
    """A Taobao order as the (invented) detail and list calls answer it."""
    return {
        "orderId": o.order_id,
        "purchaseOrderId": o.purchase_order_id,
        "sellerOrderNumber": o.seller_order_number,
        "orderSource": o.order_source,
        "status": o.status,
        "purchaseAmount": o.purchase_amount,
        "currency": "CNY",
        "createTime": china_time(o.created_at),
        "payTime": None if o.paid_at is None else china_time(o.paid_at),
        "receiver": dict(o.receiver),
        "warehouseName": o.warehouse_name,
        "warehouseAddress": o.warehouse_address,
        "mailNo": o.mail_no,
        "orderLines": [taobao_order_line(line) for line in o.lines],
    }


# --------------------------------------------------------------------------- Taobao after-sales


def taobao_refund_order(r: TaobaoRefund, *, status_as_text: bool = False) -> dict[str, object]:
    """``refundOrder``: integer refundStatus in the query, a string in the render template (as documented)."""
    return {
        "refundId": r.refund_id,
        "refundFee": r.refund_fee,
        "payOrderId": r.order.order_id,
        "refundStatus": str(r.status) if status_as_text else r.status,
        "refundType": r.refund_type,
        "goodsStatus": r.goods_status,
        "reasonId": r.reason_id,
        "reasonDesc": r.reason_desc,
        "refundDesc": r.refund_desc,
        "canEditFee": r.status in (10, -10),
        "feeTips": f"最多可退 {r.line.amount} 分",
        "timeoutType": "SELLER_AGREE",
        "timeoutDate": china_time(r.created_at + 7 * 86400),
        "remainingTime": "7天",
        "sellerRefuseReason": None,
        "sellerRefuseReasonDescribe": None,
    }


def taobao_refund_aggregate(r: TaobaoRefund) -> dict[str, object]:
    """``refundOrderAggregate`` as the v1 examples show it (logisticCompanyCode spelling, address object)."""
    line = r.line
    return {
        "logistics": {
            "buyerPhone": r.buyer_phone,
            "logisticsCompany": {
                "logisticCompanyCode": r.logistics_company_code,
                "logisticsCompanyName": r.logistics_company_name,
            },
            "logisticsNo": r.logistics_no,
            "receiverAddress": {
                "detailAddress": "浙江省杭州市余杭区仓前街道1号",
                "phone": "18123594991",
                "receiver": "售后部",
            },
            "returnGoodsDesc": "请勿发到付",
            "sellerAgreeReturnDescribe": "同意退货" if r.status in (20, 30, 100) else None,
        },
        "purchaseOrderLine": {
            "createTime": int(r.order.created_at * 1000),
            "currency": line.currency,
            "itemImageUrl": line.product.pic_urls[0],
            "itemTitle": line.product.title,
            "postFee": 0,
            "price": line.price,
            "salesOrderId": r.order.seller_order_number,
            "supplierId": line.product.shop_id,
            "quantity": line.quantity,
            "totalPrice": line.amount,
            "productFee": line.amount,
            "salesMarket": r.order.order_source,
            "purchaseOrderLineId": line.purchase_order_line_id,
            "purchaseOrderId": r.order.purchase_order_id,
        },
        "refundOrder": taobao_refund_order(r),
    }
