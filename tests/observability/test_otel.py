"""pandapon.otel: one CLIENT span per call with HTTP semantic-convention attributes, four metrics, no secret
anywhere, the span current while the transport sends; ``import pandapon`` never imports opentelemetry."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader, NumberDataPoint
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from pandapon import APIError, HTTPStatusError, OutcomeUnknownError
from pandapon.otel import OpenTelemetry
from pandapon.testing import FakePandaPon, Fault

from .conftest import ORDER, Recording, client_for, freight

pytestmark = pytest.mark.anyio

PATH = "/open/order/updateWarehouse"
OP = "taobao.orders.update_warehouse"


class Telemetry:
    """An SDK tracer provider into an in-memory exporter and a meter provider with an in-memory reader."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def observer(self) -> OpenTelemetry:
        return OpenTelemetry(tracer_provider=self.tracer_provider, meter_provider=self.meter_provider)

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def points(self, name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        assert data is not None
        return [
            point
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]

    def all_values(self) -> Iterator[str]:
        """Every attribute value of every span, span event and metric point, as text."""
        for span in self.spans():
            yield from map(str, (span.attributes or {}).values())
            for event in span.events:
                yield from map(str, (event.attributes or {}).values())
            yield str(span.status.description)
            yield span.name
        data = self.reader.get_metrics_data()
        assert data is not None
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    for point in metric.data.data_points:
                        yield from map(str, point.attributes.values())


@pytest.fixture
def otel() -> Telemetry:
    return Telemetry()


async def test_one_client_span_per_call_with_the_http_attributes(fake: FakePandaPon, otel: Telemetry) -> None:
    async with client_for(fake, observers=[otel.observer()]) as client:
        await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省")
    (span,) = otel.spans()
    assert span.name == f"POST {PATH}" and span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = dict(span.attributes or {})
    request_id = attributes.pop("pandapon.request_id")
    assert isinstance(request_id, str) and len(request_id) == 32
    assert isinstance(attributes.pop("pandapon.limiter.wait"), float)
    assert attributes == {
        "http.request.method": "POST",
        "server.address": "api.pandapon.com",
        "server.port": 443,
        "url.full": "https://api.pandapon.com" + PATH,
        "url.template": PATH,
        "http.response.status_code": 200,
        "pandapon.operation": OP,
        "pandapon.attempts": 1,
        "pandapon.code": 200,
    }


async def test_retries_are_attempts_inside_the_one_span(fake: FakePandaPon, otel: Telemetry) -> None:
    fake.inject(Fault("http_500", path=PATH, times=2))
    async with client_for(fake, observers=[otel.observer()]) as client:
        await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省")
    (span,) = otel.spans()
    attributes = span.attributes or {}
    assert attributes["http.request.resend_count"] == 2 and attributes["pandapon.attempts"] == 3
    assert attributes["pandapon.retry.reasons"] == ("HTTP 500", "HTTP 500")
    assert attributes["http.response.status_code"] == 200 and "error.type" not in attributes
    (retries,) = otel.points("pandapon.retries")
    assert retries.value == 2
    assert dict(retries.attributes) == {
        "pandapon.operation": OP,
        "http.request.method": "POST",
        "pandapon.retry.reason": "HTTP 500",
    }


async def test_a_failed_call_has_an_error_status_and_the_exception(fake: FakePandaPon, otel: Telemetry) -> None:
    async with client_for(fake, observers=[otel.observer()]) as client:
        with pytest.raises(APIError) as raised:
            await client.taobao.orders.update_warehouse("no-such-order", "仓", "址")
    (span,) = otel.spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description is not None and span.status.description.startswith("APIError: ")
    attributes = span.attributes or {}
    assert attributes["error.type"] == "APIError" and attributes["pandapon.code"] == 404
    assert attributes["pandapon.request_id"] == raised.value.request_id
    (event,) = span.events
    assert event.name == "exception" and (event.attributes or {})["exception.type"].endswith("APIError")
    (errors,) = otel.points("pandapon.errors")
    assert errors.value == 1
    assert dict(errors.attributes) == {
        "pandapon.operation": OP,
        "http.request.method": "POST",
        "error.type": "APIError",
        "pandapon.code": "404",
    }


async def test_an_outcome_unknown_write_is_an_error_span(fake: FakePandaPon, otel: Telemetry) -> None:
    fake.inject(Fault("drop_after", path=PATH))
    body = {"orderId": ORDER, "warehouseName": "仓", "warehouseAddress": "址"}
    async with client_for(fake, observers=[otel.observer()]) as client:
        with pytest.raises(OutcomeUnknownError):
            await client.request("POST", PATH, json=body, idempotent=False)
    (span,) = otel.spans()
    attributes = span.attributes or {}
    assert span.status.status_code is StatusCode.ERROR and attributes["error.type"] == "OutcomeUnknownError"
    assert "http.response.status_code" not in attributes and attributes["pandapon.operation"] == f"raw POST {PATH}"


async def test_the_metrics(fake: FakePandaPon, otel: Telemetry) -> None:
    async with client_for(fake, observers=[otel.observer()]) as client:
        await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省")
        await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省")
        with pytest.raises(APIError):
            await client.taobao.orders.update_warehouse("no-such-order", "仓", "址")
    durations = {tuple(sorted(p.attributes.items())): p for p in otel.points("pandapon.call.duration")}
    base = (("http.request.method", "POST"), ("pandapon.operation", OP))
    ok, failed = durations[base], durations[tuple(sorted((*base, ("error.type", "APIError"))))]
    assert isinstance(ok, HistogramDataPoint) and ok.count == 2 and ok.sum > 0
    assert failed.count == 1
    assert ok.explicit_bounds[:3] == (0.005, 0.01, 0.025)
    (wait,) = otel.points("pandapon.limiter.wait")
    assert isinstance(wait, HistogramDataPoint) and wait.count == 3
    assert otel.points("pandapon.retries") == []
    (errors,) = otel.points("pandapon.errors")
    assert isinstance(errors, NumberDataPoint) and errors.value == 1


async def test_no_secret_in_any_attribute(fake: FakePandaPon, otel: Telemetry) -> None:
    transport = Recording(fake)
    fake.inject(Fault("http_500", path="/open/pp/logistics/*"))
    async with client_for(fake, transport, observers=[otel.observer()]) as client:
        await freight(client, fake)  # query-signed: sign in the URL, retried once (two signatures)
        fake.inject(Fault("http_500", path="/open/pp/logistics/*", times=None))
        with pytest.raises(HTTPStatusError):  # a query-signed call that fails: its exception is recorded
            await freight(client, fake)
        fake.clear_faults()
        with pytest.raises(APIError):
            await client.taobao.orders.update_warehouse("no-such-order", "仓", "址")
    secrets = transport.secrets(fake)
    assert len(secrets) >= 2 + 6 * 2  # key, secret, 6 requests' signature and nonce, 5 query signs
    values = list(otel.all_values())
    leaked = [(secret, value) for secret in secrets for value in values if secret in value]
    assert not leaked
    full = [s.attributes["url.full"] for s in otel.spans() if s.attributes and "sign" in str(s.attributes["url.full"])]
    assert len(full) == 2 and all("sign=REDACTED" in str(url) for url in full)


async def test_the_span_is_current_while_the_transport_sends(fake: FakePandaPon, otel: Telemetry) -> None:
    transport = Recording(fake, during=trace.get_current_span)
    tracer = otel.tracer_provider.get_tracer("app")
    async with client_for(fake, transport, observers=[otel.observer()]) as client:
        with tracer.start_as_current_span("the app's operation") as parent:
            await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省")
            assert trace.get_current_span() is parent  # detached again after the call
    ours, app = otel.spans()
    (current,) = transport.seen
    assert isinstance(current, trace.Span) and current.get_span_context() == ours.get_span_context()
    assert ours.parent is not None and ours.parent.span_id == app.context.span_id
    assert "traceparent" not in transport.requests[0].headers  # nothing injected into the signed request


async def test_without_an_sdk_the_observer_stays_out_of_the_way(fake: FakePandaPon) -> None:
    observer = OpenTelemetry()  # the global providers: this process never sets them
    assert observer.enabled() is False
    transport = Recording(fake, during=trace.get_current_span)
    async with client_for(fake, transport, observers=[observer]) as client:
        assert await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省") is True
    assert transport.seen == [trace.INVALID_SPAN]
    assert OpenTelemetry(tracer_provider=trace.NoOpTracerProvider()).enabled() is False
    assert OpenTelemetry(tracer_provider=TracerProvider()).enabled() is True
    assert OpenTelemetry(meter_provider=MeterProvider()).enabled() is True


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)


