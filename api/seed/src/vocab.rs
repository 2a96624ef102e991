//! The words the demo catalogue is made of: Southern Cone cities with their coordinates,
//! textile product types, materials, colours, patterns, names and review texts.

/// How a demo product is sold; written as the `product_unit` enum's label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductUnit {
    /// By the piece (clothing, towels).
    Piece,
    /// By the metre (fabric off the roll).
    Metre,
    /// By the kilogram (yarn, fibre).
    Kilogram,
}

/// A city stores can be in.
pub struct City {
    pub name: &'static str,
    pub region: &'static str,
    pub country: &'static str,
    pub lat: f64,
    pub lon: f64,
}

const fn city(
    name: &'static str,
    region: &'static str,
    country: &'static str,
    lat: f64,
    lon: f64,
) -> City {
    City {
        name,
        region,
        country,
        lat,
        lon,
    }
}

/// Real coordinates of real cities (city centres).
pub const CITIES: &[City] = &[
    city(
        "Buenos Aires",
        "Ciudad Autónoma de Buenos Aires",
        "AR",
        -34.6037,
        -58.3816,
    ),
    city("Córdoba", "Córdoba", "AR", -31.4201, -64.1888),
    city("Rosario", "Santa Fe", "AR", -32.9442, -60.6505),
    city("Mendoza", "Mendoza", "AR", -32.8895, -68.8458),
    city("La Plata", "Buenos Aires", "AR", -34.9215, -57.9545),
    city("Mar del Plata", "Buenos Aires", "AR", -38.0055, -57.5426),
    city("San Miguel de Tucumán", "Tucumán", "AR", -26.8083, -65.2176),
    city("Salta", "Salta", "AR", -24.7821, -65.4232),
    city(
        "San Carlos de Bariloche",
        "Río Negro",
        "AR",
        -41.1335,
        -71.3103,
    ),
    city("Neuquén", "Neuquén", "AR", -38.9516, -68.0591),
    city("Santiago", "Región Metropolitana", "CL", -33.4489, -70.6693),
    city("Valparaíso", "Valparaíso", "CL", -33.0472, -71.6127),
    city("Concepción", "Biobío", "CL", -36.8201, -73.0444),
    city("La Serena", "Coquimbo", "CL", -29.9027, -71.2519),
    city("Temuco", "La Araucanía", "CL", -38.7359, -72.5904),
    city("Antofagasta", "Antofagasta", "CL", -23.6509, -70.3975),
    city("Montevideo", "Montevideo", "UY", -34.9011, -56.1645),
    city("Punta del Este", "Maldonado", "UY", -34.9475, -54.9338),
    city("Salto", "Salto", "UY", -31.3833, -57.9667),
    city(
        "Colonia del Sacramento",
        "Colonia",
        "UY",
        -34.4626,
        -57.8398,
    ),
    city("Asunción", "Capital", "PY", -25.2637, -57.5759),
    city("Ciudad del Este", "Alto Paraná", "PY", -25.5097, -54.6111),
    city("Encarnación", "Itapúa", "PY", -27.3306, -55.8667),
    city("Lima", "Lima", "PE", -12.0464, -77.0428),
    city("Arequipa", "Arequipa", "PE", -16.4090, -71.5375),
    city("Cusco", "Cusco", "PE", -13.5320, -71.9675),
    city("Trujillo", "La Libertad", "PE", -8.1091, -79.0215),
];

/// The currency and a rough rate from one US dollar, per country.
pub fn currency(country: &str) -> (&'static str, f64) {
    match country {
        "AR" => ("ARS", 1000.0),
        "CL" => ("CLP", 950.0),
        "UY" => ("UYU", 40.0),
        "PY" => ("PYG", 7500.0),
        _ => ("PEN", 3.8),
    }
}

/// Top-level categories: (slug, name).
pub const ROOT_CATEGORIES: &[(&str, &str)] = &[
    ("telas", "Telas"),
    ("ropa", "Ropa"),
    ("hogar", "Textiles para el hogar"),
    ("hilados", "Hilados y lanas"),
];

