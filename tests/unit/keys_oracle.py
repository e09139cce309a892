#!/usr/bin/env python3
"""keys_oracle.py: compare key derivation with Python's hashlib.blake2b.

usage: keys_oracle.py PATH/TO/test_keys [--count N] [--seed S]

The usage key is BLAKE2b with a 16-byte digest over length-prefixed
fields (8-byte little-endian length, then the bytes): "usage", source, id.
Random sources and ids (empty, ASCII, UTF-8, any bytes) are fed to
test_keys --oracle and the answers compared line by line; prints TAP.
"""
import hashlib
import random
import struct
import subprocess
import sys


def field(b):
    return struct.pack("<Q", len(b)) + b


def usage_key(src, id_):
    return hashlib.blake2b(field(b"usage") + field(src) + field(id_),
                           digest_size=16).hexdigest()


def rand_bytes(r):
    kind = r.randrange(4)
    # around BLAKE2b's blocks of 128 bytes, and far past them
    n = r.choice([0, 1, 2, 8, 16, 37, 100, 111, 112, 113, 128, 300, 600,
                  3000])
    if kind == 0:
        return bytes(r.randrange(32, 127) for _ in range(n))
    if kind == 1:
        return "".join(chr(r.choice([0xe9, 0x4e2d, 0x1f600, 0x41]))
                       for _ in range(n)).encode()
    if kind == 2:
        return bytes(r.randrange(256) for _ in range(n))
    return b"evt-%09d" % r.randrange(10**9)


def main():
    prog = sys.argv[1]
    count = 5000
    seed = 2026
    args = sys.argv[2:]
    while args:
        if args[0] == "--count":
            count = int(args[1])
        elif args[0] == "--seed":
            seed = int(args[1])
        args = args[2:]
    r = random.Random(seed)
    cases = [(rand_bytes(r), rand_bytes(r)) for _ in range(count)]
    inp = "".join(f"{a.hex()}\t{b.hex()}\n" for a, b in cases)
    out = subprocess.run([prog, "--oracle"], input=inp.encode(),
                         capture_output=True, check=True).stdout.decode()
    got = out.splitlines()
    bad = [(a, b, g, usage_key(a, b)) for (a, b), g in zip(cases, got)
           if g != usage_key(a, b)]
    print("1..1")
    if len(got) != count or bad:
        for a, b, g, w in bad[:20]:
            print(f"# source={a!r} id={b!r}: got {g}, want {w}")
        print(f"not ok 1 - usage keys: {len(bad)} of {count} differ "
              f"({len(got)} answers)")
        return 1
    print(f"ok 1 - usage keys: {count} cases match hashlib.blake2b")
    return 0


if __name__ == "__main__":
    sys.exit(main())
