# commerce

# Carritos
cart-product-unavailable = este producto no está a la venta
cart-quantity-not-positive = la cantidad debe ser mayor que cero
cart-quantity-precision = la cantidad puede tener como máximo { $max } decimales
cart-quantity-below-minimum =
    la cantidad mínima de este producto es { $min } { $unit ->
        [piece] u.
        [metre] m
       *[kilogram] kg
    }
cart-quantity-not-multiple =
    este producto se vende en múltiplos de { $step } { $unit ->
        [piece] u.
        [metre] m
       *[kilogram] kg
    }
cart-insufficient-stock =
    solo hay { $stock } { $unit ->
        [piece] u.
        [metre] m
       *[kilogram] kg
    } en stock
cart-quantity-exceeds-stock = la cantidad supera el stock
cart-product-missing = este producto no está en el carrito
cart-full = un carrito admite como máximo { $max } productos
cart-warning-unavailable = { $product } ya no está a la venta
cart-warning-price-changed = el precio de { $product } cambió de { $old } a { $new }
cart-warning-insufficient-stock = solo quedan { $stock } de { $product } en stock
cart-warning-selling-out = { $product } se está agotando

# Pago
checkout-key-length = la clave de idempotencia debe tener entre { $min } y { $max } caracteres
checkout-key-control-characters = la clave de idempotencia no puede contener caracteres de control
checkout-key-reused = esta clave de idempotencia ya se usó para otro carrito
checkout-line-problem = { $product }: { $problem }
checkout-unpaid-orders-limit = ya tienes { $unpaid } pedidos sin pagar y esta compra sumaría { $new }, pero solo puede haber { $max } esperando el pago a la vez: paga o cancela alguno primero

# Pedidos
order-not-found = no existe ese pedido
order-forbidden = solo el comprador, el vendedor de la tienda y los administradores pueden ver este pedido
order-move-forbidden = no puedes pasar este pedido a { $status }
order-invalid-transition = un pedido en estado { $from } no puede pasar a { $to }

# Conversaciones
conversation-not-found = no existe esa conversación
conversation-forbidden = solo el comprador, el vendedor de la tienda y los administradores pueden ver esta conversación
conversation-own-store = no puedes iniciar una conversación con tu propia tienda
conversation-product-not-in-store = no existe ese producto en esta tienda
conversation-first-or-last = indica first o last, no ambos
message-empty = el mensaje queda vacío al quitarle el formato
message-too-long = un mensaje puede tener como máximo { $max } caracteres

payment-order-not-found = no existe ese pedido
payment-buyer-only = solo quien compró el pedido puede pagarlo
payment-order-not-pending = el pedido no está esperando un pago
payment-unavailable = el pago en línea no está disponible para este pedido ahora: inténtalo más tarde o consulta a la tienda
payment-code-refused = Mercado Pago no aceptó este código de autorización: vuelve a conectar la cuenta
payment-account-taken = esta cuenta de Mercado Pago ya cobra para otra tienda