/// Leaf categories: (slug, name, parent slug).
pub const CATEGORIES: &[(&str, &str, &str)] = &[
    ("telas-naturales", "Telas naturales", "telas"),
    ("telas-sinteticas", "Telas sintéticas", "telas"),
    ("denim-y-gabardina", "Denim y gabardina", "telas"),
    ("camisas-y-blusas", "Camisas y blusas", "ropa"),
    ("vestidos-y-faldas", "Vestidos y faldas", "ropa"),
    ("pantalones", "Pantalones y jeans", "ropa"),
    ("remeras", "Remeras y buzos", "ropa"),
    ("abrigos", "Abrigos y tejidos", "ropa"),
    ("accesorios", "Accesorios", "ropa"),
    ("ropa-de-cama", "Ropa de cama", "hogar"),
    ("mantas", "Mantas y frazadas", "hogar"),
    ("bano", "Toallas y baño", "hogar"),
    ("cortinas", "Cortinas", "hogar"),
    ("mesa", "Mantelería", "hogar"),
    ("deco", "Almohadones y alfombras", "hogar"),
    ("lanas", "Lanas para tejer", "hilados"),
    ("hilos", "Hilos y vellones", "hilados"),
];

/// Which sizes a product type comes in.
#[derive(Clone, Copy)]
pub enum Sizing {
    None,
    Letters,
    Numbers,
    Beds,
}

/// Grammatical gender, for adjective agreement ("camisa blanca", "vestido blanco").
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    M,
    F,
}

/// A kind of product.
pub struct ProductType {
    pub noun: &'static str,
    pub gender: Gender,
    pub category: &'static str,
    pub unit: ProductUnit,
    /// Price range of one unit in US dollars.
    pub usd: (f64, f64),
    pub sizing: Sizing,
    /// Materials (indexes into [`MATERIALS`]) this type is made of.
    pub materials: &'static [usize],
}

const fn pt(
    noun: &'static str,
    gender: Gender,
    category: &'static str,
    unit: ProductUnit,
    usd: (f64, f64),
    sizing: Sizing,
    materials: &'static [usize],
) -> ProductType {
    ProductType {
        noun,
        gender,
        category,
        unit,
        usd,
        sizing,
        materials,
    }
}

use Gender::{F, M};
use ProductUnit::{Kilogram, Metre, Piece};
use Sizing::{Beds, Letters, None as NoSize, Numbers};

/// Labels of materials, as sellers write them.
pub const MATERIALS: &[&str] = &[
    "Algodón",
    "Lino",
    "Lana merino",
    "Alpaca",
    "Seda",
    "Poliéster",
    "Viscosa",
    "Modal",
    "Bambú",
    "Cashmere",
    "Acrílico",
    "Lana de oveja",
    "Llama",
    "Elastano",
    "Nylon",
    "Algodón orgánico",
];

