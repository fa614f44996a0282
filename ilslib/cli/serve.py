"""``ils serve [DIR]``: a portal over HTTP, read-only, on this machine: the internal one (``ils run``'s
``outputs/``) or the published one (``ils publish``'s directory, served as it is)."""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import os
import posixpath
import urllib.parse
from pathlib import Path
from typing import Any, BinaryIO, cast

from ..errors import ConfigError

HIDDEN_TOP = ("runs",)  # the audit trail is for the people who run the reports, not for readers


class ReadOnlyHandler(http.server.SimpleHTTPRequestHandler):
    """GET and HEAD of the files under the directory; no hidden files, no run logs, no listings."""

    server_version = "ils-serve"
    sys_version = ""

    def do_POST(self) -> None:  # noqa: N802
        self.send_error(405, "read-only")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = do_POST  # noqa: N815

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):  # the reader went away mid-download
            pass

    def translate_path(self, path: str) -> str:
        """The file for ``path``; one that resolves outside the served directory (a symlink) is refused."""
        target = super().translate_path(path)
        root = Path(self.directory).resolve()
        real = Path(target).resolve()
        if real != root and root not in real.parents:
            return str(root / ".ils-outside")  # hidden name: answered 404
        return target

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def _allowed(self) -> bool:
        raw = urllib.parse.urlsplit(self.path).path
        path = urllib.parse.unquote(raw, errors="strict")
        if "\0" in path or "\\" in path:
            return False
        parts = [p for p in posixpath.normpath(path).split("/") if p]
        if any(p.startswith(".") for p in parts) or any(p.startswith(".") for p in path.split("/") if p):
            return False
        return not (parts and parts[0] in HIDDEN_TOP)

    def send_head(self) -> io.BytesIO | BinaryIO | None:
        try:
            ok = self._allowed() and not self.translate_path(self.path).endswith(".ils-outside")
        except UnicodeDecodeError:
            ok = False
        if not ok:
            self.send_error(404, "not found")
            return None
        return super().send_head()

    def list_directory(self, path: str | os.PathLike[str]) -> io.BytesIO | None:  # noqa: ARG002
        self.send_error(404, "not found")  # a directory without index.html is not shown
        return None

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve a portal read-only over HTTP (http://127.0.0.1:8000/)",
        description="Serve DIR (default outputs) read-only: the portal index.html and every report. "
        "Only GET and HEAD; hidden files, the run logs (runs/) and directory listings are "
        "not served. The internal portal is rewritten from the reports on disk at start; a portal "
        "made by ils publish is served as it is.",
        epilog="examples:\n  ils serve\n  ils serve publicerat          (the external portal of ils publish)\n"
        "  ils serve --out /srv/ils/outputs --port 8080\n"
        "  ils serve --port 0              (any free port; the address is printed)\n"
        "  ils serve --bind 0.0.0.0        (let other machines read it)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dir", nargs="?", metavar="DIR", help="directory to serve (default outputs)")
    p.add_argument("--out", metavar="DIR", help="the same as DIR")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.set_defaults(func=run)


def make_server(out: str, bind: str = "127.0.0.1", port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A server for ``out`` (not yet serving)."""
    root = Path(out)
    if not root.is_dir():
        raise ConfigError(f"--out {out!r} is not a directory (run 'ils run' first)")
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port}: expected 0 to 65535")
    handler = functools.partial(ReadOnlyHandler, directory=str(root.resolve()))
    try:
        return http.server.ThreadingHTTPServer((bind, port), handler)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {bind}:{port}: {exc.strerror or exc}") from None


def run(args: argparse.Namespace) -> int:
    from ..publish import is_published
    from ..runner.portal import write_portal

    if args.dir and args.out and args.dir != args.out:
        raise ConfigError(f"two directories to serve: {args.dir!r} and --out {args.out!r}; give one")
    out = args.dir or args.out or "outputs"
    server = make_server(out, args.bind, args.port)
    published = is_published(Path(out))
    if not published:
        try:
            write_portal(Path(out))
        except OSError as exc:  # a read-only directory: serve the portal as it is
            print(f"ils serve: the portal was not rewritten ({exc.strerror or exc})", flush=True)
    host, port = cast("tuple[str, int]", server.server_address[:2])  # an IP socket's: (host, port)
    what = "the published portal " if published else ""
    print(f"Serving {what}{Path(out).resolve()} read-only at http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
