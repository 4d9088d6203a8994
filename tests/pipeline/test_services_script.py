"""scripts/services.sh stop: the epmd that RabbitMQ started goes with it, and an epmd the script did not start stays.

RabbitMQ's node starts epmd as `epmd -daemon` with the port in ERL_EPMD_PORT, so the port is not on the command line
(which is why matching the command line missed it); the test starts epmd exactly that way.
"""

import os
import shutil
import socket
import subprocess
from pathlib import Path

from tests.support.servers import SCRIPT
from tests.support.service_harness import free_port, wait_for

EPMD = shutil.which("epmd") or "/usr/lib/erlang/bin/epmd"


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_epmd(port: int) -> None:
    env = os.environ | {"ERL_EPMD_PORT": str(port), "ERL_EPMD_ADDRESS": "127.0.0.1"}
    subprocess.run([EPMD, "-daemon"], env=env, check=True)
    wait_for(lambda: listening(port), 10, f"epmd on port {port}")


def test_stop_ends_the_epmd_rabbitmq_started_and_no_other(tmp_path: Path) -> None:
    ours, bystander = free_port(), free_port()
    services = tmp_path / "services"
    (services / "rabbitmq").mkdir(parents=True)
    env = os.environ | {"CALLINTEL_SERVICES_DIR": str(services), "CALLINTEL_EPMD_PORT": str(ours)}
    start_epmd(ours)
    start_epmd(bystander)
    try:
        subprocess.run([SCRIPT, "stop", "rabbitmq"], env=env, check=True, capture_output=True, timeout=60)

        wait_for(lambda: not listening(ours), 10, "the script's epmd to stop")
        assert listening(bystander)
    finally:
        for port in (ours, bystander):
            subprocess.run([EPMD, "-port", str(port), "-kill"], capture_output=True)
