"""The on-disk attention cache: keys, round trips, damaged files, housekeeping, concurrency."""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import protattn.lm.cache
from protattn.lm.cache import (
    AttentionCache,
    CacheWarning,
    cache_key,
    cached_precision,
    default_cache_dir,
)

# float16 has an 11-bit significand: a value in [0, 1] is rounded by at most 2**-12
HALF_ATOL = 2.0**-12


def _arrays(seed: int = 0, shape=(2, 3, 20, 20)) -> dict[str, np.ndarray]:
    """Attention with uncovered pairs (NaN), its coverage mask and a plain float64 array."""
    rng = np.random.default_rng(seed)
    length = shape[-1]
    attention = rng.random(shape, dtype=np.float32)
    attention /= attention.sum(axis=-1, keepdims=True)
    i, j = np.indices((length, length))
    covered = abs(i - j) < length // 2
    attention[:, :, ~covered] = np.nan
    return {
        "attention": attention,
        "covered": covered,
        "scores": rng.normal(size=length),
        "windows": np.array([[0, 12], [8, 20]]),
    }


def _key(tag: str = "") -> str:
    return cache_key("antiberty", None, "EVQLVESGGGLVQPGGSLRL" + tag, {"window": 12, "stride": 8})


def _assert_round_trip(got: dict[str, np.ndarray], put: dict[str, np.ndarray]) -> None:
    assert set(got) == set(put)
    attention = got["attention"]
    assert attention.dtype == np.float32 and attention.shape == put["attention"].shape
    np.testing.assert_array_equal(np.isnan(attention), np.isnan(put["attention"]))
    np.testing.assert_allclose(attention, put["attention"], rtol=0, atol=HALF_ATOL, equal_nan=True)
    for name in set(put) - {"attention"}:  # stored as they are
        assert got[name].dtype == put[name].dtype, name
        np.testing.assert_array_equal(got[name], put[name])


@pytest.fixture
def cache(tmp_path) -> AttentionCache:
    return AttentionCache(tmp_path / "cache")


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in Path(directory).rglob("*") if p.is_file())


# ------------------------------------------------------------------- keys


def test_key_is_sha256_hex_and_stable():
    key = cache_key("antiberty", "abc123", "ACDEF", {"window": 4, "stride": 2})
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert key == cache_key("antiberty", "abc123", "ACDEF", {"stride": 2, "window": 4})
    assert cache_key("m", None, "ACD") == cache_key("m", None, "ACD", {})
    assert cache_key("m", None, "ACD", {"w": (1, 2)}) == cache_key("m", None, "ACD", {"w": [1, 2]})
    assert cache_key("m", None, "ACD", {"w": np.int64(3)}) == cache_key("m", None, "ACD", {"w": 3})


def test_key_changes_with_every_input():
    base = ("antiberty", "abc123", "ACDEF", {"window": 4, "stride": 2})
    variants = [
        ("esm2_t6_8M_UR50D", "abc123", "ACDEF", {"window": 4, "stride": 2}),
        ("antiberty", "def456", "ACDEF", {"window": 4, "stride": 2}),
        ("antiberty", None, "ACDEF", {"window": 4, "stride": 2}),
        ("antiberty", "abc123", "ACDEG", {"window": 4, "stride": 2}),
        ("antiberty", "abc123", "ACDEFA", {"window": 4, "stride": 2}),
        ("antiberty", "abc123", "ACDEF", {"window": 4, "stride": 3}),
        ("antiberty", "abc123", "ACDEF", {"window": 4}),
        ("antiberty", "abc123", "ACDEF", {"window": 4, "stride": 2, "device": "cuda"}),
        ("antiberty", "abc123", "ACDEF", None),
    ]
    keys = {cache_key(*v) for v in variants}
    assert len(keys) == len(variants)
    assert cache_key(*base) not in keys
    # fields cannot run into each other
    assert cache_key("ab", None, "c") != cache_key("a", None, "bc")


def test_key_refuses_options_that_are_not_json():
    with pytest.raises(TypeError, match="str, int, float"):
        cache_key("m", None, "ACD", {"f": object()})
    with pytest.raises(ValueError):
        cache_key("m", None, "ACD", {"f": float("nan")})


# ------------------------------------------------------------------- round trip


def test_miss_then_hit(cache):
    key, arrays = _key(), _arrays()
    assert cache.get(key) is None
    path = cache.put(key, arrays, {"model_id": "antiberty", "revision": None})
    assert path == cache.directory / key[:2] / f"{key}.npz" == cache.path_for(key)
    _assert_round_trip(cache.get(key), arrays)
    # a new cache object on the same directory (another process) sees it too
    _assert_round_trip(AttentionCache(cache.directory).get(key), arrays)


