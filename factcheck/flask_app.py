"""The app class: Flask, with a cheaper ``ensure_sync`` for plain functions."""

from __future__ import annotations

from collections.abc import Callable
from inspect import CO_COROUTINE
from types import FunctionType
from typing import Any

from flask import Flask


class FactcheckFlask(Flask):
    """Flask calls ``ensure_sync`` for every hook and view of every request (about 16 a ticket
    intake), and its answer comes from ``inspect.iscoroutinefunction``, ten Python calls each
    time. A plain ``def`` function is answered from its code flags here; anything else (bound
    methods, partials, ``async def``, functions marked as coroutines) goes to Flask's own."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if (
            type(func) is FunctionType
            and not func.__code__.co_flags & CO_COROUTINE
            and not hasattr(func, "_is_coroutine_marker")  # inspect.markcoroutinefunction (3.12+)
        ):
            return func
        return super().ensure_sync(func)
