#!/usr/bin/env python3
"""Writes the long-tail mix of tests/load/engine.sh: one request per line in the format
tests/load/mix.lua reads (tab separated: kind, method, path, auth, body), anonymous persisted
GETs only (documentId of persisted-queries/manifests/apollo.json, never the text).

Unlike the mix of mix-requests.py, which replays 200 searches and Zipf-drawn pages, nearly
every request here differs from every other, so nothing keyed on the request (a response
cache, the search index's caches) can stand in for the engine:

    search    50 %  SearchPage: a product type, a colour agreeing with it and a material the
                    type is made of, from api/seed/src/vocab.rs ("camisa blanca lino"), one
                    typo in 30 % of them; 0 to 2 random filters, a random page size, 30 % sorted
    product   20 %  ProductPage of a product drawn uniformly from the whole catalogue, without
                    repeating one until every product was drawn
    store     10 %  StorePage of a store drawn uniformly, half of them with a search word,
                    with a random sort and page size
    suggest   10 %  Suggest for a prefix of 2 to 6 letters of a word of the vocabulary (types,
                    colours, materials, patterns, categories, cities, store names), a third
                    of them with one letter changed, 5 to 10 suggestions
    category  10 %  SearchPage without text filtered to one category (the manifests have no
                    category listing operation; this is the closest), a random sort and page
                    size, 0 to 2 more filters

With --market random, every search, category listing and suggestion names one of the five
markets at random (MarketSearchPage and MarketSuggest), its price filters in that market's
currency; without it (--market none), they name none and their price filters are US dollars,
which listings without a market compare converted prices in. Both draw the same dollar
ranges, so the two mixes filter alike.

Autocomplete repeats most: there are only so many prefixes of 2 to 6 letters of real words.
As in a real long tail, some listings find nothing: at 100,000 products, a fifth of the
searches of a sample of 4,000 requests, nearly all through their price, rating or size filter.

Deterministic for a given seed and database. Prints the share of distinct requests per kind
to stderr.

    python3 tests/load/longtail-requests.py --database-url URL --out FILE [--requests 200000] \
        [--market none|random]
"""

import argparse
import base64
import importlib.util
import json
import pathlib
import random
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # no __pycache__ of the sibling scripts in the tree


def load(name):
    """A sibling script as a module (their names have dashes); their main() does not run."""
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The vocabulary parsing and the typo of the search mix, the GET line and psql of the request mix.
searches = load("search-queries")
mix = load("mix-requests")

WEIGHTS = {"search": 50, "product": 20, "store": 10, "suggest": 10, "category": 10}
SORTS = ["RELEVANCE", "PRICE_ASC", "PRICE_DESC", "NEWEST", "POPULAR", "TOP_RATED"]
PAGE_SIZES = [12, 20, 24, 36, 48]

# (noun, gender, materials) of every product type, and the colours' masculine and feminine
# forms. A search names a material the type is made of: most of the others find nothing.
TYPES = [
    (noun.lower(), gender, [searches.MATERIALS[int(i)] for i in materials.split(",")])
    for noun, gender, materials in re.findall(
        r'pt\(\s*"([^"]+)",\s*([MF]),.*?&\[([0-9, ]+)\]', searches.block("PRODUCT_TYPES"), re.S
    )
]
COLOR_FORMS = re.findall(r'\("[^"]+", "([^"]+)", "([^"]+)"\)', searches.block("COLORS"))
# What shoppers start typing in the search box.
PREFIX_WORDS = sorted(
    set(searches.WORDS)
    | set(searches.COLORS)
    | set(searches.PATTERNS)
    | {noun for noun, _, _ in TYPES}
    | {name.lower() for name in re.findall(r'\("[^"]+", "([^"]+)", "[^"]+"\)', searches.block("CATEGORIES"))}
    | {name.lower() for name in re.findall(r'city\(\s*"([^"]+)"', searches.block("CITIES"))}
    | {name.lower() for name in re.findall(r'"([^"]+)"', searches.block("STORE_PREFIXES"))}
)


def global_id(kind, n):
    """The API's global id: URL-safe base64 of `Kind:n`, without padding (api/src/graphql/ids.rs)."""
    return base64.urlsafe_b64encode(f"{kind}:{n}".encode()).decode().rstrip("=")


MARKETS = ["AR", "CL", "UY", "PY", "PE"]
# Units of each market's currency per US dollar, as the demo seed prices (api/seed/src/vocab.rs).
RATES = {"AR": 1000, "CL": 950, "UY": 40, "PY": 7500, "PE": 3.8}


def price_range(rng, market=None):
    """A minimum, a maximum or both (the API refuses a minimum above the maximum): 0.50 to
    100 US dollars, in MARKET's currency when there is one."""
    low, high = sorted(rng.sample(range(1, 201), 2))
    rate = RATES[market] if market else 1
    low, high = (f"{n / 2 * rate:.2f}" for n in (low, high))
    return rng.choice([{"minPrice": low}, {"maxPrice": high}, {"minPrice": low, "maxPrice": high}])


FILTERS = ["materials", "colors", "sizes", "price", "inStock", "minRating", "categoryIds"]


