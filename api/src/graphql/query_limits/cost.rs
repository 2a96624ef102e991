//! Query cost by API.md's rules, before a query runs (the requested cost) and after (the
//! actual cost, which the caller pays in the end):
//!
//! - a scalar 0, an object 1 + its selection;
//! - a connection (a type named `…Connection`) 2 + page size × its per-node part (`edges`,
//!   `nodes`: 1 + their selection each) + its other fields once (`pageInfo`, `totalCount`,
//!   `facets`), so `first: 0` still pays for the counts it asks;
//! - a list of objects 2 + size × (1 + the selection of one element), exactly what the same
//!   elements cost as a connection's `nodes`;
//! - fields that work beyond what they return (search counts, facets, spelling correction)
//!   add their points from [`bounds::WORK`](super::bounds::WORK), whatever they return.
//!
//! Paged fields are recognised from the schema, not from a list of names: a field that takes
//! `first` or `last` and returns a connection or a list. Its page size is the larger of
//! `first` and `last` as sent (a literal, a variable, or the variable's default), else the
//! argument's default in the schema, else 20. A list without `first` has the size of
//! [`bounds::LIST_CAPS`](super::bounds::LIST_CAPS), or of its argument (`nodes(ids:)`).

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, FragmentDefinition, Selection, SelectionSet, ServiceDocument,
    TypeKind, TypeSystemDefinition, VariableDefinition,
};
use async_graphql::{Name, Pos, Positioned};
use async_graphql_value::{ConstValue, Value as GqlValue};
use serde_json::{Map, Value};

use super::bounds::{self, DEFAULT_LIST_CAP, LIST_CAPS, LISTS_BY_ARGUMENT, WORK};
use super::rejection::Rejection;

pub(super) mod returned;

/// Page size of a paged field whose `first`/`last` is left out and has no default.
pub const DEFAULT_PAGE: u64 = 20;

/// How many elements a field's cost multiplies its selection by.
#[derive(Clone, Copy, Debug)]
enum Size {
    /// A connection or a list taking `first`/`last`: the page asked, else this default.
    Page(u64),
    /// A list without paging holding at most this many elements.
    Cap(u64),
    /// A list as long as the list argument named (`nodes(ids:)`), at most this many.
    ByArgument(&'static str, u64),
}

/// What the cost rules need to know of a field of the schema.
#[derive(Clone, Debug)]
struct FieldShape {
    /// The named type the field returns (lists and non-null stripped).
    ty: Name,
    /// For a paged field or a list: how its size is found.
    size: Option<Size>,
    /// Whether it is a list of a connection (`edges`, `nodes`): the connection's page.
    per_node: bool,
    /// Points of work the field costs whatever it returns.
    work: u64,
}

/// The cost of a selection, split for connections: what each node of the page costs (the
/// connection's `edges` and `nodes`) and what is paid once (everything else).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Cost {
    once: u64,
    per_node: u64,
}

impl Cost {
    /// The whole cost, as one.
    pub(super) fn total(self) -> u64 {
        self.once.saturating_add(self.per_node)
    }

    fn add(&mut self, other: Cost) {
        self.once = self.once.saturating_add(other.once);
        self.per_node = self.per_node.saturating_add(other.per_node);
    }
}

/// The fields of every object and interface type, and the root types, read from the SDL.
#[derive(Clone, Debug, Default)]
pub struct SchemaShape {
    fields: HashMap<Name, HashMap<Name, FieldShape>>,
    connections: HashSet<Name>,
    query: Option<Name>,
    mutation: Option<Name>,
    subscription: Option<Name>,
}

