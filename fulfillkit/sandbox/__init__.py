"""The embedded Panora sandbox: realistic data, a faithful server, injectable faults.

Panora's hosted API may not be there (its README calls it unmaintained), so fulfillkit's
demo, notebooks and tests run against this instead:

* :func:`make_dataset` builds deterministic, Shopify-messy fulfillments and orders, and a
  shop that lives on after its default now (new records, parcels moving along);
  :data:`DEFAULT_N` and :data:`DEFAULT_SEED` are the one default sandbox;
* :class:`SandboxApp` is an ASGI app that answers like Panora at the moment its clock
  shows (``now=``, :meth:`SandboxApp.advance`), quirks included (auth
  order, 500s for not-found, the ``remote_data=false`` bug, base64 cursors, CORS, and
  Panora's throttle by default: :data:`PANORA_RATE_LIMIT`, or :data:`FAST_RATE_LIMIT` for
  demos and tests);
* :class:`Faults` injects gateway errors, throttling, dropped and truncated responses,
  slowness and malformed bodies, deterministically;
* :class:`SandboxServer` serves an app over real HTTP (uvicorn in a thread), and
  :func:`serve` blocks serving one (``python -m fulfillkit.sandbox``).

Example:
    >>> import httpx
    >>> app = SandboxApp(n=3)
    >>> transport = httpx.ASGITransport(app=app)
"""

from fulfillkit.sandbox.app import SANDBOX_API_KEY, SANDBOX_CONNECTION_TOKEN, SandboxApp
from fulfillkit.sandbox.dataset import DEFAULT_N, DEFAULT_SEED, Dataset, make_dataset
from fulfillkit.sandbox.faults import Faults
from fulfillkit.sandbox.ratelimit import FAST_RATE_LIMIT, PANORA_RATE_LIMIT
from fulfillkit.sandbox.server import SandboxServer, serve
from fulfillkit.sandbox.stats import SandboxStats

__all__ = [
    "DEFAULT_N",
    "DEFAULT_SEED",
    "FAST_RATE_LIMIT",
    "PANORA_RATE_LIMIT",
    "SANDBOX_API_KEY",
    "SANDBOX_CONNECTION_TOKEN",
    "Dataset",
    "Faults",
    "SandboxApp",
    "SandboxServer",
    "SandboxStats",
    "make_dataset",
    "serve",
]
