"""Where large files live: a store of blobs written as a stream, hashed as they arrive.

`BlobStore` is the interface (a local directory today; an S3-compatible store can be
added behind it). A blob is written through a `BlobWriter`: chunks go to a temporary
file in the store while SHA-256 and the size are computed, so a 2 GB video never sits
in memory; `finish()` moves it under its key, `abort()` leaves nothing behind. Reads
are streams too. Keys are made here (random, never from a user's file name), so a
name like `../../etc/passwd` cannot choose where a file goes.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Stored:
    """A blob as written: its key in the store, size in bytes and SHA-256 (hex)."""

    key: str
    size: int
    sha256: str


class BlobWriter(Protocol):
    """A blob being written: `write` chunks, then `finish` or `abort`."""

    def write(self, chunk: bytes) -> None: ...

    @property
    def size(self) -> int: ...

    def finish(self) -> Stored: ...

    def abort(self) -> None: ...


class BlobStore(Protocol):
    """Write, read, check and delete blobs by key."""

    def writer(self) -> BlobWriter: ...

    def read(self, key: str, chunk: int = CHUNK) -> Iterator[bytes]: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


class TooLarge(Exception):
    """A blob grew past the limit its writer was given."""


class LocalWriter:
    """A blob streamed to a temporary file of the store, renamed under its key when done."""

    def __init__(self, store: LocalBlobStore, limit: int | None) -> None:
        self._store = store
        self._limit = limit
        self._key = secrets.token_hex(16)
        self._tmp = store.root / "tmp" / f"{self._key}.part"
        self._tmp.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO | None = self._tmp.open("xb")
        self._hash = hashlib.sha256()
        self._size = 0

    @property
    def size(self) -> int:
        """Bytes written so far."""
        return self._size

    def write(self, chunk: bytes) -> None:
        """Append a chunk; TooLarge (and nothing kept) past the limit."""
        if self._file is None:
            raise RuntimeError("this blob is finished")
        self._size += len(chunk)
        if self._limit is not None and self._size > self._limit:
            self.abort()
            raise TooLarge(f"over {self._limit} bytes")
        self._hash.update(chunk)
        self._file.write(chunk)

    def finish(self) -> Stored:
        """Flush to disk and move the file under its key."""
        if self._file is None:
            raise RuntimeError("this blob is finished")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        final = self._store.path(self._key)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._tmp, final)
        return Stored(key=self._key, size=self._size, sha256=self._hash.hexdigest())

    def abort(self) -> None:
        """Forget the blob: its temporary file is removed."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._tmp.unlink(missing_ok=True)


class LocalBlobStore:
    """Blobs as files under a directory: `ab/cd/abcd…` (two levels, so no directory holds
    millions of files)."""

    def __init__(self, root: Path, *, limit: int | None = None) -> None:
        self.root = root
        self.limit = limit

    def path(self, key: str) -> Path:
        """Where the blob `key` lives; ValueError for a key this store did not make."""
        if len(key) != 32 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError(f"not a blob key: {key!r}")
        return self.root / key[:2] / key[2:4] / key

    def writer(self) -> LocalWriter:
        """A new blob to write (refused past the store's limit)."""
        return LocalWriter(self, self.limit)

    def read(self, key: str, chunk: int = CHUNK) -> Iterator[bytes]:
        """The blob's bytes, a chunk at a time; FileNotFoundError if it is gone."""
        with self.path(key).open("rb") as f:
            while block := f.read(chunk):
                yield block

    def exists(self, key: str) -> bool:
        """Whether the blob is there."""
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the blob, if it is there."""
        self.path(key).unlink(missing_ok=True)


def digest(chunks: Iterator[bytes]) -> tuple[int, str]:
    """Size and SHA-256 of a stream of chunks (re-hashing a stored blob)."""
    h, size = hashlib.sha256(), 0
    for chunk in chunks:
        h.update(chunk)
        size += len(chunk)
    return size, h.hexdigest()
