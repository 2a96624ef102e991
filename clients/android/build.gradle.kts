// Apollo Kotlin for TextiSur's Android app: the `apollo` block of the app module.
//
//   ./gradlew generateApolloSources    generates the models and the persisted-query manifest
//
// The manifest (build/generated/manifest/apollo/textisur/persistedQueryManifest.json) is
// what each release registers before it ships:
//   textisur persisted-queries push --manifest .../persistedQueryManifest.json
// and the app then sends only ids (`ApolloClient.Builder().autoPersistedQueries(...)` with
// `enableByDefault`, never falling back to text: production refuses text from non-admins).
//
// This kit is not compiled here (no Android SDK or Gradle on the CI machine): the test
// `tests/tests/client_kits.rs` checks a manifest of this format against the server's parser.

plugins {
    id("com.android.application") version "8.7.3"
    kotlin("android") version "2.1.0"
    id("com.apollographql.apollo") version "4.3.1"
}

dependencies {
    implementation("com.apollographql.apollo:apollo-runtime:4.3.1")
    // Instant for DateTime (RFC 3339 strings).
    implementation("com.apollographql.adapters:apollo-adapters-kotlinx-datetime:0.0.4")
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
            "kotlinx.datetime.Instant",
            "com.apollographql.adapter.datetime.KotlinxInstantAdapter",
        )
        mapScalarToKotlinString("HTML")
        mapScalarToKotlinAny("JSON")
    }
}
