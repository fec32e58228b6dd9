"""The ``leanrails`` console script (``leanrails --version`` prints the package's version).

``leanrails conformance --base-url URL`` checks a server against the contract, the embedded
sandbox and the kit's guide, with the test key in ``LEANRAILS_API_KEY`` (install the
``conformance`` extra); see :mod:`leanrails._conformance`. It writes nothing but the reports
it is asked for.

``leanrails sandbox [--host 127.0.0.1] [--port 12111] [--db PATH|URL]`` serves the sandbox
over HTTP under uvicorn (install the ``server`` extra). With ``--db`` sessions and idempotency
records are kept in a SQLite file, or on a PostgreSQL server for a ``postgresql://`` URL (the
``postgres`` extra), and survive a restart; without it they live in memory.
Hosted-page ``url`` values point at ``http://HOST:PORT`` unless ``--base-url`` says
otherwise (for example behind a proxy); for a wildcard host (``0.0.0.0``, ``::``) they point
at the loopback address, the one a browser on this machine reaches. A ``--host`` that is not
a loopback address gets a warning: every test account, its helpers and its faults are then
served to the network. A ``--db`` file that is another application's database is refused
untouched. The server is
bounded whatever clients do (:mod:`leanrails.sandbox._http_limits`): ``--header-timeout``,
``--body-timeout`` and ``--max-connections``. ``--cors-origin URL`` (repeatable) names the
web pages that may call its API from a browser, by default the local docs server's
(:mod:`leanrails.sandbox._cors`); its error log is rate-limited
(:mod:`leanrails.sandbox._log_limit`).
"""

from __future__ import annotations

import argparse
import ipaddress
import sqlite3
import sys
from collections.abc import Sequence

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 12111


def _parser() -> argparse.ArgumentParser:
    from ._version import __version__

    parser = argparse.ArgumentParser(
        prog="leanrails", description="The LeanRails Checkout kit's command line."
    )
    parser.add_argument("--version", action="version", version=f"leanrails {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve = commands.add_parser(
        "sandbox",
        help="serve the stateful sandbox over HTTP",
        description="Serve the LeanRails sandbox over HTTP: the API, the hosted checkout "
        "page and /openapi.yaml. Test key: sk_test_sandbox (HTTP Basic username, empty "
        "password).",
    )
    serve.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"default {DEFAULT_HOST}; any other address serves every test account to the "
        "network (a warning says so)",
    )
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    serve.add_argument(
        "--db",
        metavar="PATH|URL",
        help="keep state in this SQLite file (created if missing), or on the PostgreSQL "
        "server of a postgresql:// URL (shared by hosts); default: in memory",
    )
    serve.add_argument(
        "--lease",
        type=float,
        metavar="SECONDS",
        help="with --db postgresql://: how long the in-flight keys of a process that died "
        "stay taken; default 30",
    )
    serve.add_argument(
        "--base-url",
        metavar="URL",
        help="where hosted-page URLs point; default http://HOST:PORT (http://127.0.0.1:PORT "
        "for --host 0.0.0.0)",
    )
    serve.add_argument(
        "--header-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="close a connection whose request line and headers take longer (408); default 10",
    )
    serve.add_argument(
        "--body-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="close a connection whose request body takes longer (408); default 30",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=4096,
        metavar="N",
        help="open connections at most; past it the oldest one still sending a request is "
        "closed; default 4096 (less when the file-descriptor limit is lower)",
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        metavar="URL",
        help="let web pages on this origin (scheme://host[:port]) call the API from a "
        "browser, such as a docs page's Try it panel; repeatable; default the local docs "
        "server's: http://127.0.0.1:8000, http://localhost:8000 (and DOCS_PORT's)",
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn's log level; default info",
    )
    _add_conformance(commands)
    return parser


