"""``orderhub web`` as a real process on a real socket: it serves the login page and the
probes, answers a script's HTTP Basic request, logs paths without query strings, and stops
cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .conftest import PASSWORD, PASSWORD_ENV

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_orderhub_web_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    (tmp_path / "orderhub.toml").write_text(
        f'[web]\nport = {free_port()}\npassword_env = "{PASSWORD_ENV}"\n', encoding="utf-8"
    )
    port = int((tmp_path / "orderhub.toml").read_text().split("port = ")[1].split()[0])
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERHUB_")}
    env.update({PASSWORD_ENV: PASSWORD, "ORDERHUB_LOG_FORMAT": "json"})
    script = Path(sys.executable).with_name("orderhub")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "orderhub"]
    with (tmp_path / "out").open("wb") as out, (tmp_path / "err").open("wb") as err:
        process = subprocess.Popen([*command, "web"], cwd=tmp_path, env=env, stdout=out, stderr=err)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, (tmp_path / "err").read_text()
                assert time.monotonic() < deadline, "the console did not start"
                time.sleep(0.05)
            assert httpx.get(f"{base}/readyz").json()["migrations"] == "current"
            assert "Log in to orderhub" in httpx.get(f"{base}/login").text
            orders = httpx.get(f"{base}/orders?q=secret-query", auth=("script", PASSWORD))
            assert orders.status_code == 200
            process.send_signal(signal.SIGTERM)
            assert process.wait(15) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
    output = (tmp_path / "out").read_text()
    assert f"orderhub console on http://127.0.0.1:{port}/" in output
    assert '"path": "/orders"' in output
    assert "secret-query" not in output + (tmp_path / "err").read_text()
