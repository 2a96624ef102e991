// GraphQL Codegen for TextiSur's web clients: typed documents from the checked-in schema,
// and a persisted-document manifest (hash to document) to register before a release ships.
//
//   npm run codegen    writes src/gql/ and src/gql/persisted-documents.json
//
// Register the manifest with `textisur persisted-queries push --manifest
// src/gql/persisted-documents.json`, then send `{ documentId: "sha256:<hash>", variables }`
// and never the text: in production the server runs nothing else for non-admins.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**/*"],
  // Imports with `.js`, as Node's ES modules need.
  emitLegacyCommonJSImports: false,
  generates: {
    "./src/gql/": {
      preset: "client",
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { mode: "embedHashInDocument", hashAlgorithm: "sha256" },
      },
      config: {
        // Decimal travels as a string ("11900.00") so no amount loses a cent to floating point.
        scalars: { Decimal: "string", DateTime: "string", JSON: "unknown", HTML: "string" },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
