"""`ahead`: the next item is produced while the caller holds this one, and no further."""

from __future__ import annotations

import threading
import time

import pytest

from odc_pipeline.warehouse.ahead import ahead


def test_the_next_item_is_produced_while_the_caller_holds_this_one_and_no_further():
    produced: list[int] = []
    second_started = threading.Event()

    def items():
        for number in range(4):
            if number == 1:
                second_started.set()
            produced.append(number)
            yield number

    seen = []
    for item in ahead(items()):
        if item == 0:
            # Produced in the worker while this item is held, not when the caller asks.
            assert second_started.wait(timeout=10)
            time.sleep(0.05)  # time enough to run further ahead, were it to
            assert produced == [0, 1]
        seen.append(item)
    assert seen == [0, 1, 2, 3]


def test_an_error_producing_an_item_is_raised_where_that_item_would_have_come():
    def items():
        yield "first"
        yield "second"
        raise ValueError("the third source could not be read")

    seen = []
    with pytest.raises(ValueError, match="the third source could not be read"):
        for item in ahead(items()):
            seen.append(item)
    assert seen == ["first", "second"]
    assert list(ahead([])) == []
