"""OpenTelemetry for pandapon: one CLIENT span per SDK call and four metrics (``pip install 'pandapon[otel]'``).

Pass an :class:`OpenTelemetry` observer to a client::

    client = pandapon.AsyncPandaPon(observers=[pandapon.otel.OpenTelemetry()])

Spans and metrics go to the global tracer and meter providers (or the ones given). Without an OpenTelemetry SDK
configured (the API's no-op providers), the observer skips each call after one check. Every name is listed in docs/observability.md.
This module is the only one that imports ``opentelemetry``; ``import pandapon`` never does.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from contextvars import Token

try:
    from opentelemetry import context as otel_context
    from opentelemetry import metrics, trace
except ImportError as exc:  # pragma: no cover - exercised in a subprocess without opentelemetry
    raise ImportError(
        "pandapon.otel needs the OpenTelemetry API, which is not installed: pip install 'pandapon[otel]' "
        "(or pip install opentelemetry-api)"
    ) from exc

from ._events import CallEnd, CallStart, Observer
from ._version import __version__

__all__ = ["DURATION_BUCKETS", "OpenTelemetry"]

#: The bucket boundaries (seconds) OpenTelemetry's HTTP semantic conventions advise for request durations.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)

_Attributes = dict[str, "str | int | float | bool | tuple[str, ...]"]

#: What the API hands out while no SDK is configured: proxies of the global providers, or explicit no-op ones.
_NO_TRACING = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
_NO_METERING = (metrics.NoOpMeterProvider,)
# The API keeps its global providers in module variables (None until one is set). Reading them costs a few
# nanoseconds where get_tracer_provider() and get_meter_provider() look up an environment variable on every call
# until a provider is set (a microsecond or two each); if a release renames them, the public functions are used.
_TRACE_MODULE = trace


def _metrics_module() -> object:
    try:
        return importlib.import_module("opentelemetry.metrics._internal")
    except ImportError:  # pragma: no cover - a future layout: get_meter_provider() it is
        return metrics


_METRICS_MODULE = _metrics_module()
_MISSING = object()


def _global_provider(module: object, name: str, public: Callable[[], object]) -> object:
    provider = getattr(module, name, _MISSING)
    return public() if provider is _MISSING else provider


def _histogram(meter: metrics.Meter, name: str, description: str) -> metrics.Histogram:
    try:
        return meter.create_histogram(
            name, unit="s", description=description, explicit_bucket_boundaries_advisory=DURATION_BUCKETS
        )
    except TypeError:  # opentelemetry-api < 1.23 takes no advice
        return meter.create_histogram(name, unit="s", description=description)


def error_type(error: BaseException) -> str:
    """The ``error.type`` of ``error``: its class name (``RateLimitError``, ``APITimeoutError``, ``CancelledError``)."""
    return type(error).__name__


def _is_proxy(provider: object) -> bool:
    """The global proxy meter provider (what ``get_meter_provider()`` returns while none is set)."""
    return type(provider).__name__ == "_ProxyMeterProvider"


class _Call:
    """One call's span and the context token that made it current."""

    __slots__ = ("span", "token")

    def __init__(self, span: trace.Span, token: Token[otel_context.Context] | None) -> None:
        self.span, self.token = span, token


class OpenTelemetry(Observer):
    """Trace and measure every call of a client with OpenTelemetry.

    Args:
        tracer_provider: where spans go; ``None``: the global one (``opentelemetry.trace.set_tracer_provider``).
        meter_provider: where metrics go; ``None``: the global one.

    The span of a call is current while its attempts run, so spans of an instrumented httpx or aiohttp and log
    records made meanwhile nest under it. No ``traceparent`` header is added to the platform's requests.
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
    ) -> None:
        self._tracer_provider, self._meter_provider = tracer_provider, meter_provider
        self._global = tracer_provider is None and meter_provider is None
        self._tracer = trace.get_tracer("pandapon", __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter("pandapon", __version__, meter_provider=meter_provider)
        self._duration = _histogram(meter, "pandapon.call.duration", "Duration of SDK calls, retries included")
        self._limiter_wait = _histogram(meter, "pandapon.limiter.wait", "Time calls waited on the rate limiter")
        self._retries = meter.create_counter("pandapon.retries", unit="{retry}", description="Retried attempts")
        self._errors = meter.create_counter("pandapon.errors", unit="{error}", description="Calls that failed")

    def enabled(self) -> bool:
        """Whether an SDK records spans or metrics: with the API alone (no-op providers) calls are not observed."""
        if (
            self._global
            and getattr(_TRACE_MODULE, "_TRACER_PROVIDER", _MISSING) is None
            and getattr(_METRICS_MODULE, "_METER_PROVIDER", _MISSING) is None
        ):
            return False  # the common "installed, not configured" case, in two reads
        tracing = self._tracer_provider or _global_provider(
            _TRACE_MODULE, "_TRACER_PROVIDER", trace.get_tracer_provider
        )
        if tracing is not None and not isinstance(tracing, _NO_TRACING):
            return True
        metering = self._meter_provider or _global_provider(
            _METRICS_MODULE, "_METER_PROVIDER", metrics.get_meter_provider
        )
        return metering is not None and not isinstance(metering, _NO_METERING) and not _is_proxy(metering)

    def on_call_start(self, call: CallStart) -> object:
        span = self._tracer.start_span(f"{call.method} {call.route}", kind=trace.SpanKind.CLIENT)
        if span.is_recording():
            span.set_attributes(
                {
                    "http.request.method": call.method,
                    "server.address": call.server_address,
                    "server.port": call.server_port,
                    "url.template": call.route,
                    "pandapon.operation": call.operation,
                }
            )
        # Current while the attempts run (an invalid span, the API's no-op one, has nothing to nest under it).
        token = otel_context.attach(trace.set_span_in_context(span)) if span.get_span_context().is_valid else None
        return _Call(span, token)

    def on_call_end(self, event: CallEnd, state: object) -> None:
        if not isinstance(state, _Call):
            return
        span = state.span
        if state.token is not None:
            otel_context.detach(state.token)
        error = event.error
        if span.is_recording():
            span.set_attributes(_span_attributes(event))
            if error is not None:
                span.record_exception(error)
                span.set_status(trace.Status(trace.StatusCode.ERROR, f"{error_type(error)}: {error}"[:1000]))
        span.end()
        base: _Attributes = {"pandapon.operation": event.operation, "http.request.method": event.method}
        self._limiter_wait.record(event.limiter_wait, base)
        for reason in event.retry_reasons:
            self._retries.add(1, {**base, "pandapon.retry.reason": reason})
        if error is None:
            self._duration.record(event.elapsed, base)
            return
        failed: _Attributes = {**base, "error.type": error_type(error)}
        self._duration.record(event.elapsed, failed)
        if event.code is not None:
            failed["pandapon.code"] = str(event.code)
        self._errors.add(1, failed)


def _span_attributes(event: CallEnd) -> Mapping[str, str | int | float | tuple[str, ...]]:
    attributes: dict[str, str | int | float | tuple[str, ...]] = {
        "pandapon.attempts": event.attempts,
        "pandapon.limiter.wait": event.limiter_wait,
    }
    if event.attempts > 1:
        attributes["http.request.resend_count"] = event.attempts - 1
    optional = {
        "url.full": event.url,
        "http.response.status_code": event.status,
        "pandapon.code": event.code,
        "pandapon.request_id": event.request_id,
        "pandapon.retry.reasons": event.retry_reasons or None,
        "error.type": None if event.error is None else error_type(event.error),
    }
    attributes.update((k, v) for k, v in optional.items() if v is not None)
    return attributes
