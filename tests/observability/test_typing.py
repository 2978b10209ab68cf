"""A user's observability code (hooks, an async hook, an Observer subclass, OpenTelemetry) passes mypy --strict
and pyright strict: the events' fields are typed, the hooks fit the client options."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

USER_SCRIPT = textwrap.dedent(
    '''
    """Watching calls, typed."""

    from __future__ import annotations

    import pandapon
    from pandapon.otel import OpenTelemetry


    def on_request(event: pandapon.RequestEvent) -> None:
        attempt: int = event.attempt
        waited: float = event.limiter_wait
        print(event.operation, event.route, event.url, attempt, waited)


    async def on_response(event: pandapon.ResponseEvent) -> None:
        status: int | None = event.status
        code: int | str | None = event.code
        request_id: str | None = event.request_id
        error: Exception | None = event.error
        print(status, code, request_id, error, event.elapsed)


    def on_retry(event: pandapon.RetryEvent) -> None:
        print(event.reason, event.delay, event.error)


    class Ends(pandapon.Observer):
        def on_call_start(self, call: pandapon.CallStart) -> object:
            return call.server_address

        def on_call_end(self, event: pandapon.CallEnd, state: object) -> None:
            reasons: tuple[str, ...] = event.retry_reasons
            error: BaseException | None = event.error
            print(event.attempts, reasons, error, state)


    client = pandapon.AsyncPandaPon(
        on_request=on_request, on_response=on_response, on_retry=on_retry, observers=[Ends(), OpenTelemetry()]
    )
    twin = client.with_options(on_retry=None)
    sync = pandapon.PandaPon(on_request=on_request, observers=(Ends(),))
    '''
)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "user.py").write_text(USER_SCRIPT, encoding="utf-8")
    return tmp_path


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900)


def test_mypy_strict(workdir: Path) -> None:
    result = _run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(workdir / "c"), "user.py"], workdir)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pyright_strict(workdir: Path) -> None:
    (workdir / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.10", "reportMissingTypeStubs": "error"}),
        encoding="utf-8",
    )
    result = _run([sys.executable, "-m", "pyright", "--pythonpath", sys.executable, "--outputjson", "user.py"], workdir)
    report = json.loads(result.stdout)
    errors = [d for d in report["generalDiagnostics"] if d["severity"] != "information"]
    assert not errors and result.returncode == 0, errors
