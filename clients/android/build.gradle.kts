// Apollo Kotlin for TextiSur's Android app: the `apollo` block of the app module.
//
//   ./gradlew generateApolloSources    generates the models and the persisted-query manifest
//
// The manifest (build/generated/manifest/apollo/textisur/persistedQueryManifest.json) is
// what each release registers before it ships:
//   textisur persisted-queries push --manifest .../persistedQueryManifest.json
// and the app sends ids (`ApolloClient.Builder().autoPersistedQueries()`). Apollo's
// interceptor resends the text when the server answers `PersistedQueryNotFound`; production
// refuses that text from non-admins, which is why the manifest must be pushed first.
//
// This kit is not compiled here (no Android SDK or Gradle on the CI machine): the test
// `tests/tests/client_kits.rs` checks a manifest of this format against the server's parser.

plugins {
    id("com.android.application") version "8.7.3"
    kotlin("android") version "2.1.0"
    id("com.apollographql.apollo") version "4.3.1"
}

android {
    namespace = "com.textisur.app"
    compileSdk = 35
    defaultConfig {
        applicationId = "com.textisur.app"
        // java.time.Instant (DateTime) without core-library desugaring.
        minSdk = 26
        targetSdk = 35
    }
}

dependencies {
    implementation("com.apollographql.apollo:apollo-runtime:4.3.1")
    // JavaInstantAdapter for DateTime (RFC 3339 strings).
    implementation("com.apollographql.adapters:apollo-adapters-core:0.7.0")
}

apollo {
    service("textisur") {
        packageName.set("com.textisur.api")
        // The checked-in schema of the API repository (or `downloadApolloSchema` from a
        // development server: production keeps introspection for admins).
        schemaFiles.from(file("../../schema.graphql"))
        srcDir("src/main/graphql")

        // Persisted queries: ids are SHA-256 of the documents, written in Apollo's
        // persisted-query manifest format, which `textisur persisted-queries push` reads.
        operationManifestFormat.set("persistedQueryManifest")

        // Money is a Decimal string ("11900.00"): BigDecimal keeps every cent.
        mapScalar(
            "Decimal",
            "java.math.BigDecimal",
            "com.textisur.api.adapters.BigDecimalAdapter",
        )
        mapScalar(
            "DateTime",
            "java.time.Instant",
            "com.apollographql.adapter.core.JavaInstantAdapter",
        )
        mapScalarToKotlinString("HTML")
        mapScalarToKotlinAny("JSON")
    }
}
