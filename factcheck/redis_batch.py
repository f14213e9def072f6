"""The Redis writes that follow one commit, sent together: one round trip instead of one each.

An API write commits, then requests a webhook fan-out pass (a ``SET NX`` flag) and enqueues
collection (RQ registers the queue with a ``SADD`` before its enqueue script). Inside
``batched()`` such writes wait in one pipeline (a MULTI ... EXEC) and go out when the block
ends; a write whose reply matters (the flag: did this caller set it?) gives a function that is
called with its reply. Outside a batch every helper sends at once, as before. A failed flush is
logged and lost like any failed enqueue: the database says what is unfinished, and the sweeper
enqueues it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import redis
from redis.client import Pipeline

log = logging.getLogger(__name__)

Reply = Callable[[Any], None]


class Batch:
    """One pipeline on the app's Redis client, made at the first write."""

    def __init__(self, connect: Callable[[], redis.Redis]) -> None:
        self._connect = connect
        self._pipeline: Pipeline | None = None
        self._replies: list[tuple[int, Reply]] = []

    def holds(self, conn: redis.Redis) -> bool:
        """True if ``conn`` is the client this batch writes to."""
        return conn is self._connect()

    def pipeline(self) -> Pipeline:
        """The batch's pipeline, in MULTI mode already: RQ's enqueue wants a caller's pipeline so."""
        if self._pipeline is None:
            self._pipeline = self._connect().pipeline(transaction=True)
            self._pipeline.multi()
        return self._pipeline

    def send(self, command: Callable[[Pipeline], object], reply: Reply) -> None:
        """Queue ``command(pipeline)``; ``reply`` gets its reply (or the error) after the flush."""
        pipeline = self.pipeline()
        self._replies.append((len(pipeline.command_stack), reply))
        command(pipeline)

    def flush(self) -> None:
        if self._pipeline is None or not self._pipeline.command_stack:
            return
        count = len(self._pipeline.command_stack)
        try:
            replies: list[Any] = self._pipeline.execute(raise_on_error=False)
        except redis.RedisError as exc:
            log.warning("could not send the Redis writes that follow a commit (%s)", exc)
            replies = [exc] * count
        for index, reply in self._replies:
            reply(replies[index])


_current: ContextVar[Batch | None] = ContextVar("factcheck_redis_batch", default=None)


@contextmanager
def batched(connect: Callable[[], redis.Redis]) -> Iterator[Batch]:
    """Collect the Redis writes of the block (on the client ``connect`` returns) and send them
    when it ends, even if it raises. Nested, the outer batch collects them."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    batch = Batch(connect)
    token = _current.set(batch)
    try:
        yield batch
    finally:
        _current.reset(token)
        batch.flush()


def current(conn: redis.Redis) -> Batch | None:
    """The open batch if it writes to ``conn``, else None (send at once)."""
    batch = _current.get()
    return batch if batch is not None and batch.holds(conn) else None
