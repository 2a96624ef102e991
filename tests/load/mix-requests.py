#!/usr/bin/env python3
"""Writes the request mix of tests/load/mix.sh: one request per line, as tests/load/mix.lua
reads it (tab separated: kind, method, path, auth, body).

Every request is a persisted operation our clients ship (persisted-queries/manifests/
apollo.json), sent by its documentId, never the text, the way the mobile apps send them:
queries as GET (cacheable), mutations as POST.

    search    50 %  SearchPage: the 200 searches of tests/load/search-queries.json (text,
                    filters, sorts) with every facet, first page of 24
    product   20 %  ProductPage of a product drawn from a Zipf law over the whole catalogue
                    (a few products are opened often, most rarely)
    store     10 %  StorePage of a store drawn from a Zipf law, half of them with a search
    suggest   10 %  Suggest (autocomplete) for prefixes of 2 to 5 letters of the searches
    commerce  10 %  as a signed-in buyer: Cart (5 %), AddToCart (4 %), Checkout (1 %)

The buyer's token is drawn per request by the Lua script; `@KEY@` in a checkout body becomes
a fresh idempotency key. Deterministic for a given seed and database.

    python3 tests/load/mix-requests.py --database-url URL --out FILE [--requests 400000]
"""

import argparse
import base64
import bisect
import json
import pathlib
import random
import subprocess
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "persisted-queries/manifests/apollo.json"
SEARCHES = ROOT / "tests/load/search-queries.json"

WEIGHTS = {
    "search": 50,
    "product": 20,
    "store": 10,
    "suggest": 10,
    "cart": 5,
    "add": 4,
    "checkout": 1,
}


def psql(url, sql):
    out = subprocess.run(
        ["psql", url, "-tAF", "\t", "-c", sql], check=True, capture_output=True, text=True
    ).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def global_id(kind, n):
    return base64.b64encode(f"{kind}:{n}".encode()).decode()


class Zipf:
    """Draws indexes 0..n-1 with probability proportional to 1 / (rank + 1) ** s."""

    def __init__(self, n, s, rng):
        total, self.cumulative = 0.0, []
        for rank in range(n):
            total += 1.0 / (rank + 1) ** s
            self.cumulative.append(total)
        self.total, self.rng = total, rng

    def draw(self):
        return bisect.bisect_left(self.cumulative, self.rng.random() * self.total)


def get_line(kind, document_id, operation, variables):
    params = {
        "documentId": f"sha256:{document_id}",
        "operationName": operation,
        "variables": json.dumps(variables, separators=(",", ":"), ensure_ascii=False),
    }
    path = "/graphql?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    return f"{kind}\tGET\t{path}\t-\t-"


def post_line(kind, document_id, operation, variables):
    body = json.dumps(
        {"documentId": f"sha256:{document_id}", "operationName": operation, "variables": variables},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return f"{kind}\tPOST\t/graphql\tbuyer\t{body}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--requests", type=int, default=400_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cart-products", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    ids = {op["name"]: op["id"] for op in json.loads(MANIFEST.read_text())["operations"]}
    searches = []
    for line in SEARCHES.read_text(encoding="utf-8").splitlines():
        line = line.strip().rstrip(",")
        if line.startswith("{"):
            searches.append(json.loads(line)["variables"])
    words = sorted({w for s in searches for w in s["q"].split() if len(w) >= 3})

    # Product pages follow a Zipf law over the catalogue in a shuffled order (popularity is
    # not the id order); stores likewise.
    products = [row[0] for row in psql(args.database_url, "SELECT slug FROM products WHERE status = 'ACTIVE' ORDER BY id")]
    stores = [row[0] for row in psql(args.database_url, "SELECT slug FROM stores ORDER BY id")]
    rng.shuffle(products)
    rng.shuffle(stores)
    product_zipf = Zipf(len(products), 1.0, rng)
    store_zipf = Zipf(len(stores), 1.0, rng)
    # Products buyers put in their carts: stock raised by mix.sh so none runs out.
    cart_rows = psql(
        args.database_url,
        f"SELECT id, min_quantity, quantity_step FROM products WHERE status = 'ACTIVE' "
        f"ORDER BY id LIMIT {args.cart_products}",
    )

    kinds = [kind for kind, weight in WEIGHTS.items() for _ in range(weight)]
    lines = []
    for _ in range(args.requests):
        kind = rng.choice(kinds)
        if kind == "search":
            s = rng.choice(searches)
            variables = {"query": s["q"], "sort": s.get("s", "RELEVANCE")}
            if s.get("f"):
                variables["filter"] = s["f"]
            lines.append(get_line(kind, ids["SearchPage"], "SearchPage", variables))
        elif kind == "product":
            slug = products[product_zipf.draw()]
            lines.append(get_line(kind, ids["ProductPage"], "ProductPage", {"slug": slug}))
        elif kind == "store":
            variables = {"slug": stores[store_zipf.draw()]}
            if rng.random() < 0.5:
                variables["query"] = rng.choice(words)
            lines.append(get_line(kind, ids["StorePage"], "StorePage", variables))
        elif kind == "suggest":
            word = rng.choice(words)
            prefix = word[: rng.randint(2, min(5, len(word)))]
            lines.append(get_line(kind, ids["Suggest"], "Suggest", {"prefix": prefix}))
        elif kind == "cart":
            lines.append(post_line(kind, ids["Cart"], "Cart", {}))
        elif kind == "add":
            product_id, minimum, step = rng.choice(cart_rows)
            minimum, step = float(minimum), float(step)
            steps = -(-minimum // step)
            quantity = f"{steps * step:.3f}".rstrip("0").rstrip(".")
            variables = {"productId": global_id("Product", product_id), "quantity": quantity}
            lines.append(post_line(kind, ids["AddToCart"], "AddToCart", variables))
        else:
            variables = {"idempotencyKey": "@KEY@"}
            lines.append(post_line(kind, ids["Checkout"], "Checkout", variables))
    pathlib.Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    ids_out = ",".join(row[0] for row in cart_rows)
    print(ids_out)


if __name__ == "__main__":
    main()
