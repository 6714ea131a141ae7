"""A TCP proxy in front of PostgreSQL that a test can cut: the database as the API's process sees it.

proxy = PgProxy("127.0.0.1", 5432); await proxy.start()
... point the server's DATABASE_URL at proxy.port ...
await proxy.refuse()        # the server is down: every connection reset, new ones refused
proxy.blackhole()           # the host is unreachable: connections reset, new ones never answered
proxy.sever_on_next_use()   # open connections died unnoticed (a NAT/firewall dropped them)
proxy.lose_answer_to(b"..") # the next message holding these bytes is run, its answer never arrives
proxy.sever_when(b"..")     # the next message holding these bytes never arrives; its connection is cut
await proxy.restore()       # the database is back
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

__all__ = ["PgProxy"]


@dataclass(eq=False)
class _Pipe:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    doomed: bool = False  # cut at the client's next bytes, which never reach the server
    answer_lost: bool = False  # cut when the server's answer to what the client sent arrives
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def abort(self) -> None:
        for writer in (self.client, self.upstream):
            if writer is not None:
                writer.transport.abort()


class PgProxy:
    """Forwards 127.0.0.1:`port` to the real server until told otherwise (see module doc)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.silent = False
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[_Pipe] = set()
        self._lose_marker: bytes | None = None
        self._sever_marker: bytes | None = None
        self.answers_lost = 0
        self.severed = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def refuse(self) -> None:
        """PostgreSQL stopped: open connections are reset and the port refuses new ones."""
        if self._server is not None:
            self._server.close()
        self._abort_all()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def blackhole(self) -> None:
        """The host is unreachable: open connections are reset, new ones are accepted and never answered."""
        self.silent = True
        self._abort_all()

    def sever_on_next_use(self) -> None:
        """Every open connection is dead without the client knowing: its next statement cuts it."""
        for pipe in self._pipes:
            pipe.doomed = True

    def lose_answer_to(self, marker: bytes) -> None:
        """The next client message holding `marker` reaches the server and is run (and, outside a
        transaction, committed); the connection is cut as the answer comes back, so it never arrives."""
        self._lose_marker = marker

    def sever_when(self, marker: bytes) -> None:
        """The next client message holding `marker` is dropped and its connection cut (it had died
        unnoticed): the server never sees it."""
        self._sever_marker = marker

    async def restore(self) -> None:
        """PostgreSQL answers again, on the same port."""
        self.silent = False
        self._lose_marker = self._sever_marker = None
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        await self.refuse()
        for pipe in list(self._pipes):
            for task in pipe.tasks:
                task.cancel()

    def _abort_all(self) -> None:
        for pipe in list(self._pipes):
            pipe.abort()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        pipe = _Pipe(client=writer)
        self._pipes.add(pipe)
        try:
            if self.silent:
                while await reader.read(65536):  # swallow the start-up message, never answer
                    pass
                return
            try:
                up_reader, pipe.upstream = await asyncio.open_connection(*self.target)
            except OSError:
                return
            pipe.tasks = [
                asyncio.create_task(self._copy(reader, pipe.upstream, pipe, from_client=True)),
                asyncio.create_task(self._copy(up_reader, writer, pipe, from_client=False)),
            ]
            await asyncio.wait(pipe.tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            pipe.abort()
            for task in pipe.tasks:
                task.cancel()
            self._pipes.discard(pipe)

    async def _copy(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pipe: _Pipe, *, from_client: bool
    ) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                if from_client and pipe.doomed:
                    return
                if from_client and self._sever_marker is not None and self._sever_marker in data:
                    self._sever_marker = None
                    self.severed += 1
                    return
                if from_client and self._lose_marker is not None and self._lose_marker in data:
                    self._lose_marker, pipe.answer_lost = None, True
                if not from_client and pipe.answer_lost:
                    self.answers_lost += 1
                    return  # the server has answered (so it ran the statement); the client never hears
                writer.write(data)
                await writer.drain()
