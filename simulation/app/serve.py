"""The server: ``python -m simulation.app`` (``make app``) serves the page on localhost.

Everything the browser loads (BokehJS, Panel's JavaScript and CSS) comes
from this server, never from a CDN, so the page works with no internet; each
browser session gets its own :class:`~simulation.app.page.Page`.
"""

from __future__ import annotations

import argparse
import socket
import sys

from ..errors import EXIT_USAGE


def free_port(address: str = "127.0.0.1") -> int:
    """A TCP port free on ``address`` now."""
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m simulation.app``."""
    parser = argparse.ArgumentParser(prog="python -m simulation.app",
                                     description="Serve the sparksim web app on localhost.")
    parser.add_argument("--port", type=int, default=5006, help="port (0: any free port)")
    parser.add_argument("--address", default="localhost",
                        help="address to listen on (default: localhost only)")
    parser.add_argument("--show", action="store_true", help="open it in a browser")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C (exit 0), printing the address first; 2 if the port is taken."""
    args = build_parser().parse_args(argv)
    import logging

    import panel as pn
    from bokeh.settings import settings

    from .page import Page

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    port = args.port or free_port()
    hosts = {args.address, "localhost", "127.0.0.1"}
    settings.resources = "server"  # BokehJS and Panel's files from /static here, never a CDN
    try:
        server = pn.serve({"/": lambda: Page().view()}, port=port, address=args.address,
                          websocket_origin=[f"{host}:{port}" for host in sorted(hosts)],
                          title="sparksim", show=False, start=False, verbose=False)
    except OSError as err:
        print(f"sparksim app: cannot listen on {args.address}:{port}: {err.strerror} "
              "(try --port 0 for any free port)", file=sys.stderr)
        return EXIT_USAGE
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