impl SchemaShape {
    /// Reads the shape from a schema's SDL; an SDL that does not parse gives an empty shape
    /// (every field then costs as a plain object).
    pub fn from_sdl(sdl: &str) -> Self {
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            return Self::default();
        };
        Self::from_document(&document)
    }

    fn from_document(document: &ServiceDocument) -> Self {
        let mut shape = Self::default();
        for definition in &document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = &schema.node;
                    shape.query = schema.query.as_ref().map(|n| n.node.clone());
                    shape.mutation = schema.mutation.as_ref().map(|n| n.node.clone());
                    shape.subscription = schema.subscription.as_ref().map(|n| n.node.clone());
                }
                TypeSystemDefinition::Type(ty) => {
                    let fields = match &ty.node.kind {
                        TypeKind::Object(object) => &object.fields,
                        TypeKind::Interface(interface) => &interface.fields,
                        _ => continue,
                    };
                    let parent = ty.node.name.node.as_str();
                    let connection = parent.ends_with("Connection");
                    if connection {
                        shape.connections.insert(ty.node.name.node.clone());
                    }
                    let fields = fields
                        .iter()
                        .map(|field| {
                            let field = &field.node;
                            let mut base = &field.ty.node.base;
                            let is_list = matches!(base, BaseType::List(_));
                            while let BaseType::List(inner) = base {
                                base = &inner.base;
                            }
                            let BaseType::Named(ty) = base else {
                                unreachable!("lists were stripped")
                            };
                            let pages = field
                                .arguments
                                .iter()
                                .filter(|a| matches!(a.node.name.node.as_str(), "first" | "last"))
                                .map(|a| match &a.node.default_value {
                                    Some(v) => const_u64(&v.node).unwrap_or(DEFAULT_PAGE),
                                    None => DEFAULT_PAGE,
                                })
                                .max();
                            let paged = is_list || ty.as_str().ends_with("Connection");
                            let name = field.name.node.as_str();
                            let size = match pages.filter(|_| paged) {
                                Some(default) => Some(Size::Page(default)),
                                None if is_list && !connection => Some(list_size(parent, name)),
                                None => None,
                            };
                            let shape = FieldShape {
                                ty: ty.clone(),
                                size,
                                per_node: is_list && connection,
                                work: bounds::lookup(WORK, parent, name).unwrap_or(0),
                            };
                            (field.name.node.clone(), shape)
                        })
                        .collect();
                    shape.fields.insert(ty.node.name.node.clone(), fields);
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        let named = |name: &str| Some(Name::new(name));
        shape.query = shape.query.or_else(|| named("Query"));
        shape.mutation = shape.mutation.or_else(|| named("Mutation"));
        shape.subscription = shape.subscription.or_else(|| named("Subscription"));
        shape
    }

    /// The root type of an operation.
    pub fn root(&self, ty: async_graphql::parser::types::OperationType) -> Option<&Name> {
        use async_graphql::parser::types::OperationType;
        match ty {
            OperationType::Query => self.query.as_ref(),
            OperationType::Mutation => self.mutation.as_ref(),
            OperationType::Subscription => self.subscription.as_ref(),
        }
    }

    fn field(&self, parent: Option<&Name>, name: &str) -> Option<&FieldShape> {
        self.fields.get(parent?)?.get(name)
    }

    /// Whether `field` of `parent` is paged (for tests and reports).
    pub fn is_paged(&self, parent: &str, field: &str) -> bool {
        self.field(Some(&Name::new(parent)), field)
            .is_some_and(|f| matches!(f.size, Some(Size::Page(_))))
    }

    fn is_connection(&self, ty: Option<&Name>) -> bool {
        ty.is_some_and(|ty| self.connections.contains(ty))
    }
}

/// The size of a list without paging: by its argument, else its cap, else the default.
fn list_size(parent: &str, field: &str) -> Size {
    let by_argument = LISTS_BY_ARGUMENT
        .iter()
        .find(|(t, f, _, _)| *t == parent && *f == field);
    match by_argument {
        Some((_, _, argument, most)) => Size::ByArgument(argument, *most),
        None => Size::Cap(bounds::lookup(LIST_CAPS, parent, field).unwrap_or(DEFAULT_LIST_CAP)),
    }
}

