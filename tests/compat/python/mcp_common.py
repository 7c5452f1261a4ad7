"""Shared scenario for the zd MCP server tests with the official MCP Python SDK.

Run against a fresh Zendesk sandbox: lists the tools, checks what a model sees (no credentials,
annotations stating only what differs from MCP's defaults, no output schemas), calls several
tools for real (structured results, the same JSON as text), and checks that failures come back
as tool errors.
"""

import json
from typing import Any

from mcp import ClientSession
from mcp.shared.exceptions import McpError

CREDENTIALS = {"email", "apiToken", "subdomain"}

# The seed's 26 tools, plus the additions; each must be listed.
CORE_TOOLS = {
    "zendesk_get_tickets",
    "zendesk_get_ticket",
    "zendesk_create_ticket",
    "zendesk_create_tickets_bulk",
    "zendesk_update_ticket",
    "zendesk_update_tickets_bulk",
    "zendesk_delete_ticket",
    "zendesk_merge_tickets",
    "zendesk_get_users",
    "zendesk_get_user",
    "zendesk_get_current_user",
    "zendesk_search_users",
    "zendesk_create_user",
    "zendesk_create_users_bulk",
    "zendesk_update_user",
    "zendesk_update_users_bulk",
    "zendesk_delete_user",
    "zendesk_get_organizations",
    "zendesk_get_organization",
    "zendesk_autocomplete_organizations",
    "zendesk_create_organization",
    "zendesk_create_organizations_bulk",
    "zendesk_update_organization",
    "zendesk_delete_organization",
    "zendesk_search",
    "zendesk_search_count",
    "zendesk_get_job_status",
}


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


