"""``python -m benchmarks``: run every benchmark and write benchmarks/RESULTS.md."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import anyio
import httpx

import pandapon

from . import bench_core


def main() -> None:
    core = bench_core.report()
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            f"Machine: {platform.machine()}, {platform.system()} {platform.release()}; Python {sys.version.split()[0]}; "
            f"pandapon {pandapon.__version__}, httpx {httpx.__version__}, anyio {anyio.__version__ if hasattr(anyio, '__version__') else '?'}.",
            "Every ratio compares clients measured side by side, interleaved, in the same run (lower is better).",
            "",
            "## update_warehouse: SDK vs hand-written signed POST with raw httpx (sequential, per call)",
            "",
            core,
            "",
        ]
    )
    out = Path(__file__).with_name("RESULTS.md")
    out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
