//! A small market for commerce tests: one category, one seller and their store, and a way to
//! stock it through the API.

use serde_json::json;

use crate::{Account, TestApp};

/// A store with one seller, and a helper to stock it.
pub struct Market {
    pub app: TestApp,
    pub seller: Account,
    pub store: String,
    pub category: String,
}

impl Market {
    /// A fresh server with one category and one seller's store.
    pub async fn open() -> Self {
        Self::open_with(crate::TestOptions::default()).await
    }

    /// [`Market::open`] on a server started as `options` say.
    pub async fn open_with(options: crate::TestOptions) -> Self {
        let app = TestApp::spawn_with(options).await;
        let category = sqlx::query_scalar!(
            "INSERT INTO categories (slug, name) VALUES ('telas', 'Telas') RETURNING id"
        )
        .fetch_one(app.db.pool())
        .await
        .expect("category");
        let seller = app.quick_account("Vendedora", "SELLER").await;
        let (_, body) = app
            .graphql_as(
                &seller.access_token,
                "mutation { createStore(input: {name: \"Telas del Sur\", city: \"Valparaíso\", region: \"Valparaíso\", countryCode: \"CL\"}) {
                    store { id } userErrors { code message } } }",
                json!({}),
            )
            .await;
        let store = body["data"]["createStore"]["store"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("create store: {body}"))
            .to_owned();
        Self {
            app,
            seller,
            store,
            category: textisur_api::graphql::ids::CategoryId(category)
                .to_global()
                .to_string(),
        }
    }

    /// Creates an active product through the API and returns its id.
    pub async fn product(
        &self,
        name: &str,
        unit: &str,
        step: &str,
        stock: &str,
        price: &str,
    ) -> String {
        let (_, body) = self
            .app
            .graphql_as(
                &self.seller.access_token,
                "mutation($i: CreateProductInput!) { createProduct(input: $i) {
                    product { id } userErrors { field code message } } }",
                json!({ "i": { "storeId": self.store, "categoryId": self.category, "name": name,
                    "price": price, "unit": unit, "minQuantity": step, "quantityStep": step,
                    "stock": stock } }),
            )
            .await;
        body["data"]["createProduct"]["product"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("create product: {body}"))
            .to_owned()
    }

    /// A product's stock as PostgreSQL prints it (`"10.000"`).
    pub async fn stock(&self, product: &str) -> String {
        let id = textisur_api::graphql::ids::ProductId::from_global(&product.to_owned().into())
            .expect("product id");
        sqlx::query_scalar!(
            r#"SELECT stock::text AS "stock!" FROM products WHERE id = $1"#,
            id.0
        )
        .fetch_one(self.app.db.pool())
        .await
        .expect("stock")
    }

    /// The seller connects the store's Mercado Pago account `collector` through the
    /// simulator's authorization code: `connectMercadoPago`'s payload.
    pub async fn connect_mercadopago(
        &self,
        simulator: &crate::mercadopago::MercadoPagoSimulator,
        collector: &str,
    ) -> serde_json::Value {
        let code = simulator.authorize(collector);
        let (_, body) = self
            .app
            .graphql_as(
                &self.seller.access_token,
                "mutation($s: ID!, $c: String!) { connectMercadoPago(storeId: $s, code: $c,
                    redirectUri: \"https://textisur.localhost/vender/mercadopago\") {
                    connected userErrors { field code } } }",
                json!({ "s": self.store, "c": code }),
            )
            .await;
        body["data"]["connectMercadoPago"].clone()
    }
}
