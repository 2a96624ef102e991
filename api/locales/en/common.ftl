# Messages shared by the whole API (English, on request).
# Every userErrors code has its general message here: `user-error-` and the code in lower
# case with dashes. Codes never change with the language; only messages do.

user-error-invalid = the value is not valid
user-error-required = this value is required
user-error-too-short = the value is too short
user-error-too-long = the value is too long
user-error-taken = the value is already in use
user-error-not-found = not found
user-error-invalid-credentials = email or password is wrong
user-error-invalid-token = the link or code is not valid
user-error-token-expired = the link or code has expired; ask for a new one
user-error-token-used = the link or code was already used
user-error-suspended = this account is suspended
user-error-out-of-range = the number is outside the allowed range
user-error-precision = the number has too many decimals
user-error-not-multiple = the quantity is not a multiple of the product's step
user-error-too-many = there are too many values
user-error-limit-reached = the allowance is used up
user-error-not-eligible = you do not qualify yet
user-error-unavailable = the product is not on sale
user-error-insufficient-stock = there is not enough stock
user-error-cart-empty = the cart is empty
user-error-idempotency-key-reused = this idempotency key was already used for another request
user-error-invalid-transition = the order cannot move to that status from its current one
user-error-own-store = you cannot buy from your own store
user-error-email-not-verified = verify your email address first
user-error-open-orders = close your open orders first
user-error-other-market = the cart buys in another market: one country at a time
user-error-unsupported-format = this kind of file is not accepted
user-error-too-large = the file is over the size limit

# errors[].message
throttled = too many attempts: retry in { $seconds } s
unauthenticated = authentication required
forbidden = you may not do this
not-found = not found
internal-error = internal error
service-unavailable = service unavailable: retry shortly
throttled-cost = throttled: this request costs { $cost } points; retry in { $seconds } s

# Requests: ids, pages, guards, subscriptions
id-invalid = invalid id { $id }
id-wrong-kind = id { $id } is not a { $kind } id
nodes-too-many = nodes takes at most { $max } ids
page-size-negative = { $argument } must not be negative
page-size-too-large = { $argument } may not exceed { $max }
cursor-invalid = invalid cursor
admin-only = only admins may do this
self-or-admin-only = only the user and admins may see this