def test_import_pandapon_does_not_import_opentelemetry() -> None:
    done = _python(
        """
        import sys
        import pandapon
        client = pandapon.AsyncPandaPon("k", "s", "u", on_request=print)
        pandapon.Observer, pandapon.RequestEvent
        loaded = sorted(m for m in sys.modules if m.startswith("opentelemetry"))
        assert not loaded, loaded
        """
    )
    assert done.returncode == 0, done.stderr


def test_without_opentelemetry_the_integration_says_what_to_install() -> None:
    done = _python(
        """
        import sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "opentelemetry" or name.startswith("opentelemetry."):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)

        sys.meta_path.insert(0, Block())
        import pandapon  # works without it
        try:
            import pandapon.otel
        except ImportError as exc:
            print(exc)
        """
    )
    assert done.returncode == 0, done.stderr
    assert "pip install 'pandapon[otel]'" in done.stdout and "OpenTelemetry API" in done.stdout


def test_a_global_sdk_set_later_is_picked_up() -> None:
    done = _python(
        """
        import httpx, pandapon
        from pandapon.otel import OpenTelemetry
        from pandapon.testing import FakePandaPon
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        fake = FakePandaPon(seed=1, doc_examples=True, step_interval=None)
        c = fake.credentials
        client = pandapon.PandaPon(c.access_key, c.access_secret, c.user_id, transport=httpx.ASGITransport(app=fake),
                                   observers=[OpenTelemetry()])
        client.taobao.orders.update_warehouse("1024285237573584051", "仓", "址")  # no SDK yet: no span
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        client.taobao.orders.update_warehouse("1024285237573584051", "仓", "址")
        client.close()
        print([s.name for s in exporter.get_finished_spans()])
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['POST /open/order/updateWarehouse']"


async def test_a_cancelled_call_ends_its_span_and_leaves_no_context_behind(fake: FakePandaPon, otel: Telemetry) -> None:
    import anyio

    fake.inject(Fault("latency", path=PATH, delay=5))
    async with client_for(fake, observers=[otel.observer()]) as client:
        with anyio.move_on_after(0.1):
            await client.taobao.orders.update_warehouse(ORDER, "一号仓库", "广西省")
        assert trace.get_current_span() is trace.INVALID_SPAN
    (span,) = otel.spans()
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == anyio.get_cancelled_exc_class().__name__


def test_a_global_meter_provider_alone_enables_the_observer() -> None:
    done = _python(
        """
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from pandapon.otel import OpenTelemetry

        observer = OpenTelemetry()
        before = observer.enabled()
        metrics.set_meter_provider(MeterProvider())
        print(before, observer.enabled())
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]


async def test_concurrent_calls_each_get_their_own_span_under_the_callers(fake: FakePandaPon, otel: Telemetry) -> None:
    import anyio

    tracer = otel.tracer_provider.get_tracer("app")
    async with client_for(fake, observers=[otel.observer()]) as client:
        with tracer.start_as_current_span("batch") as batch:
            async with anyio.create_task_group() as tg:
                for _ in range(8):
                    tg.start_soon(client.taobao.orders.update_warehouse, ORDER, "一号仓库", "广西省")
    spans = otel.spans()
    ours = [s for s in spans if s.name == f"POST {PATH}"]
    assert len(ours) == 8 and len({s.context.span_id for s in ours}) == 8
    assert all(s.parent is not None and s.parent.span_id == batch.get_span_context().span_id for s in ours)
