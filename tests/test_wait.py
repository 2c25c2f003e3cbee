"""The tests' one waiting helper returns what it waited for and fails loudly, never silently."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from _wait import async_wait_until, wait_until


def test_returns_the_first_truthy_value() -> None:
    counter = itertools.count()
    assert wait_until(lambda: next(counter) >= 3 and "ready", 5, "three polls") == "ready"


def test_a_timeout_fails_with_the_message_and_the_last_value() -> None:
    with pytest.raises(AssertionError, match=r"waiting for the moon \(last seen: \[\]\)"):
        wait_until(list, 0.05, "the moon")


def test_an_exception_in_the_predicate_is_not_a_not_yet() -> None:
    def broken() -> bool:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        wait_until(broken, 5, "never")
    with pytest.raises(ValueError, match="timeout must be positive"):
        wait_until(lambda: True, 0)


def test_the_async_form_accepts_plain_and_async_predicates() -> None:
    async def main() -> None:
        ticks: list[int] = []
        loop_task = asyncio.create_task(_tick(ticks))  # the loop keeps running while we wait
        assert await async_wait_until(lambda: len(ticks) >= 2, 5, "two ticks")

        async def ready() -> str:
            return "yes" if len(ticks) >= 3 else ""

        assert await async_wait_until(ready, 5, "three ticks") == "yes"
        loop_task.cancel()
        with pytest.raises(AssertionError, match="waiting for nothing"):
            await async_wait_until(lambda: None, 0.05, "nothing")

    asyncio.run(main())


async def _tick(ticks: list[int]) -> None:
    while True:
        ticks.append(1)
        await asyncio.sleep(0.01)  # the thing waited on: a task making progress