def random_filters(rng, count, categories, kinds=FILTERS, market=None):
    """COUNT filters of different kinds, as a shopper clicks them in the facets."""
    filters = {}
    for kind in rng.sample(kinds, count):
        filters.update(random_filter(rng, kind, categories, market))
    return filters


def random_filter(rng, kind, categories, market=None):
    return {
        "materials": lambda: {"materials": [rng.choice(searches.MATERIALS)]},
        "colors": lambda: {"colors": [rng.choice(searches.COLORS)]},
        "sizes": lambda: {"sizes": [rng.choice(searches.LETTER_SIZES)]},
        "price": lambda: price_range(rng, market),
        "inStock": lambda: {"inStock": True},
        "minRating": lambda: {"minRating": rng.choice([3, 3.5, 4, 4.5])},
        "categoryIds": lambda: {"categoryIds": [rng.choice(categories)]},
    }[kind]()


def search_text(rng):
    """The text, its colour and its material."""
    noun, gender, materials = rng.choice(TYPES)
    masculine, feminine = rng.choice(COLOR_FORMS)
    material = rng.choice(materials).lower()
    words = [noun, feminine if gender == "F" else masculine, material]
    if rng.random() < 0.3:
        # One typo in one word of four letters or more (every noun and material has one).
        i = rng.choice([i for i, w in enumerate(words) if len(w) >= 4])
        words[i] = searches.typo(words[i], rng)
    return " ".join(words), masculine, material


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--market", choices=["none", "random"], default="none")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    manifest = json.loads((HERE / "../../persisted-queries/manifests/apollo.json").read_text())
    ids = {op["name"]: op["id"] for op in manifest["operations"]}
    products = [row[0] for row in mix.psql(args.database_url, "SELECT slug FROM products WHERE status = 'ACTIVE' ORDER BY id")]
    stores = [row[0] for row in mix.psql(args.database_url, "SELECT slug FROM stores ORDER BY id")]
    categories = [global_id("Category", row[0]) for row in mix.psql(args.database_url, "SELECT id FROM categories ORDER BY id")]
    rng.shuffle(products)

    kinds = [kind for kind, weight in WEIGHTS.items() for _ in range(weight)]
    lines, seen = [], {kind: set() for kind in WEIGHTS}
    counts = dict.fromkeys(WEIGHTS, 0)
    # The listing and suggestion operations, and the variables that name the market.
    def listing(variables, market):
        if market is None:
            return "SearchPage"
        variables["market"] = market
        return "MarketSearchPage"

    for _ in range(args.requests):
        kind = rng.choice(kinds)
        market = rng.choice(MARKETS) if args.market == "random" else None
        if kind == "search":
            text, colour, material = search_text(rng)
            variables = {"query": text, "first": rng.choice(PAGE_SIZES)}
            if rng.random() < 0.3:
                variables["sort"] = rng.choice(SORTS[1:])
            filters = random_filters(rng, rng.choice([0, 0, 1, 2]), categories, market=market)
            # A colour or material facet clicked after a search is one the text named.
            if "colors" in filters:
                filters["colors"] = [colour]
            if "materials" in filters:
                filters["materials"] = [material]
            if filters:
                variables["filter"] = filters
            op = listing(variables, market)
            line = mix.get_line(kind, ids[op], op, variables)
        elif kind == "product":
            slug = products[counts[kind] % len(products)]
            line = mix.get_line(kind, ids["ProductPage"], "ProductPage", {"slug": slug})
        elif kind == "store":
            variables = {"slug": rng.choice(stores), "sort": rng.choice(SORTS), "first": rng.choice(PAGE_SIZES)}
            if rng.random() < 0.5:
                variables["query"] = rng.choice(searches.WORDS)
            line = mix.get_line(kind, ids["StorePage"], "StorePage", variables)
        elif kind == "suggest":
            word = rng.choice(PREFIX_WORDS)
            if rng.random() < 0.3:
                word = searches.fold(word)
            prefix = word[: rng.randint(2, min(6, len(word)))]
            if rng.random() < 1 / 3:
                prefix = searches.typo(prefix, rng)
            variables = {"prefix": prefix, "first": rng.randint(5, 10)}
            op = "Suggest"
            if market:
                variables["market"] = market
                op = "MarketSuggest"
            line = mix.get_line(kind, ids[op], op, variables)
        else:
            filters = random_filters(rng, rng.choice([0, 1, 1, 2]), categories, FILTERS[:-1], market)
            filters["categoryIds"] = [rng.choice(categories)]
            variables = {"filter": filters, "sort": rng.choice(SORTS), "first": rng.choice(PAGE_SIZES)}
            op = listing(variables, market)
            line = mix.get_line(kind, ids[op], op, variables)
        lines.append(line)
        counts[kind] += 1
        seen[kind].add(line)
    pathlib.Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    shares = ", ".join(f"{kind} {100 * len(seen[kind]) / max(counts[kind], 1):.0f} %" for kind in WEIGHTS)
    print(f"wrote {len(lines)} requests to {args.out}; distinct per kind: {shares}", file=sys.stderr)


if __name__ == "__main__":
    main()
