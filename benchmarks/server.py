"""Servers under measurement: one uvicorn child per app, on a free port of 127.0.0.1.

Regie and its floor run under the same server with the same options (those of `regie serve`:
one process, default logging to a file in the work folder), so the only difference measured is
what each app does per request.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
READY_S = 60.0


def free_port() -> int:
    """A port nobody listens on now (the OS picks it; uvicorn binds it moments later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served(
    app: str, env: dict[str, str], log: Path, *, factory: bool = False, workers: int = 1
) -> Iterator[str]:
    """Serve an ASGI app (`module:attribute`) until the block ends; yields its base URL.

    The child is stopped in `finally`, whatever the block raised; its output goes to `log`,
    whose tail is in the error when it does not come up.
    """
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    args += ["--no-proxy-headers", *(["--factory"] if factory else [])]
    args += ["--workers", str(workers)] if workers > 1 else []
    pythonpath = ":".join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            args, cwd=ROOT, env={**env, "PYTHONPATH": pythonpath}, stdout=out, stderr=out
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(process, url, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Any HTTP answer means the app has started (the floor answers 404 to the probe)."""
    deadline = time.monotonic() + READY_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            httpx.get(f"{url}/health/live", timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.05)
        else:
            return
    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
    raise RuntimeError(f"server op {url} kwam niet op:\n{tail}")
