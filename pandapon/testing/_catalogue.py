"""The seeded catalogue: 12 Taobao products and 12 1688 offers from 4 sellers, the same for the same seed."""

from __future__ import annotations

import random
import string
from decimal import Decimal

import attrs

from ._records import Offer, Product, Seller, Sku, Spec, digits

__all__ = ["Catalogue", "build_catalogue"]


@attrs.define
class Catalogue:
    """Every product, offer and seller of one seed."""

    products: list[Product]
    offers: list[Offer]
    sellers: list[Seller]


_TAOBAO = [
    ("夏季纯棉连衣裙女", "121452038", "连衣裙", "女装/女士精品->连衣裙"),
    ("男士长款真皮钱包", "50012010", "钱包", "箱包皮具->男士钱包"),
    ("无线蓝牙耳机降噪", "50008090", "耳机", "影音电器->耳机/耳麦"),
    ("儿童电动车四轮遥控", "50018393", "儿童电动车", "玩具/童车->儿童电动车"),
    ("不锈钢保温杯大容量", "50016348", "保温杯", "厨房/餐饮用具->保温杯"),
    ("宽松纯棉T恤男短袖", "50000436", "T恤", "男装->T恤"),
    ("瑜伽垫加厚防滑", "50017070", "瑜伽垫", "运动/瑜伽/健身->瑜伽垫"),
    ("机械键盘青轴电竞", "50012320", "键盘", "电脑硬件/显示器->键盘"),
    ("陶瓷马克杯带盖勺", "50016349", "马克杯", "厨房/餐饮用具->杯子"),
    ("帆布双肩包学生书包", "50012019", "双肩背包", "箱包皮具->双肩背包"),
    ("LED护眼台灯学习", "50016550", "台灯", "家装灯饰->台灯"),
    ("防晒冰丝袖套女", "50025685", "袖套", "服饰配件->袖套"),
]

_COLOURS = [(28326, "红色"), (28341, "黑色"), (28320, "白色"), (28324, "黄色")]
_SIZES = [(28314, "S"), (28315, "M"), (28316, "L")]

_ALIBABA = [
    ("国潮男装T恤230g重磅短袖", "Guochao men's T-shirt 230g heavyweight short sleeve", 127380009, "T恤"),
    ("纯棉白色T恤女宽松打底衫", "Cotton white T-shirt women loose base shirt", 127380009, "T恤"),
    ("儿童T恤夏季卡通短袖", "Children's T-shirt summer cartoon short sleeve", 127380009, "T恤"),
    ("速干运动T恤男健身服", "Quick-dry sports T-shirt men fitness wear", 127380009, "T恤"),
    ("情侣T恤印花定制", "Couple T-shirt custom print", 127380009, "T恤"),
    ("POLO衫T恤商务翻领", "POLO shirt T-shirt business lapel", 127380009, "T恤"),
    ("PVC插页文件夹A4加厚", "PVC insert folder A4 thickened", 1033054, "文件夹"),
    ("尼龙单肩包大容量托特包", "Nylon shoulder bag large capacity tote", 1042954, "女包"),
    ("硅胶手机壳防摔", "Silicone phone case drop-proof", 1049376, "手机壳"),
    ("不锈钢保温杯316", "Stainless steel 316 vacuum cup", 1042756, "保温杯"),
    ("收纳箱塑料加厚", "Thickened plastic storage box", 1038378, "收纳箱"),
    ("背心女夏季吊带", "Women's summer camisole vest", 1031918, "背心"),
]

_SELLERS = [
    ("义乌市优品服饰有限公司", "优品服饰"),
    ("广州潮流服装厂", "潮流服装"),
    ("温州箱包批发商行", "温州箱包"),
    ("深圳数码配件科技", "数码配件"),
]

_OPEN_ID_ALPHABET = string.ascii_letters + string.digits + "_-"


