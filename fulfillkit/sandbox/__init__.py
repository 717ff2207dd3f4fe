"""The embedded Panora sandbox: realistic data, a faithful server, injectable faults.

Panora's hosted API may not be there (its README calls it unmaintained), so fulfillkit's
demo, notebooks and tests run against this instead:

* :func:`make_dataset` builds deterministic, Shopify-messy fulfillments and orders;
* :class:`SandboxApp` is an ASGI app that answers like Panora, quirks included (auth
  order, 500s for not-found, the ``remote_data=false`` bug, base64 cursors, CORS, and
  Panora's throttle by default: :data:`PANORA_RATE_LIMIT`, or :data:`FAST_RATE_LIMIT` for
  demos and tests);
* :class:`Faults` injects gateway errors, throttling, dropped and truncated responses,
  slowness and malformed bodies, deterministically;
* :func:`advance` gives the same connection later (shipments move on), for stores to sync;
* :class:`SandboxServer` serves an app over real HTTP (uvicorn in a thread), and
  :func:`serve` blocks serving one (``python -m fulfillkit.sandbox``).

Example:
    >>> import httpx
    >>> app = SandboxApp(n=3)
    >>> transport = httpx.ASGITransport(app=app)
"""

from fulfillkit.sandbox.app import SANDBOX_API_KEY, SANDBOX_CONNECTION_TOKEN, SandboxApp
from fulfillkit.sandbox.data import Dataset, make_dataset
from fulfillkit.sandbox.evolve import advance
from fulfillkit.sandbox.faults import Faults
from fulfillkit.sandbox.ratelimit import FAST_RATE_LIMIT, PANORA_RATE_LIMIT
from fulfillkit.sandbox.server import SandboxServer, serve
from fulfillkit.sandbox.stats import SandboxStats

__all__ = [
    "FAST_RATE_LIMIT",
    "PANORA_RATE_LIMIT",
    "SANDBOX_API_KEY",
    "SANDBOX_CONNECTION_TOKEN",
    "Dataset",
    "Faults",
    "SandboxApp",
    "SandboxServer",
    "SandboxStats",
    "advance",
    "make_dataset",
    "serve",
]
