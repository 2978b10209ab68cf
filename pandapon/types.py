"""Every request and response model, generated from the API description (``from pandapon.types import ...``).

Also ``UnknownShape``: what an operation returns when no source shows the shape of its answer (the decoded JSON); and
the open enums of order, refund and logistics statuses (``TaobaoRefundStatus``, ``AlibabaOrderStatus``...): known
values are members with their meaning, unknown ones are kept (``status.known`` is ``False``).
"""

from ._enums import (
    AlibabaItemRefundStatus as AlibabaItemRefundStatus,
)
from ._enums import (
    AlibabaLogisticsStatus as AlibabaLogisticsStatus,
)
from ._enums import (
    AlibabaOrderStatus as AlibabaOrderStatus,
)
from ._enums import (
    AlibabaRefundStatus as AlibabaRefundStatus,
)
from ._enums import (
    OpenIntEnum as OpenIntEnum,
)
from ._enums import (
    OpenStrEnum as OpenStrEnum,
)
from ._enums import (
    TaobaoLogisticsTraceStatus as TaobaoLogisticsTraceStatus,
)
from ._enums import (
    TaobaoOrderStatus as TaobaoOrderStatus,
)
from ._enums import (
    TaobaoRefundStatus as TaobaoRefundStatus,
)
from ._generated.types import *  # noqa: F403
from ._generated.types import __all__ as __all__

__all__ += [
    "AlibabaItemRefundStatus",
    "AlibabaLogisticsStatus",
    "AlibabaOrderStatus",
    "AlibabaRefundStatus",
    "OpenIntEnum",
    "OpenStrEnum",
    "TaobaoLogisticsTraceStatus",
    "TaobaoOrderStatus",
    "TaobaoRefundStatus",
]
