#!/usr/bin/env python3
"""Writes tests/load/search-queries.json: the fixed mix of 200 Spanish product searches that
tests/load/search.sh sends to both search backends.

Deterministic (a fixed seed) and built from the seed vocabulary in api/seed/src/vocab.rs, so
every query has something to find in a seeded catalogue:

    plain words (30), accent-less words (20), plurals (20), one typo in a word of five letters
    or more (30), prefixes of 3 to 5 letters (25), two words with a filter (35), longer
    phrases (40); facets asked by every other query; every sort order.

The output is a JSON array with one GraphQL request body per line, which lets the wrk script
read it without a JSON parser. Run it again after changing the vocabulary:

    python3 tests/load/search-queries.py
"""

import json
import pathlib
import random
import re
import unicodedata

ROOT = pathlib.Path(__file__).resolve().parents[2]
VOCAB = (ROOT / "api/seed/src/vocab.rs").read_text(encoding="utf-8")
OUT = ROOT / "tests/load/search-queries.json"

DOCUMENT = (
    "query Search($q: String, $f: ProductFilter, $s: ProductSort, $facets: Boolean!) { "
    "products(query: $q, filter: $f, sort: $s, first: 20) { totalCount "
    "nodes { id name price { amount } } "
    "facets @include(if: $facets) { materials { value count } colors { value count } "
    "priceRanges { min max count } } } }"
)
SORTS = ["PRICE_ASC", "PRICE_DESC", "NEWEST", "POPULAR", "TOP_RATED"]


def block(name):
    """The text of `pub const NAME ... = [ ... ];` in vocab.rs."""
    match = re.search(r"pub const " + name + r"\b[^=]*= &?\[(.*?)\];", VOCAB, re.S)
    if not match:
        raise SystemExit(f"{name} not found in vocab.rs")
    return match.group(1)


def fold(word):
    """Lower case without accents (ñ becomes n too, as a shopper without it types)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


MATERIALS = [m.lower() for m in re.findall(r'"([^"]+)"', block("MATERIALS"))]
NOUNS = [n.lower() for n in re.findall(r'pt\(\s*"([^"]+)"', block("PRODUCT_TYPES"))]
COLORS = [c[1] for c in re.findall(r'\("([^"]+)", "([^"]+)", "([^"]+)"\)', block("COLORS"))]
PATTERNS = [p for p, _ in re.findall(r'\("([^"]*)", "([^"]*)"\)', block("PATTERNS")) if p]
LETTER_SIZES = [s.lower() for s in re.findall(r'"([^"]+)"', block("LETTER_SIZES"))]

# Single words worth searching: the head noun of each product type, and materials.
HEADS = sorted({n.split()[0] for n in NOUNS} | {n.split()[-1] for n in NOUNS if " de " in n})
WORDS = sorted(set(HEADS) | {m.split()[0] for m in MATERIALS})
ACCENTED = [w for w in WORDS + COLORS if fold(w) != w]


def plural(word):
    if word.endswith(("a", "e", "o")):
        return word + "s"
    if word.endswith("ón"):
        return word[:-2] + "ones"
    if word.endswith(("l", "n", "r")):
        return word + "es"
    return None


def typo(word, rng):
    """One edit (deletion, substitution or insertion) past the first letter."""
    i = rng.randrange(1, len(word))
    kind = rng.choice(["delete", "substitute", "insert"])
    letters = "abcdefghijklmnopqrstuvwxyz"
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "substitute":
        other = rng.choice([c for c in letters if c != word[i]])
        return word[:i] + other + word[i + 1 :]
    return word[:i] + rng.choice(letters) + word[i:]


def main():
    rng = random.Random(20261123)
    texts = []  # (kind, text, filter)

    for w in rng.sample(WORDS + COLORS, 30):
        texts.append(("plain", w, None))
    accentless = [fold(w) for w in ACCENTED]
    accentless += [fold(f"{n} de {m}") for n in HEADS for m in MATERIALS if fold(m) != m]
    for w in accentless[: len(ACCENTED)] + rng.sample(accentless[len(ACCENTED) :], 20 - len(ACCENTED)):
        texts.append(("accentless", w, None))
    plurals = [p for p in (plural(w) for w in HEADS + COLORS) if p]
    for w in rng.sample(plurals, 20):
        texts.append(("plural", w, None))
    long_words = [w for w in WORDS if len(w) >= 5]
    for w in (rng.sample(long_words, len(long_words)) * 2)[:30]:
        texts.append(("typo", typo(fold(w), rng), None))
    for w in (rng.sample([w for w in WORDS if len(w) >= 5], len(long_words)) * 2)[:25]:
        texts.append(("prefix", w[: rng.randint(3, 5)], None))
    for _ in range(35):
        head = rng.choice(HEADS)
        second = rng.choice([rng.choice(COLORS), rng.choice(MATERIALS).split()[0]])
        kind = rng.choice(["materials", "colors", "minPrice", "maxPrice", "inStock", "sizes"])
        value = {
            "materials": [rng.choice(MATERIALS)],
            "colors": rng.sample(COLORS, 2),
            "minPrice": "10000",
            "maxPrice": "50000",
            "inStock": True,
            "sizes": [rng.choice(LETTER_SIZES)],
        }[kind]
        texts.append(("two words + filter", f"{head} {second}", {kind: value}))
    for _ in range(40):
        noun = rng.choice(NOUNS)
        parts = [noun]
        if " de " not in noun:
            parts.append("de " + rng.choice(MATERIALS))
        parts.append(rng.choice(PATTERNS + COLORS))
        texts.append(("phrase", " ".join(parts), None))
    assert len(texts) == 200, len(texts)

    lines = []
    sorts = {}
    for i, (kind, text, product_filter) in enumerate(texts):
        sort = "RELEVANCE" if rng.random() < 0.6 else SORTS[i % len(SORTS)]
        sorts[sort] = sorts.get(sort, 0) + 1
        variables = {"q": text, "s": sort, "facets": i % 2 == 0}
        if product_filter:
            variables["f"] = product_filter
        body = {"query": DOCUMENT, "operationName": "Search", "variables": variables}
        lines.append(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
    OUT.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
    kinds = {}
    for kind, _, _ in texts:
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"wrote {len(lines)} queries to {OUT.relative_to(ROOT)}: {kinds}, sorts {sorts}")


if __name__ == "__main__":
    main()
