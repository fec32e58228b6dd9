"""The ``leanrails`` console script.

``leanrails sandbox [--host 127.0.0.1] [--port 12111] [--db PATH]`` serves the sandbox over
HTTP under uvicorn (install the ``server`` extra). With ``--db`` sessions and idempotency
records are kept in a SQLite file and survive a restart; without it they live in memory.
Hosted-page ``url`` values point at ``http://HOST:PORT`` unless ``--base-url`` says
otherwise (for example behind a proxy, or when listening on 0.0.0.0).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 12111


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leanrails", description="The LeanRails Checkout kit's command line."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve = commands.add_parser(
        "sandbox",
        help="serve the stateful sandbox over HTTP",
        description="Serve the LeanRails sandbox over HTTP: the API, the hosted checkout "
        "page and /openapi.yaml. Test key: sk_test_sandbox (HTTP Basic username, empty "
        "password).",
    )
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    serve.add_argument(
        "--db",
        metavar="PATH",
        help="keep state in this SQLite file (created if missing); default: in memory",
    )
    serve.add_argument(
        "--base-url",
        metavar="URL",
        help="where hosted-page URLs point; default http://HOST:PORT",
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn's log level; default info",
    )
    return parser


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        print(
            "leanrails sandbox needs uvicorn: pip install 'leanrails[server]'",
            file=sys.stderr,
        )
        return 2
    from .sandbox import TEST_API_KEY, Sandbox, create_app

    if not 0 < args.port < 65536:
        print(f"--port must be 1 to 65535, not {args.port}", file=sys.stderr)
        return 2
    host_in_url = f"[{args.host}]" if ":" in args.host else args.host
    base_url = args.base_url or f"http://{host_in_url}:{args.port}"
    with Sandbox(db=args.db, base_url=base_url) as sandbox:
        where = f"SQLite {args.db}" if args.db else "memory (use --db PATH to keep it)"
        print(
            f"LeanRails sandbox on {base_url}  key: {TEST_API_KEY}  state: {where}",
            file=sys.stderr,
            flush=True,
        )
        uvicorn.run(
            create_app(sandbox),
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            ws="none",
            lifespan="off",
            server_header=False,
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``leanrails`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "sandbox":
        return _serve(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
