//! The MCP server: the zd tool registry exposed over the Model Context Protocol, on stdio and
//! on streamable HTTP. The only crate that depends on rmcp.