/// The product types of the demo catalogue.
pub const PRODUCT_TYPES: &[ProductType] = &[
    pt(
        "Tela de gabardina",
        F,
        "denim-y-gabardina",
        Metre,
        (4.0, 12.0),
        NoSize,
        &[0, 5, 13],
    ),
    pt(
        "Tela denim",
        F,
        "denim-y-gabardina",
        Metre,
        (5.0, 14.0),
        NoSize,
        &[0, 13, 15],
    ),
    pt(
        "Mezclilla",
        F,
        "denim-y-gabardina",
        Metre,
        (5.0, 13.0),
        NoSize,
        &[0, 13],
    ),
    pt(
        "Lienzo",
        M,
        "telas-naturales",
        Metre,
        (3.0, 8.0),
        NoSize,
        &[0, 1, 15],
    ),
    pt(
        "Popelina",
        F,
        "telas-naturales",
        Metre,
        (3.0, 9.0),
        NoSize,
        &[0, 5],
    ),
    pt(
        "Tela de lino",
        F,
        "telas-naturales",
        Metre,
        (8.0, 20.0),
        NoSize,
        &[1],
    ),
    pt(
        "Paño",
        M,
        "telas-naturales",
        Metre,
        (10.0, 25.0),
        NoSize,
        &[2, 11, 3],
    ),
    pt(
        "Gasa",
        F,
        "telas-naturales",
        Metre,
        (4.0, 15.0),
        NoSize,
        &[4, 0, 6],
    ),
    pt(
        "Raso",
        M,
        "telas-sinteticas",
        Metre,
        (4.0, 12.0),
        NoSize,
        &[4, 5],
    ),
    pt(
        "Jersey",
        M,
        "telas-sinteticas",
        Metre,
        (4.0, 10.0),
        NoSize,
        &[0, 6, 7, 13],
    ),
    pt(
        "Tela polar",
        F,
        "telas-sinteticas",
        Metre,
        (3.0, 8.0),
        NoSize,
        &[5],
    ),
    pt(
        "Tul",
        M,
        "telas-sinteticas",
        Metre,
        (2.0, 6.0),
        NoSize,
        &[14, 5],
    ),
    pt(
        "Lycra",
        F,
        "telas-sinteticas",
        Metre,
        (5.0, 12.0),
        NoSize,
        &[13, 14],
    ),
    pt(
        "Tela de toalla",
        F,
        "telas-naturales",
        Metre,
        (5.0, 11.0),
        NoSize,
        &[0, 8],
    ),
    pt(
        "Camisa",
        F,
        "camisas-y-blusas",
        Piece,
        (18.0, 60.0),
        Letters,
        &[0, 1, 15, 6],
    ),
    pt(
        "Blusa",
        F,
        "camisas-y-blusas",
        Piece,
        (15.0, 55.0),
        Letters,
        &[0, 4, 6, 1],
    ),
    pt(
        "Vestido",
        M,
        "vestidos-y-faldas",
        Piece,
        (25.0, 90.0),
        Letters,
        &[0, 1, 4, 6],
    ),
    pt(
        "Falda",
        F,
        "vestidos-y-faldas",
        Piece,
        (15.0, 50.0),
        Letters,
        &[0, 1, 6],
    ),
    pt(
        "Pollera",
        F,
        "vestidos-y-faldas",
        Piece,
        (15.0, 50.0),
        Letters,
        &[0, 1, 6, 11],
    ),
    pt(
        "Pantalón",
        M,
        "pantalones",
        Piece,
        (20.0, 70.0),
        Numbers,
        &[0, 1, 5],
    ),
    pt(
        "Jean",
        M,
        "pantalones",
        Piece,
        (25.0, 80.0),
        Numbers,
        &[0, 13],
    ),
    pt(
        "Remera",
        F,
        "remeras",
        Piece,
        (8.0, 30.0),
        Letters,
        &[0, 15, 7, 8],
    ),
    pt(
        "Camiseta",
        F,
        "remeras",
        Piece,
        (8.0, 30.0),
        Letters,
        &[0, 15, 5],
    ),
    pt(
        "Buzo",
        M,
        "remeras",
        Piece,
        (20.0, 60.0),
        Letters,
        &[0, 5, 10],
    ),
    pt(
        "Sweater",
        M,
        "abrigos",
        Piece,
        (30.0, 110.0),
        Letters,
        &[2, 3, 9, 10, 11],
    ),
    pt(
        "Cárdigan",
        M,
        "abrigos",
        Piece,
        (30.0, 100.0),
        Letters,
        &[2, 3, 10],
    ),
    pt(
        "Campera",
        F,
        "abrigos",
        Piece,
        (45.0, 160.0),
        Letters,
        &[5, 14, 0],
    ),
    pt(
        "Poncho",
        M,
        "abrigos",
        Piece,
        (40.0, 180.0),
        NoSize,
        &[3, 11, 12, 2],
    ),
    pt(
        "Ruana",
        F,
        "abrigos",
        Piece,
        (35.0, 140.0),
        NoSize,
        &[3, 11, 12],
    ),
    pt(
        "Bufanda",
        F,
        "accesorios",
        Piece,
        (10.0, 45.0),
        NoSize,
        &[2, 3, 9, 10],
    ),
    pt(
        "Chal",
        M,
        "accesorios",
        Piece,
        (15.0, 70.0),
        NoSize,
        &[3, 4, 9],
    ),
    pt(
        "Gorro",
        M,
        "accesorios",
        Piece,
        (8.0, 30.0),
        NoSize,
        &[2, 3, 10, 11],
    ),
    pt(
        "Pañuelo",
        M,
        "accesorios",
        Piece,
        (6.0, 25.0),
        NoSize,
        &[4, 0, 6],
    ),
    pt(
        "Juego de sábanas",
        M,
        "ropa-de-cama",
        Piece,
        (30.0, 120.0),
        Beds,
        &[0, 15, 8],
    ),
    pt(
        "Acolchado",
        M,
        "ropa-de-cama",
        Piece,
        (50.0, 200.0),
        Beds,
        &[0, 5],
    ),
    pt(
        "Funda de almohada",
        F,
        "ropa-de-cama",
        Piece,
        (6.0, 20.0),
        NoSize,
        &[0, 1, 4],
    ),
    pt(
        "Frazada",
        F,
        "mantas",
        Piece,
        (30.0, 120.0),
        Beds,
        &[11, 2, 10],
    ),
    pt(
        "Manta",
        F,
        "mantas",
        Piece,
        (25.0, 110.0),
        NoSize,
        &[3, 11, 12, 10],
    ),
    pt(
        "Cobija",
        F,
        "mantas",
        Piece,
        (25.0, 100.0),
        Beds,
        &[3, 10, 11],
    ),
    pt("Toalla", F, "bano", Piece, (6.0, 20.0), NoSize, &[0, 8, 15]),
    pt(
        "Toallón",
        M,
        "bano",
        Piece,
        (12.0, 35.0),
        NoSize,
        &[0, 8, 15],
    ),
    pt(
        "Cortina",
        F,
        "cortinas",
        Piece,
        (20.0, 90.0),
        NoSize,
        &[1, 5, 0],
    ),
    pt("Mantel", M, "mesa", Piece, (15.0, 60.0), NoSize, &[1, 0, 5]),
    pt(
        "Camino de mesa",
        M,
        "mesa",
        Piece,
        (8.0, 30.0),
        NoSize,
        &[1, 0],
    ),
    pt(
        "Almohadón",
        M,
        "deco",
        Piece,
        (8.0, 35.0),
        NoSize,
        &[0, 1, 11, 3],
    ),
    pt(
        "Alfombra",
        F,
        "deco",
        Piece,
        (40.0, 250.0),
        NoSize,
        &[11, 12, 0],
    ),
    pt(
        "Lana para tejer",
        F,
        "lanas",
        Kilogram,
        (20.0, 60.0),
        NoSize,
        &[2, 11, 10],
    ),
    pt(
        "Hilado de alpaca",
        M,
        "lanas",
        Kilogram,
        (40.0, 110.0),
        NoSize,
        &[3],
    ),
    pt(
        "Vellón",
        M,
        "hilos",
        Kilogram,
        (10.0, 30.0),
        NoSize,
        &[11, 12, 3],
    ),
    pt(
        "Hilo de algodón",
        M,
        "hilos",
        Kilogram,
        (12.0, 35.0),
        NoSize,
        &[0, 15],
    ),
];

