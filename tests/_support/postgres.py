"""The PostgreSQL that the store tests run against, found (or installed) and started here.

``make test`` runs ``python -m _support.postgres ensure`` (tests/ on the path) while setting
up, the way ``_support.browser`` finds Chromium: PostgreSQL's server programs already on the
machine (``initdb`` and ``pg_ctl`` on the PATH or under /usr/lib/postgresql/*/bin), else
Debian's ``postgresql`` installed with apt when running as root; otherwise one line says what
to run. ``LEANRAILS_TEST_POSTGRES_URL`` may name a disposable database instead.

The tests then call :func:`throwaway_server`: a new cluster in a temporary folder, listening
on a free loopback port, stopped and removed at the end. PostgreSQL refuses to run as root,
so as root the cluster belongs to the unprivileged ``postgres`` user that Debian's package
creates. Each test gets a schema of its own (:meth:`Postgres.fresh`).
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from _support.install import find_or_install
from _support.sandbox import PORT_TRIES, free_port

HOW_TO_INSTALL = (
    "no PostgreSQL for the store tests: install it with 'sudo apt-get install postgresql' "
    "(Debian/Ubuntu) or 'brew install postgresql', or set LEANRAILS_TEST_POSTGRES_URL to a "
    "disposable database, then run make test again"
)
URL_VARIABLE = "LEANRAILS_TEST_POSTGRES_URL"
UNPRIVILEGED_USER = "postgres"

# A throwaway cluster: nothing it holds must survive a crash of the machine.
SERVER_SETTINGS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c max_connections=300"
)


def server_binaries() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: on the PATH, else Debian's newest."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return versions[-1].parent if versions else None


def ensure() -> int:
    """Find PostgreSQL, or install Debian's as root; 0 when the tests can have one."""
    return find_or_install(
        lambda: os.environ.get(URL_VARIABLE) or server_binaries(),
        "postgresql",
        "the store tests",
        HOW_TO_INSTALL,
    )


MIGRATED_BATCH = 16
"""Schemas migrated ahead in one transaction: a test's store then opens on a current schema
at the cost of a version check, not of creating its tables."""


@dataclass
class Postgres:
    """A PostgreSQL to test against: ``url`` is its superuser's database."""

    url: str
    _schemas: list[str] = field(default_factory=list)
    _ready: list[str] = field(default_factory=list)
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    def fresh(self, *, empty: bool = False) -> str:
        """A URL whose tables live in a new schema of their own: with the sandbox's tables
        (created by the store's own migration), or ``empty``."""
        if empty:
            (schema,) = self._create(1, migrated=False)
        else:
            if not self._ready:
                self._ready = self._create(MIGRATED_BATCH, migrated=True)
            schema = self._ready.pop()
        return with_schema(self.url, schema)

    def _create(self, count: int, *, migrated: bool) -> list[str]:
        import psycopg

        from leanrails.sandbox._postgres_store import migrate

        names = [f"leanrails_test_{os.getpid()}_{next(self._numbers)}" for _ in range(count)]
        with closing(psycopg.connect(self.url, autocommit=True)) as conn, conn.transaction():
            for name in names:
                conn.execute(f"CREATE SCHEMA {name}")
                if migrated:
                    conn.execute(f"SET LOCAL search_path TO {name}")
                    migrate(conn)
        self._schemas += names
        return names

    def drop_schemas(self) -> None:
        import psycopg

        with closing(psycopg.connect(self.url, autocommit=True)) as conn:
            for schema in self._schemas:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        self._schemas.clear()


def with_schema(url: str, schema: str) -> str:
    """``url`` with ``search_path`` set to ``schema``."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def throwaway_server() -> Iterator[Postgres]:
    """The database ``LEANRAILS_TEST_POSTGRES_URL`` names, else a new cluster, stopped and
    removed at the end; fails the test run (never skips) when there is no PostgreSQL."""
    import pytest

    external = os.environ.get(URL_VARIABLE)
    if external:
        postgres = Postgres(external)
        try:
            yield postgres
        finally:
            postgres.drop_schemas()
        return
    binaries = server_binaries()
    if binaries is None:
        pytest.fail(HOW_TO_INSTALL, pytrace=False)
    with cluster(binaries) as url:
        yield Postgres(url)


@contextmanager
def cluster(binaries: Path, settings: str = SERVER_SETTINGS) -> Iterator[str]:
    """A new cluster in a temporary folder on a free port; its URL. As root, run by the
    unprivileged ``postgres`` user."""
    folder = Path(tempfile.mkdtemp(prefix="leanrails-postgres-"))
    user: int | None = None
    group: int | None = None
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam(UNPRIVILEGED_USER)
        except KeyError:
            shutil.rmtree(folder)
            raise RuntimeError(
                f"PostgreSQL refuses to run as root and there is no {UNPRIVILEGED_USER!r} "
                f"user to run it: install Debian's postgresql, or create that user"
            ) from None
        os.chown(folder, account.pw_uid, account.pw_gid)
        user, group = account.pw_uid, account.pw_gid
    data, log = folder / "data", folder / "server.log"

    def run(*args: str) -> None:
        done = subprocess.run(
            [str(binaries / args[0]), *args[1:]],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
            user=user,
            group=group,
            extra_groups=None if user is None else [],
        )
        if done.returncode != 0:
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()}\n{tail}")

    try:
        run("initdb", "-D", str(data), "-U", "leanrails", "--auth=trust", "-E", "UTF8",
            "--locale=C", "--no-sync")  # fmt: skip
        for tries_left in reversed(range(PORT_TRIES)):
            port = free_port()  # taken by another process before PostgreSQL binds it? again
            options = f"-p {port} -k {folder} {settings}"
            try:
                run("pg_ctl", "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60",
                    "start")  # fmt: skip
                break
            except RuntimeError as error:
                if tries_left == 0 or "already in use" not in str(error):
                    raise
        try:
            yield f"postgresql://leanrails@127.0.0.1:{port}/postgres"
        finally:
            run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:] != ["ensure"]:
        sys.exit("usage: PYTHONPATH=tests python -m _support.postgres ensure")
    sys.exit(ensure())
