//! What a query returned, for its actual cost: how many elements each paged field and
//! list gave back.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Pos};

use super::SchemaShape;

/// The most nodes each paged field returned anywhere in `data`, by the field's position in
/// the document: the length of the longest list (`nodes`, `edges`) in the field's value. A
/// paged field the response never reached returned nothing.
pub(in crate::graphql::query_limits) fn returned_pages(
    shape: &SchemaShape,
    document: &ExecutableDocument,
    set: &SelectionSet,
    root: Option<&Name>,
    data: &async_graphql::Value,
) -> HashMap<Pos, u64> {
    let mut counter = PageCounter {
        shape,
        document,
        returned: HashMap::new(),
        visited: HashSet::new(),
    };
    counter.set(set, root, data);
    counter.returned
}

struct PageCounter<'a> {
    shape: &'a SchemaShape,
    document: &'a ExecutableDocument,
    returned: HashMap<Pos, u64>,
    /// Fragments already walked on a given response object: a fragment spread twice on the
    /// same object adds nothing, so a fragment bomb stays linear here too.
    visited: HashSet<(Name, usize)>,
}

impl PageCounter<'_> {
    fn set(&mut self, set: &SelectionSet, parent: Option<&Name>, data: &async_graphql::Value) {
        let shape = self.shape;
        let async_graphql::Value::Object(object) = data else {
            if let async_graphql::Value::List(items) = data {
                for item in items {
                    self.set(set, parent, item);
                }
            }
            return;
        };
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let f = &field.node;
                    if f.selection_set.node.items.is_empty() {
                        continue;
                    }
                    let key = f.alias.as_ref().unwrap_or(&f.name).node.as_str();
                    let Some(value) = object.get(key) else {
                        continue;
                    };
                    let known = shape.field(parent, f.name.node.as_str());
                    if known.is_some_and(|k| k.size.is_some()) {
                        let count = match value {
                            async_graphql::Value::List(items) => items.len(),
                            async_graphql::Value::Object(fields) => fields
                                .values()
                                .filter_map(|v| match v {
                                    async_graphql::Value::List(items) => Some(items.len()),
                                    _ => None,
                                })
                                .max()
                                .unwrap_or(0),
                            _ => 0,
                        } as u64;
                        let most = self.returned.entry(field.pos).or_insert(0);
                        *most = (*most).max(count);
                    }
                    self.set(&f.selection_set.node, known.map(|k| &k.ty), value);
                }
                Selection::InlineFragment(inline) => {
                    let on = inline.node.type_condition.as_ref().map(|t| &t.node.on.node);
                    self.set(&inline.node.selection_set.node, on.or(parent), data);
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    let at = std::ptr::from_ref(data) as usize;
                    if !self.visited.insert((name.clone(), at)) {
                        continue;
                    }
                    let document = self.document;
                    if let Some(definition) = document.fragments.get(name) {
                        let on = &definition.node.type_condition.node.on.node;
                        self.set(&definition.node.selection_set.node, Some(on), data);
                    }
                }
            }
        }
    }
}
