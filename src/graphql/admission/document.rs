//! Checks on a parsed document that bound the work validation and execution
//! will do, before either starts.
//!
//! Validation and complexity counting walk a fragment once per spread, so 25
//! fragments that each spread the previous one twice made 2^25 walks (12 s
//! of CPU, doubling per level). Here each fragment's size is computed once,
//! with memoisation, and the document is refused when the selections it
//! expands to exceed a bound. The same walk counts aliases and root mutation
//! fields (each expanded, so hiding them in fragments does not help), and
//! refuses control characters in any argument, literal or variable, naming
//! the argument.
//!
//! Depth is measured here too, not by async-graphql's `limit_depth`: that
//! one counts introspection, and the standard introspection query
//! (graphql-js `getIntrospectionQuery`, what GraphiQL and code generators
//! send) is 13 deep, so GraphiQL could not load the schema. Below
//! `__schema`/`__type` a separate, larger bound applies: the schema's type
//! references end, but `fields { type { fields ... } }` could recurse.
use std::collections::HashMap;

use async_graphql::{
    parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet},
    Name, Variables,
};

/// Documented in README ("Limits").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentLimits {
    pub max_fragments: usize,
    /// Fields once every fragment spread is replaced by its fragment.
    pub max_expanded_fields: u64,
    pub max_aliases: u64,
    /// Root fields of a mutation: each is a separate write.
    pub max_root_mutations: u64,
    /// Nesting of fields, not counting what lies under `__schema`/`__type`.
    pub max_depth: u32,
    /// Nesting of fields, counting everything: bounds introspection.
    pub max_introspection_depth: u32,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        Self {
            max_fragments: 100,
            max_expanded_fields: 2_000,
            max_aliases: 30,
            max_root_mutations: 10,
            max_depth: 12,
            max_introspection_depth: 20,
        }
    }
}

/// Why a parsed document was refused; `field` names an argument when one is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRefusal {
    pub field: Option<String>,
    pub message: String,
}

impl DocumentRefusal {
    fn new(message: String) -> Self {
        Self {
            field: None,
            message,
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Counts {
    fields: u64,
    aliases: u64,
    /// Fields at the top of the selection set (for a mutation, its writes).
    roots: u64,
    /// Deepest nesting, with introspection subtrees cut off.
    depth: u32,
    /// Deepest nesting, introspection included.
    full_depth: u32,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.roots = self.roots.saturating_add(other.roots);
        self.depth = self.depth.max(other.depth);
        self.full_depth = self.full_depth.max(other.full_depth);
    }
}

enum Memo {
    Visiting,
    Done(Counts),
}

struct Expander<'a> {
    doc: &'a ExecutableDocument,
    memo: HashMap<&'a Name, Memo>,
}

impl<'a> Expander<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> Result<Counts, DocumentRefusal> {
        let mut counts = Counts::default();
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let inner = self.selection_set(&field.node.selection_set.node)?;
                    let introspection =
                        matches!(field.node.name.node.as_str(), "__schema" | "__type");
                    counts.add(Counts {
                        depth: if introspection { 1 } else { inner.depth + 1 },
                        full_depth: inner.full_depth + 1,
                        fields: 1u64.saturating_add(inner.fields),
                        aliases: u64::from(field.node.alias.is_some())
                            .saturating_add(inner.aliases),
                        roots: 1,
                    });
                }
                Selection::InlineFragment(inline) => {
                    counts.add(self.selection_set(&inline.node.selection_set.node)?);
                }
                Selection::FragmentSpread(spread) => {
                    counts.add(self.fragment(&spread.node.fragment_name.node)?);
                }
            }
        }
        Ok(counts)
    }

    fn fragment(&mut self, name: &'a Name) -> Result<Counts, DocumentRefusal> {
        match self.memo.get(name) {
            Some(Memo::Done(counts)) => return Ok(*counts),
            Some(Memo::Visiting) => {
                return Err(DocumentRefusal::new(format!(
                    "fragment {name} spreads itself (directly or through other fragments)"
                )))
            }
            None => {}
        }
        // An unknown fragment is validation's to report.
        let Some(fragment) = self.doc.fragments.get(name) else {
            return Ok(Counts::default());
        };
        self.memo.insert(name, Memo::Visiting);
        let counts = self.selection_set(&fragment.node.selection_set.node)?;
        self.memo.insert(name, Memo::Done(counts));
        Ok(counts)
    }
}

