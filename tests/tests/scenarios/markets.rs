//! Markets: stores in all five countries, 1,000 products priced in their currencies. With a
//! market, listings keep to its stores and filter, sort and bucket prices in its currency;
//! without one, prices compare converted to US dollars at the admins' exchange rates, and a
//! new rate re-ranks the next listing. Every answer is checked against SQL computed here
//! from the rows, never against the index.

use rust_decimal::Decimal;
use serde_json::{Value, json};
use textisur_api::catalogue::products::{ProductListing, ProductSort, db};
use textisur_api::commerce::markets::Market;
use textisur_tests::{Account, TestApp};

/// (country, currency, price scale: how many units a typical price has).
const COUNTRIES: [(&str, &str, i64); 5] = [
    ("AR", "ARS", 20_000),
    ("CL", "CLP", 20_000),
    ("UY", "UYU", 800),
    ("PY", "PYG", 150_000),
    ("PE", "PEN", 80),
];

const PRODUCTS: i64 = 1_000;

/// How soon a rate set through any process reaches every process's listings: the index's
/// freshness bound (a search vocabulary entry's too).
const FRESHNESS: std::time::Duration = std::time::Duration::from_secs(2);

const LISTING: &str = "query($m: Market, $f: ProductFilter, $s: ProductSort, $a: String) {
    products(market: $m, filter: $f, sort: $s, first: 100, after: $a) {
      nodes { id name price { amount currencyCode } }
      pageInfo { hasNextPage endCursor } } }";

const FACETS: &str = "query($m: Market, $f: ProductFilter) {
    products(market: $m, filter: $f, first: 1) {
      totalCount
      facets { priceRanges { min max count currency approximate } } } }";

struct World {
    app: TestApp,
    admin: Account,
}

/// Five stores, one per country, and 1,000 active products spread over them, with prices
/// in each currency's range (whole units for CLP and PYG, cents for the others).
async fn world() -> World {
    let app = TestApp::spawn().await;
    let admin = app.quick_account("Admin", "ADMIN").await;
    let pool = app.db.pool();
    let seller: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, name, role) VALUES ('vende@example.com', 'Vende', 'SELLER')
         RETURNING id",
    )
    .fetch_one(pool)
    .await
    .expect("seller");
    let category: i64 = sqlx::query_scalar(
        "INSERT INTO categories (slug, name) VALUES ('telas', 'Telas') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .expect("category");
    let mut stores = Vec::new();
    for (country, currency, _) in COUNTRIES {
        let store: i64 = sqlx::query_scalar(
            "INSERT INTO stores (owner_id, slug, name, city, region, country_code, currency_code)
             VALUES ($1, $2, $3, 'Capital', 'Centro', $4, $5) RETURNING id",
        )
        .bind(seller)
        .bind(format!("telas-{}", country.to_lowercase()))
        .bind(format!("Telas {country}"))
        .bind(country)
        .bind(currency)
        .fetch_one(pool)
        .await
        .expect("store");
        stores.push(store);
    }
    for i in 0..PRODUCTS {
        let market = (i % 5) as usize;
        let (_, currency, scale) = COUNTRIES[market];
        // Spread over 1 to 4 times the scale, with repeats (ties broken by id).
        let units = scale + (i * 7_919 % 97) * scale * 3 / 97;
        let price = if matches!(currency, "CLP" | "PYG") {
            Decimal::from(units)
        } else {
            Decimal::new(units * 100 + (i * 37 % 100), 2)
        };
        sqlx::query(
            "INSERT INTO products (store_id, category_id, slug, name, price, currency_code, stock)
             VALUES ($1, $2, $3, $4, $5, $6, 10)",
        )
        .bind(stores[market])
        .bind(category)
        .bind(format!("tela-{i}"))
        .bind(format!("Tela número {i}"))
        .bind(price)
        .bind(currency)
        .execute(pool)
        .await
        .expect("product");
    }
    app.sync_search().await;
    World { app, admin }
}

fn global(id: i64) -> String {
    textisur_api::graphql::ids::ProductId(id)
        .to_global()
        .to_string()
}

