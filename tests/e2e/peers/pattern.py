"""Deterministic payloads both sides of a test can regenerate."""
import hashlib


def pattern(seed, n):
    out = bytearray()
    block = hashlib.sha256(str(seed).encode()).digest()
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:n])
