"""Real PostgreSQL, Redis and S3-compatible servers on loopback, started and stopped by the tests.

Each server runs from a temporary directory on a free port and is gone afterwards. PostgreSQL and
Redis come from Debian's packages, moto's server mode from PyPI; `make test` installs all three
(.ci/system-packages, pyproject's test extra). A missing one is a failure, never a skip, so a
machine without them cannot pass by testing less.

Plain context managers (the benchmark uses them too) with session-scoped pytest fixtures on top.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_HINT = "`make test` installs it (.ci/system-packages as root, or apt-get install {package})"
START_TIMEOUT = 30.0


class ServerMissing(RuntimeError):
    """A server binary is not installed."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until(ready, *, what: str, proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {_tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {START_TIMEOUT:.0f}s: {_tail(log)}")
        time.sleep(0.05)


def _tail(log: Path | None) -> str:
    if log is None or not log.exists():
        return ""
    return log.read_text(errors="replace")[-2000:]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# --- PostgreSQL ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Postgres:
    port: int
    user: str
    database: str

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{self.database}"


def _pg_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise ServerMissing("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); " + INSTALL_HINT.format(package="postgresql"))
    return Path(found[-1]).parent


def _as_owner(argv: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; the tests do (make test), so the cluster belongs to the
    # `postgres` system user that Debian's package creates.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@contextmanager
def postgres_server(database: str = "studio") -> Iterator[Postgres]:
    bindir = _pg_bindir()
    # Not under pytest's tmp dir: that is private to root, and the server runs as `postgres`.
    root = Path(tempfile.mkdtemp(prefix="studio-pg-"))
    data, log = root / "data", root / "server.log"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    try:
        try:
            subprocess.run(
                _as_owner([str(bindir / "initdb"), "-D", str(data), "-U", "studio", "-A", "trust", "-E", "UTF8", "--no-sync"]),
                check=True,
                capture_output=True,
            )
            options = (
                f"-p {port} -k {root} -c listen_addresses=127.0.0.1 "
                # A throwaway cluster: durability buys nothing here and costs seconds.
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            subprocess.run(
                _as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "30", "start"]),
                check=True,
                capture_output=True,
            )
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"PostgreSQL failed to start: {exc.stderr.decode(errors='replace')} {_tail(log)}") from exc
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=port, user="studio", dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        yield Postgres(port=port, user="studio", database=database)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


# --- Redis -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Redis:
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@contextmanager
def redis_server() -> Iterator[Redis]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerMissing("redis-server is not installed; " + INSTALL_HINT.format(package="redis-server"))
    root = Path(tempfile.mkdtemp(prefix="studio-redis-"))
    port = free_port()
    log = root / "server.log"
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(root)]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until(lambda: _accepts(port), what="redis-server", proc=proc, log=log)
        yield Redis(port=port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


# --- S3 (moto's server mode) -----------------------------------------------------------------


@dataclass(frozen=True)
class S3:
    endpoint_url: str
    bucket: str
    region: str = "us-east-1"
    access_key: str = "studio-test"
    secret_key: str = "studio-test-secret"

    def env(self) -> dict[str, str]:
        """The settings' variables that point the studio's storage at this bucket."""
        return {
            "S3_BUCKET": self.bucket,
            "S3_ENDPOINT_URL": self.endpoint_url,
            "S3_REGION": self.region,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def keys(self) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@contextmanager
def s3_server(bucket: str = "studio-media") -> Iterator[S3]:
    try:
        import moto.server  # noqa: F401
    except ImportError:
        raise ServerMissing("moto's server mode is not installed; `make test` installs it (pip install -e '.[test]')") from None
    root = Path(tempfile.mkdtemp(prefix="studio-s3-"))
    port = free_port()
    log = root / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until(lambda: _accepts(port), what="moto_server", proc=proc, log=log)
        s3 = S3(endpoint_url=f"http://127.0.0.1:{port}", bucket=bucket)
        s3.client().create_bucket(Bucket=bucket)
        yield s3
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


# --- pytest fixtures -------------------------------------------------------------------------


@contextmanager
def _or_fail(server) -> Iterator:
    try:
        manager = server()
        value = manager.__enter__()
    except ServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield value
    finally:
        manager.__exit__(None, None, None)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    with _or_fail(postgres_server) as server:
        yield server


@pytest.fixture(scope="session")
def redis() -> Iterator[Redis]:
    with _or_fail(redis_server) as server:
        yield server


@pytest.fixture(scope="session")
def s3() -> Iterator[S3]:
    with _or_fail(s3_server) as server:
        yield server
