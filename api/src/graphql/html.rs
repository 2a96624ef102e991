//! The `HTML` scalar: a fragment of HTML that is safe to insert into a page as it is.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

/// An HTML fragment.
pub struct Html(pub String);

/// An HTML fragment, safe to insert into a page as it is: sanitised when it was written,
/// with no scripts, styles, event attributes or links, and only formatting tags (`p`, `br`,
/// `strong`, `em`, `b`, `i`, `u`, `ul`, `ol`, `li`, `h3`, `h4`). Text that was typed by a
/// user has no tags at all and `&`, `<` and `>` as entities.
#[Scalar(
    name = "HTML",
    specified_by_url = "https://html.spec.whatwg.org/multipage/syntax.html"
)]
impl ScalarType for Html {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) => Ok(Self(s)),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}
