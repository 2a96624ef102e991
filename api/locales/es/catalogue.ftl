# catalogue

# Búsquedas y listados comunes a tiendas y productos
lookup-id-or-slug = indica exactamente uno de id y slug
search-query-too-long = query no puede superar los { $max } caracteres
search-consistency-token-invalid = el token de consistencia no es válido
cursor-wrong-listing = el cursor no corresponde a este listado
cursor-wrong-sort = el cursor no corresponde a este orden
cursor-expired = este cursor ya no se puede retomar: vuelve a empezar el listado

# Tiendas
store-not-found = no existe esa tienda
store-field-required =
    { $field ->
        [name] el nombre es obligatorio
        [city] la ciudad es obligatoria
        [region] la región es obligatoria
       *[other] { $field } es obligatorio
    }
store-field-too-short =
    { $field ->
        [name] el nombre es demasiado corto
        [city] el nombre de la ciudad es demasiado corto
        [region] el nombre de la región es demasiado corto
       *[other] { $field } es demasiado corto
    }
store-field-too-long =
    { $field ->
        [name] el nombre puede tener como máximo { $max } caracteres
        [city] la ciudad puede tener como máximo { $max } caracteres
        [region] la región puede tener como máximo { $max } caracteres
       *[other] { $field } puede tener como máximo { $max } caracteres
    }
store-description-too-long = la descripción puede tener como máximo 2000 caracteres
store-latitude-out-of-range = la latitud debe estar entre -90 y 90
store-longitude-out-of-range = la longitud debe estar entre -180 y 180
store-country-invalid = el país debe ser AR, CL, UY, PY o PE
store-country-required = la tienda necesita su país (`country`): fija para siempre su mercado y su moneda
store-limit-reached = ya tienes todas las tiendas que se te permiten
store-change-forbidden = solo el vendedor de la tienda y los administradores pueden modificarla
store-allowance-out-of-range = la cantidad de tiendas debe estar entre 0 y 100
store-allowance-user-not-found = no existe ese usuario

# Listados de tiendas
stores-near-out-of-range = near debe tener lat entre -90 y 90 y lon entre -180 y 180
stores-radius-needs-near = radiusKm requiere near
stores-radius-out-of-range = radiusKm debe estar entre 0 y 20000

# Productos
product-not-found = no existe ese producto
product-name-too-short = el nombre debe tener al menos 3 caracteres
product-name-too-long = el nombre puede tener como máximo 150 caracteres
product-description-too-long = la descripción puede tener como máximo 5000 caracteres
product-price-out-of-range = el precio debe ser mayor que cero y menor que diez mil millones
product-price-precision = el precio puede tener como máximo 2 decimales
product-quantity-negative = no puede ser menor que cero
product-quantity-not-positive = debe ser mayor que cero
product-quantity-not-whole = los productos que se venden por unidad llevan cantidades enteras
product-quantity-precision = las cantidades pueden tener como máximo 3 decimales
product-min-quantity-not-multiple = la cantidad mínima debe ser un múltiplo del paso de cantidad
product-stock-not-multiple = el stock debe ser un múltiplo del paso de cantidad
product-facet-value-too-long = cada valor puede tener como máximo 40 caracteres
product-facet-too-many = como máximo 20 valores
product-sku-invalid = el SKU admite hasta 64 letras, dígitos, '-', '_' o '.'
product-sku-required = el SKU es obligatorio
product-sku-taken = otro producto de esta tienda ya tiene este SKU
product-sku-repeated = este SKU aparece dos veces en el lote
product-upsert-count = envía entre 1 y 500 productos
product-change-forbidden = solo el vendedor de la tienda y los administradores pueden modificar sus productos

# Listados de productos
product-filter-too-many = una lista de filtro puede tener como máximo { $max } valores
product-price-bound-out-of-range = { $argument } está fuera de rango: los precios son menores que diez mil millones
product-price-bounds-crossed = minPrice no puede superar a maxPrice
product-min-rating-out-of-range = minRating debe estar entre 0 y 5

