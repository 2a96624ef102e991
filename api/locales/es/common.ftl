# Mensajes comunes a toda la API (español, la lengua por defecto).
# Español neutro de América (tú), comprensible en los cinco países.
# Cada código de userErrors tiene aquí su mensaje general: `user-error-` y el código en
# minúsculas con guiones. Los códigos no cambian con la lengua; sólo los mensajes.

user-error-invalid = el valor no es válido
user-error-required = este dato es obligatorio
user-error-too-short = el valor es demasiado corto
user-error-too-long = el valor es demasiado largo
user-error-taken = el valor ya está en uso
user-error-not-found = no existe
user-error-invalid-credentials = el correo o la contraseña no son correctos
user-error-invalid-token = el enlace o código no es válido
user-error-token-expired = el enlace o código venció; pide uno nuevo
user-error-token-used = el enlace o código ya se usó
user-error-suspended = esta cuenta está suspendida
user-error-out-of-range = el número está fuera del rango permitido
user-error-precision = el número tiene demasiados decimales
user-error-not-multiple = la cantidad no es un múltiplo del paso del producto
user-error-too-many = hay demasiados valores
user-error-limit-reached = se alcanzó el límite permitido
user-error-not-eligible = aún no cumples las condiciones
user-error-unavailable = el producto no está a la venta
user-error-insufficient-stock = no hay stock suficiente
user-error-cart-empty = el carrito está vacío
user-error-idempotency-key-reused = esta clave de idempotencia ya se usó para otro pedido
user-error-invalid-transition = el pedido no puede pasar a ese estado desde el actual
user-error-own-store = no puedes comprar en tu propia tienda
user-error-email-not-verified = primero verifica tu correo electrónico
user-error-open-orders = primero cierra tus pedidos abiertos
user-error-other-market = el carrito compra en otro mercado: un país por vez
user-error-unsupported-format = este tipo de archivo no se acepta
user-error-too-large = el archivo supera el tamaño máximo

# errors[].message
throttled = demasiados intentos: vuelve a intentarlo en { $seconds } s
unauthenticated = hace falta iniciar sesión
forbidden = no tienes permiso para esto
not-found = no existe
internal-error = error interno
service-unavailable = servicio no disponible: vuelve a intentarlo en unos segundos
throttled-cost = demasiadas consultas: esta cuesta { $cost } puntos; vuelve a intentarlo en { $seconds } s

# Requests: ids, pages, guards, subscriptions
id-invalid = el id { $id } no es válido
id-wrong-kind =
    el id { $id } no corresponde a { $kind ->
        [user] un usuario
        [store] una tienda
        [category] una categoría
        [product] un producto
        [review] una reseña
        [order] un pedido
        [conversation] una conversación
        [message] un mensaje
       *[other] un objeto { $kind }
    }
nodes-too-many = nodes admite como máximo { $max } ids
page-size-negative = { $argument } no puede ser negativo
page-size-too-large = { $argument } no puede superar { $max }
cursor-invalid = el cursor no es válido
admin-only = solo los administradores pueden hacer esto
self-or-admin-only = solo el propio usuario y los administradores pueden ver esto