def test_file_is_a_plain_npz_with_half_precision_attention(cache):
    key, arrays = _key(), _arrays()
    path = cache.put(key, arrays, {"model_id": "antiberty"})
    with np.load(path, allow_pickle=False) as npz:
        assert npz["attention"].dtype == np.float16
        assert npz["covered"].dtype == bool
        assert npz["scores"].dtype == np.float64
        assert "__meta__" in npz.files and "__checksum__" in npz.files


def test_weights_from_exact_from_up_come_back_exactly(cache):
    """θ is decided on float32 weights: 0.29995 rounds to float16 0.30005, yet stays below 0.3."""
    key = _key()
    attention = np.array(
        [[[[0.29995, 0.3, 0.30004, 0.0499], [0.6, 0.05, np.nan, 0.123456789]]]], dtype=np.float32
    )
    assert float(np.float16(attention[0, 0, 0, 0])) > 0.3  # the trap float16 alone falls into
    path = cache.put(key, {"attention": attention}, {"model_id": "antiberty"})
    got = cache.get(key)["attention"]
    assert got.dtype == np.float32
    exact = attention >= protattn.lm.cache.EXACT_FROM
    np.testing.assert_array_equal(got[exact], attention[exact])
    assert got[0, 0, 0, 0] < 0.3 <= got[0, 0, 0, 1]
    # below EXACT_FROM: float16 precision; NaN survives
    assert got[0, 0, 0, 3] == np.float32(np.float16(0.0499)) != attention[0, 0, 0, 3]
    assert np.isnan(got[0, 0, 1, 2])
    np.testing.assert_array_equal(got, cached_precision(attention))
    with np.load(path, allow_pickle=False) as npz:
        assert npz["__exact_index__attention"].tolist() == [0, 1, 2, 4, 5, 7]
        assert npz["__exact_index__attention"].dtype == np.uint32
        assert npz["__exact_value__attention"].dtype == np.float32


def test_put_replaces_an_entry(cache):
    key = _key()
    cache.put(key, _arrays(1), {"model_id": "antiberty"})
    second = _arrays(2)
    cache.put(key, second, {"model_id": "antiberty"})
    _assert_round_trip(cache.get(key), second)
    assert len(_files(cache.directory)) == 1


def test_directory_is_created_on_first_put_only(tmp_path):
    cache = AttentionCache(tmp_path / "a" / "b")
    assert cache.get(_key()) is None
    assert cache.entries() == [] and cache.size_bytes() == 0 and cache.clear() == 0
    assert not (tmp_path / "a").exists()
    cache.put(_key(), _arrays(), {"model_id": "antiberty"})
    assert (tmp_path / "a" / "b").is_dir()


def test_keys_are_kept_apart(cache):
    first, second = _arrays(1), _arrays(2)
    cache.put(_key("A"), first, {"model_id": "antiberty"})
    cache.put(_key("C"), second, {"model_id": "antiberty"})
    _assert_round_trip(cache.get(_key("A")), first)
    _assert_round_trip(cache.get(_key("C")), second)
    assert cache.get(_key("D")) is None


@pytest.mark.parametrize("bad", ["", "abc", "../" + "0" * 61, "G" * 64, "A" * 64])
def test_bad_keys_are_refused(cache, bad):
    with pytest.raises(ValueError, match="cache_key"):
        cache.get(bad)
    with pytest.raises(ValueError, match="cache_key"):
        cache.put(bad, _arrays(), {})


