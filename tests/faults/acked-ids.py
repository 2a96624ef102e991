#!/usr/bin/env python3
"""Prints the row ids of the orders in an --acked file of tests/examples/commerce_load.rs
(lines of `key global-order-id`), comma separated for SQL's IN (...), or 0 when none.

    python3 tests/faults/acked-ids.py FILE
"""

import base64
import sys

ids = set()
for line in open(sys.argv[1]):
    key, gid = line.split()
    kind, n = base64.urlsafe_b64decode(gid + "=" * (-len(gid) % 4)).decode().split(":")
    ids.add(int(n))
print(",".join(map(str, sorted(ids))) or "0")
