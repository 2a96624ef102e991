//! Deterministic demo data: a Spanish textile catalogue in real Southern Cone cities. Its own
//! crate, so the API's code holds no demo data; the API runs it on `textisur seed` and on
//! an empty database at `serve` (`textisur_api::runtime::demo`).
//!
//! The same plan and seed always give the same rows (ids included), so benchmarks and bug
//! reports can name them. Everything is written in one transaction with COPY: a seed either
//! lands whole or not at all, and 100,000 products take seconds.

mod copy;
pub mod vocab;

use std::collections::HashSet;

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use sqlx::{PgConnection, Postgres, Transaction};

use self::copy::CopyRows;
use self::vocab::{Gender, ProductType, Sizing};
use sqlx::PgPool;

use self::vocab::ProductUnit;

/// How much demo data to make.
#[derive(Clone, Debug)]
pub struct SeedPlan {
    pub products: u32,
    pub stores: u32,
    pub buyers: u32,
    pub orders: u32,
    pub conversations: u32,
    pub seed: u64,
    /// Whether every account gets [`DEMO_PASSWORD`]; otherwise a random password that is
    /// never shown, so nobody can sign in as a seeded account (production's `--demo-data`).
    pub published_password: bool,
    /// Whether a third of the clothing sold by the piece in several sizes gets one variant
    /// per size and colour ([`write_variants`]); otherwise every product keeps its one
    /// default variant (tests that pick seeded products to buy by product id).
    pub variants: bool,
}

impl SeedPlan {
    /// The password every seeded account gets: [`DEMO_PASSWORD`], or when it is not to be
    /// published a random one that is never shown. Hash it once for [`seed`]: hashing
    /// thousands would take minutes for nothing.
    pub fn password(&self) -> String {
        if self.published_password {
            DEMO_PASSWORD.to_owned()
        } else {
            use rand::distr::{Alphanumeric, SampleString};
            // A cryptographic generator seeded by the operating system, not the plan's
            // reproducible one.
            Alphanumeric.sample_string(&mut rand::rng(), 32)
        }
    }

    /// A plan scaled from the number of products.
    pub fn for_products(products: u32, seed: u64) -> Self {
        Self {
            products,
            stores: (products / 250).clamp(5, 2000),
            buyers: (products / 50).clamp(20, 20_000),
            orders: (products / 20).max(10),
            conversations: (products / 50).max(10),
            seed,
            published_password: true,
            variants: true,
        }
    }
}

/// The seeded administrator's email.
pub const ADMIN_EMAIL: &str = "admin@textisur.example";
/// The password of every seeded account (demo data only: documented in the README).
pub const DEMO_PASSWORD: &str = "lana de alpaca";

/// Whether the database holds no users and no products (the only state `seed` writes into).
pub async fn catalogue_is_empty(pool: &PgPool) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM products)
               AS "empty!""#
    )
    .fetch_one(pool)
    .await?)
}

