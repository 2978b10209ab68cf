"""The default connection-pool limits of both engines (a leaf: the adapters and the options import it)."""

__all__ = ["DEFAULT_KEEPALIVE_EXPIRY", "DEFAULT_MAX_CONNECTIONS", "HTTPCORE_MAX_CONNECTIONS"]

#: The most connections a client opens at once (aiohttp's and httpx's own default). Calls beyond it wait for a
#: free connection: at 50 ms per answer, 100 connections carry about 2,000 calls/s (see benchmarks/RESULTS.md).
DEFAULT_MAX_CONNECTIONS = 100
#: httpcore's default (trio, or ``PANDAPON_TRANSPORT=httpcore``): its pool walks every connection for every queued
#: request (encode/httpcore#1035), so past a few dozen connections it spends more time choosing a connection than
#: sending. Measured with a server answering in 50 ms (64 and 256 concurrent calls, benchmarks/RESULTS.md): 16
#: connections carried 2-3x the calls of 100, and no fewer at 8 concurrent calls.
HTTPCORE_MAX_CONNECTIONS = 16
#: Seconds an idle connection is kept for reuse (httpx's default). Short on purpose: a connection the server closed
#: while idle can fail a request after it was written, and a non-idempotent call that fails so cannot be retried.
DEFAULT_KEEPALIVE_EXPIRY = 5.0