/// Colours: (label, masculine form, feminine form).
pub const COLORS: &[(&str, &str, &str)] = &[
    ("Blanco", "blanco", "blanca"),
    ("Negro", "negro", "negra"),
    ("Rojo", "rojo", "roja"),
    ("Azul", "azul", "azul"),
    ("Azul marino", "azul marino", "azul marino"),
    ("Celeste", "celeste", "celeste"),
    ("Verde", "verde", "verde"),
    ("Verde oliva", "verde oliva", "verde oliva"),
    ("Amarillo", "amarillo", "amarilla"),
    ("Naranja", "naranja", "naranja"),
    ("Rosa", "rosa", "rosa"),
    ("Gris", "gris", "gris"),
    ("Beige", "beige", "beige"),
    ("Marrón", "marrón", "marrón"),
    ("Bordó", "bordó", "bordó"),
    ("Violeta", "violeta", "violeta"),
    ("Crudo", "crudo", "cruda"),
    ("Terracota", "terracota", "terracota"),
    ("Mostaza", "mostaza", "mostaza"),
    ("Turquesa", "turquesa", "turquesa"),
];

/// Patterns: (masculine, feminine); empty means plain and is left out of names.
pub const PATTERNS: &[(&str, &str)] = &[
    ("", ""),
    ("", ""),
    ("liso", "lisa"),
    ("a rayas", "a rayas"),
    ("a cuadros", "a cuadros"),
    ("estampado", "estampada"),
    ("floreado", "floreada"),
    ("con lunares", "con lunares"),
    ("jacquard", "jacquard"),
    ("bordado", "bordada"),
    ("tejido a mano", "tejida a mano"),
    ("artesanal", "artesanal"),
];

/// Letter sizes.
pub const LETTER_SIZES: &[&str] = &["XS", "S", "M", "L", "XL", "XXL"];
/// Trouser sizes.
pub const NUMBER_SIZES: &[&str] = &["36", "38", "40", "42", "44", "46", "48"];
/// Bed sizes.
pub const BED_SIZES: &[&str] = &["1 plaza", "1 ½ plaza", "2 plazas", "Queen", "King"];

