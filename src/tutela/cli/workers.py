"""Several server processes on one port, each listening on a socket of its own.

uvicorn's own multi-process mode hands every worker one shared listening socket, and the
worker that wakes first accepts everything pending: a client's keep-alive connections (a
reverse proxy's pool, a load generator) can all land on one worker while the others idle
(measured here: 2 to 10 of 32 connections on one of two workers). With `SO_REUSEPORT` every
worker listens on a socket of its own bound to the same address, and the kernel spreads new
connections across them.

The supervisor starts the workers, starts another when one dies, gives up if a worker cannot
start at all (a broken home would fail the same way every time), and on SIGINT or SIGTERM
stops them all, as `uvicorn --workers` does.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

logger = logging.getLogger("uvicorn.error")

STARTUP_FAILURE = 3  # a worker's exit status when it could not start (uvicorn's too)
STOP_TIMEOUT_S = 20.0  # a worker still running this long after SIGTERM is killed
_POLL_S = 0.5


class CannotListen(Exception):
    """The address cannot be bound: taken by another program, or not one of this host's."""


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (`host`, `port`) with `SO_REUSEPORT`, not yet listening.

    Raises:
        OSError: the address is taken by a socket without `SO_REUSEPORT`, or is invalid.
    """
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _refuse_if_served(host: str, port: int) -> None:
    """Bind once without `SO_REUSEPORT`, which fails if anything listens there already: a
    second server of the same user could otherwise join the port and take half its traffic."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past TIME_WAIT only
        probe.bind((host, port))


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def run_worker(options: dict[str, Any], host: str, port: int) -> None:
    """One worker process: its own socket, then uvicorn until told to stop."""
    import uvicorn

    sock = reuse_port_socket(host, port)
    server = uvicorn.Server(uvicorn.Config(**options))
    server.run(sockets=[sock])
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)


class Supervisor:
    """Keeps `workers` processes serving `options` (uvicorn `Config` arguments) on one port."""

    def __init__(self, options: dict[str, Any], host: str, port: int, workers: int) -> None:
        self._options = options
        self._host, self._port = host, port
        self._count = workers
        self._stop = threading.Event()
        self._context = multiprocessing.get_context("spawn")
        self._processes: list[BaseProcess] = []

    def run(self) -> int:
        """Serve until SIGINT or SIGTERM; the exit status (0, or 1 if a worker cannot start).

        Raises:
            CannotListen: naming the address and the reason.
        """
        # Bound but never listening: the address is checked before any worker starts, and it
        # stays held while they restart. A socket that does not listen receives no connections.
        try:
            _refuse_if_served(self._host, self._port)
            held = reuse_port_socket(self._host, self._port)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise CannotListen(f"cannot listen on {self._host}:{self._port}: {reason}") from None
        with held:
            previous = {
                sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
            }
            try:
                logger.info("Started parent process [%d]", os.getpid())
                self._processes = [self._start() for _ in range(self._count)]
                failed = self._watch()
            finally:
                self._stop_all()
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
            logger.info("Stopping parent process [%d]", os.getpid())
        return 1 if failed else 0

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stop.set()

    def _start(self) -> BaseProcess:
        process = self._context.Process(
            target=run_worker, args=(self._options, self._host, self._port), daemon=False
        )
        process.start()
        return process

    def _watch(self) -> bool:
        """Replace workers that die until told to stop; True if one could not start."""
        while not self._stop.wait(_POLL_S):
            for index, process in enumerate(self._processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    logger.error("Worker [%s] could not start; stopping", process.pid)
                    return True
                logger.warning(
                    "Worker [%s] exited with status %s; starting another",
                    process.pid,
                    process.exitcode,
                )
                self._processes[index] = self._start()
        return False

    def _stop_all(self) -> None:
        for process in self._processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                logger.error("Worker [%s] ignored SIGTERM; killing it", process.pid)
                process.kill()
                process.join()
