"""Item 4: the cost of ``import pandapon`` vs ``import httpx``, each in a fresh interpreter.

Two measures, interleaved run by run (order rotated), medians kept: the cumulative time ``python -X importtime``
reports for the top-level package, and the wall time of ``python -c "import X"`` (with ``python -c pass`` as the
interpreter-startup floor, subtracted for the net figure).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

from ._common import ROOT, Section, bar_chart, spread, table

DEPS = "httpx, attrs, anyio"
TARGETS = {
    "nothing (python -c pass)": "pass",
    "httpx": "import httpx",
    "pandapon": "import pandapon",
    "dependencies": f"import {DEPS}",
}


#: Import, client creation and one signed call over loopback, in a fresh interpreter (``{url}`` filled in).
FIRST_CALL = {
    "httpx": (
        "import asyncio, hashlib, secrets, time, httpx\n"
        "async def main():\n"
        "    async with httpx.AsyncClient() as client:\n"
        "        ts, nonce = str(int(time.time())), secrets.token_hex(16)\n"
        "        sig = hashlib.md5(('k' + ts + nonce + 's').encode()).hexdigest().upper()\n"
        "        headers = {'access-key': 'k', 'timestamp': ts, 'nonce-str': nonce, 'user-id': 'u', 'signature': sig}\n"
        "        body = {'orderId': '1', 'warehouseName': 'w', 'warehouseAddress': 'a'}\n"
        "        r = await client.post('{url}/open/order/updateWarehouse', json=body, headers=headers)\n"
        "        r.raise_for_status(); assert r.json()['data'] is True\n"
        "asyncio.run(main())\n"
    ),
    "pandapon": (
        "import asyncio, pandapon\n"
        "async def main():\n"
        "    async with pandapon.AsyncPandaPon('k', 's', 'u', base_url='{url}') as client:\n"
        "        assert await client.taobao.orders.update_warehouse('1', 'w', 'a') is True\n"
        "asyncio.run(main())\n"
    ),
}

#: The same pandapon child in asyncio debug mode: every callback that held the loop for 50 ms or more is reported.
SLOW_CALLBACKS = (
    "import asyncio, logging, re\n"
    "slow = []\n"
    "class Catch(logging.Handler):\n"
    "    def emit(self, record):\n"
    "        m = re.search(r'took ([0-9.]+) seconds', record.getMessage())\n"
    "        if m: slow.append(float(m.group(1)))\n"
    "logging.getLogger('asyncio').addHandler(Catch())\n"
    "import pandapon\n"
    "async def main():\n"
    "    asyncio.get_running_loop().slow_callback_duration = 0.05\n"
    "    client = pandapon.AsyncPandaPon('k', 's', 'u', base_url='{url}')\n"
    "    assert await client.taobao.orders.update_warehouse('1', 'w', 'a') is True\n"
    "    await client.aclose()\n"
    "asyncio.run(main(), debug=True)\n"
    "print(max(slow, default=0.0) * 1000, len(slow))\n"
)


#: Bytecode caches of the child interpreters go here (set by ``run``), never into the working tree.
_PYCACHE: list[str] = []


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    if _PYCACHE:
        env["PYTHONPYCACHEPREFIX"] = _PYCACHE[-1]
    return env


def wall(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), check=True)
    return (time.perf_counter() - t0) * 1e3


def importtime(module: str) -> tuple[float, float]:
    """Cumulative ms of ``module`` as ``-X importtime`` reports it, and of ``httpx._main`` within it."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] in (module, "httpx._main"):
            found[parts[2]] = float(parts[1]) / 1e3
    if module not in found:
        raise RuntimeError(f"no importtime line for {module}:\n{proc.stderr[-2000:]}")
    return found[module], found.get("httpx._main", 0.0)


def module_count(module: str) -> int:
    code = f"import sys; before = len(sys.modules); import {module}; print(len(sys.modules) - before)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True, check=True)
    return int(out.stdout)