/// Every product of a listing, page after page, as global ids.
async fn walk(app: &TestApp, market: Option<&str>, filter: Value, sort: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = app
            .data(
                LISTING,
                json!({ "m": market, "f": filter, "s": sort, "a": after }),
            )
            .await;
        let page = &body["products"];
        for node in page["nodes"].as_array().expect("nodes") {
            ids.push(node["id"].as_str().expect("id").to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            return ids;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// The ids SQL lists for `currency` within `[min, max]`, by price then id.
async fn sql_market(
    app: &TestApp,
    currency: &str,
    min: Decimal,
    max: Decimal,
    descending: bool,
) -> Vec<String> {
    let order = if descending {
        "price DESC, id DESC"
    } else {
        "price, id"
    };
    let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM products WHERE status = 'ACTIVE' AND currency_code = $1
           AND price BETWEEN $2 AND $3 ORDER BY {order}"
    )))
    .bind(currency)
    .bind(min)
    .bind(max)
    .fetch_all(app.db.pool())
    .await
    .expect("sql listing");
    ids.into_iter().map(global).collect()
}

/// The ids SQL lists over every market by price converted to US cents at the newest rate
/// of each currency (one float8 multiplication, as the API's), then id.
async fn sql_converted(app: &TestApp, descending: bool) -> Vec<String> {
    let direction = if descending { "DESC" } else { "ASC" };
    let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "WITH rates AS (SELECT DISTINCT ON (currency_code) currency_code, units_per_usd
                        FROM exchange_rates ORDER BY currency_code, id DESC)
         SELECT p.id FROM products p JOIN rates r ON r.currency_code = p.currency_code
         WHERE p.status = 'ACTIVE'
         ORDER BY (p.price * 100)::float8 * (1.0::float8 / r.units_per_usd::float8)
                  {direction}, p.id {direction}"
    )))
    .fetch_all(app.db.pool())
    .await
    .expect("sql converted listing");
    ids.into_iter().map(global).collect()
}

