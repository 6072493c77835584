"""careops.lru.LRU: bounded, least recently used first out, and safe under threads."""

from __future__ import annotations

import threading

from careops.lru import LRU


def test_the_least_recently_used_goes_first():
    cache: LRU[int] = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recently used
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2


def test_pop_drop_and_clear():
    cache: LRU[int] = LRU(10)
    for key in [("w1", 1), ("w1", 2), ("w2", 1)]:
        cache.put(key, key[1])
    cache.drop(lambda key: key[0] == "w1")
    assert list(cache) == [("w2", 1)]
    cache.pop(("w2", 1))
    cache.pop("never there")
    assert len(cache) == 0
    cache.put("x", 1)
    cache.clear()
    assert cache.get("x") is None


def test_threads_never_push_it_past_its_size():
    cache: LRU[int] = LRU(50)

    def fill(offset: int) -> None:
        for i in range(2000):
            cache.put((offset, i), i)
            cache.get((offset, i - 1))

    threads = [threading.Thread(target=fill, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 50
