"""Developer sessions: tests on every installed Python, lint, typecheck, codegen, demo, bench."""

from __future__ import annotations

import glob
import os

import nox

# Let nox find every installed CPython 3.10-3.13 (pyenv keeps them off PATH).
for _bin in sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[0-3].*/bin"))):
    if _bin not in os.environ.get("PATH", ""):
        os.environ["PATH"] = os.environ.get("PATH", "") + os.pathsep + _bin

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["lint", "typecheck", "codegen_check", "tests"]

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
PYPROJECT = nox.project.load_toml("pyproject.toml")


def group(name: str) -> tuple[str, ...]:
    """The requirements of a dependency group (pyproject.toml), installable by any pip."""
    return tuple(nox.project.dependency_groups(PYPROJECT, name))


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the suite (every async test runs on asyncio and trio)."""
    session.install("-e", ".", *group("test"))
    # The whole suite enforces the coverage gate; a selection (posargs) does not.
    session.run("pytest", *(session.posargs or ["--cov=pandapon", "--cov-fail-under=90"]))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install("ruff")
    session.run("ruff", "check", "pandapon", "tests", "tools", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "pandapon", "tests", "tools", "benchmarks", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict and pyright strict on the package."""
    session.install("-e", ".", *group("test"), "mypy", "pyright")
    session.run("mypy", "--strict", "pandapon")
    session.run("pyright", "--pythonpath", session.virtualenv.location + "/bin/python")


@nox.session
def codegen(session: nox.Session) -> None:
    """Regenerate pandapon/_generated from the OpenAPI description."""
    session.run("python", "tools/codegen.py", external=True)


@nox.session
def codegen_check(session: nox.Session) -> None:
    """Fail when the generated code is stale."""
    session.run("python", "tools/codegen.py", "--check", external=True)


@nox.session
def demo(session: nox.Session) -> None:
    """Run the demo against the embedded fake PandaPon."""
    session.install("-e", ".")
    session.run("pandapon", "demo")


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks; ratios against baselines measured side by side."""
    session.install("-e", ".", *group("bench"))
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site in strict mode (the endpoint reference must be fresh)."""
    session.install("-e", ".", *group("docs"))
    session.run("python", "tools/docgen.py", "--check")
    session.run("mkdocs", "build", "--strict")


@nox.session
def release(session: nox.Session) -> None:
    """Build the wheel and sdist, install the wheel in this clean session and smoke-test it (import, demo, calls)."""
    import glob
    import shutil

    shutil.rmtree("dist", ignore_errors=True)
    session.install("build")
    session.run("python", "-m", "build")
    session.install(*glob.glob("dist/*.whl"))
    smoke = os.path.abspath("tools/smoke_bare_install.py")
    session.chdir(session.create_tmp())
    session.run("python", "-c", "import pandapon, pandapon.testing, pandapon.webhooks; print(pandapon.__version__)")
    session.run("pandapon", "demo")
    session.run("python", smoke)  # real loopback calls with the default transport of a bare install
