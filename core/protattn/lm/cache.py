"""On-disk cache of what a model run leaves: a new head, threshold or colour never re-runs it.

An entry holds the arrays of one model run for one (model id and revision,
sequence, windowing options), addressed by :func:`cache_key`. protattn files the
run's compact attention there (:meth:`protattn.lm.compact.CompactAttention.arrays`,
a few per cent of the dense attention) and, under keys of their own, the per-head
statistics counts of a chain (:mod:`protattn.api.stats`):

>>> key = cache_key("antiberty", None, "EVQLVESGG", {"window": 510, "stride": 255})
>>> len(key)
64
>>> cache = AttentionCache()                          # doctest: +SKIP
>>> cache.put(key, compact.arrays(), {"model_id": "antiberty"})  # doctest: +SKIP
>>> CompactAttention.from_arrays(cache.get(key)).length  # doctest: +SKIP
9

Layout and format
-----------------
One file per key, ``<directory>/<key[:2]>/<key>.npz``: a zip of ``.npy``
members, the format of :func:`numpy.savez_compressed`, readable with
``numpy.load(path, allow_pickle=False)``. Attention is stored rather than
deflated (deflate saves under 10% on float16 attention, at about 30 times the
cost of the rest of a write); other members are deflated. Besides the caller's
arrays an entry holds

- ``__meta__``: a 0-d string array, the JSON of the caller's ``meta`` plus
  ``key``, ``format`` (:data:`CACHE_FORMAT_VERSION`), ``created`` (Unix time),
  ``model_id`` and ``length``;
- ``__checksum__``: the SHA-256 of every other member's name, dtype, shape and
  bytes, verified by :meth:`AttentionCache.get`.

A float array named ``attention`` (a dense array a caller stores; protattn itself
no longer does) is stored in two parts and returned as float32
(:func:`cached_precision` gives the values an entry returns):

- every weight as float16 (attention weights lie in [0, 1], where float16 is
  within 2.5e-4; ``NaN``, e.g. for pairs no window covered, survives);
- every weight of at least :data:`EXACT_FROM` (0.05) exactly as it was given,
  as float32 with its flat index (members ``__exact_index__attention``, uint32,
  or int64 for arrays of 2³² weights or more, and ``__exact_value__attention``).
  A row of one pass sums to 1, so it has at most 20 such weights; AntiBERTy has
  1–3 a row, an exact part of 1–12% of the float16 part (99–434 residues;
  ``benchmarks/bench_exact_weights.py``).

So a threshold of 0.05 or more (the paper's θ = 0.3, drawing thresholds) is
decided on the model's own float32 values, never on float16-rounded ones: a
float32 weight of 0.29995 is below 0.3 whether or not it was cached, although
its float16 rounding (0.30005) is above. Below 0.05 a weight is known to within
float16 rounding (1.5e-5). Every other array is stored and
returned as it is. Arrays are never pickled, and files are never loaded with
``allow_pickle=True``.

Concurrency and damage
----------------------
Writes are atomic: an entry is written to a unique temporary file in its final
directory, flushed to disk and renamed over the final name with
:func:`os.replace`. Processes computing the same entry may race; the last writer
wins and a reader sees one complete entry or none, never a mixture. An entry
that is truncated, damaged, written for another key or fails its checksum is
removed with a :class:`CacheWarning` naming the file, and reported as a miss;
one of another :data:`CACHE_FORMAT_VERSION` is a miss and is left for
:meth:`AttentionCache.put` to overwrite.

Files are created readable by their owner only (sequences may be confidential).
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
import tempfile
import time
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

__all__ = [
    "CACHE_FORMAT_VERSION",
    "EXACT_FROM",
    "CacheWarning",
    "default_cache_dir",
    "cache_key",
    "CacheEntry",
    "cached_precision",
    "AttentionCache",
]

#: Version of the file layout; entries of another version are misses.
#: 2: weights of at least :data:`EXACT_FROM` are also stored exactly (float32).
#: 3: entries hold compact attention (:mod:`protattn.lm.compact`), no dense arrays.
CACHE_FORMAT_VERSION = 3

#: Arrays stored at half precision when they hold floats.
HALF_PRECISION_ARRAYS = frozenset({"attention"})

#: Weights of a half-precision array at or above this are also kept exactly.
EXACT_FROM = 0.05
_EXACT_INDEX = "__exact_index__"
_EXACT_VALUE = "__exact_value__"

_META = "__meta__"
_CHECKSUM = "__checksum__"
_KEY = re.compile(r"[0-9a-f]{64}\Z")
_SUFFIX = ".npz"
_TMP_SUFFIX = ".tmp"
#: Temporary files older than this (seconds) are left over from a crashed writer.
_STALE_TMP_AGE = 3600.0
#: Dtype kinds an entry may hold: bool, integers, floats, complex, bytes, str (no objects).
_STORABLE_KINDS = frozenset("biufcSU")


class CacheWarning(UserWarning):
    """A cache entry was unusable (damaged, truncated, for another key) and was removed.

    Also issued on Windows when an entry another process holds open could not be replaced.
    """


def default_cache_dir() -> pathlib.Path:
    """The directory the attention cache uses unless told otherwise.

    Returns
    -------
    pathlib.Path
        ``$PROTATTN_CACHE`` if set (``~`` expanded); else ``$XDG_CACHE_HOME/protattn``
        if ``XDG_CACHE_HOME`` is an absolute path; else ``~/.cache/protattn``.
        The directory is not created.
    """
    override = os.environ.get("PROTATTN_CACHE")
    if override:
        return pathlib.Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):  # the XDG spec says relative paths are to be ignored
        return pathlib.Path(xdg) / "protattn"
    return pathlib.Path.home() / ".cache" / "protattn"


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(
        f"a {type(value).__name__} cannot be part of a cache key or entry; pass options "
        "and meta as str, int, float, bool, None, lists and dicts of these"
    )


def _canonical_json(value: object) -> str:
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        allow_nan=False,
        default=_json_default,
    )


def cache_key(
    model_id: str,
    revision: str | None,
    sequence: str,
    options: Mapping[str, object] | None = None,
) -> str:
    """The key of the attention of one model run.

    Parameters
    ----------
    model_id : str
        Model name or path, as loaded.
    revision : str or None
        The model's revision; a resolved commit hash where there is one, so
        that a moving branch name does not serve attention of older weights.
    sequence : str
        The residues as given to the model (case and all).
    options : mapping of str to JSON-like values, optional
        Everything else that changes the attention (window, stride, ...).
        The order of the keys does not matter; ``None`` is the same as ``{}``.

    Returns
    -------
    str
        64 hexadecimal digits: the SHA-256 of a canonical JSON of all inputs.

    Raises
    ------
    TypeError
        If an option value is not JSON-like.
    ValueError
        If an option value is a non-finite float.

    Examples
    --------
    >>> a = cache_key("m", None, "ACD", {"window": 8, "stride": 4})
    >>> a == cache_key("m", None, "ACD", {"stride": 4, "window": 8})
    True
    >>> cache_key("m", None, "ACD") == cache_key("m", "v2", "ACD")
    False
    """
    document = {
        "model_id": str(model_id),
        "revision": None if revision is None else str(revision),
        "sequence": str(sequence),
        "options": dict(options or {}),
    }
    return hashlib.sha256(_canonical_json(document).encode("ascii")).hexdigest()


@dataclass(frozen=True)
class CacheEntry:
    """One stored entry, as listed by :meth:`AttentionCache.entries`.

    Attributes
    ----------
    key : str
    path : pathlib.Path
    model_id : str
    length : int
        Number of residues of the sequence.
    n_bytes : int
        Size of the file.
    created : float
        When it was written (Unix time).
    """

    key: str
    path: pathlib.Path
    model_id: str
    length: int
    n_bytes: int
    created: float


class _DamagedEntry(Exception):
    """Internal: an entry file that cannot be trusted."""


def _checksum(members: Mapping[str, np.ndarray]) -> str:
    digest = hashlib.sha256(b"protattn-cache\0")
    for name in sorted(members):
        array = np.ascontiguousarray(members[name])
        digest.update(f"{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.reshape(-1).view(np.uint8).data)
    return digest.hexdigest()


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValueError(
            f"{key!r} is not a cache key; make keys with protattn.lm.cache.cache_key()"
        )
    return key


def _stored_form(name: str, array: np.ndarray) -> dict[str, np.ndarray]:
    """The members an array is written as: attention in two parts, anything else as it is."""
    if not isinstance(name, str) or not name or name.startswith("__") or "/" in name:
        raise ValueError(
            f"{name!r} cannot name a cached array; use a plain name such as "
            "'attention' (names starting with '__' are reserved)"
        )
    array = np.asarray(array)
    if array.dtype.kind not in _STORABLE_KINDS:
        raise ValueError(
            f"array {name!r} has dtype {array.dtype}, which the cache cannot store "
            "without pickling; convert it to a numeric, bool or str array"
        )
    if name in HALF_PRECISION_ARRAYS and array.dtype.kind == "f":
        limit = float(np.finfo(np.float16).max)
        # fmax/fmin skip NaN (pairs no window covered) and need no temporary array
        if array.size and (
            np.fmax.reduce(array, axis=None) > limit or np.fmin.reduce(array, axis=None) < -limit
        ):
            raise ValueError(
                f"array {name!r} has values beyond float16's range ({limit:g}); "
                "the cache stores attention weights, which lie in [0, 1]"
            )
        flat = array.reshape(-1)
        index = np.flatnonzero(flat >= EXACT_FROM)  # NaN is never kept exactly
        return {
            name: array.astype(np.float16),
            _EXACT_INDEX + name: index.astype(np.uint32 if flat.size < 2**32 else np.int64),
            _EXACT_VALUE + name: flat[index].astype(np.float32),
        }
    return {name: array}


def _joined(half: np.ndarray, index: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The float32 array of a stored half-precision array and its exact weights."""
    out = half.astype(np.float32, order="C")  # so that its flat view is itself
    out.reshape(-1)[index] = value
    return out