def _add_conformance(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser(
        "conformance",
        help="check a server against the contract, the sandbox and the guide",
        description="Send a bounded set of requests to a LeanRails server (test mode only, "
        "key from LEANRAILS_API_KEY) and to the embedded sandbox, run the kit's guide "
        "against it, and report every difference by contract entry. Exit status: 0 no "
        "drift, 1 drift, 2 refused to run, 3 incomplete (budget or time limit) without drift, "
        "4 no drift but the server differs from some of the kit's conventions.",
    )
    check.add_argument(
        "--base-url",
        required=True,
        metavar="URL",
        help="the server to check: scheme://host[:port][/path], no user, query or fragment",
    )
    check.add_argument(
        "--max-requests", type=int, default=600, metavar="N", help="request budget; default 600"
    )
    check.add_argument(
        "--time-limit",
        type=float,
        default=300,
        metavar="SECONDS",
        help="one deadline for the whole run, reads in progress included; default 300",
    )
    check.add_argument(
        "--samples",
        type=int,
        default=20,
        metavar="N",
        help="valid requests drawn from the request schema; default 20",
    )
    check.add_argument("--seed", type=int, help="the sample's seed, to repeat a run's requests")
    check.add_argument(
        "--notebooks",
        metavar="DIR",
        help="run the notebooks of DIR instead of the kit's own guide (they run with a "
        "stand-in key, through the guard)",
    )
    check.add_argument(
        "--no-guide", action="store_true", help="skip running the notebooks (the guide part)"
    )
    check.add_argument("--json", metavar="PATH", help="also write the report as JSON here")
    check.add_argument(
        "--markdown", metavar="PATH", help="write the Markdown report here instead of stdout"
    )


def _conformance(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    try:
        from ._conformance import Options, Refused, run
    except ImportError as exc:
        print(
            f"leanrails conformance needs {exc.name}: pip install 'leanrails[conformance]'",
            file=sys.stderr,
        )
        return 2
    options = Options(
        base_url=args.base_url,
        key=os.environ.get("LEANRAILS_API_KEY"),
        max_requests=args.max_requests,
        time_limit=args.time_limit,
        samples=args.samples,
        seed=args.seed,
        notebooks=Path(args.notebooks) if args.notebooks else None,
        guide=not args.no_guide,
    )
    try:
        report = run(options)
    except Refused as exc:
        print(f"leanrails conformance: refused: {exc}", file=sys.stderr)
        return 2
    markdown = report.to_markdown()
    if args.markdown:
        Path(args.markdown).write_text(markdown, encoding="utf-8")
    else:
        sys.stdout.write(markdown)
    if args.json:
        Path(args.json).write_text(report.to_json(), encoding="utf-8")
    return report.exit_code


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
    from .sandbox._engine import NEEDS_POSTGRES, is_postgres
    from .sandbox._http_limits import bounded_config, raise_fd_limit
    from .sandbox._log_limit import limit_error_logs
    from .sandbox._sqlite_store import NotASandboxDatabase

    if not 0 < args.port < 65536:
        print(f"--port must be 1 to 65535, not {args.port}", file=sys.stderr)
        return 2
    for option, value in (
        ("--header-timeout", args.header_timeout),
        ("--body-timeout", args.body_timeout),
    ):
        if not 0 < value <= 3600:
            print(
                f"{option} must be more than 0 and at most 3600 seconds, not {value}",
                file=sys.stderr,
            )
            return 2
    if args.max_connections < 1:
        print(f"--max-connections must be at least 1, not {args.max_connections}", file=sys.stderr)
        return 2
    postgres = is_postgres(args.db)
    if args.lease is not None and not (postgres and 0 < args.lease <= 3600):
        print(
            "--lease takes more than 0 and at most 3600 seconds, with --db postgresql:// only",
            file=sys.stderr,
        )
        return 2
    unusable: tuple[type[Exception], ...] = (sqlite3.Error,)
    where = f"SQLite {args.db}" if args.db else "memory (use --db PATH to keep it)"
    db = named = args.db
    if postgres:
        try:
            from .sandbox._postgres_store import DatabaseUnavailable, PostgresStore, masked
        except ImportError:
            print(f"leanrails sandbox: {NEEDS_POSTGRES}", file=sys.stderr)
            return 2
        unusable = (DatabaseUnavailable,)
        named = masked(args.db)
        where = f"PostgreSQL {named}"
    from .sandbox._cors import cors_origin, default_origins

    try:
        cors = [cors_origin(origin) for origin in args.cors_origin or default_origins()]
    except ValueError as exc:
        print(f"--cors-origin: {exc}", file=sys.stderr)
        return 2
    page_host = _reachable(args.host)
    host_in_url = f"[{page_host}]" if ":" in page_host else page_host
    base_url = args.base_url or f"http://{host_in_url}:{args.port}"
    try:
        if postgres and args.lease is not None:
            db = PostgresStore(args.db, lease_seconds=args.lease)
        sandbox = Sandbox(db=db, base_url=base_url)
    except NotASandboxDatabase as exc:
        print(f"leanrails sandbox: refused: {exc}", file=sys.stderr)
        return 2
    except unusable as exc:
        detail = " ".join(str(exc).split())
        verb = "use" if postgres else "write"
        print(f"leanrails sandbox: cannot {verb} the database {named}: {detail}", file=sys.stderr)
        return 2
    with sandbox:
        print(
            f"LeanRails sandbox on {base_url}  key: {TEST_API_KEY}  state: {where}",
            file=sys.stderr,
            flush=True,
        )
        print(f"Browsers may call the API from: {', '.join(cors)}", file=sys.stderr, flush=True)
        if not _is_loopback(args.host):
            print(_exposed(args.host, args.port), file=sys.stderr, flush=True)
        raise_fd_limit(args.max_connections)
        config = bounded_config(
            create_app(sandbox, cors_origins=cors),
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
            max_connections=args.max_connections,
        )
        # After uvicorn's logging is configured: its errors, the loop's and the sandbox's
        # are rate-limited, one line per kind.
        limit_error_logs()
        uvicorn.Server(config).run()
    return 0


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to any interface


def _reachable(host: str) -> str:
    """The address hosted-page URLs use: a wildcard listens everywhere but is no place to
    browse to, so this machine's loopback stands in for it."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host
    if address.is_unspecified:
        return "::1" if address.version == 6 else "127.0.0.1"
    return host


def _exposed(host: str, port: int) -> str:
    return (
        f"WARNING: --host {host} is not a loopback address: anyone who can reach port {port} "
        "can use every sk_test_ account on this server (test keys are not secrets): read, "
        "complete and expire its sessions, pay them on the hosted pages (no key needed), and "
        "set or clear its faults (failures, delays, dropped connections). Serve on "
        "127.0.0.1 unless the network is yours."
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``leanrails`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "sandbox":
        return _serve(args)
    if args.command == "conformance":
        return _conformance(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
