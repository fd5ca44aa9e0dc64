"""A throwaway PostgreSQL cluster for the tests (Debian's `postgresql` package binaries).

One cluster per test session: initdb into a temporary directory, a free port on 127.0.0.1,
the unix socket in that directory, fsync off. PostgreSQL refuses to run as root, so when the
tests run as root the cluster runs as the `postgres` user (or `nobody`). Each test that asks
for `pg_url` gets a fresh, empty database on it. If the cluster cannot start, the fixture
fails (an error, never a skip): a CI run never loses its PostgreSQL tests silently.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

INSTALL_HINT = "apt-get install -y postgresql"
NEEDED = ("initdb", "pg_ctl", "postgres")
SUPERUSER = "postgres"


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres: $COTRADER_PG_BINDIR, then
    `pg_config --bindir`, then the newest /usr/lib/postgresql/*/bin, then PATH."""
    candidates: list[Path] = []
    if os.environ.get("COTRADER_PG_BINDIR"):
        candidates.append(Path(os.environ["COTRADER_PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(out.stdout.strip()))

    def version(p: str) -> tuple[int, ...]:
        v = Path(p).parent.name
        return tuple(int(x) for x in v.split(".") if x.isdigit())

    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        candidates.append(Path(d))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for d in candidates:
        if all((d / name).is_file() and os.access(d / name, os.X_OK) for name in NEEDED):
            return d
    return None


def cluster_user() -> pwd.struct_passwd | None:
    """Who runs the server: None (ourselves) unless we are root, else `postgres` or `nobody`."""
    if os.geteuid() != 0:
        return None
    for name in (SUPERUSER, "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgCluster:
    """A running throwaway cluster; `create_database()` hands out fresh databases."""

    bindir: Path
    root: Path
    port: int
    user: pwd.struct_passwd | None
    version: str = ""

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    def url(self, dbname: str) -> str:
        """A SQLAlchemy URL for one database of this cluster."""
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host=self.host, port=self.port, user=SUPERUSER, dbname=dbname, autocommit=True
        )

    def create_database(self) -> str:
        """A fresh, empty database; returns its SQLAlchemy URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        with self.connect() as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with contextlib.suppress(psycopg.Error), self.connect() as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # ---------------------------------------------------------------- lifecycle
    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        kw: dict[str, object] = {}
        if self.user is not None:
            kw = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C", HOME=str(self.root))
        return subprocess.run(
            list(args),
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **kw,  # type: ignore[arg-type]
        )

    def _chown(self, path: Path) -> None:
        if self.user is not None:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def start(self) -> None:
        """initdb, configure for speed and isolation, start, wait until it answers."""
        self._chown(self.root)
        self.socket_dir.mkdir()
        self._chown(self.socket_dir)
        done = self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}\n{done.stderr}")
        conf = "\n".join(
            (
                "",
                "listen_addresses = '127.0.0.1'",
                f"port = {self.port}",
                f"unix_socket_directories = '{self.socket_dir}'",
                "fsync = off",
                "synchronous_commit = off",
                "full_page_writes = off",
                "max_connections = 400",
                "shared_buffers = 32MB",
                "dynamic_shared_memory_type = mmap",
                "max_locks_per_transaction = 128",
                "log_min_messages = warning",
                "",
            )
        )
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as f:
            f.write(conf)
        log = self.root / "server.log"
        done = self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-w", "-t", "60",
            "start",
        )  # fmt: skip
        if done.returncode != 0:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed:\n{done.stdout}\n{done.stderr}\n{tail}")
        deadline = time.monotonic() + 30
        while True:
            try:
                with self.connect() as c:
                    row = c.execute("SHOW server_version").fetchone()
                    self.version = str(row[0]) if row else ""
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> PgCluster:
    """Start a cluster or raise with what to do about it."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; install "
            f"Debian's package: `{INSTALL_HINT}` (`make test` does this when run as root)"
        )
    user = cluster_user()
    last: Exception | None = None
    for _ in range(3):  # a free port can be taken between choosing and binding it
        root = Path(tempfile.mkdtemp(prefix="cotrader-pg-"))
        cluster = PgCluster(bindir=bindir, root=root, port=free_port(), user=user)
        try:
            cluster.start()
            return cluster
        except Exception as e:
            last = e
            cluster.stop()
    raise RuntimeError(f"the PostgreSQL test cluster did not start: {last}")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: runs on a throwaway PostgreSQL cluster")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses PostgreSQL (`-m postgresql` / `-m 'not postgresql'`)."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        cs = getattr(item, "callspec", None)
        on_pg = "pg_url" in names or "pg_cluster" in names
        if cs is not None and cs.params.get("db_url") == "postgresql":
            on_pg = True
        if on_pg:
            item.add_marker(pytest.mark.postgresql)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """The session's PostgreSQL cluster (fails the test, never skips, if it cannot start)."""
    cluster: PgCluster | None = None
    problem = ""
    try:
        cluster = start_cluster()
    except Exception as e:
        problem = str(e)
    if cluster is None:
        pytest.fail(problem, pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> Iterator[str]:
    """A SQLAlchemy URL (postgresql+psycopg://...) of a fresh, empty database."""
    url = pg_cluster.create_database()
    yield url
    pg_cluster.drop_database(url)
