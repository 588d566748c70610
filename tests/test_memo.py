"""Work shared within one scoring call, and nothing kept outside it."""

import threading

from trainer.memo import remembered, shared_work


def counter():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)
    return calls, compute


def test_outside_a_block_nothing_is_remembered():
    calls, compute = counter()
    assert [remembered("k", compute) for _ in range(3)] == [1, 2, 3]


def test_inside_a_block_each_key_is_computed_once_and_forgotten_after():
    calls, compute = counter()
    with shared_work():
        assert remembered("k", compute) == remembered("k", compute) == 1
        assert remembered("other", compute) == 2
        with shared_work():  # nested: the same memo
            assert remembered("k", compute) == 1
    with shared_work():
        assert remembered("k", compute) == 3
    assert len(calls) == 3


def test_threads_do_not_see_each_others_memo():
    calls, compute = counter()
    seen = []
    with shared_work():
        remembered("k", compute)
        thread = threading.Thread(target=lambda: seen.append(remembered("k", compute)))
        thread.start()
        thread.join()
    assert seen == [2]
