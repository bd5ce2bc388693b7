"""Start-ups run without the cyclic collector, and freeze what they made."""

from __future__ import annotations

import gc

import pytest

from pipelines import startup_gc


@pytest.fixture
def collector_restored():
    frozen_before = gc.get_freeze_count()
    yield
    gc.enable()
    if frozen_before == 0:
        gc.unfreeze()  # this test process's objects go back to the collector, as they were


def test_the_collector_is_paused_inside_then_on_again_with_the_start_up_frozen(collector_restored):
    assert gc.isenabled()
    with startup_gc.paused_then_frozen():
        assert not gc.isenabled()
        made = [[i] for i in range(1000)]  # tracked objects the start-up made
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(made)


def test_a_failed_start_up_still_turns_the_collector_back_on(collector_restored):
    with pytest.raises(RuntimeError), startup_gc.paused_then_frozen():
        raise RuntimeError("the instance could not be opened")
    assert gc.isenabled()
