"""The triage workflow of issue 9 as a support agent's model runs it, through the official MCP
Python SDK over stdio against a fresh sandbox: find urgent open tickets with `fields`, read a
thread, add an internal note (it reads back `public: false`), reply publicly with status
pending, read the history showing both, read the thread as the `zendesk://tickets/{id}`
resource, and get the prompts. Prints the bytes a model reads over 10 tickets, whole and with
`fields`.

Runs under the 1.x line of the `mcp` package and under 2.x, which renamed the result fields to
snake_case (`is_error`, `structured_content`, `server_info`).

Usage: mcp_triage.py ZD_BINARY
"""

import asyncio
import json
import os
import sys
from typing import Any

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def attr(obj: Any, snake: str) -> Any:
    """A result field under 2.x's snake_case name, or 1.x's camelCase one."""
    if hasattr(obj, snake):
        return getattr(obj, snake)
    first, *rest = snake.split("_")
    return getattr(obj, first + "".join(part.title() for part in rest))


async def call(session: ClientSession, name: str, arguments: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The tool's structured result and the bytes of the text a model reads."""
    result = await session.call_tool(name, arguments)
    text = "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")
    check(not attr(result, "is_error"), f"{name}({arguments}) failed: {text}")
    structured = attr(result, "structured_content")
    check(json.loads(result.content[0].text) == structured, f"{name}: text differs from structured content")
    return structured, len(text.encode())


async def main(zd: str) -> None:
    params = StdioServerParameters(command=zd, args=["mcp"], env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            check(attr(init, "server_info").name == "zd", "server info")

            # Ten urgent open tickets beside the demo desk's.
            tickets = [
                {"subject": f"Printer {i} on fire", "priority": "urgent", "status": "open",
                 "comment": {"body": f"Printer {i} smokes since this morning; the tray is stuck (error E-{i})."}}
                for i in range(10)
            ]
            job, _ = await call(session, "zendesk_create_tickets_bulk", {"tickets": json.dumps(tickets), "waitSeconds": "60"})
            check(job["done"] is True, f"bulk create: {job}")

            query = {"query": "priority:urgent status:open", "filterType": "ticket", "perPage": "10"}
            whole, whole_bytes = await call(session, "zendesk_search", query)
            cut, cut_bytes = await call(session, "zendesk_search", {**query, "fields": ["subject", "status", "updated_at"]})
            check(len(cut["results"]) == 10, f"search: {len(cut['results'])} results")
            check(all(set(r) == {"id", "subject", "status", "updated_at"} for r in cut["results"]), f"fields: {cut['results'][0]}")
            check([r["id"] for r in cut["results"]] == [r["id"] for r in whole["results"]], "same tickets either way")
            ids = [str(r["id"]) for r in cut["results"]]

            for ticket_id in ids:
                _, size = await call(session, "zendesk_get_ticket_comments", {"ticketId": ticket_id})
                whole_bytes += size
                thread, size = await call(session, "zendesk_get_ticket_comments",
                                          {"ticketId": ticket_id, "fields": "public,body,author,created_at"})
                cut_bytes += size
                check(len(thread["comments"]) >= 1, f"ticket {ticket_id} has its first comment")

            ticket = ids[0]
            note, size = await call(session, "zendesk_add_internal_note", {"ticketId": ticket, "body": "Legacy model: check the contract"})
            check(note["comment"]["public"] is False, f"note: {note}")
            whole_bytes += size
            cut_bytes += size
            reply, size = await call(session, "zendesk_reply_to_ticket",
                                     {"ticketId": ticket, "body": "A technician is on the way", "status": "pending"})
            check(reply["comment"]["public"] is True and reply["status"] == "pending", f"reply: {reply}")
            whole_bytes += size
            cut_bytes += size

            thread, _ = await call(session, "zendesk_get_ticket_comments", {"ticketId": ticket})
            seen = [(c["body"], c["public"]) for c in thread["comments"]]
            check(("Legacy model: check the contract", False) in seen, f"the note reads back internal: {seen}")
            check(("A technician is on the way", True) in seen, f"the reply reads back public: {seen}")
            authors = [c["author"] for c in thread["comments"]]
            check(all(isinstance(a["id"], int) and a["name"] and a["role"] for a in authors), f"authors named: {authors}")

            history, size = await call(session, "zendesk_get_ticket_audits", {"ticketId": ticket})
            whole_bytes += size
            cut_bytes += size
            events = [e for audit in history["audits"] for e in audit["events"]]
            check({"type": "Change", "field": "status", "from": "open", "to": "pending"} in events, f"history: {events}")
            check(any(e["type"] == "Comment" and e["public"] is False for e in events), f"history has the note: {events}")

            resource = await session.read_resource(f"zendesk://tickets/{ticket}")
            text = resource.contents[0].text
            check(text.startswith(f"Ticket #{ticket}: "), text)
            check("INTERNAL NOTE (agents only)" in text and "A technician is on the way" in text, text)

            prompts = await session.list_prompts()
            check({p.name for p in prompts.prompts} == {"triage-ticket", "draft-reply"}, f"prompts: {prompts}")
            prompt = await session.get_prompt("triage-ticket", {"ticketId": ticket})
            check("zendesk_add_internal_note" in prompt.messages[0].content.text, "triage prompt")
            templates = attr(await session.list_resource_templates(), "resource_templates")
            check(attr(templates[0], "uri_template") == "zendesk://tickets/{id}", f"templates: {templates}")

            print(f"triage: bytes a model reads over 10 tickets: {whole_bytes} whole, {cut_bytes} with fields")
    print("triage: OK")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
