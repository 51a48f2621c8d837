"""Faults around the attention cache, made real: a full disk and a read-only one (small
tmpfs mounts), a cache folder deleted during a run, a writer killed mid-write, and two
processes filling one cache at once. None leaves a partial or wrong entry, and every
run still returns the model's own attention.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from protattn.lm.cache import AttentionCache, CacheWarning
from protattn.lm.inference import (
    cached_compact_attention,
    chain_attention_key,
    clear_memory,
    compact_attention,
)

SEQUENCE = "EVQLVESGGGLVQPGGSLRLSCAASGFTFSSYAMS"


@contextlib.contextmanager
def _mount(path: Path, options: str):
    """A tmpfs at ``path`` with ``options``; where mounting is not allowed, the fault is
    made by the file system's own refusal instead (see the callers)."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True
    )
    try:
        yield done.returncode == 0
    finally:
        if done.returncode == 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _entries(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


@pytest.fixture
def reference(antiberty, tmp_path, monkeypatch):
    """SEQUENCE's attention with a cache that works, to compare faulty runs with."""
    monkeypatch.setenv("PROTATTN_CACHE", str(tmp_path / "good"))
    clear_memory()
    run = compact_attention(antiberty, [SEQUENCE])
    clear_memory()
    return run


def _same(a, b) -> None:
    for name, array in a.arrays().items():
        np.testing.assert_array_equal(array, b.arrays()[name])


def _run(antiberty, directory: Path, monkeypatch):
    monkeypatch.setenv("PROTATTN_CACHE", str(directory))
    clear_memory()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = compact_attention(antiberty, [SEQUENCE])
    clear_memory()
    return run, [w for w in caught if issubclass(w.category, CacheWarning)]


def test_a_full_disk_leaves_no_partial_entry_and_the_run_its_answer(
    antiberty, tmp_path, monkeypatch, reference
):
    full = tmp_path / "full"
    with _mount(full, "size=12k") as mounted:
        if not mounted:  # no mount here: a writer that fails as a full disk does
            real = os.write

            def no_space(fd, data):
                raise OSError(28, "No space left on device")

            monkeypatch.setattr(os, "write", no_space)
        run, said = _run(antiberty, full, monkeypatch)
        if not mounted:
            monkeypatch.setattr(os, "write", real)
        _same(run, reference)
        assert said and "not" in str(said[0].message)  # "attention not cached in ...: ..."
        assert _entries(full) == []  # no entry, no temporary file
        again, _ = _run(antiberty, full, monkeypatch)  # a miss, computed again: the same
        _same(again, reference)


def test_a_read_only_cache_is_used_for_nothing_and_the_run_answers(
    antiberty, tmp_path, monkeypatch, reference
):
    locked = tmp_path / "locked"
    with _mount(locked, "size=1m,ro") as mounted:
        if not mounted:
            locked.mkdir(exist_ok=True)
            locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
        if os.access(locked, os.W_OK) and mounted is False:
            pytest.skip("this user can write into a read-only folder (root without a mount)")
        run, said = _run(antiberty, locked, monkeypatch)
        _same(run, reference)
        assert said and _entries(locked) == []


def test_a_cache_folder_deleted_during_a_run(antiberty, tmp_path, monkeypatch, reference):
    import shutil

    directory = tmp_path / "vanishing"
    directory.mkdir()
    real_put = AttentionCache.put

    def put_after_deletion(self, key, arrays, meta):
        shutil.rmtree(self.directory, ignore_errors=True)  # gone between the pass and the write
        return real_put(self, key, arrays, meta)

    monkeypatch.setattr(AttentionCache, "put", put_after_deletion)
    run, said = _run(antiberty, directory, monkeypatch)
    _same(run, reference)
    monkeypatch.setattr(AttentionCache, "put", real_put)
    key = chain_attention_key(antiberty, [SEQUENCE], None, None)
    entry = AttentionCache(directory).get(key)  # written into the folder made again
    assert entry is not None and not said


_KILLED_WRITER = textwrap.dedent(
    """
    import os, sys, time
    import numpy as np
    from protattn.lm import cache as c
    from protattn.lm.cache import AttentionCache, cache_key

    real = c.write_npz
    def slow(fh, members):  # write half, then hang until killed
        real(fh, members)
        fh.flush()
        fh.truncate(fh.tell() // 2)
        print("writing", flush=True)
        time.sleep(60)
    c.write_npz = slow
    store = AttentionCache(sys.argv[1])
    key = cache_key("m", None, "EVQL", {{}})
    store.put(key, {{"attention": np.ones((2, 2, 4, 4), np.float32)}}, {{"model_id": "m"}})
    """
)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_a_writer_killed_mid_write_leaves_no_entry_to_read(tmp_path, sig):
    from protattn.lm.cache import cache_key

    directory = tmp_path / "cache"
    writer = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER.replace("{{", "{").replace("}}", "}"), directory],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout.readline().strip() == "writing"
    writer.send_signal(sig)
    writer.wait(timeout=30)
    store = AttentionCache(directory)
    key = cache_key("m", None, "EVQL", {})
    assert store.get(key) is None  # only a temporary file, never an entry
    assert not store.path_for(key).exists()
    leftovers = [p for p in _entries(directory) if p.name.startswith(".")]
    assert len(leftovers) <= 1  # the writer's temporary file, if SIGKILL left it
    for tmp in leftovers:  # an hour later the cache's clean-up removes it (a live
        old = time.time() - 2 * 3600  # writer's file is younger and is kept)
        os.utime(tmp, (old, old))
    store.clear()
    assert _entries(directory) == []


