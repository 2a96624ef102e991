# Respuestas del protocolo HTTP y de los límites de consulta
# `PersistedQueryNotFound` no está aquí a propósito: los clientes de Apollo comparan ese
# texto exacto, así que es el mismo en todas las lenguas (api/src/http/persisted.rs).

# HTTP: negociación y cuerpo de la solicitud
http-not-acceptable = Accept debe admitir application/graphql-response+json o application/json
http-content-type = POST /graphql requiere Content-Type application/json
http-body-too-large = el cuerpo de la solicitud supera el límite de { $limit } bytes
http-upload-too-large = un archivo supera { $max_mib } MiB, o la solicitud trae más de { $max_files } archivos
http-upload-preflight = una subida multipart necesita la cabecera Apollo-Require-Preflight o GraphQL-Preflight (protección contra solicitudes de otros sitios)
http-multipart-malformed = solicitud multipart mal formada: { $error }
http-multipart-batch = una subida multipart lleva una sola operación, no un lote
http-uploads-off = este servidor no acepta subidas de archivos
http-json-malformed = el cuerpo no es JSON válido: { $error }
http-batching-disabled = el envío de operaciones en lote está desactivado
http-batch-size = un lote debe tener entre 1 y { $max } operaciones, no { $count }
http-get-not-query =
    { $kind ->
        [mutation] las mutaciones
        [subscription] las suscripciones
       *[other] las operaciones { $kind }
    } solo se aceptan por POST

# HTTP: parámetros de la solicitud GraphQL
http-request-not-object = una solicitud GraphQL debe ser un objeto JSON
http-param-not-string = { $name } debe ser una cadena de texto
http-param-not-object = { $name } debe ser un objeto JSON
http-param-not-json = { $name } no es JSON válido: { $error }
http-query-missing = la solicitud no incluye la consulta (query)
http-query-and-document-id = envía query o documentId, no ambos
http-document-id-and-persisted-query = envía documentId o extensions.persistedQuery, no ambos
http-document-id-and-doc-id = envía documentId o doc_id, no ambos

# HTTP: consultas persistidas y lista de operaciones permitidas
http-persisted-only = aquí solo los administradores pueden enviar operaciones no persistidas; envía una operación de confianza o su sha256Hash
http-persisted-query-invalid = persistedQuery requiere version 1 y un sha256Hash de 64 dígitos hexadecimales
http-persisted-hash-mismatch = el sha256Hash enviado no corresponde a la consulta
http-document-id-invalid = un documentId sha256: requiere 64 dígitos hexadecimales después del prefijo

# Credenciales (respuesta 401)
auth-header-malformed = Authorization debe tener la forma `Bearer <token de acceso>`
auth-token-invalid = el token de acceso está mal formado o no lo firmó una clave conocida
auth-token-expired = el token de acceso venció
auth-session-ended = la sesión terminó o la cuenta está suspendida

# Límites de consulta
limit-exceeded =
    la consulta supera el límite de { $limit ->
        [characters] caracteres
        [tokens] tokens
        [depth] profundidad
        [aliases] alias
        [directives] directivas
        [mutations] mutaciones
        [cost] costo
       *[other] { $limit }
    } ({ $actual } > { $max })
limit-fragment-cycle = el fragmento { $name } se incluye a sí mismo (un ciclo)

# Argumentos de texto
argument-control-characters = el argumento `{ $path }` no puede contener caracteres de control

# WebSocket (graphql-transport-ws)
ws-too-many-connections = una dirección de cliente puede tener como máximo { $max } conexiones WebSocket
ws-too-many-subscriptions = una conexión puede tener como máximo { $max } suscripciones activas
ws-subscriptions-only = por WebSocket solo se atienden suscripciones; envía las consultas y mutaciones por HTTP
ws-operation-unknown = no hay ninguna operación llamada "{ $name }"
ws-operation-name-required = la solicitud debe indicar el nombre de la operación
