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

## Direcciones
address-too-long = como máximo { $max } caracteres
address-phone-invalid = no es un teléfono de { $country } (por ejemplo con su código de área, o con +{ $country ->
    [AR] 54
    [CL] 56
    [UY] 598
    [PY] 595
   *[other] 51
})
address-region-unknown = «{ $region }» no es una provincia, región o departamento de { $country }
address-postal-code-required = las direcciones de { $country } llevan código postal (CPA como C1425DKF, o cuatro dígitos)
address-postal-code-invalid = no es un código postal de { $country ->
    [AR] AR: CPA como C1425DKF, o cuatro dígitos
    [CL] CL: siete dígitos
    [UY] UY: cinco dígitos
    [PY] PY: seis dígitos
   *[other] PE: cinco dígitos
}
address-number-invalid = la altura empieza con un número (1234, 742 bis), o es S/N
address-limit-reached = puedes guardar hasta { $max } direcciones
address-not-found = ninguna dirección tuya tiene este id

## Opciones de envío
shipping-price-out-of-range = un precio es 0 o más (el precio por kilo, más de 0) y menos de 10.000.000.000
shipping-price-decimals = los precios en { $currency } llevan hasta { $decimals } decimales
shipping-per-kg-courier-only = solo un correo cobra por kilo
shipping-pickup-free = retirar en la tienda no tiene costo: deja el precio vacío o en 0
shipping-pickup-no-regions = el retiro no envía a ninguna región: deja las regiones vacías
shipping-local-needs-regions = el envío local necesita las regiones a las que llega
shipping-pickup-only = la dirección y el horario de retiro son solo para el retiro en tienda
shipping-days-out-of-range = los días van de 0 a { $max }, el mínimo no mayor que el máximo
shipping-limit-reached = una tienda tiene hasta { $max } opciones de envío
shipping-option-not-found = ninguna opción de envío que puedas cambiar tiene este id
shipping-change-forbidden = solo el vendedor de la tienda y los administradores cambian sus opciones de envío

## Compra con envío
checkout-delivery-store-not-in-cart = esta tienda no tiene nada en tu carrito
checkout-delivery-store-twice = un envío por tienda
checkout-delivery-required = elige cómo te envía el pedido { $store } (tiene opciones de envío)
checkout-delivery-option-not-found = { $store } no tiene una opción de envío activa con este id
checkout-delivery-address-required = «{ $option }» envía a una dirección: indica una de las tuyas
checkout-delivery-not-reached = «{ $option }» no llega a { $place }
checkout-cart-mixes-markets = el carrito tiene productos de más de un país: compra en un mercado por vez
cart-other-market = { $product } se vende en { $market } y tu carrito compra en { $cart }: un país por vez
checkout-delivery-too-many = delivery admite hasta { $max } tiendas
cart-line-missing = esta línea no está en el carrito
cart-line-id-required = indicá la línea (lineId): el carrito tiene este producto en varias variantes
cart-variant-required = elegí una variante ({ $options })
