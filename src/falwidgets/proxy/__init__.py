"""A key-holding workshop proxy: students use their own tokens, the fal key stays on the server.

``falwidgets proxy --tokens tokens.txt [--upstream URL] [--allow GLOB ...] [--rate 30/min]
[--budget 50] [--max-calls 1200/min]``; from Python, :func:`serve_proxy` runs one in the
background. With no ``--upstream`` (or a fal host such as ``https://queue.fal.run``) it talks to
fal and needs ``FAL_KEY``; a loopback upstream (``falwidgets serve``) is for rehearsing offline.

Clients send the real fal URL in ``x-fal-target-url`` (the official proxy format) and their
token as ``Authorization: Key <token>`` (``falwidgets.Client(key=token, proxy_url=...)``, the JS
client's ``credentials`` + ``proxyUrl``), ``x-fal-proxy-token``, or a ``<proxy>/t/<token>`` URL.
"""

from falwidgets.proxy._app import create_app
from falwidgets.proxy._config import ProxyConfig
from falwidgets.proxy._rules import Refusal, Target, Upstream, classify
from falwidgets.proxy._serve import ProxyServer, serve_proxy
from falwidgets.proxy._tokens import TokenFileError, load_tokens, new_tokens, parse_tokens

__all__ = [
    "ProxyConfig",
    "ProxyServer",
    "Refusal",
    "Target",
    "TokenFileError",
    "Upstream",
    "classify",
    "create_app",
    "load_tokens",
    "new_tokens",
    "parse_tokens",
    "serve_proxy",
]
