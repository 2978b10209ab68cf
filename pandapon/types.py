"""Every request and response model, generated from the API description (``from pandapon.types import ...``)."""

from ._generated.types import *  # noqa: F403
from ._generated.types import __all__ as __all__
