//! Fuzzes the parser: no input may panic it, and whatever parses must print to a query that
//! parses back to the same AST.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(query) = zendesk_query::parse(input) {
        let printed = query.to_string();
        assert_eq!(
            zendesk_query::parse(&printed),
            Ok(query),
            "{input:?} printed as {printed:?}"
        );
    }
});
