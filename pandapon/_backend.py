"""Which event loop library the caller runs on (sniffio when present; it is not a dependency of anyio >= 4.11)."""

from __future__ import annotations

__all__ = ["running_on_asyncio"]


def running_on_asyncio() -> bool:
    """True inside an asyncio task; False on trio or outside any event loop."""
    try:
        import sniffio
    except ImportError:  # not a dependency of anyio >= 4.11; trio needs it, so without it only asyncio can run
        import asyncio  # already loaded if it is running; not imported eagerly (import time)

        try:
            return asyncio.current_task() is not None
        except RuntimeError:
            return False
    try:
        return sniffio.current_async_library() == "asyncio"
    except sniffio.AsyncLibraryNotFoundError:
        return False