/// Writes the plan's demo data into an empty database; every account gets the password
/// whose hash is `password_hash` (see [`SeedPlan::password`]).
pub async fn seed(
    pool: &PgPool,
    plan: &SeedPlan,
    password_hash: String,
    progress: bool,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut tx = pool.begin().await?;
    // Two processes starting on one empty database must not both seed it.
    sqlx::query!("SELECT pg_advisory_xact_lock(7357)")
        .fetch_one(&mut *tx)
        .await?;
    let empty = sqlx::query_scalar!(
        r#"SELECT NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM products)
               AS "empty!""#
    )
    .fetch_one(&mut *tx)
    .await?;
    if !empty {
        bail!("seed needs an empty database (it has users or products already)");
    }
    let bar = if progress {
        let bar = ProgressBar::new(u64::from(plan.products));
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>10} [{bar:40}] {pos}/{len} products ({per_sec}, {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut g = Generator::new(plan, password_hash);
    bar.set_message("stores");
    g.write_people_and_stores(&mut tx).await?;
    g.write_categories(&mut tx).await?;
    bar.set_message("products");
    g.write_products(&mut tx, &bar).await?;
    bar.set_message("reviews");
    g.write_reviews(&mut tx).await?;
    bar.set_message("orders");
    g.write_orders(&mut tx).await?;
    g.write_conversations(&mut tx).await?;
    if plan.variants {
        bar.set_message("variants");
        write_variants(&mut tx).await?;
    }
    bar.set_message("indexes");
    finish(&mut tx).await?;
    tx.commit().await?;
    bar.finish_and_clear();
    tracing::info!(
        products = plan.products,
        stores = plan.stores,
        seconds = started.elapsed().as_secs_f64(),
        "seeded demo data"
    );
    Ok(())
}

async fn copy_in(
    conn: &mut PgConnection,
    statement: &'static str,
    rows: &mut CopyRows,
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut copy = conn.copy_in_raw(statement).await.context(statement)?;
    copy.send(rows.take().into_bytes()).await?;
    copy.finish().await.context(statement)?;
    Ok(())
}

/// Aggregates and sequences, once every row is in.
/// Gives a third of the clothing sold by the piece in two or more sizes the options Talle
/// and Color, with one variant per size and colour (SKU `<product SKU>-<size>-<colour>`)
/// sharing its stock, as shops list t-shirts. Their default variants go off sale and, when
/// no seeded order names them, away.
async fn write_variants(tx: &mut Transaction<'_, Postgres>) -> anyhow::Result<()> {
    macro_rules! run_each {
        ($($statement:literal),+ $(,)?) => {
            $(sqlx::query!($statement)
                .execute(&mut **tx)
                .await
                .context($statement)?;)+
        };
    }
    run_each!(
        r#"INSERT INTO product_options (product_id, position, name, "values")
           SELECT id, 0, 'Talle', sizes FROM products
           WHERE unit = 'PIECE' AND cardinality(sizes) >= 2 AND cardinality(colors) >= 1
             AND id % 3 = 0"#,
        r#"INSERT INTO product_options (product_id, position, name, "values")
           SELECT p.id, 1, 'Color', p.colors FROM products p
           JOIN product_options o ON o.product_id = p.id AND o.position = 0"#,
        "INSERT INTO product_variants (product_id, store_id, sku, options, stock, position)
         SELECT p.id, p.store_id,
                p.sku || '-' || upper(s.value) || '-' || upper(c.value),
                ARRAY[s.value, c.value],
                floor(d.stock / (cardinality(p.sizes) * cardinality(p.colors))),
                ((s.n - 1) * cardinality(p.colors) + c.n - 1)::int
         FROM products p
         JOIN product_variants d ON d.product_id = p.id AND d.options = '{}'
         CROSS JOIN LATERAL unnest(p.sizes) WITH ORDINALITY AS s(value, n)
         CROSS JOIN LATERAL unnest(p.colors) WITH ORDINALITY AS c(value, n)
         WHERE EXISTS (SELECT 1 FROM product_options o WHERE o.product_id = p.id AND o.position = 1)",
        "UPDATE product_variants v SET is_active = false
         WHERE v.options = '{}'
           AND EXISTS (SELECT 1 FROM product_options o WHERE o.product_id = v.product_id)",
        "DELETE FROM product_variants v
         WHERE NOT v.is_active AND v.options = '{}'
           AND NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.variant_id = v.id)",
    );
    Ok(())
}

async fn finish(tx: &mut Transaction<'_, Postgres>) -> anyhow::Result<()> {
    // Each statement on its own, each checked against the schema at compile time.
    macro_rules! run_each {
        ($($statement:literal),+ $(,)?) => {
            $(sqlx::query!($statement)
                .fetch_all(&mut **tx)
                .await
                .context($statement)?;)+
        };
    }
    run_each!(
        "UPDATE products p SET rating = a.rating, review_count = a.n
         FROM (SELECT product_id, round(avg(rating), 2) AS rating, count(*) AS n
               FROM reviews GROUP BY product_id) a
         WHERE p.id = a.product_id",
        "UPDATE stores s SET rating = a.rating
         FROM (SELECT p.store_id, round(avg(r.rating), 2) AS rating
               FROM reviews r JOIN products p ON p.id = r.product_id GROUP BY p.store_id) a
         WHERE s.id = a.store_id",
        "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))",
        "SELECT setval(pg_get_serial_sequence('stores', 'id'), (SELECT max(id) FROM stores))",
        "SELECT setval(pg_get_serial_sequence('categories', 'id'), (SELECT max(id) FROM categories))",
        "SELECT setval(pg_get_serial_sequence('products', 'id'), (SELECT max(id) FROM products))",
        "SELECT setval(pg_get_serial_sequence('reviews', 'id'), GREATEST(1, (SELECT max(id) FROM reviews)))",
        "SELECT setval(pg_get_serial_sequence('orders', 'id'), GREATEST(1, (SELECT max(id) FROM orders)))",
        "SELECT setval('order_number_seq', 100000 + GREATEST(1, (SELECT max(id) FROM orders)))",
        "SELECT setval(pg_get_serial_sequence('order_status_history', 'id'), GREATEST(1, (SELECT max(id) FROM order_status_history)))",
        "SELECT setval(pg_get_serial_sequence('conversations', 'id'), GREATEST(1, (SELECT max(id) FROM conversations)))",
        "SELECT setval(pg_get_serial_sequence('messages', 'id'), GREATEST(1, (SELECT max(id) FROM messages)))",
        "ANALYZE",
    );
    Ok(())
}

/// What later steps need to know about a seeded product.
struct SeededProduct {
    id: i64,
    name: String,
    unit: ProductUnit,
    price: Decimal,
    min_quantity: Decimal,
    step: Decimal,
}

struct SeededStore {
    id: i64,
    owner: i64,
    city: &'static vocab::City,
    currency: &'static str,
    rate: f64,
}

struct Generator<'a> {
    plan: &'a SeedPlan,
    rng: ChaCha8Rng,
    /// Timestamps count back from here, not from now, so a seed is reproducible.
    epoch: DateTime<Utc>,
    stores: Vec<SeededStore>,
    products: Vec<SeededProduct>,
    products_by_store: Vec<Vec<usize>>,
    category_ids: Vec<(&'static str, i64)>,
    buyer_ids: Vec<i64>,
    password_hash: String,
}

impl<'a> Generator<'a> {
    fn new(plan: &'a SeedPlan, password_hash: String) -> Self {
        Self {
            plan,
            password_hash,
            rng: ChaCha8Rng::seed_from_u64(plan.seed),
            epoch: Utc
                .with_ymd_and_hms(2026, 11, 1, 12, 0, 0)
                .single()
                .unwrap_or_default(),
            stores: Vec::new(),
            products: Vec::new(),
            products_by_store: Vec::new(),
            category_ids: Vec::new(),
            buyer_ids: Vec::new(),
        }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        *items.choose(&mut self.rng).unwrap_or(&items[0])
    }

    fn past(&mut self, max_days: i64) -> DateTime<Utc> {
        self.epoch - Duration::seconds(self.rng.random_range(0..max_days * 86_400))
    }

    fn person_name(&mut self) -> String {
        format!(
            "{} {}",
            self.pick(vocab::FIRST_NAMES),
            self.pick(vocab::SURNAMES)
        )
    }

    async fn write_people_and_stores(
        &mut self,
        tx: &mut Transaction<'_, Postgres>,
    ) -> anyhow::Result<()> {
        let mut users = CopyRows::default();
        let mut stores = CopyRows::default();
        let mut id = 1_i64;
        let created = self.past(900);
        users
            .value(id)
            .text(ADMIN_EMAIL)
            .text("Administración TextiSur")
            .value("ADMIN")
            .text(&self.password_hash)
            .value(created)
            .value(created)
            .end();
        let mut slugs = HashSet::new();
        for i in 0..self.plan.stores {
            id += 1;
            let owner = id;
            let name = self.person_name();
            let created = self.past(900);
            let email = format!("vendedor{}@textisur.example", i + 1);
            users
                .value(owner)
                .text(&email)
                .text(&name)
                .value("SELLER")
                .text(&self.password_hash)
                .value(created)
                .value(created)
                .end();
            let city = &vocab::CITIES[self.rng.random_range(0..vocab::CITIES.len())];
            let store_name = if self.rng.random_bool(0.6) {
                format!(
                    "{} {}",
                    self.pick(vocab::STORE_PREFIXES),
                    self.pick(vocab::SURNAMES)
                )
            } else {
                format!(
                    "{} {}",
                    self.pick(vocab::STORE_PREFIXES),
                    self.pick(vocab::STORE_PLACES)
                )
            };
            let base = slug::slugify(format!("{store_name} {}", city.name));
            let mut store_slug = base.clone();
            let mut n = 2;
            while !slugs.insert(store_slug.clone()) {
                store_slug = format!("{base}-{n}");
                n += 1;
            }
            let (currency, rate) = vocab::currency(city.country);
            let lat = city.lat + self.rng.random_range(-0.03..0.03);
            let lon = city.lon + self.rng.random_range(-0.03..0.03);
            let store_id = i64::from(i) + 1;
            let description = format!(
                "{store_name} vende telas, ropa y textiles para el hogar desde {}. Envíos a todo {}.",
                city.name,
                match city.country {
                    "AR" => "el país",
                    "CL" => "Chile",
                    "UY" => "Uruguay",
                    "PY" => "Paraguay",
                    _ => "el Perú",
                }
            );
            stores
                .value(store_id)
                .value(owner)
                .text(&store_slug)
                .text(&store_name)
                .text(&description)
                .text(city.name)
                .text(city.region)
                .text(city.country)
                .text(currency)
                .value(format!("{lat:.6}"))
                .value(format!("{lon:.6}"))
                .value(created)
                .end();
            self.stores.push(SeededStore {
                id: store_id,
                owner,
                city,
                currency,
                rate,
            });
        }
        for i in 0..self.plan.buyers {
            id += 1;
            let name = self.person_name();
            let created = self.past(700);
            let email = format!("comprador{}@textisur.example", i + 1);
            users
                .value(id)
                .text(&email)
                .text(&name)
                .value("BUYER")
                .text(&self.password_hash)
                .value(created)
                .value(created)
                .end();
            self.buyer_ids.push(id);
        }
        copy_in(
            tx,
            "COPY users (id, email, name, role, password_hash, created_at, email_verified_at) FROM STDIN",
            &mut users,
        )
        .await?;
        copy_in(
            tx,
            "COPY stores (id, owner_id, slug, name, description, city, region, country_code, \
             currency_code, latitude, longitude, created_at) FROM STDIN",
            &mut stores,
        )
        .await?;
        self.products_by_store = vec![Vec::new(); self.stores.len()];
        Ok(())
    }

    async fn write_categories(&mut self, tx: &mut Transaction<'_, Postgres>) -> anyhow::Result<()> {
        let mut rows = CopyRows::default();
        let mut id = 0_i64;
        for (position, (slug, name)) in vocab::ROOT_CATEGORIES.iter().enumerate() {
            id += 1;
            rows.value(id)
                .opt(None::<i64>)
                .text(slug)
                .text(name)
                .value(position)
                .end();
            self.category_ids.push((slug, id));
        }
        for (position, (slug, name, parent)) in vocab::CATEGORIES.iter().enumerate() {
            id += 1;
            let parent_id = self.category_id(parent);
            rows.value(id)
                .value(parent_id)
                .text(slug)
                .text(name)
                .value(position)
                .end();
            self.category_ids.push((slug, id));
        }
        copy_in(
            tx,
            "COPY categories (id, parent_id, slug, name, position) FROM STDIN",
            &mut rows,
        )
        .await
    }

    fn category_id(&self, slug: &str) -> i64 {
        self.category_ids
            .iter()
            .find(|(s, _)| *s == slug)
            .map_or(1, |(_, id)| *id)
    }

    async fn write_products(
        &mut self,
        tx: &mut Transaction<'_, Postgres>,
        bar: &ProgressBar,
    ) -> anyhow::Result<()> {
        const BATCH: u32 = 10_000;
        let mut rows = CopyRows::default();
        for i in 0..self.plan.products {
            self.product_row(i, &mut rows);
            if rows.len() as u32 == BATCH || i + 1 == self.plan.products {
                let n = rows.len() as u64;
                copy_in(tx, PRODUCT_COPY, &mut rows).await?;
                bar.inc(n);
            }
        }
        Ok(())
    }

    fn product_row(&mut self, i: u32, rows: &mut CopyRows) {
        let id = i64::from(i) + 1;
        let store = self.rng.random_range(0..self.stores.len());
        let ty: &ProductType =
            &vocab::PRODUCT_TYPES[self.rng.random_range(0..vocab::PRODUCT_TYPES.len())];
        let material = vocab::MATERIALS[self.pick(ty.materials)];
        let (color_label, color_m, color_f) = self.pick(vocab::COLORS);
        let (pattern_m, pattern_f) = self.pick(vocab::PATTERNS);
        let (color, pattern) = match ty.gender {
            Gender::M => (color_m, pattern_m),
            Gender::F => (color_f, pattern_f),
        };
        let material_lower = material.to_lowercase();
        let mut name = if ty.noun.to_lowercase().contains(&material_lower) {
            ty.noun.to_owned()
        } else {
            format!("{} de {material_lower}", ty.noun)
        };
        if !pattern.is_empty() {
            name.push(' ');
            name.push_str(pattern);
        }
        name.push(' ');
        name.push_str(color);
        let mut colors = vec![color_label];
        if self.rng.random_bool(0.25) {
            let (second, _, _) = self.pick(vocab::COLORS);
            if second != color_label {
                colors.push(second);
            }
        }
        let sizes: Vec<&str> = match ty.sizing {
            Sizing::None => Vec::new(),
            Sizing::Letters => pick_range(&mut self.rng, vocab::LETTER_SIZES),
            Sizing::Numbers => pick_range(&mut self.rng, vocab::NUMBER_SIZES),
            Sizing::Beds => pick_range(&mut self.rng, vocab::BED_SIZES),
        };
        let (min_quantity, step, stock) = match ty.unit {
            ProductUnit::Metre => {
                let (min, step) = *[
                    (dec(50, 2), dec(50, 2)),
                    (dec(1, 0), dec(50, 2)),
                    (dec(1, 0), dec(10, 2)),
                ]
                .choose(&mut self.rng)
                .unwrap_or(&(dec(1, 0), dec(50, 2)));
                (
                    min,
                    step,
                    step * Decimal::from(self.rng.random_range(0..1000)),
                )
            }
            ProductUnit::Kilogram => {
                let step = dec(25, 2);
                (
                    step,
                    step,
                    step * Decimal::from(self.rng.random_range(0..400)),
                )
            }
            ProductUnit::Piece => (
                dec(1, 0),
                dec(1, 0),
                Decimal::from(self.rng.random_range(0..120)),
            ),
        };
        let stock = if self.rng.random_bool(0.08) {
            Decimal::ZERO
        } else {
            stock
        };
        let seeded_store = &self.stores[store];
        let usd = self.rng.random_range(ty.usd.0..ty.usd.1);
        let price = round_price(usd * seeded_store.rate);
        let currency = seeded_store.currency;
        let city = seeded_store.city.name;
        let store_id = seeded_store.id;
        let use_case = self.pick(vocab::USES);
        let care = self.pick(vocab::CARE);
        let unit_text = match ty.unit {
            ProductUnit::Metre => " Se vende por metro; ancho 1,50 m.",
            ProductUnit::Kilogram => " Se vende por kilo.",
            ProductUnit::Piece => "",
        };
        let description = format!(
            "{name}. Confeccionado en {} de primera calidad en {city}. Ideal para {use_case}.{unit_text} \
             Cuidado: {care}.",
            material.to_lowercase()
        );
        let slug = format!("{}-{}", slug::slugify(&name), radix36(id as u64));
        let images: Vec<String> = (1..=self.rng.random_range(1..=4))
            .map(|k| format!("https://img.textisur.example/p/{slug}-{k}.jpg"))
            .collect();
        let created = self.past(730);
        let updated = created + Duration::seconds(self.rng.random_range(0..30 * 86_400));
        let updated = updated.min(self.epoch);
        let popularity: f64 = self.rng.random();
        let sales = (popularity.powi(3) * 2000.0) as i32;
        let status = match self.rng.random_range(0..100) {
            0..=1 => "DRAFT",
            2..=3 => "ARCHIVED",
            _ => "ACTIVE",
        };
        let prefix: String = slug::slugify(ty.noun)
            .chars()
            .filter(char::is_ascii_alphabetic)
            .take(3)
            .collect();
        let sku = format!("{}-{id:06}", prefix.to_uppercase());
        let lower = |v: &[&str]| v.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>();
        rows.value(id)
            .value(store_id)
            .value(self.category_id(ty.category))
            .text(&slug)
            .text(&sku)
            .text(&name)
            .text(&description)
            .value(price)
            .text(currency)
            .value(unit_label(ty.unit))
            .value(min_quantity)
            .value(step)
            .value(stock)
            .value(status)
            .array(&[material])
            .array(&lower(&[material]))
            .array(&colors)
            .array(&lower(&colors))
            .array(&sizes)
            .array(&lower(&sizes))
            .array(&images)
            .value(sales)
            .value(created)
            .value(updated)
            .end();
        self.products_by_store[store].push(self.products.len());
        self.products.push(SeededProduct {
            id,
            name,
            unit: ty.unit,
            price,
            min_quantity,
            step,
        });
    }

    async fn write_reviews(&mut self, tx: &mut Transaction<'_, Postgres>) -> anyhow::Result<()> {
        let mut rows = CopyRows::default();
        let mut id = 0_i64;
        for p in 0..self.products.len() {
            if !self.rng.random_bool(0.35) {
                continue;
            }
            let n = self.rng.random_range(1..=6).min(self.buyer_ids.len());
            let authors: Vec<i64> = self
                .buyer_ids
                .choose_multiple(&mut self.rng, n)
                .copied()
                .collect();
            for author in authors {
                id += 1;
                let rating = *[5, 5, 5, 4, 4, 4, 3, 2, 1]
                    .choose(&mut self.rng)
                    .unwrap_or(&5);
                let body = self.pick(vocab::REVIEW_TEXTS[rating as usize - 1]);
                let created = self.past(365);
                rows.value(id)
                    .value(self.products[p].id)
                    .value(author)
                    .value(rating)
                    .text(body)
                    .value(created)
                    .end();
            }
            if rows.len() >= 20_000 {
                copy_in(tx, REVIEW_COPY, &mut rows).await?;
            }
        }
        copy_in(tx, REVIEW_COPY, &mut rows).await
    }

    async fn write_orders(&mut self, tx: &mut Transaction<'_, Postgres>) -> anyhow::Result<()> {
        let mut orders = CopyRows::default();
        let mut lines = CopyRows::default();
        let mut history = CopyRows::default();
        let mut history_id = 0_i64;
        for i in 0..self.plan.orders {
            let order_id = i64::from(i) + 1;
            let store = self.rng.random_range(0..self.stores.len());
            if self.products_by_store[store].is_empty() {
                continue;
            }
            let buyer = self.pick(&self.buyer_ids.clone());
            let n = self
                .rng
                .random_range(1..=3)
                .min(self.products_by_store[store].len());
            let chosen: Vec<usize> = self.products_by_store[store]
                .choose_multiple(&mut self.rng, n)
                .copied()
                .collect();
            let mut total = Decimal::ZERO;
            for p in chosen {
                let product = &self.products[p];
                let quantity = product.min_quantity
                    + product.step * Decimal::from(self.rng.random_range(0..4));
                let line_total = (product.price * quantity).round_dp(2);
                total += line_total;
                lines
                    .value(order_id)
                    .value(product.id)
                    .text(&product.name)
                    .value(unit_label(product.unit))
                    .value(quantity)
                    .value(product.price)
                    .value(line_total)
                    .end();
            }
            let created = self.past(365);
            let path: &[&str] = match self.rng.random_range(0..100) {
                0..=19 => &["PENDING"],
                20..=34 => &["PENDING", "PAID"],
                35..=49 => &["PENDING", "PAID", "SHIPPED"],
                50..=89 => &["PENDING", "PAID", "SHIPPED", "DELIVERED"],
                _ => &["PENDING", "CANCELLED"],
            };
            let seller = self.stores[store].owner;
            let mut at = created;
            for (step, status) in path.iter().enumerate() {
                history_id += 1;
                let by = if step == 0 || *status == "CANCELLED" {
                    buyer
                } else {
                    seller
                };
                history
                    .value(history_id)
                    .value(order_id)
                    .value(status)
                    .value(by)
                    .value(at)
                    .end();
                at += Duration::hours(self.rng.random_range(1..96));
            }
            let last = path.last().copied().unwrap_or("PENDING");
            orders
                .value(order_id)
                .text(&format!("TS-{}", 100_000 + order_id))
                .value(buyer)
                .value(self.stores[store].id)
                .value(last)
                .value(total)
                .text(self.stores[store].currency)
                .value(created)
                .value(at)
                .end();
        }
        copy_in(
            tx,
            "COPY orders (id, number, buyer_id, store_id, status, total, currency_code, created_at, \
             updated_at) FROM STDIN",
            &mut orders,
        )
        .await?;
        copy_in(
            tx,
            "COPY order_lines (order_id, product_id, product_name, unit, quantity, unit_price, \
             line_total) FROM STDIN",
            &mut lines,
        )
        .await?;
        copy_in(
            tx,
            "COPY order_status_history (id, order_id, status, changed_by, changed_at) FROM STDIN",
            &mut history,
        )
        .await
    }

    async fn write_conversations(
        &mut self,
        tx: &mut Transaction<'_, Postgres>,
    ) -> anyhow::Result<()> {
        let mut conversations = CopyRows::default();
        let mut messages = CopyRows::default();
        let mut seen = HashSet::new();
        let mut message_id = 0_i64;
        let mut conversation_id = 0_i64;
        for _ in 0..self.plan.conversations {
            let buyer = self.pick(&self.buyer_ids.clone());
            let store = self.rng.random_range(0..self.stores.len());
            let product = self.products_by_store[store]
                .choose(&mut self.rng)
                .map(|p| self.products[*p].id);
            if !seen.insert((buyer, store)) {
                continue;
            }
            conversation_id += 1;
            let created = self.past(200);
            let mut at = created;
            let n = self.rng.random_range(2..=5);
            for k in 0..n {
                message_id += 1;
                let (sender, body) = if k % 2 == 0 {
                    (buyer, self.pick(vocab::BUYER_MESSAGES))
                } else {
                    (self.stores[store].owner, self.pick(vocab::SELLER_MESSAGES))
                };
                let read =
                    (k + 1 < n || self.rng.random_bool(0.5)).then_some(at + Duration::minutes(30));
                messages
                    .value(message_id)
                    .value(conversation_id)
                    .value(sender)
                    .text(body)
                    .value(at)
                    .opt(read)
                    .end();
                at += Duration::minutes(self.rng.random_range(5..600));
            }
            conversations
                .value(conversation_id)
                .value(buyer)
                .value(self.stores[store].id)
                .opt(product)
                .value(created)
                .value(at)
                .end();
        }
        copy_in(
            tx,
            "COPY conversations (id, buyer_id, store_id, product_id, created_at, last_message_at) FROM STDIN",
            &mut conversations,
        )
        .await?;
        copy_in(
            tx,
            "COPY messages (id, conversation_id, sender_id, body, created_at, read_at) FROM STDIN",
            &mut messages,
        )
        .await
    }
}

const PRODUCT_COPY: &str = "COPY products (id, store_id, category_id, slug, sku, name, description, \
    price, currency_code, unit, min_quantity, quantity_step, stock, status, materials, material_keys, \
    colors, color_keys, sizes, size_keys, images, sales_count, created_at, updated_at) FROM STDIN";

const REVIEW_COPY: &str =
    "COPY reviews (id, product_id, author_id, rating, body, created_at) FROM STDIN";

fn dec(mantissa: i64, scale: u32) -> Decimal {
    Decimal::new(mantissa, scale)
}

fn unit_label(unit: ProductUnit) -> &'static str {
    match unit {
        ProductUnit::Piece => "PIECE",
        ProductUnit::Metre => "METRE",
        ProductUnit::Kilogram => "KILOGRAM",
    }
}

/// Rounds to a shop-like price: two significant figures past the hundreds, `.90`-free.
fn round_price(amount: f64) -> Decimal {
    let magnitude = 10_f64.powi((amount.log10().floor() as i32 - 1).max(-2));
    let rounded = (amount / magnitude).round() * magnitude;
    Decimal::try_from(rounded.max(0.5))
        .unwrap_or(Decimal::ONE)
        .round_dp(2)
}

fn pick_range(rng: &mut ChaCha8Rng, sizes: &[&'static str]) -> Vec<&'static str> {
    let start = rng.random_range(0..sizes.len());
    let end = rng.random_range(start..sizes.len()) + 1;
    sizes[start..end].to_vec()
}

fn radix36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_look_like_shop_prices() {
        assert_eq!(round_price(12_345.0), Decimal::from(12_000));
        assert_eq!(round_price(37.26), Decimal::from(37));
        assert_eq!(round_price(4.567), Decimal::new(46, 1));
    }

    #[test]
    fn radix36_is_compact() {
        assert_eq!(radix36(0), "0");
        assert_eq!(radix36(36), "10");
        assert_eq!(radix36(100_000), "255s");
    }
}