def cached_precision(attention: np.ndarray) -> np.ndarray:
    """The values :meth:`AttentionCache.get` returns for ``attention`` once it is stored.

    Parameters
    ----------
    attention : numpy.ndarray
        Floating point weights, any shape.

    Returns
    -------
    numpy.ndarray
        ``dtype=float32``, the shape of ``attention``: weights of at least
        :data:`EXACT_FROM` as float32, the others rounded to float16. Results
        computed now go through this, so that they never depend on whether
        attention came from the cache.

    Examples
    --------
    >>> a = np.array([0.29995, 0.04000001], dtype=np.float32)
    >>> bool(cached_precision(a)[0] < 0.3), bool(np.float16(a[0]) < 0.3)
    (True, False)
    """
    members = _stored_form("attention", attention)
    return _joined(*(members[k + "attention"] for k in ("", _EXACT_INDEX, _EXACT_VALUE)))


class AttentionCache:
    """Attention arrays on disk, one compressed file per key.

    Parameters
    ----------
    directory : str or os.PathLike, optional
        Where entries live; :func:`default_cache_dir` if omitted. It is created
        on the first :meth:`put`, not before.

    Notes
    -----
    Safe to share between threads and processes; see the module documentation
    for what a concurrent reader and writer can see.
    """

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = pathlib.Path(default_cache_dir() if directory is None else directory)

    def __repr__(self) -> str:
        return f"AttentionCache({str(self.directory)!r})"

    def path_for(self, key: str) -> pathlib.Path:
        """The file that holds (or would hold) the entry of ``key``."""
        _check_key(key)
        return self.directory / key[:2] / (key + _SUFFIX)

    # ------------------------------------------------------------------ reading

    def get(self, key: str) -> dict[str, np.ndarray] | None:
        """The arrays stored under ``key``, or ``None`` if there are none.

        Parameters
        ----------
        key : str
            From :func:`cache_key`.

        Returns
        -------
        dict of str to numpy.ndarray or None
            The arrays given to :meth:`put`, with float ``attention`` as
            ``dtype=float32`` (:func:`cached_precision`); ``None`` on a miss.
            A damaged entry is removed with a :class:`CacheWarning` and is a miss;
            one that cannot be read (the cache is not a folder, or not readable) is
            a miss with a :class:`CacheWarning`.
        """
        path = self.path_for(key)
        try:
            with open(path, "rb") as fh:
                identity = os.fstat(fh.fileno())
                arrays = self._decode(fh, key)
        except FileNotFoundError:
            return None
        except OSError as e:  # an unreadable cache (not a folder, no permission) is no cache
            warnings.warn(
                f"attention cache entry {path} cannot be read ({e}); computing instead",
                CacheWarning,
                stacklevel=2,
            )
            return None
        except _DamagedEntry as e:
            self._discard(path, identity, str(e))
            return None
        if arrays is None:  # another format version: a miss, left for put() to replace
            return None
        for name in HALF_PRECISION_ARRAYS & arrays.keys():
            if arrays[name].dtype.kind == "f":
                index = arrays.pop(_EXACT_INDEX + name, np.zeros(0, dtype=np.int64))
                value = arrays.pop(_EXACT_VALUE + name, np.zeros(0, dtype=np.float32))
                try:
                    arrays[name] = _joined(arrays[name], index, value)
                except (IndexError, ValueError):  # a checksum-valid entry is never like this
                    self._discard(path, identity, "its exact weights do not fit its attention")
                    return None
        return arrays

    @staticmethod
    def _decode(fh: BinaryIO, key: str) -> dict[str, np.ndarray] | None:
        """The caller's arrays of an open entry file; None if of another format version."""
        try:
            with np.load(fh, allow_pickle=False) as npz:
                members = {name: npz[name] for name in npz.files}
        except Exception as e:  # any failure to decode a file is damage: zip, zlib, npy header
            raise _DamagedEntry(f"it cannot be read ({type(e).__name__}: {e})") from e
        meta_array = members.get(_META)
        stored = members.pop(_CHECKSUM, None)
        if meta_array is None or stored is None or stored.shape != () or meta_array.shape != ():
            raise _DamagedEntry("it lacks its metadata or checksum")
        try:
            meta = json.loads(str(meta_array))
        except ValueError as e:
            raise _DamagedEntry("its metadata is not JSON") from e
        if not isinstance(meta, dict):
            raise _DamagedEntry("its metadata is not a JSON object")
        if meta.get("format") != CACHE_FORMAT_VERSION:
            return None
        if _checksum(members) != str(stored):
            raise _DamagedEntry("its checksum does not match its contents")
        if meta.get("key") != key:
            raise _DamagedEntry("it was written for another key")
        del members[_META]
        return members

    def _discard(self, path: pathlib.Path, identity: os.stat_result, reason: str) -> None:
        warnings.warn(
            f"protattn: removed the damaged attention cache entry {path}: {reason}",
            CacheWarning,
            stacklevel=3,
        )
        try:  # unless a writer has just replaced it with a new entry
            now = os.stat(path)
            if (now.st_dev, now.st_ino) == (identity.st_dev, identity.st_ino):
                os.unlink(path)
        except OSError:  # gone already, or held open by another reader (Windows): still a miss
            pass

    # ------------------------------------------------------------------ writing

    def put(
        self, key: str, arrays: Mapping[str, np.ndarray], meta: Mapping[str, object]
    ) -> pathlib.Path:
        """Store ``arrays`` under ``key``, atomically, replacing any entry there.

        Parameters
        ----------
        key : str
            From :func:`cache_key`.
        arrays : mapping of str to numpy.ndarray
            What to store, e.g. ``attention`` (``shape=(layers, heads, L, L)``,
            float, kept as :func:`cached_precision` describes) and ``covered``
            (``shape=(L, L), dtype=bool``).
            Names starting with ``__`` are reserved; object arrays are refused.
        meta : mapping of str to JSON-like values
            Recorded with the entry; ``model_id`` (str) and ``length`` (int, else
            the last axis of ``attention``) are listed by :meth:`entries`.
            Typically also ``revision`` and ``options``.

        Returns
        -------
        pathlib.Path
            The entry's file.

        Raises
        ------
        ValueError
            If ``key`` is not a cache key, there are no arrays, or one cannot be stored.
        TypeError
            If ``meta`` is not JSON-like.
        OSError
            If the file cannot be written; no partial file is left behind.
        """
        path = self.path_for(key)
        if not arrays:
            raise ValueError("there is nothing to cache; pass at least one array")
        members = {
            member: stored
            for name, array in arrays.items()
            for member, stored in _stored_form(name, array).items()
        }
        record = dict(meta)
        if "length" not in record:
            attention = members.get("attention")
            has_axes = attention is not None and attention.ndim > 0
            record["length"] = int(attention.shape[-1]) if attention is not None and has_axes else 0
        record.update(key=key, format=CACHE_FORMAT_VERSION, created=time.time())
        record.setdefault("model_id", "")
        members[_META] = np.array(_canonical_json(record))
        members[_CHECKSUM] = np.array(_checksum(members))

        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{key}.", suffix=_TMP_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                write_npz(fh, members)
                fh.flush()
                os.fsync(fh.fileno())
            if not _replace(tmp_name, path):
                os.unlink(tmp_name)
                warnings.warn(
                    f"protattn: kept the attention cache entry {path}, which another "
                    "process holds open, instead of replacing it",
                    CacheWarning,
                    stacklevel=2,
                )
                return path
        except BaseException:
            try:
                os.unlink(tmp_name)
            except FileNotFoundError:
                pass
            raise
        _sync_directory(path.parent)
        return path

    # ------------------------------------------------------------------ housekeeping

    def _files(self) -> Iterator[pathlib.Path]:
        """Entry files (named like keys: other files in the directory are never touched)."""
        if not self.directory.is_dir():
            return
        for sub in sorted(self.directory.iterdir()):
            if len(sub.name) != 2 or not sub.is_dir():
                continue
            for path in sorted(sub.glob("*" + _SUFFIX)):
                if _KEY.match(path.stem) and path.stem[:2] == sub.name:
                    yield path

    def entries(self) -> list[CacheEntry]:
        """Every readable entry, oldest first.

        Only the metadata is read; checksums are verified by :meth:`get`.
        Unreadable files are left out (and still counted by :meth:`size_bytes`).
        """
        found = []
        for path in self._files():
            try:
                n_bytes = path.stat().st_size
                with np.load(path, allow_pickle=False) as npz:
                    meta = json.loads(str(npz[_META]))
                found.append(
                    CacheEntry(
                        key=path.stem,
                        path=path,
                        model_id=str(meta.get("model_id", "")),
                        length=int(meta.get("length", 0)),
                        n_bytes=n_bytes,
                        created=float(meta.get("created", 0.0)),
                    )
                )
            except Exception:  # damaged or vanished: not an entry
                continue
        found.sort(key=lambda entry: (entry.created, entry.key))
        return found

    def size_bytes(self) -> int:
        """Total size of the entry files, in bytes."""
        total = 0
        for path in self._files():
            try:
                total += path.stat().st_size
            except FileNotFoundError:
                pass
        return total

    def clear(self) -> int:
        """Remove every entry (and temporary files a crashed writer left).

        Returns
        -------
        int
            How many entries were removed.
        """
        removed = 0
        for path in list(self._files()):
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                pass
        if not self.directory.is_dir():
            return removed
        now = time.time()
        for sub in self.directory.iterdir():
            if len(sub.name) != 2 or not sub.is_dir():
                continue
            for tmp in sub.glob(".*" + _TMP_SUFFIX):  # a running writer's are recent: kept
                try:
                    if now - tmp.stat().st_mtime > _STALE_TMP_AGE:
                        tmp.unlink()
                except FileNotFoundError:
                    pass
            try:
                sub.rmdir()  # only if empty
            except OSError:
                pass
        return removed


