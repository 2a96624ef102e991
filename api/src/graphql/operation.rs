//! Which operation of a document a request runs, decided in one place for every transport
//! (HTTP GET and POST, WebSocket) and for the cost limits.
//!
//! Key rule: the choice is the GraphQL spec's `GetOperation`, which is also what
//! async-graphql's executor does: with `operationName`, the operation of that name; without
//! it, the document's only operation, named or not. Two copies of this rule once differed
//! (the parser files a lone *named* operation among "multiple" operations), and a named query
//! or mutation ran over the subscriptions-only WebSocket.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
};

/// The operation a request with `operation_name` runs; `None` when there is none (the
/// executor then reports "unknown operation" or "operation name required").
pub fn select<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), None) => op,
        // The only operation is anonymous, so no name can select it.
        (DocumentOperations::Single(_), Some(_)) => return None,
        (DocumentOperations::Multiple(ops), Some(name)) => {
            ops.iter().find(|(n, _)| n.as_str() == name)?.1
        }
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next()?,
        (DocumentOperations::Multiple(_), None) => return None,
    };
    Some(&operation.node)
}

/// The type (query, mutation, subscription) of the operation [`select`] picks.
pub fn selected_type(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<OperationType> {
    select(document, operation_name).map(|op| op.ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(query: &str, name: Option<&str>) -> Option<OperationType> {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        selected_type(&document, name)
    }

    #[test]
    fn a_lone_operation_runs_without_a_name_named_or_not() {
        assert_eq!(ty("{ a }", None), Some(OperationType::Query));
        assert_eq!(ty("query Q { a }", None), Some(OperationType::Query));
        assert_eq!(ty("mutation M { a }", None), Some(OperationType::Mutation));
        assert_eq!(
            ty("subscription S { a }", None),
            Some(OperationType::Subscription)
        );
    }

    #[test]
    fn a_name_selects_among_several_and_nothing_else() {
        let two = "query Q { a } mutation M { a }";
        assert_eq!(ty(two, Some("M")), Some(OperationType::Mutation));
        assert_eq!(ty(two, Some("Q")), Some(OperationType::Query));
        assert_eq!(ty(two, None), None, "several operations need a name");
        assert_eq!(ty(two, Some("X")), None);
        assert_eq!(ty("{ a }", Some("Q")), None, "an anonymous one has no name");
        assert_eq!(ty("mutation M { a }", Some("X")), None);
    }
}