/// Refuses `doc` when it would expand past `limits` or carries control
/// characters in an argument (directly or through `variables`).
pub fn check(
    doc: &ExecutableDocument,
    variables: &Variables,
    limits: DocumentLimits,
) -> Result<(), DocumentRefusal> {
    if doc.fragments.len() > limits.max_fragments {
        return Err(DocumentRefusal::new(format!(
            "the document defines {} fragments; at most {} are accepted",
            doc.fragments.len(),
            limits.max_fragments
        )));
    }
    let mut expander = Expander {
        doc,
        memo: HashMap::new(),
    };
    let mut total = Counts::default();
    for (_, operation) in doc.operations.iter() {
        let counts = expander.selection_set(&operation.node.selection_set.node)?;
        if operation.node.ty == OperationType::Mutation && counts.roots > limits.max_root_mutations
        {
            return Err(DocumentRefusal::new(format!(
                "a mutation may hold at most {} root fields (this one holds {})",
                limits.max_root_mutations, counts.roots
            )));
        }
        total.add(counts);
    }
    // Fragments no operation spreads are still validated: count them too.
    for name in doc.fragments.keys() {
        if !expander.memo.contains_key(name) {
            total.add(expander.fragment(name)?);
        }
    }
    if total.fields > limits.max_expanded_fields {
        return Err(DocumentRefusal::new(format!(
            "the document expands to more than {} fields once its fragments are spread",
            limits.max_expanded_fields
        )));
    }
    if total.depth > limits.max_depth {
        return Err(DocumentRefusal::new(format!(
            "the document nests fields {} deep; at most {} are accepted",
            total.depth, limits.max_depth
        )));
    }
    if total.full_depth > limits.max_introspection_depth {
        return Err(DocumentRefusal::new(format!(
            "the introspection nests fields {} deep; at most {} are accepted",
            total.full_depth, limits.max_introspection_depth
        )));
    }
    if total.aliases > limits.max_aliases {
        return Err(DocumentRefusal::new(format!(
            "the document uses {} aliases (counting each fragment spread); at most {} are accepted",
            total.aliases, limits.max_aliases
        )));
    }
    super::arguments::check(doc, variables).map_err(|refused| DocumentRefusal {
        field: refused.field,
        message: refused.message,
    })
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use serde_json::json;

    use super::*;

    fn checked(query: &str, variables: serde_json::Value) -> Result<(), DocumentRefusal> {
        let doc = parse_query(query).expect("parses");
        check(
            &doc,
            &Variables::from_json(variables),
            DocumentLimits::default(),
        )
    }

    fn nested(names: &[&str], depth: usize) -> String {
        let mut query = String::new();
        for level in 0..depth {
            query.push_str(names[level.min(names.len() - 1)]);
            query.push_str(" { ");
        }
        query.push_str("__typename");
        query.push_str(&" }".repeat(depth));
        format!("{{ {query} }}")
    }

    #[test]
    fn depth_counts_through_fragments_but_not_below_introspection() {
        assert!(checked(&nested(&["a"], 11), json!({})).is_ok());
        let refused = checked(&nested(&["a"], 12), json!({})).unwrap_err();
        assert!(refused.message.contains("13 deep"), "{}", refused.message);
        let hidden = "{ ...A } fragment A on Query { a { ...B } } fragment B on Q { b { b { b { b { b { b { b { b { b { b { b { c } } } } } } } } } } } }";
        assert!(checked(hidden, json!({})).is_err());
        assert!(checked(
            &nested(&["__schema", "types", "fields", "type", "ofType"], 18),
            json!({})
        )
        .is_ok());
        let recursive = checked(
            &nested(&["__schema", "types", "fields", "type"], 20),
            json!({}),
        )
        .unwrap_err();
        assert!(
            recursive.message.contains("introspection"),
            "{}",
            recursive.message
        );
    }

    #[test]
    fn the_standard_introspection_queries_are_admitted() {
        for query in [
            include_str!("../../../tests/api/fixtures/introspection_default.graphql"),
            include_str!("../../../tests/api/fixtures/introspection_all_options.graphql"),
        ] {
            assert_eq!(checked(query, json!({})), Ok(()));
        }
    }

    #[test]
    fn fragments_that_double_at_each_level_are_refused_quickly() {
        let mut query = String::from("query { ...F25 }\nfragment F0 on Query { __typename }\n");
        for level in 1..=25 {
            query.push_str(&format!(
                "fragment F{level} on Query {{ ...F{prev} ...F{prev} }}\n",
                prev = level - 1
            ));
        }
        let started = std::time::Instant::now();
        let refused = checked(&query, json!({})).expect_err("refused");
        assert!(refused.message.contains("expands"), "{refused:?}");
        assert!(started.elapsed() < std::time::Duration::from_millis(100));
    }

    #[test]
    fn a_fragment_cycle_is_refused_instead_of_walked_forever() {
        let query = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert!(checked(query, json!({}))
            .unwrap_err()
            .message
            .contains("spreads itself"));
    }

    #[test]
    fn aliases_count_once_per_spread() {
        let aliases: String = (0..10).map(|i| format!("a{i}: __typename ")).collect();
        let query = format!("query {{ ...F ...F ...F ...F }} fragment F on Query {{ {aliases} }}");
        assert!(checked(&query, json!({}))
            .unwrap_err()
            .message
            .contains("aliases"));
        let fine = format!("query {{ ...F }} fragment F on Query {{ {aliases} }}");
        assert_eq!(checked(&fine, json!({})), Ok(()));
    }

    #[test]
    fn a_mutation_with_too_many_root_fields_is_refused() {
        let fields: String = (0..11)
            .map(|i| format!("r{i}: logout(refreshToken: \"x\") "))
            .collect();
        let refused = checked(&format!("mutation {{ {fields} }}"), json!({})).unwrap_err();
        assert!(refused.message.contains("root fields"), "{refused:?}");
    }

    #[test]
    fn control_characters_are_named_by_argument_path_literal_or_variable() {
        let literal = checked("{ a(filter: {search: \"x\\u0000y\"}) }", json!({})).unwrap_err();
        assert_eq!(literal.field.as_deref(), Some("filter.search"));
        let variable = checked(
            "query($i: In) { a(input: $i) }",
            json!({ "i": { "attributes": { "notes": ["ok", "bad\u{0007}"] } } }),
        )
        .unwrap_err();
        assert_eq!(variable.field.as_deref(), Some("input.attributes.notes[1]"));
        let key = checked(
            "query($m: J) { a(metadata: $m) }",
            json!({ "m": { "k\u{0000}": 1 } }),
        )
        .unwrap_err();
        assert_eq!(key.field.as_deref(), Some("metadata"));
        assert_eq!(
            checked("{ a(body: \"line one\\nline two\\ttab\") }", json!({})),
            Ok(())
        );
    }
}
