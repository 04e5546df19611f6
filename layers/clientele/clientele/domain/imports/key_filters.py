"""A Bloom filter of row keys: "may this key appear in an earlier range of the file?".

Big files are imported in byte ranges by parallel workers. A row whose key (a
code, an external id, a SKU) may also appear in an earlier range is deferred
to a last, ordered pass, so rows sharing a key always apply in file order. A
false positive only defers a row needlessly (it still applies in order); a
false negative can't happen. Fixed size: memory doesn't grow with the file.
"""

from __future__ import annotations

import hashlib
import math

_HEADER = b"CKF1"
MIN_BITS = 1 << 16
MAX_BITS = 1 << 28  # 32 MiB
BITS_PER_KEY = 16  # about 0.05 % false positives with 11 hashes


class KeyFilter:
    def __init__(self, bits: int, hashes: int, data: bytearray | None = None) -> None:
        self.bits = bits
        self.hashes = hashes
        self.data = data if data is not None else bytearray((bits + 7) // 8)

    @classmethod
    def for_keys(cls, expected_keys: int) -> KeyFilter:
        bits = min(MAX_BITS, max(MIN_BITS, expected_keys * BITS_PER_KEY))
        return cls(bits, max(1, round(BITS_PER_KEY * math.log(2))))

    def _positions(self, key: str) -> list[int]:
        digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        first, second = int.from_bytes(digest[:8], "big"), int.from_bytes(digest[8:], "big") | 1
        return [(first + index * second) % self.bits for index in range(self.hashes)]

    def add(self, key: str) -> None:
        for position in self._positions(key):
            self.data[position >> 3] |= 1 << (position & 7)

    def __contains__(self, key: str) -> bool:
        return all(self.data[position >> 3] & (1 << (position & 7)) for position in self._positions(key))

    def to_bytes(self) -> bytes:
        return _HEADER + self.bits.to_bytes(8, "big") + self.hashes.to_bytes(2, "big") + bytes(self.data)

    @classmethod
    def from_bytes(cls, raw: bytes) -> KeyFilter:
        if raw[:4] != _HEADER:
            raise ValueError("not a key filter")
        bits, hashes = int.from_bytes(raw[4:12], "big"), int.from_bytes(raw[12:14], "big")
        data = bytearray(raw[14:])
        if len(data) != (bits + 7) // 8:
            raise ValueError("truncated key filter")
        return cls(bits, hashes, data)
