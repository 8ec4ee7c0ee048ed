"""The fork server's client (`fork_server.py --socket PATH`): `python tests/training/fork_client.py -m ruqtopics_kit
train ...` is a `ruqtopics train` process whose training is forked by the server, without the seconds of imports.

It imports nothing but the standard library. It connects to the server's Unix socket (its path in the environment
variable FORK_SERVER_SOCKET), sends its arguments, its working directory and its environment, passes its stdin,
stdout and stderr (SCM_RIGHTS), and exits as the forked run does: with its exit status, or killed by its signal.
SIGTERM and SIGINT it passes on to the run (the server tells it the run's pid), as `accelerate launch` does.
"""

import json
import os
import signal
import socket
import sys

SOCKET_VARIABLE = "FORK_SERVER_SOCKET"


def request(argv: list[str]) -> socket.socket:
    """The connection to the server, which has the request and the standard streams."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(os.environ[SOCKET_VARIABLE])
    socket.send_fds(connection, [b"\0"], [0, 1, 2])
    connection.sendall(json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode() + b"\n")
    return connection


def exit_as(status: int) -> None:
    """Exit with `status`: an exit status, or minus the signal that killed the run (then killed by it too)."""
    if status < 0:
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    sys.exit(status if status >= 0 else 128 - status)


def main(argv: list[str]) -> None:
    child, pending = None, []

    def pass_on(signum, frame):
        if child is None:
            pending.append(signum)
        else:
            try:
                os.kill(child, signum)
            except ProcessLookupError:  # it has ended; its status is on its way
                pass

    signal.signal(signal.SIGTERM, pass_on)
    signal.signal(signal.SIGINT, pass_on)
    with request(argv) as connection, connection.makefile("rb") as replies:
        pid, status = replies.readline(), None  # the run's pid, then its exit status
        if pid:
            child = int(pid)
            for signum in pending:
                pass_on(signum, None)
            status = replies.readline()
    if not status:
        sys.exit(f"fork client: the fork server at {os.environ[SOCKET_VARIABLE]} closed the connection")
    exit_as(int(status))


if __name__ == "__main__":
    main(sys.argv[1:])
