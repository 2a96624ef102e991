-- Every replica keeps its own index root, so an acknowledgement row names its root as well
-- as its generation: one replica's progress is its own, and no replica may forget another's.
-- Rows from before this change belong to no known root; they expire like any silent consumer
-- (`--index-consumer-expiry-seconds`), and each replica rebuilds its index once.
ALTER TABLE search_index_consumers ADD COLUMN root_id TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE search_index_consumers ALTER COLUMN root_id DROP DEFAULT;
ALTER TABLE search_index_consumers DROP CONSTRAINT search_index_consumers_pkey;
ALTER TABLE search_index_consumers ADD PRIMARY KEY (root_id, generation);