_FILLER = textwrap.dedent(
    """
    import json, random, sys
    from protattn.lm.loading import load_model
    from protattn.lm.inference import compact_attention, clear_memory

    lm = load_model("antiberty")
    rng = random.Random(int(sys.argv[1]))
    letters = "ACDEFGHIKLMNPQRSTVWY"
    pool = ["".join(rng.Random(k).choice(letters) for _ in range(12 + k % 9)) for k in range(40)]
    for _ in range(100):
        sequence = pool[rng.randrange(len(pool))]
        clear_memory()
        compact_attention(lm, [sequence])
    print(json.dumps(pool))
    """
)


def test_two_processes_filling_one_cache_leave_only_whole_right_entries(
    antiberty, tmp_path, monkeypatch
):
    directory = tmp_path / "shared"
    env = {**os.environ, "PROTATTN_CACHE": str(directory)}
    code = _FILLER.replace("rng.Random(k)", "random.Random(k)")
    fillers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(seed)], env=env, stdout=subprocess.PIPE, text=True
        )
        for seed in (1, 2)
    ]
    outputs = [f.communicate(timeout=900)[0] for f in fillers]
    assert [f.returncode for f in fillers] == [0, 0]
    import json

    pool = json.loads(outputs[0])
    assert json.loads(outputs[1]) == pool  # both drew from the same sequences
    store = AttentionCache(directory)
    checked: set[str] = set()
    for sequence in pool:
        clear_memory()
        # checksummed on reading: a partial or mixed entry would be a miss (None)
        cached = cached_compact_attention(antiberty, [sequence], None, None, store, memory=False)
        if cached is None:
            continue
        fresh = compact_attention(antiberty, [sequence], cache=False)
        _same(cached, fresh)
        checked.add(chain_attention_key(antiberty, [sequence], None, None))
    assert len(checked) >= 20  # most of the pool was asked for, by one process or both
    assert len(_entries(directory)) == len(checked)  # whole entries only, no temporaries


def test_entries_are_readable_by_their_owner_only(antiberty, tmp_path, monkeypatch):
    directory = tmp_path / "private"
    _run(antiberty, directory, monkeypatch)
    (entry,) = _entries(directory)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