@pytest.mark.parametrize(
    "arrays, fragment",
    [
        ({}, "at least one array"),
        ({"__meta__": np.zeros(3)}, "reserved"),
        ({"a/b": np.zeros(3)}, "plain name"),
        ({"labels": np.array([object()])}, "without pickling"),
        ({"attention": np.full((1, 1, 2, 2), 1e6)}, "float16's range"),
    ],
)
def test_unstorable_arrays_are_refused_before_writing(cache, arrays, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        cache.put(_key(), arrays, {"model_id": "antiberty"})
    assert not cache.directory.exists() or _files(cache.directory) == []


def test_meta_must_be_json(cache):
    with pytest.raises(TypeError):
        cache.put(_key(), _arrays(), {"model_id": object()})
    assert not cache.directory.exists() or _files(cache.directory) == []


def test_failed_write_leaves_no_file_and_keeps_the_old_entry(cache, monkeypatch):
    key, old = _key(), _arrays(1)
    cache.put(key, old, {"model_id": "antiberty"})

    def no_rename(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(protattn.lm.cache.os, "replace", no_rename)
    with pytest.raises(OSError, match="No space"):
        cache.put(key, _arrays(2), {"model_id": "antiberty"})
    monkeypatch.undo()
    assert _files(cache.directory) == [cache.path_for(key)]
    _assert_round_trip(cache.get(key), old)


# ------------------------------------------------------------------- damaged entries


def _expect_damaged_miss(cache: AttentionCache, key: str) -> None:
    path = cache.path_for(key)
    with pytest.warns(CacheWarning, match=re.escape(str(path))):
        assert cache.get(key) is None
    assert not path.exists(), "a damaged entry is removed"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.get(key) is None  # now a plain miss
    arrays = _arrays(3)
    cache.put(key, arrays, {"model_id": "antiberty"})
    _assert_round_trip(cache.get(key), arrays)


def test_truncated_entry_is_a_miss(cache):
    key = _key()
    path = cache.put(key, _arrays(), {"model_id": "antiberty"})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _expect_damaged_miss(cache, key)


@pytest.mark.parametrize("where", [0.3, 0.5, 0.8])
def test_entry_with_flipped_bytes_is_a_miss(cache, where):
    key = _key()
    path = cache.put(key, _arrays(), {"model_id": "antiberty"})
    data = bytearray(path.read_bytes())
    at = int(len(data) * where)
    for k in range(at, at + 4):
        data[k] ^= 0xFF
    path.write_bytes(bytes(data))
    _expect_damaged_miss(cache, key)


def test_entry_whose_arrays_no_longer_match_its_checksum_is_a_miss(cache):
    """A well-formed zip (valid CRCs) with altered attention: only the checksum can tell."""
    key = _key()
    path = cache.put(key, _arrays(), {"model_id": "antiberty"})
    with np.load(path, allow_pickle=False) as npz:
        members = {name: npz[name] for name in npz.files}
    members["attention"] = members["attention"].copy()
    members["attention"][0, 0, 0, 0] += np.float16(0.25)
    np.savez_compressed(path, **members)
    with pytest.warns(CacheWarning, match="checksum"):
        assert cache.get(key) is None
    assert not path.exists()


def test_entry_of_another_key_is_a_miss(cache):
    key, other = _key("A"), _key("C")
    source = cache.put(other, _arrays(), {"model_id": "antiberty"})
    cache.path_for(key).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, cache.path_for(key))
    with pytest.warns(CacheWarning, match="another key"):
        assert cache.get(key) is None
    assert not cache.path_for(key).exists() and source.exists()


@pytest.mark.parametrize(
    "content", [b"", b"not a zip file at all", b"PK\x03\x04" + b"\0" * 40, b"\x93NUMPY\x01\x00"]
)
def test_garbage_file_is_a_miss(cache, content):
    key = _key()
    path = cache.path_for(key)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    _expect_damaged_miss(cache, key)


def test_plain_npz_without_checksum_is_a_miss(cache):
    key = _key()
    path = cache.path_for(key)
    path.parent.mkdir(parents=True)
    np.savez_compressed(path, attention=np.zeros((1, 1, 2, 2), dtype=np.float16))
    _expect_damaged_miss(cache, key)


def test_entry_of_another_format_version_is_a_quiet_miss(cache, monkeypatch):
    key = _key()
    version = protattn.lm.cache.CACHE_FORMAT_VERSION
    monkeypatch.setattr(protattn.lm.cache, "CACHE_FORMAT_VERSION", version + 1)
    path = cache.put(key, _arrays(), {"model_id": "antiberty"})
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.get(key) is None
    assert path.exists(), "left for put() to replace"
    arrays = _arrays(4)
    cache.put(key, arrays, {"model_id": "antiberty"})
    _assert_round_trip(cache.get(key), arrays)


# ------------------------------------------------------------------- where the cache lives


def test_protattn_cache_overrides_the_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("PROTATTN_CACHE", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    cache = AttentionCache()
    assert cache.directory == tmp_path / "mine"
    path = cache.put(_key(), _arrays(), {"model_id": "antiberty"})
    assert path.is_relative_to(tmp_path / "mine")


def test_default_directory_follows_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.delenv("PROTATTN_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "protattn"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "protattn"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "protattn"
    monkeypatch.setenv("PROTATTN_CACHE", "")  # empty: not set
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "protattn"


# ------------------------------------------------------------------- housekeeping


def test_entries_size_and_clear(cache):
    t0 = time.time()
    put = {}
    for n, (tag, model, shape) in enumerate(
        [
            ("A", "antiberty", (1, 2, 10, 10)),
            ("C", "esm2", (2, 2, 15, 15)),
            ("D", "antiberty", (1, 1, 7, 7)),
        ]
    ):
        key = _key(tag)
        meta = {"model_id": model} if n != 2 else {"model_id": model, "length": 99}
        put[key] = (cache.put(key, _arrays(n, shape), meta), model, shape)
    t1 = time.time()
    unrelated = [cache.directory / "notes.txt", cache.directory / "ab" / "other.npz"]
    for path in unrelated:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not ours")

    entries = cache.entries()
    assert {e.key for e in entries} == set(put)
    assert [e.created for e in entries] == sorted(e.created for e in entries)
    for entry in entries:
        path, model, shape = put[entry.key]
        assert entry.path == path and entry.model_id == model
        assert entry.length == (99 if entry.key == _key("D") else shape[-1])
        assert entry.n_bytes == os.path.getsize(path) > 0
        assert t0 <= entry.created <= t1
    assert cache.size_bytes() == sum(os.path.getsize(p) for p, _, _ in put.values())

    assert cache.clear() == 3
    assert cache.entries() == [] and cache.size_bytes() == 0
    assert all(cache.get(key) is None for key in put)
    assert all(path.read_bytes() == b"not ours" for path in unrelated)
    assert cache.clear() == 0


def test_damaged_files_are_sized_and_cleared_but_not_listed(cache):
    good = _key("A")
    cache.put(good, _arrays(), {"model_id": "antiberty"})
    bad = cache.path_for(_key("C"))
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_bytes(b"garbage")
    assert [e.key for e in cache.entries()] == [good]
    assert cache.size_bytes() == os.path.getsize(cache.path_for(good)) + len(b"garbage")
    assert cache.clear() == 2


def test_clear_removes_stale_temporary_files_only(cache):
    key = _key()
    cache.put(key, _arrays(), {"model_id": "antiberty"})
    folder = cache.path_for(key).parent
    stale, fresh = folder / f".{key}.old.tmp", folder / f".{key}.new.tmp"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    old = time.time() - 2 * 24 * 3600
    os.utime(stale, (old, old))
    assert cache.clear() == 1
    assert not stale.exists() and fresh.exists()


# ------------------------------------------------------------------- concurrency

SHAPE = (8, 8, 300, 300)
WRITERS = 5
PUTS = 6


def _content(writer: int, n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1000 * writer + n)
    return {
        "attention": rng.random(SHAPE, dtype=np.float32),
        "covered": rng.random(SHAPE[-2:]) < 0.5,
        "tag": np.array([writer, n]),
    }


def _writer(directory: str, key: str, writer: int, go) -> None:
    cache = AttentionCache(directory)
    go.wait()
    for n in range(PUTS):
        cache.put(key, _content(writer, n), {"model_id": "test", "writer": writer})


def _reader(directory: str, key: str, go, done, results) -> None:
    report = {"hits": 0, "misses_after_hit": 0, "problems": []}
    cache = AttentionCache(directory)
    go.wait()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            last = False
            while not last:
                last = done.is_set()
                got = cache.get(key)
                if got is None:
                    report["misses_after_hit"] += report["hits"] > 0
                    time.sleep(0.005)
                    continue
                report["hits"] += 1
                writer, n = (int(v) for v in got["tag"])
                expected = _content(writer, n)
                if not (
                    np.array_equal(got["attention"], cached_precision(expected["attention"]))
                    and np.array_equal(got["covered"], expected["covered"])
                ):
                    report["problems"].append(f"entry of writer {writer}, put {n} differs")
        report["problems"] += [str(w.message) for w in caught]
    except Exception as e:  # reported, so that the test shows it
        report["problems"].append(f"{type(e).__name__}: {e}")
    results.put(report)


def test_concurrent_writers_never_show_a_partial_entry(tmp_path):
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    directory, key = str(tmp_path / "cache"), _key()
    go, done, results = ctx.Event(), ctx.Event(), ctx.Queue()
    writers = [ctx.Process(target=_writer, args=(directory, key, w, go)) for w in range(WRITERS)]
    reader = ctx.Process(target=_reader, args=(directory, key, go, done, results))
    for process in [*writers, reader]:
        process.start()
    go.set()
    for process in writers:
        process.join(timeout=120)
    done.set()
    report = results.get(timeout=120)
    reader.join(timeout=30)

    assert [p.exitcode for p in writers] == [0] * WRITERS
    assert reader.exitcode == 0
    assert report["problems"] == []
    assert report["hits"] >= 1 and report["misses_after_hit"] == 0
    # nothing but the one entry is left: no temporary files
    assert _files(directory) == [AttentionCache(directory).path_for(key)]
    final = AttentionCache(directory).get(key)
    writer, n = (int(v) for v in final["tag"])
    assert n == PUTS - 1  # the last put of whichever writer finished last
    np.testing.assert_array_equal(final["covered"], _content(writer, n)["covered"])


def test_a_cache_that_is_not_a_folder_is_a_miss_with_a_warning(tmp_path):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder should be")
    store = AttentionCache(blocked)
    with pytest.warns(CacheWarning, match="cannot be read"):
        assert store.get(cache_key("m", None, "EVQL", {})) is None
    assert blocked.read_text() == "a file where the cache folder should be"
