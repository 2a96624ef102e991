// The web app's search page and checkout, by persisted documents only: every request names
// its document by hash and never sends GraphQL text, as TextiSur's production server
// requires of everyone but admins. Queries go by GET (cacheable), mutations by POST.
//
//   TEXTISUR_API=http://127.0.0.1:8080 EXAMPLE_EMAIL=ana@example.com npm run example
//
// Prints one JSON line with what it did; exits non-zero on any error.
import { graphql } from "./gql/index.js";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";

const api = process.env.TEXTISUR_API ?? "http://127.0.0.1:8080";

const SearchPage = graphql(`
  query WebSearchPage($query: String!, $first: Int!) {
    products(query: $query, first: $first) {
      totalCount
      nodes {
        id
        name
        unit
        minQuantity
        price {
          amount
          currencyCode
        }
      }
    }
  }
`);

const SignUp = graphql(`
  mutation WebSignUp($input: RegisterInput!) {
    register(input: $input) {
      accessToken
      userErrors {
        code
        message
      }
    }
  }
`);

const AddToCart = graphql(`
  mutation WebAddToCart($productId: ID!, $quantity: Decimal!) {
    addToCart(productId: $productId, quantity: $quantity) {
      cart {
        subtotal {
          amount
        }
      }
      userErrors {
        code
        message
      }
    }
  }
`);

const Checkout = graphql(`
  mutation WebCheckout($idempotencyKey: String!) {
    checkout(idempotencyKey: $idempotencyKey) {
      orders {
        number
        status
        total {
          amount
          currencyCode
        }
      }
      userErrors {
        code
        message
      }
    }
  }
`);

type Persisted = { __meta__?: { hash?: string } };

/** Runs a persisted document: its hash, its variables, never its text. */
async function run<R, V>(
  document: TypedDocumentNode<R, V>,
  variables: V,
  options: { token?: string; mutation?: boolean } = {},
): Promise<R> {
  const hash = (document as Persisted).__meta__?.hash;
  if (!hash) throw new Error("document without a hash: run `npm run codegen`");
  const documentId = `sha256:${hash}`;
  const headers: Record<string, string> = {
    accept: "application/graphql-response+json",
    "accept-language": "es",
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let response: Response;
  if (options.mutation) {
    headers["content-type"] = "application/json";
    response = await fetch(`${api}/graphql`, {
      method: "POST",
      headers,
      body: JSON.stringify({ documentId, variables }),
    });
  } else {
    const url = new URL(`${api}/graphql`);
    url.searchParams.set("documentId", documentId);
    url.searchParams.set("variables", JSON.stringify(variables));
    response = await fetch(url, { headers });
  }
  const body = (await response.json()) as { data?: R; errors?: unknown[] };
  if (!response.ok || body.errors || !body.data) {
    throw new Error(`${response.status}: ${JSON.stringify(body)}`);
  }
  return body.data;
}

function noUserErrors(payload: { userErrors: { code: string; message: string }[] }) {
  if (payload.userErrors.length > 0) throw new Error(JSON.stringify(payload.userErrors));
}

const search = await run(SearchPage, { query: process.env.EXAMPLE_QUERY ?? "lino", first: 5 });
const product = search.products.nodes[0];
if (!product) throw new Error("the search found nothing");

const email = process.env.EXAMPLE_EMAIL ?? `web-${Date.now()}@example.com`;
const signUp = await run(
  SignUp,
  { input: { email, password: "telas de lino azul", name: "Compradora Web" } },
  { mutation: true },
);
noUserErrors(signUp.register);
const token = signUp.register.accessToken ?? undefined;

const added = await run(
  AddToCart,
  { productId: product.id, quantity: product.minQuantity },
  { token, mutation: true },
);
noUserErrors(added.addToCart);

const checkout = await run(
  Checkout,
  { idempotencyKey: `web-example-${email}` },
  { token, mutation: true },
);
noUserErrors(checkout.checkout);

console.log(
  JSON.stringify({
    found: search.products.totalCount,
    product: product.name,
    subtotal: added.addToCart.cart?.subtotal?.amount,
    orders: checkout.checkout.orders.map((o) => ({ number: o.number, status: o.status, total: o.total.amount })),
  }),
);
