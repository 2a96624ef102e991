//! Limits checked before a query runs: characters, tokens, nesting, aliases, directives,
//! mutations per request, and cost by API.md's rules (object 1, scalar 0, connection
//! 2 + `first` × node cost, list 2 + its most elements × element cost, search work by its
//! price, mutation 10; see [`cost`] for the rules and [`bounds`] for the sizes).
//! Mutations are the root fields after fragments are expanded, so a fragment hides none.
//!
//! The cheap checks run on the raw text first (a linear scan, no recursion), so a hostile
//! document is refused before the parser ever sees it; only then is it parsed and walked.
//! Fragment costs are memoised, so fragment "bombs" cost linear time, and cycles are refused.

mod bounds;
mod cost;
mod rejection;

use std::collections::HashMap;

use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned};
use serde_json::{Map, Value};

use cost::CostWalker;
pub use cost::{DEFAULT_PAGE, SchemaShape};
pub use rejection::Rejection;

/// Largest selection depth a query may have.
pub const MAX_DEPTH: usize = 12;

/// Largest selection depth of an operation that selects nothing but introspection: the
/// standard introspection query (graphql-js `getIntrospectionQuery`, which GraphiQL and code
/// generators send) nests `ofType` nine times. Introspection reads the schema in memory.
pub const INTROSPECTION_MAX_DEPTH: usize = 15;

/// The limits of one request.
#[derive(Clone, Debug)]
pub struct QueryLimits {
    pub max_chars: usize,
    pub max_tokens: usize,
    pub max_depth: usize,
    pub max_aliases: usize,
    pub max_directives: usize,
    pub max_mutations: usize,
    pub max_cost: u64,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_chars: 20_000,
            max_tokens: 5_000,
            max_depth: 12,
            max_aliases: 30,
            max_directives: 30,
            max_mutations: 5,
            max_cost: 2_000,
        }
    }
}

/// What the checks learnt about an accepted document.
#[derive(Debug)]
pub struct Analysis {
    /// The requested cost of the selected operation.
    pub cost: u64,
    /// Whether a page size came from the request's variables: the cost of another request
    /// with the same document must then be walked again.
    pub cost_reads_variables: bool,
    /// The parsed document, handed to the executor so it is not parsed twice.
    pub document: ExecutableDocument,
}

/// The requested cost of one operation of a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationCost {
    /// The requested cost.
    pub cost: u64,
    /// Whether a page size came from the request's variables.
    pub cost_reads_variables: bool,
}

fn too_complex(limit: &'static str, max: usize, actual: usize) -> Rejection {
    Rejection::TooComplex {
        limit,
        max: max as u64,
        actual: actual as u64,
    }
}

/// Counts tokens and brace nesting of GraphQL text, stopping early past the limits.
fn scan(text: &str, limits: &QueryLimits) -> Result<(), Rejection> {
    let bytes = text.as_bytes();
    let (mut i, mut tokens, mut depth, mut max_depth) = (0, 0usize, 0usize, 0usize);
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                let block = bytes[i..].starts_with(b"\"\"\"");
                i += if block { 3 } else { 1 };
                while i < bytes.len() {
                    if block && bytes[i..].starts_with(b"\"\"\"") {
                        i += 3;
                        break;
                    }
                    if !block && bytes[i] == b'"' {
                        i += 1;
                        break;
                    }
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' => {
                depth += 1;
                max_depth = max_depth.max(depth);
                i += 1;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || matches!(bytes[i], b'_' | b'.' | b'-' | b'+'))
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        tokens += 1;
        if tokens > limits.max_tokens {
            return Err(too_complex("tokens", limits.max_tokens, tokens));
        }
        // Braces nest one level deeper than fields (the operation's own braces).
        if max_depth > limits.max_depth + 1 {
            return Err(too_complex("depth", limits.max_depth, max_depth - 1));
        }
    }
    Ok(())
}

/// Checks `query` against `limits`. `Ok(None)` means the text does not parse: the executor
/// reports the syntax error itself.
pub fn check(
    query: &str,
    operation_name: Option<&str>,
    variables: &Map<String, Value>,
    limits: &QueryLimits,
    shape: &SchemaShape,
) -> Result<Option<Analysis>, Rejection> {
    let chars = query.chars().count();
    if chars > limits.max_chars {
        return Err(too_complex("characters", limits.max_chars, chars));
    }
    scan(query, limits)?;
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return Ok(None);
    };

    let (mut aliases, mut directives) = (0, 0);
    let sets = document
        .operations
        .iter()
        .map(|(_, op)| (&op.node.selection_set, op.node.directives.len()))
        .chain(
            document
                .fragments
                .values()
                .map(|f| (&f.node.selection_set, f.node.directives.len())),
        );
    for (set, own_directives) in sets {
        directives += own_directives;
        count_set(set, &mut aliases, &mut directives);
    }
    if aliases > limits.max_aliases {
        return Err(too_complex("aliases", limits.max_aliases, aliases));
    }
    if directives > limits.max_directives {
        return Err(too_complex("directives", limits.max_directives, directives));
    }
    let Some(operation) = check_operation(&document, operation_name, variables, limits, shape)?
    else {
        return Ok(None);
    };
    Ok(Some(Analysis {
        cost: operation.cost,
        cost_reads_variables: operation.cost_reads_variables,
        document,
    }))
}

