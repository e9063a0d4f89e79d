"""Refuse network connections to anything but this machine, in every test process.

The root conftest imports this module, and puts its folder on PYTHONPATH for
the subprocesses the tests start (snippet scripts, bash blocks), where Python
imports it automatically as ``sitecustomize``.  A page that tried to reach a
model hub would fail loudly here instead of passing on a machine that happens
to be online.
"""

import ipaddress
import socket

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


class NetworkBlocked(OSError):
    pass


def _is_loopback(host) -> bool:
    if not isinstance(host, str):
        return False
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address) -> None:
    if isinstance(address, (tuple, list)) and address and not _is_loopback(address[0]):
        raise NetworkBlocked(f"tests run offline: connection to {address[0]!r} refused by tests/netguard")


_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex
_original_getaddrinfo = socket.getaddrinfo


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _original_connect(self, address)


def _guarded_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _original_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    # Resolving a name is the first step of every outside connection; refusing
    # it here fails fast instead of waiting for a DNS time-out.
    if host is not None and not _is_loopback(host if isinstance(host, str) else host.decode()):
        raise NetworkBlocked(f"tests run offline: name lookup of {host!r} refused by tests/netguard")
    return _original_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
socket.getaddrinfo = _guarded_getaddrinfo
