# Answers of the HTTP protocol layer and the query limits
# `PersistedQueryNotFound` is left out on purpose: Apollo clients compare that exact text,
# so it is the same in every language (api/src/http/persisted.rs).

# HTTP: negotiation and request body
http-not-acceptable = Accept must allow application/graphql-response+json or application/json
http-content-type = POST /graphql takes Content-Type application/json
http-body-too-large = request body exceeds the limit of { $limit } bytes
http-upload-too-large = an uploaded file is over { $max_mib } MiB, or the request carries more than { $max_files } files
http-upload-preflight = a multipart upload needs an Apollo-Require-Preflight or GraphQL-Preflight header (protection against cross-site requests)
http-multipart-malformed = malformed multipart request: { $error }
http-multipart-batch = a multipart upload carries one operation, not a batch
http-uploads-off = this server takes no uploads
http-json-malformed = malformed JSON body: { $error }
http-batching-disabled = batching is disabled
http-batch-size = a batch must hold between 1 and { $max } operations, not { $count }
http-get-not-query = { $kind } operations are only accepted over POST

# HTTP: parameters of the GraphQL request
http-request-not-object = a GraphQL request must be a JSON object
http-param-not-string = { $name } must be a string
http-param-not-object = { $name } must be a JSON object
http-param-not-json = { $name } is not valid JSON: { $error }
http-query-missing = the request has no query
http-query-and-document-id = send a query or a documentId, not both
http-document-id-and-persisted-query = send a documentId or extensions.persistedQuery, not both
http-document-id-and-doc-id = send documentId or doc_id, not both

# HTTP: persisted queries and the safelist
http-persisted-only = only admins may send operations that are not persisted here; send a trusted operation or its sha256Hash
http-persisted-query-invalid = persistedQuery needs version 1 and a sha256Hash of 64 hex digits
http-persisted-hash-mismatch = provided sha256Hash does not match the query
http-document-id-invalid = a sha256: documentId needs 64 hex digits after the prefix

# Credentials (the 401 answer)
auth-header-malformed = Authorization must be `Bearer <access token>`
auth-token-invalid = access token is malformed or not signed by a known key
auth-token-expired = access token has expired
auth-session-ended = the session has ended or the account is suspended

# Query limits
limit-exceeded = query exceeds the { $limit } limit ({ $actual } > { $max })
limit-fragment-cycle = fragment { $name } spreads itself (a cycle)

# Text arguments
argument-control-characters = argument `{ $path }` must not contain control characters

# WebSocket (graphql-transport-ws)
ws-too-many-connections = a client address may hold at most { $max } WebSocket connections
ws-too-many-subscriptions = a connection may run at most { $max } subscriptions
ws-subscriptions-only = only subscriptions are served over WebSocket; send queries and mutations over HTTP
ws-operation-unknown = unknown operation named "{ $name }"
ws-operation-name-required = operation name required in request