def added_beyond_httpx() -> list[str]:
    """Top-level packages ``import pandapon`` loads that ``import httpx`` did not."""
    code = (
        "import sys, httpx; a = set(sys.modules); import pandapon; "
        "print(' '.join(sorted({m.split('.')[0] for m in set(sys.modules) - a} - {'pandapon'})))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True, check=True)
    return out.stdout.split()


def slow_callbacks(url: str) -> tuple[float, int]:
    """The longest callback (ms) and how many held the loop ≥ 50 ms: import outside the loop, then client
    creation and first call (not entered: the lazy path) inside it, in asyncio debug mode."""
    code = SLOW_CALLBACKS.replace("{url}", url)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True, check=True)
    longest, count = out.stdout.split()
    return float(longest), int(count)


def run(quick: bool) -> Section:
    from .bench_core import loopback_server

    with tempfile.TemporaryDirectory(prefix="pandapon-bench-pycache-") as pycache, loopback_server() as url:
        _PYCACHE.append(pycache)
        try:
            return _run(quick, url)
        finally:
            _PYCACHE.remove(pycache)


def _run(quick: bool, url: str) -> Section:
    started = time.perf_counter()
    runs = 5 if quick else 15
    first = {name: code.replace("{url}", url) for name, code in FIRST_CALL.items()}
    for code in [*TARGETS.values(), *first.values()]:  # warm the .pyc caches and the page cache
        wall(code)
    first_walls: dict[str, list[float]] = {name: [] for name in first}
    for i in range(runs):
        for name in list(first)[i % 2 :] + list(first)[: i % 2]:
            first_walls[name].append(wall(first[name]))
    slow = [slow_callbacks(url) for _ in range(3 if quick else 5)]
    walls: dict[str, list[float]] = {name: [] for name in TARGETS}
    itimes: dict[str, list[float]] = {"httpx": [], "pandapon": []}
    lean: dict[str, list[float]] = {"httpx": [], "pandapon": []}
    names = list(TARGETS)
    for i in range(runs):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            walls[name].append(wall(TARGETS[name]))
            if name in itimes:
                total, cli = importtime(name)
                itimes[name].append(total)
                lean[name].append(total - cli)
    w = {n: statistics.median(v) for n, v in walls.items()}
    it = {n: statistics.median(v) for n, v in itimes.items()}
    lt = {n: statistics.median(v) for n, v in lean.items()}
    floor = w["nothing (python -c pass)"]
    net = {n: w[n] - floor for n in ("httpx", "pandapon", "dependencies")}
    counts = {n: module_count(n) for n in ("httpx", "pandapon")}
    fw = {n: statistics.median(v) for n, v in first_walls.items()}
    extra = [m for m in added_beyond_httpx() if not m.startswith("_")]
    rows = [
        [
            "-X importtime, cumulative ms",
            f"{it['httpx']:.1f} ({spread(itimes['httpx'])})",
            f"{it['pandapon']:.1f} ({spread(itimes['pandapon'])})",
            f"**{it['pandapon'] / it['httpx']:.2f}×**",
        ],
        [
            "-X importtime, cumulative ms, without httpx._main (see notes)",
            f"{lt['httpx']:.1f} ({spread(lean['httpx'])})",
            f"{lt['pandapon']:.1f} ({spread(lean['pandapon'])})",
            f"**{lt['pandapon'] / lt['httpx']:.2f}×**",
        ],
        [
            "wall ms of `python -c 'import X'`",
            f"{w['httpx']:.1f} ({spread(walls['httpx'])})",
            f"{w['pandapon']:.1f} ({spread(walls['pandapon'])})",
            f"{w['pandapon'] / w['httpx']:.2f}×",
        ],
        [
            f"wall ms net of interpreter start-up ({floor:.1f} ms)",
            f"{net['httpx']:.1f}",
            f"{net['pandapon']:.1f}",
            f"**{net['pandapon'] / net['httpx']:.2f}×**" if net["httpx"] > 0 else "–",
        ],
        [
            f"the floor: wall ms net of `import {DEPS}` (the design's required dependencies, no pandapon code)",
            f"{net['httpx']:.1f}",
            f"{net['dependencies']:.1f}",
            f"{net['dependencies'] / net['httpx']:.2f}×" if net["httpx"] > 0 else "–",
        ],
        ["modules added to sys.modules", str(counts["httpx"]), str(counts["pandapon"]), ""],
        [
            "wall ms of import + client + first call over loopback, net of start-up (see notes)",
            f"{fw['httpx'] - floor:.1f} ({spread(first_walls['httpx'])})",
            f"{fw['pandapon'] - floor:.1f} ({spread(first_walls['pandapon'])})",
            f"**{(fw['pandapon'] - floor) / (fw['httpx'] - floor):.2f}×**" if fw["httpx"] > floor else "–",
        ],
        [
            "longest event-loop stall during client creation + first call (asyncio debug, ≥ 50 ms reported)",
            "",
            f"{max(ms for ms, _ in slow):.0f} ms ({sum(n for _, n in slow)} callbacks ≥ 50 ms in {len(slow)} runs)",
            "",
        ],
    ]
    md = table(["measure", "import httpx", "import pandapon", "pandapon ÷ httpx"], rows)
    chart = bar_chart(
        "import",
        "import pandapon ÷ import httpx (fresh interpreters)",
        ["-X importtime cumulative", "importtime w/o httpx CLI", "wall, net of start-up", "wall, whole process"],
        {
            "pandapon ÷ httpx": [
                it["pandapon"] / it["httpx"],
                lt["pandapon"] / lt["httpx"],
                net["pandapon"] / net["httpx"] if net["httpx"] > 0 else 0.0,
                w["pandapon"] / w["httpx"],
            ]
        },
        "× httpx (lower is better)",
    )
    notes = [
        f"{runs} fresh interpreters per measure and target, interleaved with rotating order, after one warm-up "
        "run each (bytecode caches warm); medians (±: widest run's distance from the median).",
        "`import pandapon` imports httpx, so its figure includes httpx's: the ratio is the whole price of the "
        "SDK relative to the HTTP library alone. Top-level packages it loads beyond httpx's: "
        f"{', '.join(extra) or 'none'}. Resource groups (client.taobao, …) and their generated models are "
        "imported lazily on first attribute access and are not part of this number; neither is `decimal` (about "
        "1 ms), which the first client created imports (responses decode money as Decimal), nor cattrs, which the "
        "first structured response imports.",
        "httpx/__init__ imports its command-line module httpx._main whenever click, rich and pygments are "
        + (
            f"importable. They are in this venv: {it['httpx'] - lt['httpx']:.0f} ms of the {it['httpx']:.0f} ms, "
            "which flatters pandapon's ratio; without them that import fails at once, both numbers shrink by that "
            "amount and pandapon's ratio is the 'without httpx._main' row."
            if it["httpx"] - lt["httpx"] >= 0.5
            else "importable. They are not in this venv, so both importtime rows agree and httpx is at its leanest."
        ),
        f"The floor row: pandapon cannot import faster than its required dependencies. attrs alone "
        f"({net['dependencies'] - net['httpx']:.1f} ms net with anyio) is part of every `import pandapon`, because "
        "the client, its settings, endpoints and models are attrs classes; pandapon's own modules account for "
        f"the remaining {net['pandapon'] - net['dependencies']:.1f} ms.",
        "First call: a fresh interpreter imports the library, creates a client and makes one signed "
        "update_warehouse call to benchmarks/_server.py over loopback (httpx: by hand, as in the calls section; "
        "pandapon: `async with AsyncPandaPon(...)`, which loads aiohttp, its engine, and the converter in a worker "
        "thread). The stall row runs pandapon without `async with` (the first call loads them, also in a worker "
        "thread) in asyncio debug mode with slow_callback_duration = 50 ms and reports the longest callback.",
        "Run from the repository root (the working-tree package), PYTHON* environment variables cleared "
        "except PYTHONPYCACHEPREFIX, which points at a temporary directory: the warm-up run writes every "
        "module's bytecode there (not into the working tree), so both imports are measured with warm caches.",
    ]
    return Section(
        "4. Import and first-call cost: pandapon vs httpx (ratio)",
        md,
        notes,
        chart,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    print(run("--quick" in sys.argv).markdown())
