// The trusted operations (persisted-queries/manifests/apollo.json), served by the binary at
// /playground/operations.json: queries open as tabs, mutations sign the admin in and out.
import { Kind, parse } from 'graphql';

/** `{ production, operations: Map<name, operation> }`; empty when the server has none. */
export async function loadOperations(url = '/playground/operations.json') {
  try {
    const response = await fetch(url, { headers: { accept: 'application/json' } });
    const body = await response.json();
    return {
      production: Boolean(body.production),
      operations: new Map(body.operations.map((op) => [op.name, op])),
    };
  } catch {
    return { production: false, operations: new Map() };
  }
}

/** GraphiQL tabs for the trusted queries, with their variables to fill in. */
export function operationTabs(operations) {
  return [...operations.values()]
    .filter((op) => op.type === 'query')
    .map((op) => ({ query: op.body, variables: variablesTemplate(op.body) }));
}

function variablesTemplate(body) {
  const variables = {};
  for (const definition of parse(body).definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? []) {
      if (!variable.defaultValue) variables[variable.variable.name.value] = null;
    }
  }
  return JSON.stringify(variables, null, 2);
}
