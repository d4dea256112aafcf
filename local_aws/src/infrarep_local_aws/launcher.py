"""Start, find and stop the local AWS (moto's server on 127.0.0.1), by PID.

A state directory holds what one running server needs to be found again: its record
(STATE_FILE: pid, ports, log, certificate), its log and its self-signed certificate."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
STATE_FILE = "local-aws.json"
LOG_FILE = "local-aws.log"
CERT_FILE = "local-aws-cert.pem"
KEY_FILE = "local-aws-key.pem"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
_SERVER_MODULE = "infrarep_local_aws.server"


class LocalAwsError(Exception):
    """The local AWS could not be started, reached or stopped: one line, and what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class LocalAws:
    pid: int
    port: int
    proxy_port: int
    log: str
    ca_bundle: str

    @property
    def endpoint(self) -> str:
        return f"https://{HOST}:{self.port}"

    def client(self, service: str, region: str) -> Any:
        """A boto3 client against this local AWS."""
        import boto3

        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            verify=self.ca_bundle,
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def client_env(self) -> dict[str, str]:
        """What any AWS client (an SDK, Terraform's provider) needs besides the endpoint to use
        this local AWS: trust in its certificate, and dummy credentials so nothing real is ever
        picked up."""
        return {
            "AWS_CA_BUNDLE": self.ca_bundle,
            # Account-prefixed hosts (S3 Control) reach the local AWS through its loopback proxy.
            "HTTPS_PROXY": f"http://{HOST}:{self.proxy_port}",
            "NO_PROXY": f"{HOST},localhost",
            **DUMMY_CREDENTIALS,
        }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def healthy(port: int, ca_bundle: Path, timeout: float = 2.0) -> bool:
    context = ssl.create_default_context(cafile=str(ca_bundle))
    try:
        with urllib.request.urlopen(
            f"https://{HOST}:{port}/moto-api/", timeout=timeout, context=context
        ) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def ensure_certificate(state_dir: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, so the local AWS speaks TLS like AWS does
    (bucket policies that require aws:SecureTransport then behave as they do in AWS)."""
    cert, key = state_dir / CERT_FILE, state_dir / KEY_FILE
    if cert.exists() and key.exists():
        return cert, key
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "infrarep local AWS")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address(HOST)),
                    x509.DNSName("localhost"),
                    x509.DNSName(f"*.{HOST}"),  # account-prefixed hosts, e.g. S3 Control's
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private_key, hashes.SHA256())
    )
    state_dir.mkdir(parents=True, exist_ok=True)
    key_bytes = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_atomic(key, key_bytes, mode=0o600)
    _write_atomic(cert, certificate.public_bytes(serialization.Encoding.PEM))
    return cert, key


def up(state_dir: Path, port: int | None = None, start_timeout: float = 60.0) -> LocalAws:
    """Start the local AWS, or return the one already running for this state dir."""
    running = status(state_dir)
    if running is not None:
        if port is not None and port != running.port:
            raise LocalAwsError(
                f"the local AWS already runs on port {running.port} (pid {running.pid}), not {port}",
                hint="stop it first, or leave the port out to use the running one",
            )
        return running
    if port is not None and port_in_use(port):
        raise LocalAwsError(
            f"{HOST}:{port} is already in use",
            hint="choose another port, or leave it out to take a free one",
        )
    chosen = port if port is not None else free_port()
    proxy_port = free_port()
    cert, key = ensure_certificate(state_dir)
    log = state_dir / LOG_FILE
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                _SERVER_MODULE,
                "-H",
                HOST,
                "-p",
                str(chosen),
                "-c",
                str(cert),
                "-k",
                str(key),
                "--proxy-port",
                str(proxy_port),
            ],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **DUMMY_CREDENTIALS},
        )
    deadline = time.monotonic() + start_timeout
    while not healthy(chosen, cert, timeout=1.0):
        if process.poll() is not None:
            raise LocalAwsError(
                f"the local AWS exited during start-up (code {process.returncode}): {_tail(log)}",
                hint=f"full log: {log}",
            )
        if time.monotonic() > deadline:
            _stop_pid(process.pid)
            raise LocalAwsError(f"the local AWS did not answer on port {chosen} within {start_timeout:.0f}s")
        time.sleep(0.2)
    local = LocalAws(pid=process.pid, port=chosen, proxy_port=proxy_port, log=str(log), ca_bundle=str(cert))
    _write_state(state_dir, local)
    return local


def status(state_dir: Path) -> LocalAws | None:
    """The running local AWS of this state dir; a stale record (dead pid) is removed."""
    record = state_dir / STATE_FILE
    local = _recorded(record)
    if local is None:
        return None
    if _is_our_server(local.pid) and healthy(local.port, Path(local.ca_bundle)):
        return local
    if _is_our_server(local.pid):
        _stop_pid(local.pid)
    record.unlink(missing_ok=True)
    return None


def down(state_dir: Path) -> LocalAws | None:
    """Stop the local AWS by its PID; returns what was stopped, None if nothing ran."""
    record = state_dir / STATE_FILE
    try:
        local = _recorded(record)
    except LocalAwsError:  # nothing to stop that can be named
        record.unlink(missing_ok=True)
        return None
    if local is None:
        return None
    if _is_our_server(local.pid):
        _stop_pid(local.pid)
    record.unlink(missing_ok=True)
    return local


def _recorded(record: Path) -> LocalAws | None:
    """The local AWS `record` names; None if there is no record."""
    try:
        return LocalAws(**json.loads(record.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as err:
        raise LocalAwsError(
            f"{record}: unreadable ({err})", hint="delete it and start the local AWS again"
        ) from err


def _write_state(state_dir: Path, local: LocalAws) -> None:
    _write_atomic(state_dir / STATE_FILE, json.dumps(asdict(local)).encode())


def _write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Readers see the old file or the new one, never a part: a record read while `up` writes it
    must parse."""
    descriptor, staged = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        Path(staged).chmod(mode)
        Path(staged).replace(path)
    except OSError as err:
        Path(staged).unlink(missing_ok=True)
        raise LocalAwsError(f"{path}: cannot write ({err.strerror})") from None


def _is_our_server(pid: int) -> bool:
    """True only for a live moto server started by us: a recycled PID is never signalled."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return _SERVER_MODULE.encode() in cmdline


def _stop_pid(pid: int, grace: float = 10.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _tail(log: Path, lines: int = 3) -> str:
    try:
        with log.open(errors="replace") as handle:
            return " | ".join(line.strip() for line in deque(handle, maxlen=lines))
    except OSError:
        return "(no log)"
