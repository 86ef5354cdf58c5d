"""Free TCP ports for servers a script starts (the page benchmark, the suite's scale-out test)."""

import socket


def free_ports(count: int) -> list[int]:
    """Distinct free ports, all held open while they are picked (a port closed and picked again
    could be handed out twice, and the second server would fail to bind)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