class _Unique:
    """Draw ids that never repeat within one catalogue."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def digits(self, count: int, first: str = "") -> str:
        while True:
            value = digits(self.rng, count, first)
            if value not in self.seen:
                self.seen.add(value)
                return value

    def hex32(self) -> str:
        while True:
            value = f"{self.rng.getrandbits(128):032x}"
            if value not in self.seen:
                self.seen.add(value)
                return value


def build_catalogue(rng: random.Random) -> Catalogue:
    """Build the seeded catalogue: the same seed always gives the same ids, prices and stock."""
    ids = _Unique(rng)
    products: list[Product] = []
    for index, (title, category_id, category_name, category_path) in enumerate(_TAOBAO):
        item_id = ids.digits(12, "6")
        # The last product is not offered for distribution: batch/check reports it under noMpProductItemIds.
        mp_id = None if index == len(_TAOBAO) - 1 else ids.digits(16 + index % 3, "20")
        base = rng.randrange(990, 29900, 10)
        skus: list[Sku] = []
        for sku_index in range(2 + index % 2):
            colour_id, colour = _COLOURS[(index + sku_index) % len(_COLOURS)]
            properties: list[dict[str, object]] = [
                {"valueId": colour_id, "valueName": colour, "propId": 1627207, "propName": "颜色分类"}
            ]
            if category_name in ("连衣裙", "T恤", "袖套"):
                size_id, size = _SIZES[sku_index % len(_SIZES)]
                properties.append({"valueId": size_id, "valueName": size, "propId": 20509, "propName": "尺码"})
            price = base + sku_index * 100
            skus.append(
                Sku(
                    sku_id=ids.digits(13, "5"),
                    mp_sku_id=None if mp_id is None else ids.digits(13, "4"),
                    price=price,
                    promotion_price=price * 9 // 10,
                    stock=rng.randrange(50, 500),
                    properties=properties,
                )
            )
        shop = rng.randrange(100_000_000, 999_999_999)
        products.append(
            Product(
                item_id=item_id,
                mp_id=mp_id,
                shop_id=shop,
                shop_name=f"{category_name}旗舰店",
                user_nick=f"tb{shop % 100000:05d}",
                title=title,
                category_id=category_id,
                category_name=category_name,
                category_path=category_path,
                description=f"<p>{title}</p>",
                pic_urls=[f"https://img.alicdn.com/bao/uploaded/i1/{shop}/O1CN01fake{item_id}_!!{shop}.jpg"],
                price=base,
                promotion_price=base * 9 // 10,
                skus=skus,
            )
        )

    sellers = [
        Seller(
            open_id="BBB" + "".join(rng.choice(_OPEN_ID_ALPHABET) for _ in range(22)),
            nick=nick,
            company=company,
            wangwang=f"{nick}{index + 1}号",
        )
        for index, (company, nick) in enumerate(_SELLERS)
    ]
    offers: list[Offer] = []
    for index, (subject, subject_trans, offer_category_id, offer_category) in enumerate(_ALIBABA):
        offer_id = int(ids.digits(12, "7"))
        base_price = Decimal(rng.randrange(350, 6000)) / 100
        specs: list[Spec] = []
        for spec_index in range(2 + index % 2):
            _, colour = _COLOURS[(index + spec_index) % len(_COLOURS)]
            specs.append(
                Spec(
                    spec_id=ids.hex32(),
                    sku_id=int(ids.digits(13, "5")),
                    price=base_price + Decimal(spec_index) / 2,
                    stock=rng.randrange(100, 5000),
                    attributes=[
                        {"attributeId": 3216, "attributeName": "颜色", "attributeNameTrans": "colour", "value": colour},
                        {"attributeId": 450, "attributeName": "尺码", "attributeNameTrans": "size", "value": "均码"},
                    ],
                )
            )
        offers.append(
            Offer(
                offer_id=offer_id,
                subject=subject,
                subject_trans=subject_trans,
                category_id=offer_category_id,
                category_name=offer_category,
                seller=sellers[index % len(sellers)],
                image_url=f"https://cbu01.alicdn.com/img/ibank/O1CN01fake{offer_id}_!!0-0-cib.jpg",
                price=base_price,
                specs=specs,
                month_sold=rng.randrange(0, 20000),
                min_order_quantity=1 + index % 3,
            )
        )
    return Catalogue(products=products, offers=offers, sellers=sellers)