/// The limits that depend on the operation chosen and its variables (depth, mutations,
/// cost), for a document already parsed and past the text checks. `Ok(None)` when the
/// operation is not in the document (the executor reports it).
pub fn check_operation(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Map<String, Value>,
    limits: &QueryLimits,
    shape: &SchemaShape,
) -> Result<Option<OperationCost>, Rejection> {
    let Some(operation) = select_operation(document, operation_name) else {
        return Ok(None);
    };
    let mut walker = CostWalker {
        shape,
        document,
        variables,
        definitions: &operation.variable_definitions,
        returned: None,
        memo: HashMap::new(),
        stack: Vec::new(),
        used_variables: false,
    };
    let root = shape.root(operation.ty);
    let (cost, depth) = walker.set(&operation.selection_set.node, root)?;
    let cost = cost.total();
    let max_depth = if introspection_only(&operation.selection_set.node) {
        // Introspection reads the schema in memory, never the database; every other limit
        // still applies.
        limits.max_depth.max(INTROSPECTION_MAX_DEPTH)
    } else {
        limits.max_depth
    };
    if depth > max_depth {
        return Err(too_complex("depth", max_depth, depth));
    }
    let cost = if operation.ty == OperationType::Mutation {
        let mutations = root_fields(document, &operation.selection_set.node);
        if mutations > limits.max_mutations {
            return Err(too_complex("mutations", limits.max_mutations, mutations));
        }
        cost + 10 * mutations as u64
    } else {
        cost
    };
    if cost > limits.max_cost {
        return Err(Rejection::TooComplex {
            limit: "cost",
            max: limits.max_cost,
            actual: cost,
        });
    }
    Ok(Some(OperationCost {
        cost,
        cost_reads_variables: walker.used_variables,
    }))
}

/// The cost of what an operation really returned: the requested cost's rules with each
/// paged field's page size replaced by the most nodes it returned anywhere in `data` (a
/// page that came back short, or never came back, is not paid for). Never above the
/// requested cost; `None` when the operation is not in the document.
pub fn actual_cost(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    shape: &SchemaShape,
    data: &async_graphql::Value,
) -> Option<u64> {
    let operation = select_operation(document, operation_name)?;
    let root = shape.root(operation.ty);
    let set = &operation.selection_set.node;
    let returned = cost::returned::returned_pages(shape, document, set, root, data);
    let mut walker = CostWalker {
        shape,
        document,
        variables: &Map::new(),
        definitions: &operation.variable_definitions,
        returned: Some(&returned),
        memo: HashMap::new(),
        stack: Vec::new(),
        used_variables: false,
    };
    let (cost, _) = walker.set(set, root).ok()?;
    let cost = cost.total();
    Some(match operation.ty {
        OperationType::Mutation => cost + 10 * root_fields(document, set) as u64,
        _ => cost,
    })
}

/// The operation a request runs (see [`crate::graphql::operation::select`]).
fn select_operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    crate::graphql::operation::select(document, operation_name)
}

/// The root fields an operation runs, with inline fragments and fragment spreads expanded
/// (introspection fields aside). Fragments are counted once each and memoised, so a
/// fragment bomb stays linear; a cycle (refused by the cost walk) counts nothing.
fn root_fields(document: &ExecutableDocument, set: &SelectionSet) -> usize {
    fn count(
        document: &ExecutableDocument,
        set: &SelectionSet,
        memo: &mut HashMap<Name, usize>,
        stack: &mut Vec<Name>,
    ) -> usize {
        let mut fields = 0usize;
        for item in &set.items {
            let n = match &item.node {
                Selection::Field(field) => usize::from(!field.node.name.node.starts_with("__")),
                Selection::InlineFragment(inline) => {
                    count(document, &inline.node.selection_set.node, memo, stack)
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    match (memo.get(name), document.fragments.get(name)) {
                        (Some(n), _) => *n,
                        (None, Some(definition)) if !stack.contains(name) => {
                            stack.push(name.clone());
                            let n =
                                count(document, &definition.node.selection_set.node, memo, stack);
                            stack.pop();
                            memo.insert(name.clone(), n);
                            n
                        }
                        _ => 0,
                    }
                }
            };
            fields = fields.saturating_add(n);
        }
        fields
    }
    count(document, set, &mut HashMap::new(), &mut Vec::new())
}

/// Whether every root selection is an introspection field (`__schema`, `__type`,
/// `__typename`); a fragment at the root is not looked into.
fn introspection_only(set: &SelectionSet) -> bool {
    set.items.iter().all(|item| match &item.node {
        Selection::Field(field) => field.node.name.node.starts_with("__"),
        _ => false,
    })
}

fn count_set(set: &Positioned<SelectionSet>, aliases: &mut usize, directives: &mut usize) {
    // Iterative: nesting was bounded by the scan, but an explicit stack costs nothing.
    let mut stack = vec![&set.node];
    while let Some(set) = stack.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    *aliases += usize::from(f.node.alias.is_some());
                    *directives += f.node.directives.len();
                    stack.push(&f.node.selection_set.node);
                }
                Selection::FragmentSpread(s) => *directives += s.node.directives.len(),
                Selection::InlineFragment(i) => {
                    *directives += i.node.directives.len();
                    stack.push(&i.node.selection_set.node);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
