"""``ils serve``: the report portal over HTTP, read-only, on this machine."""

from __future__ import annotations

import argparse
import functools
import http.server
from pathlib import Path

from ..errors import ConfigError


class ReadOnlyHandler(http.server.SimpleHTTPRequestHandler):
    """GET and HEAD of files under the directory; no listings of hidden files, nothing else."""

    def do_POST(self) -> None:  # noqa: N802
        self.send_error(405, "read-only")

    do_PUT = do_DELETE = do_PATCH = do_POST  # noqa: N815

    def send_head(self):  # type: ignore[override]
        parts = [p for p in self.path.split("?", 1)[0].split("/") if p]
        if any(p.startswith(".") or p.startswith("%2e") or p.startswith("%2E") for p in parts) \
                or (parts and parts[0] == "runs"):
            self.send_error(404, "not found")
            return None
        return super().send_head()

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the report portal read-only over HTTP (http://127.0.0.1:8000/)",
        description="Serve OUT (default outputs) read-only: the portal index.html and every report.",
        epilog="examples:\n  ils serve\n  ils serve --out /srv/ils/outputs --port 8080\n"
               "  ils serve --bind 0.0.0.0    (let other machines read it)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", default="outputs", metavar="DIR", help="directory to serve (default outputs)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.set_defaults(func=run)


def make_server(out: str, bind: str = "127.0.0.1", port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A server for ``out`` (not yet serving)."""
    root = Path(out)
    if not root.is_dir():
        raise ConfigError(f"--out {out!r} is not a directory (run 'ils run' first)")
    handler = functools.partial(ReadOnlyHandler, directory=str(root.resolve()))
    try:
        return http.server.ThreadingHTTPServer((bind, port), handler)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {bind}:{port}: {exc.strerror}") from None


def run(args: argparse.Namespace) -> int:
    from ..runner.portal import write_portal

    server = make_server(args.out, args.bind, args.port)
    write_portal(Path(args.out))
    host, port = server.server_address[:2]
    print(f"Serving {Path(args.out).resolve()} read-only at http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