# Categorías
category-not-found = no existe esa categoría
category-name-length = el nombre debe tener entre 2 y 80 caracteres
category-limit-reached = el árbol admite como máximo { $max } categorías
category-cycle = una categoría no puede quedar debajo de sí misma ni de sus descendientes

# Reseñas
review-rating-out-of-range = la calificación debe estar entre 1 y 5
review-too-long = una reseña puede tener como máximo { $max } caracteres
review-own-store = las cuentas de una tienda no pueden reseñar sus propios productos
review-not-delivered = solo los compradores que recibieron este producto pueden reseñarlo
review-taken = ya reseñaste este producto

# Sugerencias de búsqueda
suggest-first-out-of-range = first debe estar entre 0 y { $max }
suggest-prefix-too-long = prefix no puede superar los { $max } caracteres

## Vocabulario de búsqueda (administradores)
vocabulary-word-empty = falta la palabra
vocabulary-word-invalid = cada palabra lleva letras, números o guiones, hasta { $max } caracteres en total; aquí puede tener { $words ->
    [one] una sola palabra
   *[other] hasta { $words } palabras (una frase)
}
vocabulary-synonyms-no-word = una entrada SYNONYMS lleva sus palabras solo en `words`
vocabulary-word-count = este tipo de entrada lleva entre { $least } y { $most } palabras distintas
vocabulary-limit-reached = el vocabulario de búsqueda admite hasta { $max } entradas
vocabulary-not-found = ninguna entrada del vocabulario de búsqueda tiene este id

## Mercados y tipos de cambio (administradores)
exchange-rate-reference = el dólar estadounidense es la moneda de referencia: no lleva tipo de cambio
exchange-rate-out-of-range = el tipo de cambio debe ser mayor que 0 y menor que 1.000.000.000, con hasta 8 decimales
exchange-rate-source-invalid = la fuente del tipo de cambio lleva entre 1 y 200 caracteres
product-weight-out-of-range = weightGrams va de 1 a { $max } gramos

# Variants
variant-not-found = no existe esa variante de este producto
variant-option-missing = falta elegir { $option }
variant-option-unknown = este producto no tiene la opción «{ $option }»
variant-combination-missing = este producto no se vende en { $combination }
variant-options-count = un producto tiene entre 1 y { $max } opciones
variant-label-length = cada nombre o valor tiene entre 1 y { $max } caracteres
variant-option-repeated = esta opción aparece dos veces
variant-values-count = una opción tiene entre 1 y { $max } valores
variant-value-repeated = el valor «{ $value }» aparece dos veces
variant-count = un producto tiene entre 1 y { $max } variantes
variant-options-mismatch = cada variante lleva un valor de cada opción del producto, y solo esos
variant-combination-repeated = otra variante ya es { $combination }
variant-sku-taken = otro producto de esta tienda ya tiene este SKU en una variante
variant-options-and-variants = las opciones y las variantes van juntas
variant-stock-per-variant = este producto tiene variantes: su stock se carga en cada variante
product-stock-required = el stock es obligatorio cuando el producto no tiene variantes

# Product images
image-not-an-image = el archivo no es una imagen JPEG, PNG ni WebP (se mira su contenido, no su nombre)
image-too-many-bytes = la imagen pesa más de { $max_mib } MiB
image-too-many-pixels = la imagen mide { $width } × { $height } píxeles; el máximo es { $max_megapixels } megapíxeles
image-corrupt = la imagen está dañada o incompleta y no se puede leer
image-count = un producto tiene como máximo { $max } imágenes
image-not-found = no existe esa imagen
image-order-incomplete = el orden debe nombrar cada imagen del producto una sola vez
image-alt-too-long = el texto alternativo tiene como máximo { $max } caracteres
image-file-missing = no llegó ningún archivo: la imagen se envía como multipart/form-data
