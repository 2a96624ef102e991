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
