//! Zendesk's search query language: lexer, parser to an AST, and a printer that turns the AST
//! back into a query string. Pure: no I/O, no SQL.
//!
//! - [`parse`] turns a query into a [`Query`]; errors say what was expected and where.
//! - `Display` on [`Query`] prints a canonical query that parses back to the same AST.
//! - [`keywords`] is the table of keywords per record type, shared with the sandbox compiler.
//! - [`QueryBuilder`] builds correctly quoted queries from typed values.
//! - [`lint`] finds what Zendesk's language lacks (`AND`, parentheses) and suggests the keyword
//!   meant for an unknown one.

mod ast;
mod builder;
pub mod keywords;
mod lexical;
pub mod lint;
mod parser;

pub use ast::{Op, Query, RelativeDate, SortOrder, Term, TermKind, TimeUnit, Value};
pub use builder::{BuildError, QueryBuilder, QueryValue};
pub use keywords::{Keyword, KeywordKind, RecordType};
pub use lexical::{is_keyword_name, parse_date, parse_datetime, parse_relative};
pub use parser::{ParseError, parse};
