"""Cache of serialized query results, keyed by store version and request.

A store version never changes, so a result computed for version *v* is the right answer to
the same request for as long as *v* is served: the cache needs no invalidation, only room.
Entries are evicted least-recently-used when the byte budget is exceeded; a new version
simply stops matching old keys. Encoded bodies (br, gzip) are kept beside the plain one so a
hit costs no compression either.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class CachedResult:
    """A cached result body with its media type and encoded variants."""

    media_type: str
    body: bytes
    encoded: dict[str, bytes] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Bytes held (plain and encoded)."""
        return len(self.body) + sum(len(b) for b in self.encoded.values())

    def variant(self, encoding: str, encode: Callable[[bytes, str], bytes]) -> bytes:
        """The body encoded with ``encoding`` (computed once)."""
        data = self.encoded.get(encoding)
        if data is None:
            data = self.encoded[encoding] = encode(self.body, encoding)
        return data


class ResultCache:
    """A thread-safe LRU of :class:`CachedResult` bounded by total bytes."""

    def __init__(self, max_bytes: int, max_entry_bytes: int = 2 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_entry_bytes, max_bytes)
        self._entries: OrderedDict[tuple[str, ...], CachedResult] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, ...]) -> CachedResult | None:
        """The entry for ``key`` (marked as recently used), or ``None``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple[str, ...], entry: CachedResult) -> bool:
        """Store ``entry`` if it fits; returns whether it was stored."""
        if entry.size > self.max_entry_bytes:
            return False
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes and self._entries:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size
        return True

    def grow(self, key: tuple[str, ...], before: int, entry: CachedResult) -> None:
        """Account for an entry that gained an encoded variant (``before`` = old size)."""
        with self._lock:
            if self._entries.get(key) is entry:
                self._bytes += entry.size - before
                while self._bytes > self.max_bytes and len(self._entries) > 1:
                    _, evicted = self._entries.popitem(last=False)
                    self._bytes -= evicted.size

    def __len__(self) -> int:
        return len(self._entries)
