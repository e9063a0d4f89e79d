"""Tests run offline: outside connections are refused, loopback works."""

import socket
import subprocess
import sys

import pytest
from sitecustomize import NetworkBlocked


def test_outside_address_is_refused_in_process():
    with pytest.raises(NetworkBlocked, match="tests run offline"):
        socket.create_connection(("1.1.1.1", 443), timeout=1)


def test_outside_name_lookup_is_refused():
    with pytest.raises(NetworkBlocked, match="name lookup"):
        socket.getaddrinfo("huggingface.co", 443)


def test_subprocesses_are_guarded_too():
    code = "import socket; socket.create_connection(('1.1.1.1', 443), timeout=1)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "tests run offline" in result.stderr


def test_loopback_is_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=1):
            pass
