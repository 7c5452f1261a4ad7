//! Zendesk's search query language: lexer, parser to an AST, and a printer that turns the AST
//! back into a query string. Pure: no I/O, no SQL.
