-- PostgreSQL full-text search at its best, for the `postgres` search backend and as the
-- baseline the tantivy index is benchmarked against (tests/load/search.sh).
--
-- - Accents are optional: `es_unaccent` is the Spanish configuration with unaccent before
--   the Spanish stemmer (`algodon` finds `algodón`); `es_unaccent_prefix` folds the same way
--   without stemming, for the last word typed as a prefix (`alpa` finds `alpaca`).
-- - The document weighs the name A, category path, materials, colours and sizes B, the
--   description D. It needs the category names, which a generated column cannot read, so a
--   trigger keeps it, and category renames and moves refresh their products.
-- - Typos: a trigram index on the folded name serves the word-similarity fallback that
--   listings use when the text search finds nothing (`vestdo` finds `vestido`).
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- unaccent() is only STABLE (it looks its dictionary up by name at run time); naming the
-- dictionary makes the result depend on the argument alone, which an index expression needs.
CREATE FUNCTION immutable_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN public.unaccent('public.unaccent'::regdictionary, $1);

CREATE TEXT SEARCH CONFIGURATION es_unaccent (COPY = pg_catalog.spanish);
ALTER TEXT SEARCH CONFIGURATION es_unaccent
    ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, spanish_stem;

CREATE TEXT SEARCH CONFIGURATION es_unaccent_prefix (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION es_unaccent_prefix
    ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, simple;

-- The names of a category and of its ancestors, the leaf first.
CREATE FUNCTION category_path_names(category BIGINT) RETURNS TEXT
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    WITH RECURSIVE path (id, parent_id, name, depth) AS (
        SELECT c.id, c.parent_id, c.name, 0 FROM categories c WHERE c.id = category
        UNION ALL
        SELECT c.id, c.parent_id, c.name, path.depth + 1
        FROM categories c JOIN path ON c.id = path.parent_id
        WHERE path.depth < 32
    )
    SELECT coalesce(string_agg(path.name, ' ' ORDER BY path.depth), '') FROM path;
END;

CREATE FUNCTION product_search_document(
    name TEXT, description TEXT, category_names TEXT,
    materials TEXT[], colors TEXT[], sizes TEXT[]
) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('public.es_unaccent', name), 'A')
        || setweight(to_tsvector('public.es_unaccent', category_names || ' '
               || array_to_string(materials || colors || sizes, ' ')), 'B')
        || setweight(to_tsvector('public.es_unaccent', description), 'D');

-- The stored document becomes a plain column kept by a trigger (it was generated from the
-- name and description with the accent-sensitive `spanish` configuration).
ALTER TABLE products DROP COLUMN search_document;
ALTER TABLE products ADD COLUMN search_document tsvector NOT NULL DEFAULT ''::tsvector;

-- Backfill without queuing every product for the search index: the indexed fields do not
-- change here.
ALTER TABLE products DISABLE TRIGGER products_search_outbox;
UPDATE products p
SET search_document = product_search_document(
    p.name, p.description, category_path_names(p.category_id), p.materials, p.colors, p.sizes);
ALTER TABLE products ENABLE TRIGGER products_search_outbox;

CREATE FUNCTION products_set_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := product_search_document(
        NEW.name, NEW.description, category_path_names(NEW.category_id),
        NEW.materials, NEW.colors, NEW.sizes);
    RETURN NEW;
END
$$;

CREATE TRIGGER products_search_document
    BEFORE INSERT OR UPDATE OF name, description, category_id, materials, colors, sizes
    ON products
    FOR EACH ROW EXECUTE FUNCTION products_set_search_document();

-- A renamed or moved category changes the documents of every product below it.
CREATE FUNCTION categories_refresh_search_documents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE products p
    SET search_document = product_search_document(
        p.name, p.description, category_path_names(p.category_id),
        p.materials, p.colors, p.sizes)
    WHERE p.category_id IN (
        WITH RECURSIVE below (id) AS (
            SELECT NEW.id
            UNION
            SELECT c.id FROM categories c JOIN below ON c.parent_id = below.id
        )
        SELECT id FROM below);
    RETURN NULL;
