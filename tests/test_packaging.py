"""What a user downloads (issue 16, item 10): the wheel and the sdist carry the LICENSE, the metadata has project
URLs, and development tooling is not published as extras. Built for real with `python -m build` (hatchling)."""

from __future__ import annotations

import email
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--sdist", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out


def test_the_wheel_carries_the_license_and_honest_metadata(dist: Path) -> None:
    [wheel] = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        [license_file] = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert "MIT License" in zf.read(license_file).decode()
        [meta_name] = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = email.message_from_bytes(zf.read(meta_name))
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Changelog", "Issues"} <= set(urls)
    extras = set(meta.get_all("Provides-Extra") or [])
    assert extras == {"redis", "fast", "server", "cli", "otel"}  # no test, dev, bench or docs
    requires = " ".join(meta.get_all("Requires-Dist") or [])
    for tool in ("pytest", "ruff", "mypy", "matplotlib", "mkdocs"):
        assert tool not in requires


def test_the_sdist_carries_the_license_and_the_changelog(dist: Path) -> None:
    [sdist] = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml"} <= names


def test_every_release_in_the_changelog_is_dated() -> None:
    import re

    headings = re.findall(r"^## (.+)$", (ROOT / "CHANGELOG.md").read_text(), flags=re.M)
    releases = [h for h in headings if h != "Unreleased"]
    assert releases, "no release section"
    for heading in releases:
        assert re.fullmatch(r"\d+\.\d+\.\d+ — \d{4}-\d{2}-\d{2}", heading), heading
    version: dict[str, str] = {}
    exec((ROOT / "pandapon" / "_version.py").read_text(), version)
    assert any(h.startswith(version["__version__"] + " ") for h in releases) or headings[0] == "Unreleased"