#[tokio::test]
async fn each_market_filters_sorts_and_buckets_in_its_own_currency() {
    let World { app, .. } = world().await;
    for (country, currency, scale) in COUNTRIES {
        let market = Some(country);
        // A band in the middle of the market's prices.
        let (min, max) = (Decimal::from(scale * 2), Decimal::from(scale * 3));
        let filter = json!({ "minPrice": min.to_string(), "maxPrice": max.to_string() });
        let asc = walk(&app, market, filter.clone(), "PRICE_ASC").await;
        let expected = sql_market(&app, currency, min, max, false).await;
        assert!(
            expected.len() > 20,
            "{country}: the band holds {}",
            expected.len()
        );
        assert_eq!(asc, expected, "{country}: PRICE_ASC within the band");
        let desc = walk(&app, market, filter, "PRICE_DESC").await;
        assert_eq!(
            desc,
            sql_market(&app, currency, min, max, true).await,
            "{country}: PRICE_DESC within the band"
        );

        // Every product of the market, newest first: the market's and no other.
        let all = walk(&app, market, json!({}), "NEWEST").await;
        assert_eq!(all.len() as i64, PRODUCTS / 5, "{country}: whole market");
        let mut whole = sql_market(&app, currency, Decimal::ZERO, Decimal::MAX, false).await;
        let mut listed = all.clone();
        whole.sort();
        listed.sort();
        assert_eq!(listed, whole, "{country}: the market's products");

        // Price buckets: in the market's currency, each count what SQL counts in the range.
        let body = app.data(FACETS, json!({ "m": market, "f": {} })).await;
        let ranges = body["products"]["facets"]["priceRanges"]
            .as_array()
            .expect("price ranges")
            .clone();
        assert!(ranges.len() >= 2, "{country}: {ranges:?}");
        let mut total = 0;
        for range in &ranges {
            assert_eq!(range["currency"], currency, "{country}: {range}");
            assert_eq!(range["approximate"], false);
            let bound = |v: &Value| v.as_str().map(|s| s.parse::<Decimal>().expect("decimal"));
            let (low, high) = (bound(&range["min"]), bound(&range["max"]));
            let counted: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM products WHERE status = 'ACTIVE' AND currency_code = $1
                   AND ($2::numeric IS NULL OR price >= $2) AND ($3::numeric IS NULL OR price < $3)",
            )
            .bind(currency)
            .bind(low)
            .bind(high)
            .fetch_one(app.db.pool())
            .await
            .expect("bucket count");
            assert_eq!(range["count"], counted, "{country}: {range}");
            total += counted;
        }
        assert_eq!(total, PRODUCTS / 5, "{country}: buckets cover the market");

        // PostgreSQL, the index's fallback, lists the same.
        let listing = ProductListing {
            market: Market::of_country(country),
            min_price: Some(min),
            max_price: Some(max),
            sort: ProductSort::PriceAsc,
            ..ProductListing::default()
        };
        let rows = db::list(&app.db, &listing, None, 1_000)
            .await
            .expect("sql fallback");
        let from_sql: Vec<String> = rows.iter().map(|h| global(h.product.id.0)).collect();
        assert_eq!(from_sql, asc, "{country}: PostgreSQL fallback");
    }

    // Stores and suggestions keep to the market too.
    for country in ["CL", "PE"] {
        let body = app
            .data(
                "query($m: Market) { directory: stores(market: $m) { nodes { country } }
                   found: stores(query: \"telas\", market: $m) { nodes { country currency } }
                   suggest(prefix: \"tela\", market: $m) { kind store { country } product { store { country } } } }",
                json!({ "m": country }),
            )
            .await;
        for list in ["directory", "found"] {
            let nodes = body[list]["nodes"].as_array().expect("stores");
            assert_eq!(nodes.len(), 1, "{list} in {country}: {body}");
            assert_eq!(nodes[0]["country"], country);
        }
        let suggestions = body["suggest"].as_array().expect("suggestions");
        assert!(!suggestions.is_empty(), "{body}");
        for s in suggestions {
            for store in [&s["store"]["country"], &s["product"]["store"]["country"]] {
                assert!(store.is_null() || *store == country, "{country}: {s}");
            }
        }
    }
}

#[tokio::test]
async fn without_a_market_prices_compare_converted_and_a_new_rate_reranks() {
    let World { app, admin } = world().await;
    let converted = walk(&app, None, json!({}), "PRICE_ASC").await;
    assert_eq!(converted.len() as i64, PRODUCTS);
    assert_eq!(
        converted,
        sql_converted(&app, false).await,
        "converted order"
    );
    let descending = walk(&app, None, json!({}), "PRICE_DESC").await;
    assert_eq!(
        descending,
        sql_converted(&app, true).await,
        "converted, descending"
    );

    // Price bounds without a market are US dollars: 15 to 25 dollars.
    let band = walk(
        &app,
        None,
        json!({ "minPrice": "15", "maxPrice": "25" }),
        "PRICE_ASC",
    )
    .await;
    let in_band: Vec<i64> = sqlx::query_scalar(
        "WITH rates AS (SELECT DISTINCT ON (currency_code) currency_code, units_per_usd
                        FROM exchange_rates ORDER BY currency_code, id DESC)
         SELECT p.id FROM products p JOIN rates r ON r.currency_code = p.currency_code
         WHERE p.status = 'ACTIVE'
           AND (p.price * 100)::float8 * (1.0::float8 / r.units_per_usd::float8)
               BETWEEN 1500 AND 2500
         ORDER BY (p.price * 100)::float8 * (1.0::float8 / r.units_per_usd::float8), p.id",
    )
    .fetch_all(app.db.pool())
    .await
    .expect("sql band");
    assert!(in_band.len() > 20, "{}", in_band.len());
    assert_eq!(band, in_band.into_iter().map(global).collect::<Vec<_>>());

    // Buckets without a market are in dollars, marked approximate.
    let body = app.data(FACETS, json!({ "f": {} })).await;
    let ranges = body["products"]["facets"]["priceRanges"]
        .as_array()
        .expect("ranges")
        .clone();
    assert!(!ranges.is_empty());
    let mut total = 0;
    for range in &ranges {
        assert_eq!(range["currency"], "USD");
        assert_eq!(range["approximate"], true);
        total += range["count"].as_i64().expect("count");
    }
    assert_eq!(total, PRODUCTS);

    // The peso halves against the dollar: Argentine products now convert to twice as much.
    let (_, body) = app
        .graphql_as(
            &admin.access_token,
            "mutation { setExchangeRate(input: {currency: ARS, unitsPerUsd: \"525\", source: \"BCRA\"}) {
                rate { currency unitsPerUsd source } userErrors { field code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["setExchangeRate"]["rate"]["unitsPerUsd"], "525",
        "{body}"
    );
    let reranked = walk(&app, None, json!({}), "PRICE_ASC").await;
    assert_ne!(reranked, converted, "the new rate re-ranks");
    assert_eq!(
        reranked,
        sql_converted(&app, false).await,
        "order at the new rate"
    );
    let rates = app
        .data("{ exchangeRates { currency unitsPerUsd } }", json!({}))
        .await;
    assert!(
        rates["exchangeRates"]
            .as_array()
            .expect("rates")
            .contains(&json!({ "currency": "ARS", "unitsPerUsd": "525" })),
        "{rates}"
    );

    // A rate set through another process (straight into the table here): the trigger's
    // event reloads this one's rates within the index's freshness bound.
    sqlx::query(
        "INSERT INTO exchange_rates (currency_code, units_per_usd, source) VALUES ('PYG', 3650, 'otra')",
    )
    .execute(app.db.pool())
    .await
    .expect("insert rate");
    let written = std::time::Instant::now();
    let expected = sql_converted(&app, false).await;
    assert_ne!(expected, reranked, "the guaraní's rate moves the order");
    loop {
        let body = app
            .data(LISTING, json!({ "f": {}, "s": "PRICE_ASC" }))
            .await;
        let first: Vec<&str> = body["products"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["id"].as_str().expect("id"))
            .collect();
        if first
            .iter()
            .copied()
            .eq(expected[..100].iter().map(String::as_str))
        {
            break;
        }
        assert!(
            written.elapsed() < FRESHNESS,
            "a rate set elsewhere did not apply within {FRESHNESS:?}"
        );
        tokio::task::yield_now().await;
    }
    let reranked = walk(&app, None, json!({}), "PRICE_ASC").await;
    assert_eq!(reranked, expected, "order at the rate set elsewhere");

    // PostgreSQL converts with the same rates.
    let rc_conversion = {
        let body = app
            .data("{ exchangeRates { currency unitsPerUsd } }", json!({}))
            .await;
        let mut factors = [0.0; textisur_search_index::MARKET_SLOTS];
        for rate in body["exchangeRates"].as_array().expect("rates") {
            let market = Market::of_currency(rate["currency"].as_str().expect("currency"))
                .expect("a market's currency");
            let units: f64 = rate["unitsPerUsd"]
                .as_str()
                .expect("units")
                .parse()
                .expect("number");
            factors[market.code() as usize] = 1.0 / units;
        }
        textisur_search_index::Conversion(factors)
    };
    let listing = ProductListing {
        conversion: Some(rc_conversion),
        sort: ProductSort::PriceAsc,
        ..ProductListing::default()
    };
    let rows = db::list(&app.db, &listing, None, 2_000)
        .await
        .expect("sql fallback");
    let from_sql: Vec<String> = rows.iter().map(|h| global(h.product.id.0)).collect();
    assert_eq!(from_sql, reranked, "PostgreSQL fallback, converted");
}

#[tokio::test]
async fn only_admins_set_rates_and_bad_rates_write_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.quick_account("Admin", "ADMIN").await;
    let buyer = app.quick_account("Compra", "BUYER").await;
    let set = "mutation($i: SetExchangeRateInput!) { setExchangeRate(input: $i) {
        rate { currency } userErrors { field code } } }";
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            set,
            json!({ "i": { "currency": "CLP", "unitsPerUsd": "900", "source": "x" } }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    for (input, field) in [
        (
            json!({ "currency": "USD", "unitsPerUsd": "1", "source": "x" }),
            "currency",
        ),
        (
            json!({ "currency": "CLP", "unitsPerUsd": "0", "source": "x" }),
            "unitsPerUsd",
        ),
        (
            json!({ "currency": "CLP", "unitsPerUsd": "-3", "source": "x" }),
            "unitsPerUsd",
        ),
        (
            json!({ "currency": "CLP", "unitsPerUsd": "1.123456789", "source": "x" }),
            "unitsPerUsd",
        ),
        (
            json!({ "currency": "CLP", "unitsPerUsd": "900", "source": "  " }),
            "source",
        ),
    ] {
        let (_, body) = app
            .graphql_as(&admin.access_token, set, json!({ "i": input }))
            .await;
        assert_eq!(
            body["data"]["setExchangeRate"]["userErrors"][0]["field"],
            json!(["input", field]),
            "{body}"
        );
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM exchange_rates")
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(rows, 5, "only the starting rates");
}
