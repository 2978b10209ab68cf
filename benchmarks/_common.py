"""Shared pieces of the benchmark suite: the ``Section`` report unit, interleaving, tables, charts, machine info.

Every figure the suite reports is a ratio against a baseline measured side by side in the same run: contestants run
in interleaved rounds (the order rotates each round) and the median of the rounds is kept.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import importlib.metadata
import math
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHARTS = HERE / "charts"
SPEC = ROOT / "pandapon" / "spec" / "pandapon.openapi.json"


@dataclass
class Section:
    """One benchmark's report: a markdown table, notes, and optionally a chart (path relative to benchmarks/)."""

    title: str
    table: str
    notes: list[str] = field(default_factory=list)
    chart: Path | None = None
    seconds: float = 0.0

    def markdown(self) -> str:
        parts = [f"## {self.title}", "", self.table, ""]
        if self.chart is not None:
            rel = self.chart.relative_to(HERE).as_posix()
            parts += [f"![{self.title}]({rel})", ""]
        parts += [f"- {note}" for note in self.notes]
        parts += [f"- Section run time: {self.seconds:.0f} s.", ""]
        return "\n".join(parts)


# ---------------------------------------------------------------------------------------------------- signing


def signed_headers(key: str, secret: str, user: str) -> dict[str, str]:
    """The five system headers as a careful hand-written caller builds them (the raw baselines use this).

    Same scheme as ``bench_core._headers`` but with a 32-hex-character nonce from one ``secrets.token_hex`` call:
    ``bench_core._headers`` draws 32 ``secrets.choice`` characters (~20 µs), which would handicap the baselines.
    """
    ts = str(int(time.time()))
    nonce = secrets.token_hex(16)
    sig = hashlib.md5((key + ts + nonce + secret).encode()).hexdigest().upper()
    return {"access-key": key, "timestamp": ts, "nonce-str": nonce, "user-id": user, "signature": sig}


# ---------------------------------------------------------------------------------------------------- measuring


def interleave(rounds: int, samplers: Mapping[str, Callable[[], float]]) -> dict[str, list[float]]:
    """Run every sampler once per round, rotating who goes first; return each one's samples."""
    names = list(samplers)
    out: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            out[name].append(samplers[name]())
    return out


def medians(samples: Mapping[str, Sequence[float]]) -> dict[str, float]:
    return {k: statistics.median(v) for k, v in samples.items()}


def spread(values: Sequence[float]) -> str:
    """Return the min–max range of the rounds relative to their median, e.g. ``±4%``."""
    med = statistics.median(values)
    if len(values) < 2 or med == 0:
        return "–"
    return f"±{max(abs(max(values) - med), abs(med - min(values))) / med * 100:.0f}%"


def new_loop() -> asyncio.AbstractEventLoop:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


# ---------------------------------------------------------------------------------------------------- reporting


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def ratio(value: float, base: float, digits: int = 2) -> str:
    if base == 0:
        return "–"
    return f"{value / base:.{digits}f}×"


def bar_chart(
    name: str,
    title: str,
    groups: Sequence[str],
    series: Mapping[str, Sequence[float]],
    ylabel: str,
    *,
    baseline: float = 1.0,
    log: bool = False,
    band: float | None = None,
    ylim: tuple[float, float] | None = None,
) -> Path:
    """Write a grouped bar chart of ratios to charts/<name>.png (a dashed line marks the baseline)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    CHARTS.mkdir(exist_ok=True)
    width = 0.8 / max(1, len(series))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(groups) * max(1, len(series)) ** 0.5 + 3), 4.2))
    for i, (label, values) in enumerate(series.items()):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        drawn = [0.0 if math.isnan(v) else v for v in values]  # NaN = not measurable: no bar, labelled n/a
        bars = ax.bar(xs, drawn, width, label=label)
        ax.bar_label(bars, labels=["n/a" if math.isnan(v) else f"{v:.2f}" for v in values], fontsize=7, padding=1)
    ax.axhline(baseline, color="black", linestyle="--", linewidth=0.8)
    if band is not None:  # the tolerance band around the baseline
        ax.axhspan(baseline * (1 - band), baseline * (1 + band), color="green", alpha=0.12, label=f"±{band:.0%}")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xticks(range(len(groups)), groups, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    if log:
        ax.set_yscale("log")
    if len(series) > 1 or band is not None:
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = CHARTS / f"{name}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    import pandapon

    libs = ", ".join(
        f"{n} {_dist_version(n)}"
        for n in (
            "httpx",
            "httpcore",
            "anyio",
            "attrs",
            "cattrs",
            "aiohttp",
            "pydantic",
            "pydantic-core",
            "openapi-python-client",
            "redis",
            "matplotlib",
        )
    )
    redis_server = "not found"
    if shutil.which("redis-server"):
        out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True, check=False).stdout
        redis_server = out.split()[2].removeprefix("v=") if len(out.split()) > 2 else out.strip()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return [
        f"- Date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- CPU: {cpu}; {os.cpu_count()} logical cores ({usable} usable); load average at start {load[0]:.2f}",
        f"- OS: {platform.system()} {platform.release()} ({platform.machine()})",
        f"- Python {platform.python_version()} ({platform.python_implementation()}), event loop: stdlib asyncio",
        f"- pandapon {pandapon.__version__}; {libs}; redis-server {redis_server}",
    ]


# ---------------------------------------------------------------------------------------------------- openapi-python-client


@contextmanager
def generated_client() -> Iterator[SimpleNamespace]:
    """Generate a client from our spec with openapi-python-client into a temporary directory and import it.

    Yields a namespace with ``client_module`` (``gen.client``), ``endpoint`` (the update-warehouse module) and
    ``Body`` (its request model). Nothing is written outside the temporary directory; the modules are dropped from
    ``sys.modules`` afterwards.
    """
    import tempfile

    exe = Path(sys.executable).with_name("openapi-python-client")
    cmd = [str(exe) if exe.exists() else "openapi-python-client", "generate", "--path", str(SPEC), "--meta", "none"]
    with tempfile.TemporaryDirectory(prefix="pandapon-bench-") as tmp:
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        proc = subprocess.run(
            [*cmd, "--output-path", f"{tmp}/gen"], capture_output=True, text=True, env=env, check=False
        )
        if proc.returncode != 0 or not Path(tmp, "gen", "client.py").exists():
            raise RuntimeError(f"openapi-python-client failed:\n{proc.stdout}\n{proc.stderr}")
        sys.path.insert(0, tmp)
        try:
            import importlib

            client_module = importlib.import_module("gen.client")
            endpoint = importlib.import_module("gen.api.taobao_order.taobao_orders_update_warehouse")
            models: ModuleType = importlib.import_module("gen.models")
            yield SimpleNamespace(
                client_module=client_module, endpoint=endpoint, Body=models.TaobaoOrdersUpdateWarehouseRequest
            )
        finally:
            sys.path.remove(tmp)
            for mod in [m for m in sys.modules if m == "gen" or m.startswith("gen.")]:
                del sys.modules[mod]


def gen_check(response: Any) -> bool:
    """What a careful caller of the generated client does: status, parsed envelope, code, data."""
    parsed = response.parsed
    if response.status_code != 200 or parsed is None or parsed.code != 200:
        raise RuntimeError(f"unexpected answer: {response.status_code} {response.content!r}")
    return bool(parsed.data)
