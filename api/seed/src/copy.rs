//! Rows in PostgreSQL's COPY text format, for bulk loading.
//!
//! Hand-written because the format is five escape rules; no maintained crate writes it
//! without also owning the connection.

use std::fmt::{Display, Write};

/// A buffer of COPY text rows.
#[derive(Default)]
pub struct CopyRows {
    buf: String,
    row_started: bool,
    rows: usize,
}

impl CopyRows {
    fn separator(&mut self) {
        if self.row_started {
            self.buf.push('\t');
        }
        self.row_started = true;
    }

    fn escaped(&mut self, text: &str) {
        for c in text.chars() {
            match c {
                '\\' => self.buf.push_str("\\\\"),
                '\t' => self.buf.push_str("\\t"),
                '\n' => self.buf.push_str("\\n"),
                '\r' => self.buf.push_str("\\r"),
                c => self.buf.push(c),
            }
        }
    }

    /// A text field.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.separator();
        self.escaped(text);
        self
    }

    /// A field whose display form needs no escaping (numbers, timestamps, enum labels).
    pub fn value(&mut self, value: impl Display) -> &mut Self {
        self.separator();
        let _ = write!(self.buf, "{value}");
        self
    }

    /// An optional value; `None` is SQL NULL.
    pub fn opt(&mut self, value: Option<impl Display>) -> &mut Self {
        match value {
            Some(v) => self.value(v),
            None => {
                self.separator();
                self.buf.push_str("\\N");
                self
            }
        }
    }

    /// A `text[]` field.
    pub fn array<S: AsRef<str>>(&mut self, items: &[S]) -> &mut Self {
        let mut literal = String::from("{");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                literal.push(',');
            }
            literal.push('"');
            for c in item.as_ref().chars() {
                if c == '"' || c == '\\' {
                    literal.push('\\');
                }
                literal.push(c);
            }
            literal.push('"');
        }
        literal.push('}');
        self.separator();
        self.escaped(&literal);
        self
    }

    /// Ends the current row.
    pub fn end(&mut self) {
        self.buf.push('\n');
        self.row_started = false;
        self.rows += 1;
    }

    /// Rows written so far.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row was written.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Takes the buffered text, leaving the buffer empty.
    pub fn take(&mut self) -> String {
        self.rows = 0;
        std::mem::take(&mut self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::CopyRows;

    #[test]
    fn escapes_fields_and_arrays() {
        let mut rows = CopyRows::default();
        rows.value(1)
            .text("a\tb\\c")
            .opt(None::<i32>)
            .array(&["x\"y", "ñ"])
            .end();
        assert_eq!(rows.take(), "1\ta\\tb\\\\c\t\\N\t{\"x\\\\\"y\",\"ñ\"}\n");
    }
}
