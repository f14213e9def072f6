"""``FactcheckFlask.ensure_sync``: plain functions as they are, everything else as Flask decides."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from factcheck.flask_app import FactcheckFlask


def plain(value: int) -> int:
    return value + 1


async def coroutine(value: int) -> int:
    return value + 1


class Hooks:
    def method(self, value: int) -> int:
        return value + 1

    async def async_method(self, value: int) -> int:
        return value + 1


def marked(value: int) -> int:
    return value + 1


marked._is_coroutine_marker = object()  # type: ignore[attr-defined]  # what inspect.markcoroutinefunction sets


def flasks_answer(app: Flask, func: Callable[..., Any]) -> Any:
    try:
        return Flask.ensure_sync(app, func)
    except RuntimeError as exc:  # async support needs Flask's "async" extra (asgiref)
        return type(exc)


def our_answer(app: FactcheckFlask, func: Callable[..., Any]) -> Any:
    try:
        return app.ensure_sync(func)
    except RuntimeError as exc:
        return type(exc)


def test_a_plain_function_is_returned_as_it_is() -> None:
    app = FactcheckFlask(__name__)
    assert app.ensure_sync(plain) is plain
    anonymous = lambda: None  # noqa: E731 (a lambda is what is under test)
    assert app.ensure_sync(anonymous) is anonymous


@pytest.mark.parametrize(
    "func",
    [coroutine, Hooks().async_method, functools.partial(coroutine, 1), marked],
    ids=["async def", "async method", "partial of async def", "marked as coroutine"],
)
def test_coroutines_and_marked_functions_get_flasks_own_answer(func: Callable[..., Any]) -> None:
    app = FactcheckFlask(__name__)
    ours, flasks = our_answer(app, func), flasks_answer(app, func)
    assert ours is not func or flasks is func  # never handed back unwrapped unless Flask would
    assert type(ours) is type(flasks)


def test_bound_methods_and_partials_of_plain_functions_still_run() -> None:
    app = FactcheckFlask(__name__)
    assert app.ensure_sync(Hooks().method)(1) == 2
    assert app.ensure_sync(functools.partial(plain, 1))() == 2