def write_npz(fh, members: Mapping[str, np.ndarray]) -> None:
    """The format of :func:`numpy.savez_compressed`, without pickling or name clashes.

    Half-precision attention is stored, not deflated: deflate takes about 30 times
    longer than everything else a put does and saves under 10% on attention (float16
    weights are close to random bits); masks and small arrays are deflated.
    """
    with zipfile.ZipFile(
        fh, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True
    ) as archive:
        for name, array in members.items():
            target: str | zipfile.ZipInfo = name + ".npy"
            if name in HALF_PRECISION_ARRAYS and array.dtype == np.float16:
                info = zipfile.ZipInfo(name + ".npy", date_time=time.localtime()[:6])
                info.compress_type = zipfile.ZIP_STORED
                target = info
            with archive.open(target, mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def _replace(source: str, destination: pathlib.Path) -> bool:
    """:func:`os.replace`; False where a reader keeps an existing entry open (Windows only).

    On Windows a file that another process has open cannot be replaced; the
    rename is retried for about a second, then the existing entry, written by
    another process for the same key, is kept.
    """
    for delay in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, None):
        try:
            os.replace(source, destination)
            return True
        except PermissionError:
            if os.name != "nt" or not destination.exists():
                raise
            if delay is None:
                return False
            time.sleep(delay)
    return False


def _sync_directory(directory: pathlib.Path) -> None:
    """Make a rename durable (POSIX); best effort."""
    if os.name == "nt":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
