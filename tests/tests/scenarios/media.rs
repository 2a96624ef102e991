//! Product images against the real server, PostgreSQL and a real object store (a local
//! folder per test): uploads by the GraphQL multipart request spec with two real clients
//! (apollo-upload-client in production mode, by persisted hash; reqwest's multipart forms),
//! the worker's three WebP sizes without EXIF, cache headers, refusals that store nothing,
//! and the sellers' ordering, alt text, variant links, deletion and orphan collection.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use textisur_api::graphql::ids::ProductId;
use textisur_api::runtime::http::HttpConfig;
use textisur_persisted_queries::TrustedDocuments;
use textisur_tests::images;
use textisur_tests::{Account, TestApp, TestOptions};

const UPLOAD: &str = "mutation($p: ID!, $f: Upload!, $alt: String, $v: [ID!]) {
    uploadProductImage(productId: $p, file: $f, alt: $alt, variantIds: $v) {
        image { id status altText width(size: FULL) height(size: FULL) url }
        userErrors { field code message } } }";
const IMAGES: &str = "query($id: ID!) { product(id: $id) { images { id status altText
    url(size: THUMBNAIL) } } }";
const VARIANT_IMAGES: &str = "query($id: ID!) { node(id: $id) { ... on ProductVariant {
    images { id } } } }";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_owned()
}

fn production() -> TestOptions {
    TestOptions {
        http: Some(HttpConfig {
            production: true,
            safelist: true,
            cost_restore_rate: 1_000_000,
            ..HttpConfig::default()
        }),
        ..TestOptions::default()
    }
}

/// A seller, their store and one product (made in SQL: the product mutations have their
/// own tests); returns the seller and the product's global id.
async fn seller_with_product(app: &TestApp) -> (Account, String) {
    let seller = app.quick_account("Vendedora", "SELLER").await;
    let product: i64 = sqlx::query_scalar(
        "WITH c AS (INSERT INTO categories (slug, name) VALUES ('remeras', 'Remeras') RETURNING id),
              s AS (INSERT INTO stores (owner_id, slug, name, city, region, country_code, currency_code)
                    SELECT id, 'remeras-del-sur', 'Remeras del Sur', 'Rosario', 'Santa Fe', 'AR', 'ARS'
                    FROM users WHERE id = $1 RETURNING id)
         INSERT INTO products (store_id, category_id, slug, name, price, currency_code, stock)
         SELECT s.id, c.id, 'remera-estampada', 'Remera estampada', 9000, 'ARS', 10 FROM s, c
         RETURNING id",
    )
    .bind(seller.row_id())
    .fetch_one(app.db.pool())
    .await
    .expect("store and product");
    (seller, ProductId(product).to_global().to_string())
}

/// Posts one upload with reqwest's multipart form, as the spec lays it out.
async fn upload(
    app: &TestApp,
    token: &str,
    product: &str,
    name: &str,
    bytes: Vec<u8>,
    mime: &str,
) -> (StatusCode, Value) {
    let operations = json!({ "query": UPLOAD, "variables": { "p": product, "f": null } });
    let form = Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.f"] }).to_string())
        .part(
            "0",
            Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str(mime)
                .expect("mime"),
        );
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .header("apollo-require-preflight", "true")
        .multipart(form)
        .send()
        .await
        .expect("send upload");
    let status = response.status();
    (status, response.json().await.expect("json"))
}

