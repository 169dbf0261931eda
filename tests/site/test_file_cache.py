"""The cache without Redis (yumroad_site/file_cache.py): several processes at once, as
gunicorn's workers use it."""

import multiprocessing
import pickle

import pytest

from yumroad_site.file_cache import FileBasedCache

PROCESSES = 4
KEYS = 200
INCREMENTS = 250


def backend_of(folder):
    return FileBasedCache(str(folder), {})


def add_every_key(folder, start, results):
    backend = backend_of(folder)
    start.wait()
    results.put(sum(backend.add(f"key-{number}", True, 60) for number in range(KEYS)))


def increment(folder, start, results):
    backend = backend_of(folder)
    start.wait()
    for _ in range(INCREMENTS):
        backend.incr("counter")
    results.put(None)


def run_at_once(target, folder):
    """Run `target` in PROCESSES processes started together; their results."""
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(PROCESSES), context.Queue()
    processes = [
        context.Process(target=target, args=(folder, start, results)) for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    answers = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join()
    return answers


def expiry_of(backend, key):
    with open(backend._key_to_file(key), "rb") as f:
        return pickle.load(f)


def test_processes_adding_the_same_keys_at_once_add_each_only_once(tmp_path):
    added = run_at_once(add_every_key, tmp_path)

    assert sum(added) == KEYS


def test_processes_incrementing_at_once_lose_no_increment(tmp_path):
    backend_of(tmp_path).add("counter", 0, 3600)

    run_at_once(increment, tmp_path)

    assert backend_of(tmp_path).get("counter") == PROCESSES * INCREMENTS


def test_an_increment_keeps_the_expiry_the_key_was_added_with(tmp_path):
    backend = backend_of(tmp_path)
    backend.add("counter", 1, 3600)
    backend.add("forever", 1, None)
    added_expiry = expiry_of(backend, "counter")

    assert backend.incr("counter") == 2
    assert backend.incr("forever", 5) == 6

    # Set anew, it would expire in 300 seconds (the default timeout), not in an hour.
    assert expiry_of(backend, "counter") == pytest.approx(added_expiry, abs=1)
    assert expiry_of(backend, "forever") is None
    assert backend.get("counter") == 2


def test_an_expired_or_missing_key_cannot_be_incremented(tmp_path):
    backend = backend_of(tmp_path)
    backend.set("gone", 1, -1)

    for key in ("gone", "never-set"):
        with pytest.raises(ValueError, match="not found"):
            backend.incr(key)
