//! The replay of Zendesk's recorded traffic against the sandbox: reading the cassettes
//! (`recording`), mapping recorded IDs onto the sandbox's (`ids`), comparing response shapes
//! (`shape`), and driving a fresh sandbox per recorded test (`runner`).

pub mod ids;
pub mod recording;
pub mod runner;
pub mod shape;