/// Every file under `dir`, as paths relative to it.
fn files_in(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(
                    path.strip_prefix(dir)
                        .expect("under dir")
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out.sort();
    out
}

/// Runs a trusted operation by its hash alone (APQ), as the mobile apps do.
async fn persisted(app: &TestApp, token: Option<&str>, name: &str, variables: Value) -> Value {
    let trusted = TrustedDocuments::embedded().expect("manifests");
    let op = trusted
        .operations()
        .iter()
        .find(|op| op.name == name)
        .unwrap_or_else(|| panic!("{name} is not in the manifests"))
        .clone();
    let body = json!({ "variables": variables,
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": op.id } } });
    let mut request = app.client.post(app.url("/graphql")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("send");
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "{name}: {body}");
    assert!(body.get("errors").is_none(), "{name}: {body}");
    body["data"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apollo_upload_client_uploads_jpeg_png_and_webp_by_persisted_hash_in_production() {
    let root = workspace_root();
    let client_dir = root.join("tests/apollo-client");
    assert!(
        client_dir
            .join("node_modules/apollo-upload-client")
            .exists(),
        "tests/apollo-client/node_modules is missing: run tests/run-all.sh, which installs it"
    );
    let app = TestApp::spawn_with(production()).await;
    let (seller, product) = seller_with_product(&app).await;
    let marker = "GPS -34.6037 -58.3816 Canon";
    let files = tempfile::tempdir().expect("tempdir");
    let fixtures = [
        ("foto.jpg", images::jpeg_with_exif(1800, 1200, marker)),
        ("tela.png", images::png(800, 800)),
        ("remera.webp", images::webp(640, 480)),
    ];
    for (name, bytes) in &fixtures {
        std::fs::write(files.path().join(name), bytes).expect("write fixture");
    }
    let (base, token, id) = (
        app.base.clone(),
        seller.access_token.clone(),
        product.clone(),
    );
    let paths: Vec<PathBuf> = fixtures.iter().map(|(n, _)| files.path().join(n)).collect();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(client_dir.join("upload.mjs"))
            .args([&base, &token, &id])
            .args(&paths)
            .output()
    })
    .await
    .expect("join")
    .expect("run node tests/apollo-client/upload.mjs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "upload.mjs failed\n{stdout}\n{stderr}"
    );
    let summary: Value = stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str(line).ok())
        .expect("a JSON summary line");
    assert_eq!(summary["ok"], true, "{summary}");

    // The wire: one multipart POST per file, the hash alone (no query text), preflighted.
    let wire = summary["wire"].as_array().expect("wire");
    assert_eq!(wire.len(), 3, "{summary}");
    for (entry, (name, _)) in wire.iter().zip(&fixtures) {
        assert_eq!(entry["method"], "POST");
        assert_eq!(
            entry["parts"],
            json!(["operations", "map", format!("1:file:{name}")]),
            "{entry}"
        );
        assert_eq!(entry["sentQueryText"], false, "{entry}");
        assert_eq!(entry["hash"], summary["manifestId"], "{entry}");
        assert_eq!(entry["preflight"], "true");
        assert_eq!(entry["status"], 200);
    }
    // Upright sizes: the JPEG's EXIF says "rotate 90°", so 1800 × 1200 stands 1200 × 1800
    // and its full size fits 1600.
    let expected = [(1067, 1600), (800, 800), (640, 480)];
    let mut ids = Vec::new();
    for ((result, (name, _)), (width, height)) in summary["results"]
        .as_array()
        .expect("results")
        .iter()
        .zip(&fixtures)
        .zip(expected)
    {
        let payload = &result["data"]["uploadProductImage"];
        assert_eq!(payload["userErrors"], json!([]), "{name}: {result}");
        let image = &payload["image"];
        assert_eq!(image["status"], "PROCESSING", "{name}: {result}");
        assert_eq!(image["altText"], format!("Foto de {name}"));
        assert_eq!(
            (image["width"].as_i64(), image["height"].as_i64()),
            (Some(width), Some(height))
        );
        ids.push(image["id"].as_str().expect("id").to_owned());
    }

    // The worker (woken by each upload) makes the sizes; the drain step waits for it.
    app.process_images().await;
    let data = persisted(
        &app,
        None,
        "ProductImages",
        json!({ "id": product, "size": "FULL" }),
    )
    .await;
    let listed = data["product"]["images"]
        .as_array()
        .expect("images")
        .clone();
    let listed_ids: Vec<&str> = listed
        .iter()
        .map(|i| i["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(listed_ids, ids, "{data}");

    for (image, (width, height)) in listed.iter().zip(expected) {
        assert_eq!(image["status"], "READY");
        assert_eq!(
            (image["width"].as_i64(), image["height"].as_i64()),
            (Some(width), Some(height))
        );
        for (size, side) in [("THUMBNAIL", 200), ("CARD", 600), ("FULL", 1600)] {
            let data = persisted(
                &app,
                None,
                "ProductImages",
                json!({ "id": product, "size": size }),
            )
            .await;
            let shown = data["product"]["images"]
                .as_array()
                .expect("images")
                .iter()
                .find(|i| i["id"] == image["id"])
                .expect("the image")
                .clone();
            let url = shown["url"].as_str().expect("url");
            assert!(url.starts_with(&format!("{}/media/", app.base)), "{url}");
            let response = app.client.get(url).send().await.expect("get image");
            assert_eq!(response.status(), StatusCode::OK, "{url}");
            let headers = response.headers().clone();
            assert_eq!(headers["content-type"], "image/webp");
            assert_eq!(
                headers["cache-control"],
                "public, max-age=31536000, immutable"
            );
            let etag = headers["etag"].to_str().expect("etag").to_owned();
            let bytes = response.bytes().await.expect("body");
            let decoded = image::load_from_memory(&bytes).expect("a WebP");
            let dims = (i64::from(decoded.width()), i64::from(decoded.height()));
            assert_eq!(
                dims,
                (
                    shown["width"].as_i64().unwrap_or(0),
                    shown["height"].as_i64().unwrap_or(0)
                )
            );
            assert!(dims.0.max(dims.1) <= side, "{size}: {dims:?}");
            assert!(
                !images::contains(&bytes, b"Exif"),
                "{url} keeps an EXIF chunk"
            );
            assert!(
                !images::contains(&bytes, marker.as_bytes()),
                "{url} keeps the EXIF make"
            );
            // Revalidation by ETag reads nothing from the store.
            let again = app
                .client
                .get(url)
                .header("if-none-match", &etag)
                .send()
                .await
                .expect("revalidate");
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        }
    }
    // Only the sizes are kept: the uploads (with their EXIF) were deleted.
    let stored = files_in(app.media_dir());
    assert_eq!(stored.len(), 9, "{stored:?}");
    assert!(
        stored
            .iter()
            .all(|f| f.starts_with("media/") && f.ends_with(".webp")),
        "{stored:?}"
    );

    // The rest of the sellers' image operations, by hash, in production.
    let data = persisted(
        &app,
        Some(&seller.access_token),
        "UpdateProductImage",
        json!({ "id": ids[2], "alt": "Remera roja, vista de frente" }),
    )
    .await;
    assert_eq!(
        data["updateProductImage"]["image"]["altText"],
        "Remera roja, vista de frente"
    );
    let order = json!([ids[2], ids[0], ids[1]]);
    let data = persisted(
        &app,
        Some(&seller.access_token),
        "ReorderProductImages",
        json!({ "productId": product, "imageIds": order }),
    )
    .await;
    let images_ids: Vec<Value> = data["reorderProductImages"]["product"]["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["id"].clone())
        .collect();
    assert_eq!(Value::Array(images_ids), order, "{data}");
    let data = persisted(
        &app,
        Some(&seller.access_token),
        "DeleteProductImage",
        json!({ "id": ids[0] }),
    )
    .await;
    let left = &data["deleteProductImage"]["product"]["images"];
    assert_eq!(left, &json!([{ "id": ids[2] }, { "id": ids[1] }]), "{data}");
    assert_eq!(
        app.collect_orphaned_images(Duration::from_secs(3600)).await,
        1
    );
    assert_eq!(files_in(app.media_dir()).len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_exe_a_decompression_bomb_and_a_30_mb_file_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let (seller, product) = seller_with_product(&app).await;
    let token = seller.access_token.as_str();

    let (status, body) = upload(
        &app,
        token,
        &product,
        "foto.jpg",
        images::exe(),
        "image/jpeg",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let payload = &body["data"]["uploadProductImage"];
    assert_eq!(payload["image"], Value::Null);
    assert_eq!(payload["userErrors"][0]["field"], json!(["file"]), "{body}");
    assert_eq!(
        payload["userErrors"][0]["code"], "UNSUPPORTED_FORMAT",
        "{body}"
    );
    assert!(
        payload["userErrors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("JPEG, PNG or WebP")),
        "{body}"
    );

    let bomb = images::png_bomb(50_000, 50_000);
    let (status, body) = upload(&app, token, &product, "bomba.png", bomb, "image/png").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let error = &body["data"]["uploadProductImage"]["userErrors"][0];
    assert_eq!(error["code"], "TOO_LARGE", "{body}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("50000 × 50000") && m.contains("40 megapixels")),
        "{body}"
    );

    // 30 MB that starts like a JPEG: the read stops at the 10 MiB limit, with a 413.
    let mut big = images::jpeg_with_exif(64, 64, "x");
    big.resize(30 * 1024 * 1024, 0);
    let (status, body) = upload(&app, token, &product, "grande.jpg", big, "image/jpeg").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("10 MiB")),
        "{body}"
    );

    // A multipart POST without a preflight header could come from any site's form.
    let form = Form::new()
        .text(
            "operations",
            json!({ "query": UPLOAD, "variables": { "p": product, "f": null } }).to_string(),
        )
        .text("map", json!({ "0": ["variables.f"] }).to_string())
        .part("0", Part::bytes(images::png(8, 8)).file_name("a.png"));
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Apollo-Require-Preflight")),
        "{body}"
    );

    // Nothing of any of them was kept.
    let rows: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM media_files), (SELECT count(*) FROM product_images)",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("count");
    assert_eq!(rows, (0, 0));
    app.process_images().await;
    assert_eq!(files_in(app.media_dir()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sellers_link_images_to_variants_only_they_edit_them_and_orphans_are_collected() {
    let app = TestApp::spawn_with(TestOptions {
        manual_media_worker: true,
        ..TestOptions::default()
    })
    .await;
    let (seller, product) = seller_with_product(&app).await;
    let token = seller.access_token.as_str();
    let variant: i64 = sqlx::query_scalar(
        "SELECT id FROM product_variants WHERE product_id = (SELECT max(id) FROM products)",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("default variant");
    let variant = textisur_api::graphql::ids::VariantId(variant)
        .to_global()
        .to_string();

    // The same photo twice is one file, derived once.
    let photo = images::png(300, 200);
    let mut uploaded = Vec::new();
    for alt in ["Frente", "Espalda"] {
        let operations = json!({ "query": UPLOAD,
            "variables": { "p": product, "f": null, "alt": alt, "v": [variant] } });
        let form = Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.f"] }).to_string())
            .part("0", Part::bytes(photo.clone()).file_name("remera.png"));
        let body: Value = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(token)
            .header("graphql-preflight", "1")
            .multipart(form)
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        let payload = &body["data"]["uploadProductImage"];
        assert_eq!(payload["userErrors"], json!([]), "{body}");
        uploaded.push(payload["image"]["id"].as_str().expect("id").to_owned());
    }
    // Until the sizes exist buyers see no image; the seller sees both, processing.
    let (_, body) = app.graphql(IMAGES, json!({ "id": product })).await;
    assert_eq!(body["data"]["product"]["images"], json!([]), "{body}");
    let (_, body) = app
        .graphql_as(token, IMAGES, json!({ "id": product }))
        .await;
    let statuses: Vec<&Value> = body["data"]["product"]["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| &i["status"])
        .collect();
    assert_eq!(
        statuses,
        [&json!("PROCESSING"), &json!("PROCESSING")],
        "{body}"
    );
    app.process_images().await;
    let files: i64 = sqlx::query_scalar("SELECT count(*) FROM media_files WHERE state = 'READY'")
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(files, 1);
    assert_eq!(
        files_in(app.media_dir()).len(),
        3,
        "one upload's three sizes"
    );

    // Another seller may not touch them; a variant of another product is not found.
    let other = app.quick_account("Otra", "SELLER").await;
    let (_, body) = app
        .graphql_as(
            &other.access_token,
            "mutation($id: ID!) { deleteProductImage(id: $id) { userErrors { code } } }",
            json!({ "id": uploaded[0] }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    let (_, body) = app
        .graphql_as(
            token,
            "mutation($id: ID!, $v: [ID!]) { updateProductImage(id: $id, variantIds: $v) {
                userErrors { field code } } }",
            json!({ "id": uploaded[0], "v": [textisur_api::graphql::ids::VariantId(999_999).to_global().to_string()] }),
        )
        .await;
    assert_eq!(
        body["data"]["updateProductImage"]["userErrors"],
        json!([{ "field": ["variantIds", "0"], "code": "NOT_FOUND" }]),
        "{body}"
    );
    // An order that leaves an image out is refused.
    let (_, body) = app
        .graphql_as(
            token,
            "mutation($p: ID!, $ids: [ID!]!) { reorderProductImages(productId: $p, imageIds: $ids) {
                userErrors { field code } } }",
            json!({ "p": product, "ids": [uploaded[1]] }),
        )
        .await;
    assert_eq!(
        body["data"]["reorderProductImages"]["userErrors"][0]["code"], "INVALID",
        "{body}"
    );

    let (_, body) = app.graphql(IMAGES, json!({ "id": product })).await;
    let shown = &body["data"]["product"];
    assert_eq!(shown["images"][0]["altText"], "Frente", "{body}");
    assert_eq!(shown["images"][1]["altText"], "Espalda");
    let (_, body) = app.graphql(VARIANT_IMAGES, json!({ "id": variant })).await;
    assert_eq!(
        body["data"]["node"]["images"],
        json!([{ "id": uploaded[0] }, { "id": uploaded[1] }]),
        "{body}"
    );

    // Deleting one image keeps the file the other still uses; deleting both frees it.
    for id in &uploaded {
        let (_, body) = app
            .graphql_as(
                token,
                "mutation($id: ID!) { deleteProductImage(id: $id) { userErrors { code } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(
            body["data"]["deleteProductImage"]["userErrors"],
            json!([]),
            "{body}"
        );
        assert_eq!(
            app.collect_orphaned_images(Duration::from_secs(3600)).await,
            usize::from(id == &uploaded[1])
        );
    }
    assert_eq!(files_in(app.media_dir()), Vec::<String>::new());

    // An object whose row never committed (a crash between the store and the database) is
    // collected once older than the grace period.
    let stray = app.media_dir().join("originals").join("f".repeat(64));
    std::fs::create_dir_all(stray.parent().expect("parent")).expect("dir");
    std::fs::write(&stray, images::png(4, 4)).expect("stray");
    assert_eq!(
        app.collect_orphaned_images(Duration::from_secs(3600)).await,
        0
    );
    assert_eq!(app.collect_orphaned_images(Duration::ZERO).await, 1);
    assert!(!stray.exists());
}
