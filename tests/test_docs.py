"""Every Python snippet of the README and docs/ runs as written (issue 16, item 9), against FakePandaPon served
over loopback with the docs' example ids (``doc_examples=True``, as ``pandapon fake-server`` serves it).

- A page is a session: its snippets run in order in one namespace, in a fresh interpreter, with the PANDAPON_*
  variables `pandapon fake-server` prints. A snippet may use top-level ``await`` (as in ``python -m asyncio`` or
  Jupyter): it then runs in an event loop of its own, like ``asyncio.run``.
- The Quickstarts also run as plain scripts (``python quickstart.py``): no top-level ``await`` there.
- A snippet whose first line is ``# test_<name>.py`` is a pytest file: it runs under pytest with the anyio plugin as
  written, and under pytest-asyncio in strict mode (``@pytest.mark.asyncio`` for ``@pytest.mark.anyio``) and in
  auto mode (no marker), as the page tells its readers.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pandapon.testing import FakePandaPon

from .helpers import serve_asgi

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"```python\n(.*?)```", re.S)

RUNNER = r"""
import ast, asyncio, json, sys
blocks = json.load(open(sys.argv[1], encoding="utf-8"))
namespace = {"__name__": "__main__"}
for i, block in enumerate(blocks, 1):
    code = compile(block, f"<snippet {i}>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    print(f"--- snippet {i}", flush=True)
    result = eval(code, namespace)
    if asyncio.iscoroutine(result):
        asyncio.run(result)
print("--- all snippets ran", flush=True)
"""


def blocks_of(page: Path) -> list[str]:
    return FENCE.findall(page.read_text(encoding="utf-8"))


def session_blocks(page: Path) -> list[str]:
    return [b for b in blocks_of(page) if not b.startswith("# test_")]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakePandaPon, dict[str, str]]]:
    fake = FakePandaPon(seed=0, doc_examples=True, step_interval=None)
    with serve_asgi(fake) as url:
        c = fake.credentials
        env = {k: v for k, v in os.environ.items() if not k.startswith("PANDAPON_")}
        env |= {
            "PANDAPON_BASE_URL": url,
            "PANDAPON_ACCESS_KEY": c.access_key,
            "PANDAPON_ACCESS_SECRET": c.access_secret,
            "PANDAPON_USER_ID": c.user_id,
        }
        yield fake, env


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_docs_have_snippets() -> None:
    assert len(blocks_of(REPO / "README.md")) >= 6
    assert sum(len(blocks_of(p)) for p in PAGES) >= 20


@pytest.mark.loopback
@pytest.mark.parametrize("page", [p for p in PAGES if session_blocks(p)], ids=lambda p: p.name)
def test_every_snippet_of_the_page_runs_in_order(
    page: Path, served: tuple[FakePandaPon, dict[str, str]], tmp_path: Path
) -> None:
    fake, env = served
    (tmp_path / "blocks.json").write_text(json.dumps(session_blocks(page)), encoding="utf-8")
    (tmp_path / "runner.py").write_text(RUNNER, encoding="utf-8")
    done = run([sys.executable, "runner.py", "blocks.json"], env, tmp_path)
    assert done.returncode == 0, f"{page.name}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.stdout.rstrip().endswith("--- all snippets ran")
    if any("update_warehouse" in b for b in session_blocks(page)):
        assert fake.orders["1024285237573584051"].warehouse_name == "一号仓库"


@pytest.mark.loopback
@pytest.mark.parametrize("page", ["README.md", "docs/quickstart.md"])
def test_the_quickstart_runs_as_a_script(
    page: str, served: tuple[FakePandaPon, dict[str, str]], tmp_path: Path
) -> None:
    _, env = served
    text = (REPO / page).read_text(encoding="utf-8")
    section = text.split("## Quickstart", 1)[1] if page == "README.md" else text
    first = FENCE.findall(section)[0]
    (tmp_path / "quickstart.py").write_text(first, encoding="utf-8")
    done = run([sys.executable, "quickstart.py"], env, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "warehouse updated: True" in done.stdout


PYTEST_MODES = {
    "anyio plugin": ("[pytest]\n", ["-p", "anyio.pytest_plugin"], None),
    "pytest-asyncio strict": (
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n",
        ["-p", "pytest_asyncio.plugin"],
        "@pytest.mark.asyncio",
    ),
    "pytest-asyncio auto": (
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n",
        ["-p", "pytest_asyncio.plugin"],
        "",
    ),
}


@pytest.mark.parametrize("mode", list(PYTEST_MODES))
def test_the_pytest_snippets_run_under_each_async_plugin(mode: str, tmp_path: Path) -> None:
    if mode != "anyio plugin":
        pytest.importorskip("pytest_asyncio")
    ini, plugins, marker = PYTEST_MODES[mode]
    files = [b for p in PAGES for b in blocks_of(p) if b.startswith("# test_")]
    assert files, "no pytest snippet in the docs"
    for block in files:
        name = block.splitlines()[0][2:].strip()
        if marker is not None:
            block = block.replace("@pytest.mark.anyio", marker)
        (tmp_path / name).write_text(block, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(ini, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # exactly the plugins of the mode
    done = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", *plugins], env, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", done.stdout) and "skipped" not in done.stdout
