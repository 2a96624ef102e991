# commerce

# Carts
cart-product-unavailable = this product is not on sale
cart-quantity-not-positive = quantity must be positive
cart-quantity-precision = quantity may have at most { $max } decimals
cart-quantity-below-minimum =
    the smallest quantity of this product is { $min } { $unit ->
        [piece] pieces
        [metre] metres
       *[kilogram] kilograms
    }
cart-quantity-not-multiple =
    this product sells in steps of { $step } { $unit ->
        [piece] pieces
        [metre] metres
       *[kilogram] kilograms
    }
cart-insufficient-stock =
    only { $stock } { $unit ->
        [piece] pieces
        [metre] metres
       *[kilogram] kilograms
    } in stock
cart-quantity-exceeds-stock = quantity exceeds the stock
cart-product-missing = this product is not in the cart
cart-full = a cart holds at most { $max } products
cart-warning-unavailable = { $product } is no longer on sale
cart-warning-price-changed = the price of { $product } changed from { $old } to { $new }
cart-warning-insufficient-stock = only { $stock } of { $product } left in stock
cart-warning-selling-out = { $product } is selling out

# Checkout
checkout-key-length = idempotencyKey must have { $min } to { $max } characters
checkout-key-control-characters = idempotencyKey may not contain control characters
checkout-key-reused = this idempotency key was used for a different cart
checkout-line-problem = { $product }: { $problem }
checkout-unpaid-orders-limit = this checkout would add { $new } orders to the { $unpaid } you have not paid yet, and at most { $max } may wait for payment at once: pay or cancel one first

# Orders
order-not-found = no such order
order-forbidden = only the buyer, the store's seller and admins may see this order
order-move-forbidden = you may not move this order to { $status }
order-invalid-transition = an order in status { $from } cannot move to { $to }

# Conversations
conversation-not-found = no such conversation
conversation-forbidden = only the buyer, the store's seller and admins may see this conversation
conversation-own-store = you cannot start a conversation with your own store
conversation-product-not-in-store = no such product in this store
conversation-first-or-last = give first or last, not both
message-empty = the message is empty once markup is removed
message-too-long = a message may have at most { $max } characters

payment-order-not-found = there is no such order
payment-buyer-only = only the order's buyer pays it
payment-order-not-pending = the order is not waiting for a payment
payment-unavailable = online payment is not available for this order right now: try again later, or ask the store
payment-code-refused = Mercado Pago did not accept this authorization code: connect the account again
payment-account-taken = this Mercado Pago account already collects for another store

## Addresses
address-too-long = at most { $max } characters
address-phone-invalid = not a phone number of { $country } (for example with its area code, or with +{ $country ->
    [AR] 54
    [CL] 56
    [UY] 598
    [PY] 595
   *[other] 51
})
address-region-unknown = “{ $region }” is not a province, region or department of { $country }
address-postal-code-required = { $country } addresses need a postal code (CPA such as C1425DKF, or four digits)
address-postal-code-invalid = not a postal code of { $country ->
    [AR] AR: CPA such as C1425DKF, or four digits
    [CL] CL: seven digits
    [UY] UY: five digits
    [PY] PY: six digits
   *[other] PE: five digits
}
address-number-invalid = a house number starts with a digit (1234, 742 bis), or is S/N
address-limit-reached = you can keep at most { $max } addresses
address-not-found = no address of yours has this id

## Shipping options
shipping-price-out-of-range = a price is 0 or more (a price per kilogram, more than 0) and less than 10,000,000,000
shipping-price-decimals = { $currency } prices have at most { $decimals } decimals
shipping-per-kg-courier-only = only a courier charges per kilogram
shipping-pickup-free = picking up at the store is free: leave the price out or 0
shipping-pickup-no-regions = pickup delivers nowhere: leave regions empty
shipping-local-needs-regions = local delivery needs the regions it reaches
shipping-pickup-only = a pickup address and hours belong to pickup only
shipping-days-out-of-range = days are 0 to { $max }, the least no more than the most
shipping-limit-reached = a store keeps at most { $max } shipping options
shipping-option-not-found = no shipping option you may change has this id
shipping-change-forbidden = only the store's seller and admins change its shipping options

## Checkout with delivery
checkout-delivery-store-not-in-cart = this store has nothing in your cart
checkout-delivery-store-twice = one delivery per store
checkout-delivery-required = choose how { $store } delivers your order (it offers shipping options)
checkout-delivery-option-not-found = { $store } has no active shipping option with this id
checkout-delivery-address-required = “{ $option }” delivers to an address: give one of yours
checkout-delivery-not-reached = “{ $option }” does not deliver to { $place }
checkout-cart-mixes-markets = the cart holds products of more than one country: buy from one market at a time
cart-other-market = { $product } is sold in { $market }, and your cart buys in { $cart }: one country at a time
checkout-delivery-too-many = delivery lists at most { $max } stores
cart-line-missing = this line is not in the cart
cart-line-id-required = name the line (lineId): the cart holds this product in several variants
cart-variant-required = choose a variant ({ $options })
