"""`tursotui local serve --port <busy>` says the port is busy before creating or printing anything: no demo
org, no config written, no one-time token printed; exit 1."""

from __future__ import annotations

import socket
from pathlib import Path

from fixtures.lifecycle import Setup


def test_local_serve_on_a_busy_port_says_so_first(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.config.touch()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = setup.run("local", "serve", "--port", str(port), "--demo-users", "10")
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is busy" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""  # no "shown once" token, no "serving" line
    assert not setup.local_dir.exists()  # no api-token, no state, no sqld
    assert setup.config.read_text() == "" and not setup.env_file.exists()