fn const_u64(value: &ConstValue) -> Option<u64> {
    match value {
        ConstValue::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// Walks an operation's selections for its cost and depth, memoising fragments so fragment
/// "bombs" cost linear time, and refusing fragment cycles.
pub(super) struct CostWalker<'a> {
    pub(super) shape: &'a SchemaShape,
    pub(super) document: &'a ExecutableDocument,
    pub(super) variables: &'a Map<String, Value>,
    pub(super) definitions: &'a [Positioned<VariableDefinition>],
    /// After execution: the most nodes each paged field (by position) returned.
    pub(super) returned: Option<&'a HashMap<Pos, u64>>,
    pub(super) memo: HashMap<Name, (Cost, usize)>,
    pub(super) stack: Vec<Name>,
    /// Whether a page size came from a variable (the cost then depends on the request).
    pub(super) used_variables: bool,
}

impl CostWalker<'_> {
    /// Cost and depth of a selection set on `parent` (`None` when the type is unknown).
    pub(super) fn set(
        &mut self,
        set: &SelectionSet,
        parent: Option<&Name>,
    ) -> Result<(Cost, usize), Rejection> {
        let shape = self.shape;
        let (mut cost, mut depth) = (Cost::default(), 0usize);
        for item in &set.items {
            let (c, d) = match &item.node {
                Selection::Field(field) => {
                    let f = &field.node;
                    let known = shape.field(parent, f.name.node.as_str());
                    let work = known.map_or(0, |k| k.work);
                    let (c, d) = if f.selection_set.node.items.is_empty() {
                        (work, 1)
                    } else {
                        let child_type = known.map(|k| &k.ty);
                        let (children, child_depth) =
                            self.set(&f.selection_set.node, child_type)?;
                        let c = match known.and_then(|k| k.size) {
                            Some(size) => {
                                let n = match self.returned {
                                    // The server never returns more than was asked.
                                    Some(returned) => {
                                        returned.get(&field.pos).copied().unwrap_or(0)
                                    }
                                    None => self.size(&f.arguments, size),
                                };
                                if shape.is_connection(child_type) {
                                    2u64.saturating_add(n.saturating_mul(children.per_node))
                                        .saturating_add(children.once)
                                } else {
                                    let element = 1u64.saturating_add(children.total());
                                    2u64.saturating_add(n.saturating_mul(element))
                                }
                            }
                            None => 1u64.saturating_add(children.total()),
                        };
                        (c.saturating_add(work), child_depth + 1)
                    };
                    let c = if known.is_some_and(|k| k.per_node) {
                        Cost {
                            once: 0,
                            per_node: c,
                        }
                    } else {
                        Cost {
                            once: c,
                            per_node: 0,
                        }
                    };
                    (c, d)
                }
                Selection::InlineFragment(inline) => {
                    let on = inline.node.type_condition.as_ref().map(|t| &t.node.on.node);
                    self.set(&inline.node.selection_set.node, on.or(parent))?
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(&spread.node.fragment_name.node)?
                }
            };
            cost.add(c);
            depth = depth.max(d);
        }
        Ok((cost, depth))
    }

    fn fragment(&mut self, name: &Name) -> Result<(Cost, usize), Rejection> {
        if let Some(known) = self.memo.get(name) {
            return Ok(*known);
        }
        if self.stack.contains(name) {
            return Err(Rejection::Invalid(crate::tr!(
                "limit-fragment-cycle",
                name = name.as_str()
            )));
        }
        let document = self.document;
        let Some(definition) = document.fragments.get(name) else {
            return Ok((Cost::default(), 0));
        };
        let definition: &Positioned<FragmentDefinition> = definition;
        self.stack.push(name.clone());
        let on = &definition.node.type_condition.node.on.node;
        let result = self.set(&definition.node.selection_set.node, Some(on));
        self.stack.pop();
        let result = result?;
        self.memo.insert(name.clone(), result);
        Ok(result)
    }

    /// The number of elements a paged field or a list is reckoned to return.
    fn size(&mut self, arguments: &[(Positioned<Name>, Positioned<GqlValue>)], size: Size) -> u64 {
        match size {
            Size::Page(default) => self.page_size(arguments, default),
            Size::Cap(cap) => cap,
            Size::ByArgument(argument, most) => {
                let value = arguments
                    .iter()
                    .find(|(name, _)| name.node.as_str() == argument)
                    .map(|(_, value)| &value.node);
                let length = match value {
                    Some(GqlValue::List(items)) => Some(items.len() as u64),
                    Some(GqlValue::Variable(var)) => {
                        self.used_variables = true;
                        match self.variables.get(var.as_str()) {
                            Some(Value::Array(items)) => Some(items.len() as u64),
                            Some(_) => Some(1),
                            None => None,
                        }
                    }
                    // One value where a list is expected is a list of one.
                    Some(_) => Some(1),
                    None => None,
                };
                // Past the most, the field refuses without doing any work.
                length.map_or(most, |n| n.min(most))
            }
        }
    }

    /// The page size asked of a paged field: the larger of `first` and `last`.
    fn page_size(
        &mut self,
        arguments: &[(Positioned<Name>, Positioned<GqlValue>)],
        default: u64,
    ) -> u64 {
        let mut size = None;
        for (name, value) in arguments {
            if !matches!(name.node.as_str(), "first" | "last") {
                continue;
            }
            let value = match &value.node {
                GqlValue::Number(n) => n.as_u64(),
                GqlValue::Variable(var) => {
                    self.used_variables = true;
                    match self.variables.get(var.as_str()) {
                        Some(value) => value.as_u64(),
                        None => self
                            .definitions
                            .iter()
                            .find(|d| d.node.name.node == *var)
                            .and_then(|d| d.node.default_value.as_ref())
                            .and_then(|v| const_u64(&v.node))
                            .or(Some(default)),
                    }
                }
                GqlValue::Null => Some(default),
                _ => None,
            };
            let value = value.unwrap_or(default);
            size = Some(size.map_or(value, |s: u64| s.max(value)));
        }
        size.unwrap_or(default)
    }
}
