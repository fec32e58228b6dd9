"""Serve the sandbox, or a bare Starlette endpoint, under the same uvicorn settings.

``python -m benchmarks._serve sandbox --port 12345 [--db PATH]`` serves the sandbox exactly
as ``leanrails sandbox`` builds it (``Sandbox(db=..., base_url=...)`` behind
``create_app``); ``... bare --port 12346`` serves a Starlette app whose one route reads the
body and returns a fixed session JSON of the same size. Both run in one uvicorn worker with
the console script's settings, so the only difference is the application.
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn

HOST = "127.0.0.1"


def _run(app: Any, port: int) -> None:
    """Serve ``app`` with the settings of ``leanrails sandbox`` (src/leanrails/_cli.py): its
    bounded uvicorn configuration, one worker, quiet log."""
    from leanrails.sandbox._http_limits import bounded_config

    uvicorn.Server(bounded_config(app, host=HOST, port=port, log_level="warning")).run()


def bare_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from ._payloads import CANNED_SESSION_JSON

    async def create(request: Request) -> Response:
        await request.body()
        return Response(CANNED_SESSION_JSON, media_type="application/json")

    return Starlette(routes=[Route("/v1/checkout_sessions", create, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=["sandbox", "bare"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    if args.app == "bare":
        _run(bare_app(), args.port)
        return
    from leanrails.sandbox import Sandbox, create_app

    with Sandbox(db=args.db, base_url=f"http://{HOST}:{args.port}") as sandbox:
        _run(create_app(sandbox), args.port)


if __name__ == "__main__":
    main()
