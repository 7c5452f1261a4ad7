//! How long the registry takes to hold arguments to a declaration and build the request, per
//! call, with no network: `cargo run --release -p zendesk-tools --example bench_check`.
//! The figure is printed, not asserted (speed targets live here, not in tests).

use std::hint::black_box;
use std::time::Instant;

use serde_json::json;
use zendesk_tools::{Connection, registry};

fn main() {
    let connection = Connection {
        base_url: Some("http://127.0.0.1:9".into()),
        email: Some("agent@example.com".into()),
        api_token: Some("token".into()),
        ..Default::default()
    };
    let tickets: Vec<serde_json::Value> = (0..100)
        .map(|i| json!({"subject": format!("Ticket {i}"), "comment": {"body": "text"}}))
        .collect();
    let cases = [
        ("zendesk_get_ticket", json!({"ticketId": "12345"})),
        (
            "zendesk_get_tickets",
            json!({"status": "open", "priority": "high", "perPage": "50"}),
        ),
        (
            "zendesk_create_ticket",
            json!({"description": "Printer on fire", "tags": "a, b, c",
                   "customFields": "{\"360001\": \"x\", \"360002\": \"y\"}"}),
        ),
        (
            "zendesk_create_tickets_bulk",
            json!({"tickets": serde_json::to_string(&tickets).unwrap_or_default()}),
        ),
    ];
    let registry = registry();
    for (id, args) in cases {
        let Some(tool) = registry.get(id) else {
            eprintln!("{id} is not registered");
            return;
        };
        let rounds = 20_000u32;
        let started = Instant::now();
        for _ in 0..rounds {
            let outcome = tool.check(black_box(args.clone()), &connection);
            black_box(outcome).ok();
        }
        let per_call = started.elapsed() / rounds;
        println!("{id:32} {per_call:?} per check (arguments cloned each round)");
    }
}
