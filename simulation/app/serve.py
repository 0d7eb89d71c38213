"""The server: ``python -m simulation.app`` (``make app``) serves the page on localhost.

Everything the browser loads (BokehJS, Panel's JavaScript and CSS) comes
from this server, never from a CDN, so the page works with no internet; each
browser session gets its own :class:`~simulation.app.page.Page`.

Only the page, its websocket, its icon and those files are served
(:data:`SERVED`). A gate in front of every route (:func:`refusal`) answers
404 for anything else, such as Panel's ``/components/<module>/…`` route, which
imports the module the URL names, and 403 for a request that another site
could send: one addressed to another host name (DNS rebinding), or one that
could change state (any method but GET and HEAD) without coming from the
app's own page.
"""

from __future__ import annotations

import argparse
import re
import socket
import sys
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

from ..errors import EXIT_ENVIRONMENT, EXIT_USAGE

SERVED = re.compile(r"/(ws|favicon\.ico|static/(?!\.|.*/\.)[^?#\\]+)?")
"""The paths served (all of the path must match): the page, its websocket, its icon, and
BokehJS's and Panel's files under /static (no segment starting with a dot, so no ``..``).
Bokeh's /metadata and /autoload.js (for embedding the page in another site) and Panel's
/components route are not."""
SAFE_METHODS = frozenset({"GET", "HEAD"})
"""Methods that change nothing here (the page changes state over its websocket only, whose
origin Bokeh checks)."""


def free_port(address: str = "127.0.0.1") -> int:
    """A TCP port free on ``address`` now."""
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def own_hosts(address: str, port: int) -> frozenset[str]:
    """The ``host:port`` names the app answers to: its address, localhost and 127.0.0.1."""
    names = {address.lower(), "localhost", "127.0.0.1"}
    return frozenset(f"[{h}]:{port}" if ":" in h else f"{h}:{port}" for h in names)


def refusal(method: str, path: str, headers: Mapping[str, str],
            hosts: Collection[str]) -> int | None:
    """The status that refuses a request (403 or 404), or None to serve it.

    403: the Host header is not one of ``hosts`` (a page on another site that
    renamed itself to this address), or a method other than GET and HEAD whose
    Origin (else Referer) is missing or not one of ``hosts``. 404: a path not
    in :data:`SERVED`.
    """
    if headers.get("Host", "").lower() not in hosts:
        return 403
    if method.upper() not in SAFE_METHODS:
        source = headers.get("Origin") or headers.get("Referer") or ""
        if urlsplit(source).netloc.lower() not in hosts:
            return 403
    if not SERVED.fullmatch(path):
        return 404
    return None


def guard(server: Any, hosts: Collection[str]) -> None:
    """Put the gate of :func:`refusal` in front of every route of a Panel (Bokeh) server.

    Raises:
        RuntimeError: the server is not built as this Panel and Bokeh build it
            (then it is not served at all, rather than served unguarded).
    """
    from tornado.routing import Matcher, Rule
    from tornado.web import Application, HTTPError, RequestHandler

    class Gate(Matcher):
        """Matches the requests :func:`refusal` refuses with ``status``."""

        def __init__(self, status: int) -> None:
            self.status = status

        def match(self, request: Any) -> dict[str, Any] | None:
            refused = refusal(request.method, request.path, request.headers, hosts)
            return {} if refused == self.status else None

    class Refuse(RequestHandler):
        """Answers ``status``, whatever the method."""

        def initialize(self, status: int) -> None:
            self.refused = status

        def prepare(self) -> None:
            raise HTTPError(self.refused)

    app = getattr(server, "_tornado", None)  # Bokeh's tornado Application; no public name
    if not isinstance(app, Application):
        raise RuntimeError("cannot guard the server's routes: Panel or Bokeh has changed "
                           f"(server._tornado is {type(app).__name__})")
    app.add_handlers(r".*", [Rule(Gate(status), Refuse, {"status": status})
                             for status in (403, 404)])  # host rules added here come first
    first = app.default_router.rules[0]
    if not (getattr(first.target, "rules", None) and first.target.rules[0].target is Refuse):
        raise RuntimeError("cannot guard the server's routes: the gate is not the first rule")


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m simulation.app``."""
    parser = argparse.ArgumentParser(prog="python -m simulation.app",
                                     description="Serve the sparksim web app on localhost.")
    parser.add_argument("--port", type=int, default=5006, help="port (0: any free port)")
    parser.add_argument("--address", default="localhost",
                        help="address to listen on (default: localhost only)")
    parser.add_argument("--show", action="store_true", help="open it in a browser")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes for the runs (default: 2, or 1 on one core); "
                             "started at once and kept warm")
    parser.add_argument("--cold", action="store_true",
                        help="serve at once, without first starting the workers and running "
                             "the default reference (the first comparison is then slower)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C (exit 0), printing the address once the server is ready.

    Ready means warm: the worker processes started and the default page's
    reference run (a few seconds), so the first comparison runs only its plan.

    Exit 2 if the port is taken; 1 if the routes cannot be guarded (see :func:`guard`).
    """
    args = build_parser().parse_args(argv)
    import logging

    import panel as pn
    from bokeh.settings import settings

    from ..runs.executors import default_workers
    from . import cache
    from .page import Page, warm_up

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    port = args.port or free_port()
    hosts = own_hosts(args.address, port)
    settings.resources = "server"  # BokehJS and Panel's files from /static here, never a CDN
    try:
        server = pn.serve({"/": lambda: Page().view()}, port=port, address=args.address,
                          websocket_origin=sorted(hosts),
                          title="sparksim", show=False, start=False, verbose=False)
    except OSError as err:
        print(f"sparksim app: cannot listen on {args.address}:{port}: {err.strerror} "
              "(try --port 0 for any free port)", file=sys.stderr)
        return EXIT_USAGE
    try:
        guard(server, hosts)
    except RuntimeError as err:
        print(f"sparksim app: {err}; not serving", file=sys.stderr)
        return EXIT_ENVIRONMENT
    workers = args.workers if args.workers is not None else min(2, default_workers())
    if workers < 1:
        print(f"sparksim app: --workers {workers}: must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    cache.WORKERS = workers
    if not args.cold:
        print(f"sparksim app: starting {workers} worker process{'es' if workers > 1 else ''} "
              "and running the default reference…", file=sys.stderr, flush=True)
        try:
            warm_up().result()
        except KeyboardInterrupt:
            print("sparksim app: stopped", file=sys.stderr)
            return 0
        except Exception as err:  # noqa: BLE001 - the page still works, only slower at first
            print(f"sparksim app: warming up failed ({err}); the first comparison will be "
                  "slower", file=sys.stderr)
    print(f"sparksim app: http://{args.address}:{port}/  (Ctrl-C to stop)", flush=True)
    if args.show:
        server.show("/")
    try:
        server.start()
        server.io_loop.start()  # until Ctrl-C (Panel's handler stops the loop)
    except KeyboardInterrupt:
        pass
    print("sparksim app: stopped", file=sys.stderr)
    return 0
