"""1688 records to wire shapes (see :mod:`._serialize`)."""

from __future__ import annotations

import json

from ._records import AlibabaCartItem, AlibabaOrder, AlibabaRefund, Offer
from ._serialize import china_time, fen, time_1688

__all__ = ["alibaba_cart_row", "alibaba_order", "alibaba_refund", "offer_detail", "offer_row"]


# --------------------------------------------------------------------------- 1688 goods


def offer_row(o: Offer) -> dict[str, object]:
    """One 1688 search row: imageUrl and subject are documented, the other six are upstream names."""
    return {
        "imageUrl": o.image_url,
        "subject": o.subject,
        "subjectTrans": o.subject_trans,
        "offerId": o.offer_id,
        "isJxhy": False,
        "priceInfo": {"price": str(o.price), "jxhyPrice": None, "pfJxhyPrice": None, "consignPrice": str(o.price)},
        "repurchaseRate": "12%",
        "monthSold": o.month_sold,
    }


def offer_detail(o: Offer) -> dict[str, object]:
    """``POST /alibaba/product/detail/get`` data (documented names, then upstream ones)."""
    return {
        "offerId": o.offer_id,
        "categoryId": o.category_id,
        "categoryName": o.category_name,
        "subject": o.subject,
        "subjectTrans": o.subject_trans,
        "description": f'<div id="offer-template-0"></div><p>{o.subject}</p>',
        "mainVideo": None,
        "detailVideo": None,
        "productImage": {"images": [o.image_url], "whiteImage": None},
        "productAttribute": [
            {
                "attributeId": "2176",
                "attributeName": "品牌",
                "value": "其他",
                "attributeNameTrans": "brand",
                "valueTrans": "other",
            }
        ],
        "productSkuInfos": [
            {
                "amountOnSale": spec.stock,
                "price": str(spec.price),
                "jxhyPrice": None,
                "skuId": spec.sku_id,
                "specId": spec.spec_id,
                "skuAttributes": [dict(a) for a in spec.attributes],
            }
            for spec in o.specs
        ],
        "productSaleInfo": {"amountOnSale": sum(s.stock for s in o.specs), "quoteType": 1},
        "sellerOpenId": o.seller.open_id,
        "minOrderQuantity": o.min_order_quantity,
        "status": "published",
        "companyName": o.seller.company,
    }


def alibaba_cart_row(item: AlibabaCartItem) -> dict[str, object]:
    return {
        "id": item.id,
        "offerId": item.offer.offer_id,
        "specId": item.spec.spec_id,
        "skuId": str(item.spec.sku_id),
        "itemTitle": item.offer.subject,
        "itemPic": item.offer.image_url,
        "price": fen(item.spec.price),
        "quantity": item.quantity,
        "amountOnSale": item.spec.stock,
        "properties": json.dumps(item.spec.attributes, ensure_ascii=False, separators=(",", ":")),
    }


# --------------------------------------------------------------------------- 1688 orders and after-sales


def alibaba_order(o: AlibabaOrder) -> dict[str, object]:
    """The 1688 order-detail object (order detail, batch create, 1688 pushes)."""
    addr = o.address
    shipped = o.logistics_bill_no is not None
    return {
        "guaranteesTerms": None,
        "internationalLogistics": None,
        "nativeLogistics": {
            "address": f"{addr.get('townText') or ''} {addr.get('address') or ''}".strip(),
            "area": addr.get("areaText"),
            "areaCode": addr.get("districtCode") or "330106",
            "city": addr.get("cityText"),
            "contactPerson": addr.get("fullName"),
            "fax": None,
            "mobile": addr.get("mobile"),
            "province": addr.get("provinceText"),
            "telephone": addr.get("phone"),
            "zip": addr.get("postCode"),
            "logisticsItems": (
                [{"logisticsBillNo": o.logistics_bill_no, "logisticsCompanyName": "中通快递", "status": "alreadysend"}]
                if shipped
                else None
            ),
            "townCode": None,
            "town": addr.get("townText"),
            "caid": None,
            "realLogisticsCompanyNo": None,
        },
        "productItems": [
            {
                "cargoNumber": None,
                "description": None,
                "itemAmount": line.amount,
                "name": line.offer.subject,
                "price": line.price,
                "productID": line.offer.offer_id,
                "productImgUrl": [line.offer.image_url.replace(".jpg", ".80x80.jpg"), line.offer.image_url],
                "skuID": line.spec.sku_id,
                "specId": line.spec.spec_id,
                "quantity": line.quantity,
                "subItemID": line.entry_id,
                "status": o.status,
                "unit": "件",
            }
            for line in o.lines
        ],
        "tradeTerms": [],
        "extAttributes": [],
        "orderRateInfo": None,
        "orderInvoiceInfo": None,
        "customs": None,
        "overseasExtraAddress": None,
        "baseInfo": {
            "id": int(o.order_id),
            "idOfStr": o.order_id,
            "status": o.status,
            "flow": o.flow,
            "tradeType": o.trade_type,
            "totalAmount": o.total,
            "shippingFee": o.shipping_fee,
            "sumProductPayment": o.product_total,
            "createTime": time_1688(o.created_at),
            "payTime": None if o.paid_at is None else time_1688(o.paid_at),
            "buyerRemark": o.message,
            "refundStatus": o.refund_status,
            "closeReason": o.close_reason,
            "sellerID": o.seller.open_id,
            "sellerContact": {"name": o.seller.nick, "companyName": o.seller.company},
        },
        "orderBizInfo": {"odsCyd": False, "creditOrder": False},
    }


def alibaba_refund(r: AlibabaRefund) -> dict[str, object]:
    """``POST /alibaba/refund/info`` data: the documented members, then the refund's own ids and state."""
    return {
        "id": r.record_id,
        "createBy": "openapi",
        "createById": 0,
        "createTime": china_time(r.created_at),
        "updateBy": "openapi",
        "updateById": 0,
        "updateTime": china_time(r.updated_at),
        "remark": None,
        "alipayPaymentId": f"2024{r.order.order_id[-12:]}",
        "applyCarriage": r.apply_carriage,
        "applyExpect": r.apply_payment + r.apply_carriage,
        "applyPayment": r.apply_payment,
        "applyReason": r.apply_reason,
        "applyReasonId": r.apply_reason_id,
        "applySubReason": None,
        "applySubReasonId": None,
        "buyerAlipayId": "2088000000000000",
        "buyerLogisticsName": r.logistics_company_name,
        "buyerMemberId": "b2b-fakebuyer",
        "buyerSendGoods": r.freight_bill is not None,
        "buyerUserId": 2200000000000,
        "refundId": r.refund_id,
        "orderId": r.order.order_id,
        "orderEntryIds": list(r.entry_ids),
        "disputeRequest": r.dispute_request,
        "goodsStatus": r.goods_status,
        "status": r.status,
        "description": r.description,
        "vouchers": list(r.vouchers),
        "freightBill": r.freight_bill,
        "logisticsCompanyNo": r.logistics_company_no,
    }
