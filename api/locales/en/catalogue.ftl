# catalogue

# Lookups and listings shared by stores and products
lookup-id-or-slug = give exactly one of id and slug
search-query-too-long = query may not exceed { $max } characters
search-consistency-token-invalid = invalid consistency token
cursor-wrong-listing = cursor does not belong to this listing
cursor-wrong-sort = cursor does not belong to this sort order
cursor-expired = this cursor can no longer be resumed: start the listing again

# Stores
store-not-found = no such store
store-field-required = { $field } is required
store-field-too-short = { $field } is too short
store-field-too-long = { $field } may have at most { $max } characters
store-description-too-long = description may have at most 2000 characters
store-latitude-out-of-range = lat must be between -90 and 90
store-longitude-out-of-range = lon must be between -180 and 180
store-country-invalid = countryCode must be AR, CL, UY, PY or PE
store-country-required = a store needs its country (`country`): it fixes the market and currency for good
store-limit-reached = you already run as many stores as allowed
store-change-forbidden = only the store's seller and admins may change it
store-allowance-out-of-range = stores must be between 0 and 100
store-allowance-user-not-found = no such user

# Store listings
stores-near-out-of-range = near must have lat in -90..90 and lon in -180..180
stores-radius-needs-near = radiusKm needs near
stores-radius-out-of-range = radiusKm must be between 0 and 20000

# Products
product-not-found = no such product
product-name-too-short = name must have at least 3 characters
product-name-too-long = name may have at most 150 characters
product-description-too-long = description may have at most 5000 characters
product-price-out-of-range = price must be positive and below 10,000,000,000
product-price-precision = price may have at most 2 decimals
product-quantity-negative = must not be negative
product-quantity-not-positive = must be positive
product-quantity-not-whole = products sold by the piece take whole quantities
product-quantity-precision = quantities may have at most 3 decimals
product-min-quantity-not-multiple = minQuantity must be a multiple of quantityStep
product-stock-not-multiple = stock must be a multiple of quantityStep
product-facet-value-too-long = each value may have at most 40 characters
product-facet-too-many = at most 20 values
product-sku-invalid = sku takes up to 64 letters, digits, '-', '_' or '.'
product-sku-required = sku is required
product-sku-taken = another product of this store has this sku
product-sku-repeated = this sku appears twice in the batch
product-upsert-count = send between 1 and 500 products
product-change-forbidden = only the store's seller and admins may change its products

# Product listings
product-filter-too-many = a filter list may hold at most { $max } values
product-price-bound-out-of-range = { $argument } is out of range: prices are below 10,000,000,000
product-price-bounds-crossed = minPrice may not exceed maxPrice
product-min-rating-out-of-range = minRating must be between 0 and 5

# Categories
category-not-found = no such category
category-name-length = name must have 2 to 80 characters
category-limit-reached = the tree holds at most { $max } categories
category-cycle = a category cannot move under itself or its descendants

# Reviews
review-rating-out-of-range = rating must be between 1 and 5
review-too-long = a review may have at most { $max } characters
review-own-store = a store's own accounts may not review its products
review-not-delivered = only buyers who received this product may review it
review-taken = you already reviewed this product

# Search suggestions
suggest-first-out-of-range = first must be between 0 and { $max }
suggest-prefix-too-long = prefix may not exceed { $max } characters

## Search vocabulary (admins)
vocabulary-word-empty = a word is required
vocabulary-word-invalid = a word is made of letters, digits or hyphens, at most { $max } characters in all; here it may have { $words ->
    [one] one word
   *[other] up to { $words } words (a phrase)
}
vocabulary-synonyms-no-word = a SYNONYMS entry lists its words in `words` only
vocabulary-word-count = this kind of entry lists { $least } to { $most } distinct words
vocabulary-limit-reached = the search vocabulary holds at most { $max } entries
vocabulary-not-found = no search vocabulary entry has this id

## Markets and exchange rates (admins)
exchange-rate-reference = the US dollar is the reference currency: it has no exchange rate
exchange-rate-out-of-range = the exchange rate must be more than 0 and less than 1,000,000,000, with at most 8 decimals
exchange-rate-source-invalid = the rate's source is 1 to 200 characters long
product-weight-out-of-range = weightGrams is 1 to { $max } grams

# Variants
variant-not-found = this product has no such variant
variant-option-missing = choose a { $option }
variant-option-unknown = this product has no option "{ $option }"
variant-combination-missing = this product is not sold in { $combination }
variant-options-count = a product has 1 to { $max } options
variant-label-length = each name or value has 1 to { $max } characters
variant-option-repeated = this option appears twice
variant-values-count = an option has 1 to { $max } values
variant-value-repeated = the value "{ $value }" appears twice
variant-count = a product has 1 to { $max } variants
variant-options-mismatch = each variant takes one value of each of the product's options, and only those
variant-combination-repeated = another variant is already { $combination }
variant-sku-taken = a variant of another product of this store has this SKU
variant-options-and-variants = options and variants go together
variant-stock-per-variant = this product has variants: its stock is set per variant
product-stock-required = stock is required when the product has no variants

# Product images
image-not-an-image = the file is not a JPEG, PNG or WebP image (its content is checked, not its name)
image-too-many-bytes = the image is over { $max_mib } MiB
image-too-many-pixels = the image is { $width } × { $height } pixels; the most is { $max_megapixels } megapixels
image-corrupt = the image is damaged or incomplete and cannot be read
image-count = a product has at most { $max } images
image-not-found = there is no such image
image-order-incomplete = the order must name every image of the product exactly once
image-alt-too-long = alt text has at most { $max } characters
image-file-missing = no file arrived: send the image as multipart/form-data
