//! Control characters in arguments: refused wherever they hide (literals,
//! variables, defaults, object keys), naming the argument's path.
use async_graphql::{
    parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
    Variables,
};
use async_graphql_value::Value;

/// The argument at fault (its path for the client) and why.
#[derive(Debug)]
pub struct Refused {
    pub field: Option<String>,
    pub message: String,
}

/// Control characters other than tab, line feed and carriage return.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

pub fn check(doc: &ExecutableDocument, variables: &Variables) -> Result<(), Refused> {
    let mut sets: Vec<&SelectionSet> = Vec::new();
    let operations: Vec<_> = match &doc.operations {
        DocumentOperations::Single(op) => vec![op],
        DocumentOperations::Multiple(ops) => ops.values().collect(),
    };
    for operation in operations {
        for definition in &operation.node.variable_definitions {
            if let Some(default) = &definition.node.default_value {
                let default = default.node.clone().into_value();
                check_value(&default, &definition.node.name.node, variables)?;
            }
        }
        sets.push(&operation.node.selection_set.node);
    }
    sets.extend(doc.fragments.values().map(|f| &f.node.selection_set.node));
    // An explicit stack: selection sets nest, but this walk never recurses.
    while let Some(set) = sets.pop() {
        for item in &set.items {
            let (directives, children) = match &item.node {
                Selection::Field(field) => {
                    for (name, value) in &field.node.arguments {
                        check_value(&value.node, &name.node, variables)?;
                    }
                    (&field.node.directives, Some(&field.node.selection_set.node))
                }
                Selection::InlineFragment(inline) => (
                    &inline.node.directives,
                    Some(&inline.node.selection_set.node),
                ),
                Selection::FragmentSpread(spread) => (&spread.node.directives, None),
            };
            for directive in directives {
                for (name, value) in &directive.node.arguments {
                    check_value(&value.node, &name.node, variables)?;
                }
            }
            sets.extend(children);
        }
    }
    Ok(())
}

/// One argument value, with variables resolved; `path` names it for the client.
fn check_value(value: &Value, path: &str, variables: &Variables) -> Result<(), Refused> {
    let mut stack: Vec<(String, Value)> = vec![(path.to_string(), value.clone())];
    while let Some((path, value)) = stack.pop() {
        match value {
            Value::Variable(name) => {
                if let Some(bound) = variables.get(&name) {
                    stack.push((path, bound.clone().into_value()));
                }
            }
            Value::String(text) if text.chars().any(is_forbidden_char) => {
                return Err(Refused {
                    message: format!(
                        "{path} contains a control character (only tab, line feed and carriage return are allowed)"
                    ),
                    field: Some(path),
                });
            }
            Value::List(items) => {
                stack.extend(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, item)| (format!("{path}[{i}]"), item)),
                );
            }
            Value::Object(fields) => {
                for (key, item) in fields {
                    let child = format!("{path}.{key}");
                    if key.chars().any(is_forbidden_char) {
                        return Err(Refused {
                            message: format!("{path} has a key with a control character"),
                            field: Some(path),
                        });
                    }
                    stack.push((child, item));
                }
            }
            _ => {}
        }
    }
    Ok(())
}