async def call_ok(session: ClientSession, name: str, arguments: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    result = await session.call_tool(name, arguments, **kwargs)
    check(not result.isError, f"{name} failed: {text_of(result)}")
    check(isinstance(result.structuredContent, dict), f"{name}: no structured content")
    # Clients without structured-content support read the same JSON from the text block.
    check(
        json.loads(result.content[0].text) == result.structuredContent,
        f"{name}: text content differs from structured content",
    )
    return result.structuredContent


async def call_error(session: ClientSession, name: str, arguments: dict[str, Any]) -> str:
    result = await session.call_tool(name, arguments)
    check(result.isError is True, f"{name} should have failed: {result}")
    message = text_of(result)
    check(len(message) > 0, f"{name}: an error without a message")
    return message


async def check_tool_list(session: ClientSession) -> dict[str, Any]:
    listed = await session.list_tools()
    tools = {tool.name: tool for tool in listed.tools}
    missing = CORE_TOOLS - tools.keys()
    check(not missing, f"tools missing from tools/list: {sorted(missing)}")
    for tool in listed.tools:
        properties = tool.inputSchema.get("properties", {})
        leaked = CREDENTIALS & properties.keys()
        check(not leaked, f"{tool.name} shows credentials to the model: {leaked}")
        check(not (CREDENTIALS & set(tool.inputSchema.get("required", []))), f"{tool.name} requires credentials")
        check(bool(tool.description), f"{tool.name} has no description")
        # No output schemas: a model's client pays for them in context (see zendesk-mcp's schema.rs).
        check(tool.outputSchema is None, f"{tool.name}: output schema")
        annotations = tool.annotations
        check(annotations is not None, f"{tool.name} has no annotations")
        # MCP's default (an open world) is the truth for every tool: not repeated.
        check(annotations.openWorldHint is None, f"{tool.name}: openWorldHint")
        check(annotations.readOnlyHint is True or annotations.destructiveHint is not None,
              f"{tool.name}: a writer says whether it destroys")
    check("ticketId" in tools["zendesk_get_ticket"].inputSchema["required"], "get_ticket requires ticketId")
    check(tools["zendesk_get_ticket"].annotations.readOnlyHint is True, "get_ticket is read-only")
    check(tools["zendesk_search"].annotations.readOnlyHint is True, "search is read-only")
    for destructive in ("zendesk_delete_ticket", "zendesk_merge_tickets", "zendesk_delete_user"):
        hints = tools[destructive].annotations
        check(not hints.readOnlyHint, f"{destructive} is not read-only")
        check(hints.destructiveHint is True, f"{destructive}: destructiveHint")
    check(not tools["zendesk_create_ticket"].annotations.readOnlyHint, "create_ticket writes")
    check(tools["zendesk_create_ticket"].annotations.destructiveHint is False, "create_ticket only adds")
    check(tools["zendesk_update_user"].annotations.idempotentHint is True, "update_user is idempotent")
    check(not tools["zendesk_create_ticket"].annotations.idempotentHint, "create_ticket is not idempotent")
    return tools


async def ticket_round_trip(session: ClientSession, marker: str) -> str:
    """Create, read, update, search and delete a ticket; returns nothing but fails loudly."""
    me = await call_ok(session, "zendesk_get_current_user", {})
    check(isinstance(me.get("user"), dict) and me["user"].get("id") is not None, f"current user: {me}")

    created = await call_ok(
        session,
        "zendesk_create_ticket",
        {"subject": f"MCP {marker}", "description": "Printer on fire", "priority": "high", "tags": "mcp,compat"},
    )
    ticket_id = str(created["ticket_id"])
    check(created["ticket"]["subject"] == f"MCP {marker}", f"created: {created}")

    fetched = await call_ok(session, "zendesk_get_ticket", {"ticketId": ticket_id})
    check(fetched["ticket"]["priority"] == "high", f"fetched: {fetched}")

    # A model sending a number for an ID string still works.
    updated = await call_ok(session, "zendesk_update_ticket", {"ticketId": int(ticket_id), "status": "pending"})
    check(updated["ticket"]["status"] == "pending", f"updated: {updated}")

    listed = await call_ok(session, "zendesk_get_tickets", {"perPage": "5"})
    check(isinstance(listed["tickets"], list), f"get_tickets: {listed}")
    check("has_more" in listed["paging"], f"paging: {listed['paging']}")

    deleted = await call_ok(session, "zendesk_delete_ticket", {"ticketId": ticket_id})
    check(deleted["deleted"] is True, f"deleted: {deleted}")
    return ticket_id


async def failing_calls(session: ClientSession, deleted_ticket_id: str) -> None:
    message = await call_error(session, "zendesk_get_ticket", {"ticketId": "abc"})
    check("ticketId" in message, f"bad ID message should name the param: {message}")

    message = await call_error(session, "zendesk_get_ticket", {"ticketId": deleted_ticket_id})
    check("404" in message or "not found" in message.lower(), f"missing ticket: {message}")

    message = await call_error(session, "zendesk_get_ticket", {})
    check("ticketId" in message, f"missing required param: {message}")

    message = await call_error(session, "zendesk_get_ticket", {"ticketId": "1", "subdomain": "attacker"})
    check("subdomain" in message, f"credential override refused: {message}")

    message = await call_error(session, "zendesk_create_ticket", {"description": "x", "customFields": "{oops"})
    check("customFields" in message, f"bad JSON param: {message}")

    try:
        await session.call_tool("zendesk_no_such_tool", {})
    except McpError as error:
        check("zendesk_no_such_tool" in str(error), f"unknown tool: {error}")
    else:
        raise AssertionError("an unknown tool should be a protocol error")


async def bulk_with_progress(session: ClientSession) -> int:
    """A bulk create followed by a job-status wait, then a bulk create that waits itself;
    returns the number of progress updates."""
    tickets = [{"subject": f"bulk {i}", "comment": {"body": "bulk body"}} for i in range(3)]
    job = await call_ok(session, "zendesk_create_tickets_bulk", {"tickets": json.dumps(tickets)})
    job_id = job["job_id"]
    check(bool(job_id), f"bulk job id: {job}")

    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    status = await call_ok(
        session,
        "zendesk_get_job_status",
        {"jobId": str(job_id), "waitSeconds": "20"},
        progress_callback=on_progress,
    )
    check(status["done"] is True, f"job did not finish: {status}")
    check(status["job_status"]["status"] == "completed", f"job status: {status}")
    # The follower reports on every poll, so a client that asked for progress hears at least once.
    check(len(updates) >= 1, "no progress notification while following the job")
    check(all(message and str(job_id) in message for _, _, message in updates), f"progress messages: {updates}")
    progresses = [update[0] for update in updates]
    check(progresses == sorted(progresses), f"progress must not go backwards: {updates}")

    # A bulk tool given waitSeconds follows its own job in the same call, with progress too.
    waited_updates: list[tuple[float, float | None, str | None]] = []

    async def on_waited_progress(progress: float, total: float | None, message: str | None) -> None:
        waited_updates.append((progress, total, message))

    waited = await call_ok(
        session,
        "zendesk_create_tickets_bulk",
        {"tickets": json.dumps(tickets), "waitSeconds": "20"},
        progress_callback=on_waited_progress,
    )
    check(waited["done"] is True, f"bulk job with waitSeconds did not finish: {waited}")
    check(waited["job_status"]["status"] == "completed", f"bulk job status: {waited}")
    check(len(waited["job_status"]["results"]) == len(tickets), f"bulk job results: {waited}")
    check(len(waited_updates) >= 1, "no progress notification while the bulk tool waited")
    check(
        all(message and str(waited["job_id"]) in message for _, _, message in waited_updates),
        f"bulk progress messages: {waited_updates}",
    )
    return len(updates) + len(waited_updates)


async def read_only_session(session: ClientSession, all_tools: set[str]) -> None:
    listed = await session.list_tools()
    names = {tool.name for tool in listed.tools}
    check(names, "read-only mode lists no tools")
    check(names < all_tools, f"read-only mode should hide writers: {sorted(names)}")
    for tool in listed.tools:
        check(tool.annotations.readOnlyHint is True, f"{tool.name} listed in read-only mode")
    check("zendesk_delete_ticket" not in names, "delete listed in read-only mode")
    check("zendesk_get_ticket" in names, "get_ticket missing in read-only mode")
    await call_ok(session, "zendesk_get_current_user", {})
    try:
        await session.call_tool("zendesk_create_ticket", {"description": "should not exist"})
    except McpError as error:
        check("zendesk_create_ticket" in str(error), f"{error}")
    else:
        raise AssertionError("a writer must not be callable in read-only mode")