/// Uses shoppers give products, for descriptions.
pub const USES: &[&str] = &[
    "el día a día",
    "el invierno patagónico",
    "noches frescas de verano",
    "regalar",
    "confeccionar prendas a medida",
    "tapicería y decoración",
    "eventos y fiestas",
    "la casa de campo",
    "bebés y niños",
    "uso profesional en talleres de costura",
];

/// Care instructions.
pub const CARE: &[&str] = &[
    "lavar a mano con agua fría",
    "lavarropas en ciclo delicado a 30 °C",
    "limpieza en seco",
    "no usar secadora; secar a la sombra",
    "planchar a temperatura media",
];

/// Store name prefixes.
pub const STORE_PREFIXES: &[&str] = &[
    "Textil",
    "Telas",
    "Tienda",
    "Casa",
    "Hilandería",
    "Tejidos",
    "Lanas",
    "Blanquería",
    "Mercería",
    "Atelier",
    "Almacén de Telas",
    "Taller",
];

/// Surnames common across the region.
pub const SURNAMES: &[&str] = &[
    "García",
    "Fernández",
    "López",
    "Martínez",
    "González",
    "Rodríguez",
    "Pérez",
    "Sánchez",
    "Romero",
    "Díaz",
    "Álvarez",
    "Torres",
    "Ruiz",
    "Ramírez",
    "Flores",
    "Benítez",
    "Acosta",
    "Medina",
    "Herrera",
    "Suárez",
    "Aguirre",
    "Giménez",
    "Gutiérrez",
    "Pereyra",
    "Rojas",
    "Molina",
    "Castro",
    "Ortiz",
    "Silva",
    "Núñez",
    "Luna",
    "Quispe",
    "Mamani",
    "Huamán",
    "Vargas",
    "Cáceres",
    "Villalba",
    "Ñancupil",
    "Peña",
    "Muñoz",
];

/// Place-like store name endings.
pub const STORE_PLACES: &[&str] = &[
    "del Sur",
    "Andina",
    "Patagonia",
    "del Plata",
    "Pampa",
    "Altiplano",
    "Los Andes",
    "del Pacífico",
    "Guaraní",
    "del Litoral",
    "Austral",
    "del Valle",
];

/// First names.
pub const FIRST_NAMES: &[&str] = &[
    "María",
    "Juan",
    "Lucía",
    "Martín",
    "Sofía",
    "Mateo",
    "Valentina",
    "Santiago",
    "Camila",
    "Benjamín",
    "Catalina",
    "Joaquín",
    "Florencia",
    "Tomás",
    "Agustina",
    "Diego",
    "Carolina",
    "Facundo",
    "Paula",
    "Nicolás",
    "Rosa",
    "Pedro",
    "Ana",
    "Luis",
    "Ignacio",
    "Milagros",
];

/// Review texts by rating (index 0 is one star).
pub const REVIEW_TEXTS: [&[&str]; 5] = [
    &[
        "No se parece a la foto, la tela es muy finita.",
        "Llegó con una mancha y tardaron en responder.",
    ],
    &[
        "El color es bastante distinto al de la foto.",
        "La talla viene muy chica, pidan dos más.",
    ],
    &[
        "Correcto por el precio, nada especial.",
        "La calidad está bien pero el envío demoró.",
    ],
    &[
        "Muy buena calidad, la tela es suave.",
        "Lindo producto, la talla viene un poco chica.",
        "Buena terminación de costuras.",
    ],
    &[
        "Excelente, tal cual la foto y llegó rapidísimo.",
        "Abriga muchísimo, ideal para el invierno.",
        "Hermoso tejido, se nota el trabajo artesanal.",
        "Excelente atención de la tienda, volveré a comprar.",
    ],
];

/// Opening lines of buyer messages.
pub const BUYER_MESSAGES: &[&str] = &[
    "Hola, ¿tienen este producto en otro color?",
    "Buenas tardes, ¿hacen envíos al interior?",
    "¿Cuánto tarda el envío a mi ciudad?",
    "Hola, ¿el ancho de la tela es de 1,50 m?",
    "¿Tienen talles más grandes?",
    "¿Puedo retirar en el local?",
];

/// Seller replies.
pub const SELLER_MESSAGES: &[&str] = &[
    "¡Hola! Sí, tenemos stock, te lo reservamos.",
    "Sí, enviamos a todo el país en 3 a 5 días hábiles.",
    "El ancho es de 1,50 m, se vende por metro.",
    "Podés retirar de lunes a sábado de 9 a 18 h.",
    "Gracias por escribirnos, cualquier duda estamos a disposición.",
];