END
$$;

CREATE TRIGGER categories_search_documents
    AFTER UPDATE OF name, parent_id ON categories
    FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.parent_id IS DISTINCT FROM NEW.parent_id)
    EXECUTE FUNCTION categories_refresh_search_documents();

CREATE INDEX products_search_idx ON products USING GIN (search_document)
    WHERE status = 'ACTIVE';
CREATE INDEX products_name_trgm_idx ON products
    USING GIN (immutable_unaccent(lower(name)) gin_trgm_ops) WHERE status = 'ACTIVE';

-- Whether any active product's document matches `words`: the test that decides whether a
-- listing falls back to similar names. Answered from the first pages of the table when the
-- words are common (a few hundred rows read in place, well under a millisecond), else from
-- the GIN index, which is quick exactly when the words are rare or absent. Left to itself
-- the planner answers an EXISTS with a scan hoping for an early hit, which reads every row
-- when nothing matches, the case the test is for; so only bitmap (and TID) scans are allowed.
CREATE FUNCTION products_match_words(words tsquery) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE STRICT
    SET enable_seqscan = off
    SET enable_indexscan = off
    RETURN EXISTS (SELECT 1 FROM products p
                   WHERE p.ctid < '(32,0)'::tid
                     AND p.status = 'ACTIVE' AND p.search_document @@ words)
        OR EXISTS (SELECT 1 FROM products p
                   WHERE p.status = 'ACTIVE' AND p.search_document @@ words);

-- The typo fallback of listings. `words` are what the shopper typed, `queries` their
-- tsqueries, one per word (empty for a stop word, which takes no part). When every word
-- matches together, the listing needs no fallback and this returns nothing. Otherwise the
-- words no document matches are taken for typos: the result is the active products whose
-- documents match the other words and whose folded name holds, for each typo, something
-- close to it (pg_trgm's word similarity: the share of the word's trigrams found in one
-- stretch of the name), with that closeness. So `vestdo rojo` finds red dresses and
-- `camisa zzzz` finds nothing. The default threshold, 0.6, misses most one-letter typos in
-- five-letter words (`bufnda` is 0.5 from `bufanda`); the function's own setting leaves
-- sessions alone.
CREATE FUNCTION products_named_like(words TEXT[], queries tsquery[])
    RETURNS TABLE (id BIGINT, similarity REAL)
    LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
    SET pg_trgm.word_similarity_threshold = 0.5
AS $$
DECLARE
    -- NULL until a word joins: an empty tsquery literal raises a notice.
    everything tsquery;
    found tsquery;
    typos TEXT[] := '{}';
    typed TEXT;
BEGIN
    FOR i IN 1 .. coalesce(array_length(queries, 1), 0) LOOP
        everything := coalesce(everything && queries[i], queries[i]);
    END LOOP;
    IF everything IS NULL OR numnode(everything) = 0 OR products_match_words(everything) THEN
        RETURN;
    END IF;
    FOR i IN 1 .. coalesce(array_length(queries, 1), 0) LOOP
        CONTINUE WHEN numnode(queries[i]) = 0;
        IF products_match_words(queries[i]) THEN
            found := coalesce(found && queries[i], queries[i]);
        ELSE
            typos := typos || immutable_unaccent(lower(words[i]));
        END IF;
    END LOOP;
    IF cardinality(typos) = 0 THEN
        RETURN;
    END IF;
    typed := array_to_string(typos, ' ');
    RETURN QUERY
        SELECT p.id, word_similarity(typed, immutable_unaccent(lower(p.name)))
        FROM products p
        WHERE p.status = 'ACTIVE'
          AND immutable_unaccent(lower(p.name)) %> typed
          AND (found IS NULL OR p.search_document @@ found)
          AND (cardinality(typos) = 1
               OR NOT EXISTS (SELECT 1 FROM unnest(typos) t
                              WHERE NOT immutable_unaccent(lower(p.name)) %> t));
END
$$;
