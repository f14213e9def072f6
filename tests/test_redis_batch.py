"""The Redis writes after a commit go out together (``factcheck.redis_batch``), with the same effects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from rq import Queue

from factcheck import queue, redis_batch
from factcheck.webhooks import transport
from tests.support import ApiClient, free_port


@pytest.fixture()
def round_trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """Every packet redis-py sends from now on (a pipeline is one), passed on unchanged."""
    sent: list[bytes] = []
    original = redis.connection.AbstractConnection.send_packed_command

    def send(self: Any, command: Any, check_health: bool = True) -> None:
        sent.append(command if isinstance(command, bytes) else b"".join(command))
        original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", send)
    yield sent


def test_enqueue_and_fan_out_request_share_one_round_trip_after_the_enqueue_script(
    app: Flask, redis_conn: redis.Redis, round_trips: list[bytes]
) -> None:
    with app.test_request_context("/"):
        queue.enqueue_collection("t0")  # loads RQ's script and reads the backlog (once a second)
        round_trips.clear()
        with queue.batched():
            assert queue.enqueue_collection("t1") is True
            transport.enqueue_dispatch()
            pending = len(round_trips)
        flushed = round_trips[pending:]

    assert pending == 1 and b"EVALSHA" in round_trips[0], "only RQ's unique-enqueue script went out at once"
    assert b"SADD" in flushed[0] and b"\r\nSET\r\n" in flushed[0], "SADD and flag together"
    assert redis_conn.sismember("rq:queues", "rq:queue:collect")
    assert redis_conn.lrange("rq:queue:collect", 0, -1) == [b"collect-t0", b"collect-t1"]
    assert redis_conn.get(transport.DISPATCH_REQUESTED) == b"1"
    assert len(Queue(queue.WEBHOOK_QUEUE, connection=redis_conn)) == 1, "the flag was ours: a pass is queued"


def test_a_flag_set_already_queues_no_second_fan_out_pass(app: Flask, redis_conn: redis.Redis) -> None:
    redis_conn.set(transport.DISPATCH_REQUESTED, "1")
    with app.test_request_context("/"), queue.batched():
        transport.enqueue_dispatch()

    assert len(Queue(queue.WEBHOOK_QUEUE, connection=redis_conn)) == 0


def test_an_api_intake_makes_three_redis_round_trips(api: ApiClient, round_trips: list[bytes]) -> None:
    """The credentials epoch, the enqueue script, then the SADD and the fan-out flag together
    (once the flag is set and the backlog was read this second, as under load)."""
    api.create_ticket("Bus fares rose twice in 2025.")
    round_trips.clear()

    api.create_ticket("Train fares rose twice in 2025.")

    assert [packet.split(b"\r\n")[2] for packet in round_trips] == [b"GET", b"EVALSHA", b"MULTI"]


def test_a_batch_whose_redis_is_down_raises_nothing_and_hands_each_write_its_error() -> None:
    replies: list[Any] = []
    unreachable = redis.Redis(port=free_port(), socket_connect_timeout=1)

    with redis_batch.batched(lambda: unreachable) as batch:
        batch.send(lambda pipeline: pipeline.set("k", "v"), replies.append)
        batch.send(lambda pipeline: pipeline.incr("n"), replies.append)

    assert len(replies) == 2 and all(isinstance(reply, redis.ConnectionError) for reply in replies)


def test_a_nested_batch_leaves_the_sending_to_the_outer_one(redis_conn: redis.Redis) -> None:
    replies: list[Any] = []
    with redis_batch.batched(lambda: redis_conn) as outer:
        with redis_batch.batched(lambda: redis_conn) as inner:
            inner.send(lambda pipeline: pipeline.set("batch-test", "1"), replies.append)
        assert inner is outer and replies == [] and redis_conn.get("batch-test") is None
    assert replies == [True] and redis_conn.get("batch-test") == b"1"
