"""Safe hands, as a support agent's model meets them through the official MCP Python SDK over
stdio against a fresh sandbox: every trap that once looked like success is refused with nothing
written, every ticket write shows its audit, and a person approves what goes to customers.

- `zendesk_update_ticket` with a comment and no `commentPublic`: refused, naming the param and
  the two tools that choose for the model; the thread is unchanged.
- A write's result carries `audit`: the changes, the comment (public or not), who was emailed.
- `addTags` / `removeTags` keep the other tags; a JSON array inside a string is read as one.
- `OR`, `||`, `NOT`, `!` in a search are refused with the rewrite; a relative date warns.
- A merge with a private comment on the source; a merge that does not say who sees its
  comments is refused with nothing merged.
- `requesterEmail` creates the end-user; `fields` cuts `zendesk_get_ticket`.
- `zd mcp --require-approval public-replies,deletes`: a reply the person approves is posted, one
  they decline is not; a client without elicitation is refused naming the flag.

Runs under the 1.x line of the `mcp` package and under 2.x (snake_case result fields).

Usage: mcp_safe.py ZD_BINARY
"""

import asyncio
import json
import os
import sys
from typing import Any

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import ElicitResult

# Sandbox behaviour this scenario checks: an assignee who is not a member of the ticket's group
# refused with Zendesk's 422 (on: the sandbox does it).
SANDBOX_REFUSES_ASSIGNEE_OUTSIDE_GROUP = True
# The sandbox runs Zendesk's standard notification triggers, so a public comment's audit holds
# a `Notification` event naming who was emailed, as on Zendesk.
SANDBOX_WRITES_NOTIFICATIONS = True


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def attr(obj: Any, snake: str) -> Any:
    """A result field under 2.x's snake_case name, or 1.x's camelCase one."""
    if hasattr(obj, snake):
        return getattr(obj, snake)
    first, *rest = snake.split("_")
    return getattr(obj, first + "".join(part.title() for part in rest))


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


async def call_ok(session: ClientSession, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await session.call_tool(name, arguments)
    check(not attr(result, "is_error"), f"{name}({arguments}) failed: {text_of(result)}")
    return attr(result, "structured_content")


async def call_error(session: ClientSession, name: str, arguments: dict[str, Any]) -> str:
    result = await session.call_tool(name, arguments)
    check(attr(result, "is_error") is True, f"{name}({arguments}) should have been refused: {text_of(result)}")
    return text_of(result)


async def comments(session: ClientSession, ticket_id: str) -> list[dict[str, Any]]:
    thread = await call_ok(session, "zendesk_get_ticket_comments", {"ticketId": ticket_id})
    return thread["comments"]


async def ticket(session: ClientSession, ticket_id: str) -> dict[str, Any]:
    return (await call_ok(session, "zendesk_get_ticket", {"ticketId": ticket_id}))["ticket"]


def events(result: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    audit = result.get("audit")
    check(isinstance(audit, dict) and isinstance(audit.get("events"), list), f"no audit in {result}")
    return [event for event in audit["events"] if event.get("type") == kind]


def change(result: dict[str, Any], field: str) -> dict[str, Any]:
    found = [event for event in events(result, "Change") if event.get("field") == field]
    check(len(found) == 1, f"one change of {field} in the audit: {result['audit']}")
    return found[0]


async def comment_visibility_trap(session: ClientSession, ticket_id: str) -> None:
    before = await comments(session, ticket_id)
    message = await call_error(
        session,
        "zendesk_update_ticket",
        {"ticketId": ticket_id, "comment": "Internal: vendor ETA Friday, do not tell the customer", "status": "open"},
    )
    for named in ("commentPublic", "zendesk_reply_to_ticket", "zendesk_add_internal_note", "Nothing was changed"):
        check(named in message, f"the refusal names {named}: {message}")
    check(await comments(session, ticket_id) == before, "a refused update wrote a comment")
    check((await ticket(session, ticket_id))["status"] == "new", "a refused update changed the status")

    noted = await call_ok(
        session,
        "zendesk_update_ticket",
        {"ticketId": ticket_id, "comment": "Vendor ETA Friday", "commentPublic": "false", "status": "open"},
    )
    said = events(noted, "Comment")
    check(len(said) == 1 and said[0]["public"] is False, f"an internal comment in the audit: {noted['audit']}")
    check(said[0].get("author") is not None, f"the comment's author: {said[0]}")
    check(change(noted, "status") == {"type": "Change", "field": "status", "previous": "new", "value": "open"},
          f"status change: {noted['audit']}")
    check(len(json.dumps(noted["audit"])) < 1000, f"the audit is compact: {noted['audit']}")
    thread = await comments(session, ticket_id)
    check(len(thread) == len(before) + 1 and thread[-1]["public"] is False, f"the note is internal: {thread[-1]}")

    replied = await call_ok(
        session,
        "zendesk_update_ticket",
        {"ticketId": ticket_id, "comment": "We are on it", "commentPublic": "true"},
    )
    said = events(replied, "Comment")
    check(len(said) == 1 and said[0]["public"] is True, f"a public comment in the audit: {replied['audit']}")
    if SANDBOX_WRITES_NOTIFICATIONS:
        mailed = events(replied, "Notification")
        check(mailed and all(event.get("recipients") for event in mailed), f"who was emailed: {replied['audit']}")


async def tags_that_do_what_they_say(session: ClientSession, ticket_id: str) -> None:
    routing = ["tier_2", "lang_en", "region_emea", "product_printer", "sla_gold", "vip"]
    await call_ok(session, "zendesk_update_ticket", {"ticketId": ticket_id, "tags": routing})

    added = await call_ok(session, "zendesk_update_ticket", {"ticketId": ticket_id, "addTags": "escalated, export"})
    check(set((await ticket(session, ticket_id))["tags"]) == set(routing) | {"escalated", "export"},
          "addTags keeps the other tags")
    check(set(change(added, "tags")["value"]) - set(change(added, "tags")["previous"]) == {"escalated", "export"},
          f"the audit shows the tags added: {added['audit']}")

    removed = await call_ok(session, "zendesk_update_ticket", {"ticketId": ticket_id, "removeTags": ["vip", "export"]})
    tags = set((await ticket(session, ticket_id))["tags"])
    check(tags == (set(routing) | {"escalated"}) - {"vip"}, f"removeTags keeps the others: {tags}")
    tag_change = change(removed, "tags")
    check(set(tag_change["previous"]) - set(tag_change["value"]) == {"vip", "export"},
          f"the audit shows the tags removed: {removed['audit']}")

    # A JSON array written inside a string is an array, never split on commas.
    await call_ok(session, "zendesk_update_ticket", {"ticketId": ticket_id, "addTags": '["needs_reply","export"]'})
    tags = set((await ticket(session, ticket_id))["tags"])
    check({"needs_reply", "export"} <= tags, f"a JSON-in-string array read as one: {tags}")
    check(not any("[" in tag or "]" in tag or '"' in tag for tag in tags), f"no tag carries JSON punctuation: {tags}")
    message = await call_error(session, "zendesk_update_ticket", {"ticketId": ticket_id, "tags": '["vip", "export"'})
    check("tags" in message and "JSON" in message, f"a broken JSON array is refused naming tags: {message}")
    check(set((await ticket(session, ticket_id))["tags"]) == tags, "a refused tags write changed the tags")


async def search_that_never_answers_with_a_silent_zero(session: ClientSession) -> None:
    for query, rewrite in (
        ("priority:urgent OR priority:high", "priority:urgent priority:high"),
        ("priority:urgent || priority:high", "priority:urgent priority:high"),
        ("status:open NOT priority:low", "-"),
        ("status:open !priority:low", "-"),
    ):
        for tool, arguments in (
            ("zendesk_search", {"query": query, "filterType": "ticket"}),
            ("zendesk_search_count", {"query": f"type:ticket {query}"}),
        ):
            message = await call_error(session, tool, arguments)
            check(rewrite in message, f"{tool} {query!r}: the refusal shows the rewrite {rewrite!r}: {message}")
    either = await call_ok(session, "zendesk_search_count", {"query": "type:ticket priority:urgent priority:high"})
    check(either["count"] > 0, f"the rewrite finds the tickets: {either}")
    dated = await call_ok(session, "zendesk_search", {"query": "updated<1week", "filterType": "ticket"})
    warnings = " ".join(dated.get("warnings", []))
    check("updated<1week" in warnings and "ago" in warnings, f"a relative date is explained: {dated.get('warnings')}")


async def merge_with_a_private_source_comment(session: ClientSession) -> None:
    target = (await call_ok(session, "zendesk_create_ticket", {"subject": "Printer jam (main)", "description": "Tray 2 jams"}))["ticket_id"]
    source = (await call_ok(session, "zendesk_create_ticket", {"subject": "Printer jam again", "description": "Tray 2 still jams"}))["ticket_id"]
    ids = {"targetTicketId": str(target), "sourceTicketIds": [str(source)], "waitSeconds": "30"}

    message = await call_error(session, "zendesk_merge_tickets", ids)
    check("targetCommentPublic" in message and "sourceCommentPublic" in message, f"merge refusal: {message}")
    check((await ticket(session, str(source)))["status"] != "closed", "a refused merge closed the source")

    merged = await call_ok(session, "zendesk_merge_tickets", {
        **ids,
        "sourceComment": "Merged into the main printer ticket",
        "sourceCommentPublic": "false",
        "targetCommentPublic": "false",
    })
    check(merged["job_status"]["status"] == "completed", f"merge job: {merged}")
    last = (await comments(session, str(source)))[-1]
    check(last["public"] is False and "Merged into the main printer ticket" in last["body"],
          f"the source's merge comment is internal and ours: {last}")
    check((await ticket(session, str(source)))["status"] == "closed", "the source is closed by the merge")


async def the_parameters_an_agent_reaches_for(session: ClientSession) -> str:
    created = await call_ok(session, "zendesk_create_ticket", {
        "subject": "Invoice missing",
        "description": "I never got my March invoice",
        "requesterEmail": "grace.hopper@example.org",
        "requesterName": "Grace Hopper",
    })
    requester = created["ticket"]["requester_id"]
    user = (await call_ok(session, "zendesk_get_user", {"userId": str(requester)}))["user"]
    check(user["email"] == "grace.hopper@example.org" and user["name"] == "Grace Hopper", f"requester: {user}")
    check(user["role"] == "end-user", f"a new requester is an end-user: {user}")

    ticket_id = str(created["ticket_id"])
    cut = await call_ok(session, "zendesk_get_ticket", {"ticketId": ticket_id, "fields": "subject,status"})
    check(set(cut["ticket"]) <= {"id", "subject", "status"} and cut["ticket"]["subject"] == "Invoice missing",
          f"fields on get_ticket: {cut['ticket']}")

    if SANDBOX_REFUSES_ASSIGNEE_OUTSIDE_GROUP:
        groups = [g["id"] for g in (await call_ok(session, "zendesk_get_groups", {}))["groups"]]
        memberships = (await call_ok(session, "zendesk_get_group_memberships", {}))["group_memberships"]
        member_of: dict[int, set[int]] = {}
        for membership in memberships:
            member_of.setdefault(membership["user_id"], set()).add(membership["group_id"])
        agent, group = next(
            (user, group) for user, joined in member_of.items() for group in groups if group not in joined
        )
        before = await ticket(session, ticket_id)
        message = await call_error(session, "zendesk_update_ticket",
                                   {"ticketId": ticket_id, "groupId": str(group), "assigneeId": str(agent)})
        check("422" in message, f"an assignee outside the group is refused with Zendesk's 422: {message}")
        after = await ticket(session, ticket_id)
        check((after["group_id"], after["assignee_id"]) == (before["group_id"], before["assignee_id"]),
              "a refused assignment changed the ticket")
    return ticket_id


async def without_approval(zd: str) -> None:
    params = StdioServerParameters(command=zd, args=["mcp"], env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            # A customer's ticket: a public reply to it is emailed to them.
            fresh = await call_ok(session, "zendesk_create_ticket", {
                "subject": "Tray stuck", "description": "Tray 2 is stuck",
                "requesterEmail": "tray.owner@example.com", "requesterName": "Tray Owner"})
            check(isinstance(fresh.get("audit"), dict), f"a create shows its audit: {fresh}")
            check(any(event.get("field") == "subject" or event.get("type") == "Comment" for event in fresh["audit"]["events"]),
                  f"the create's audit: {fresh['audit']}")
            ticket_id = str(fresh["ticket_id"])
            await comment_visibility_trap(session, ticket_id)
            await tags_that_do_what_they_say(session, ticket_id)
            await search_that_never_answers_with_a_silent_zero(session)
            await merge_with_a_private_source_comment(session)
            await the_parameters_an_agent_reaches_for(session)


def scripted_person() -> tuple[list[str], list[str], Any]:
    """A person who answers approval requests from a script: (what they were asked, the answers
    still to give, the SDK's `elicitation_callback`). An answer is "approve", "decline" or
    "cancel"."""
    asked: list[str] = []
    answers: list[str] = []

    async def elicitation_callback(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        answer = answers.pop(0)
        if answer == "approve":
            return ElicitResult(action="accept", content={"approve": True})
        return ElicitResult(action=answer)

    return asked, answers, elicitation_callback


async def with_approval(zd: str) -> None:
    asked, answers, elicitation_callback = scripted_person()

    params = StdioServerParameters(
        command=zd, args=["mcp", "--require-approval", "public-replies,deletes"], env=dict(os.environ)
    )
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, elicitation_callback=elicitation_callback) as session:
            await session.initialize()
            created = await call_ok(session, "zendesk_create_ticket", {"subject": "Refund", "description": "Refund please"})
            ticket_id = str(created["ticket_id"])
            check(asked == [], "a create needs no approval")
            before = await comments(session, ticket_id)

            answers.append("decline")
            message = await call_error(session, "zendesk_reply_to_ticket", {"ticketId": ticket_id, "body": "Refund sent"})
            check("declined" in message and "Nothing was changed" in message, f"declined: {message}")
            check(await comments(session, ticket_id) == before, "a declined reply was posted")
            check(len(asked) == 1 and "Refund sent" in asked[0] and f"#{ticket_id}" in asked[0],
                  f"the person reads who receives what: {asked}")

            answers.append("approve")
            await call_ok(session, "zendesk_reply_to_ticket", {"ticketId": ticket_id, "body": "Refund sent today"})
            thread = await comments(session, ticket_id)
            check(len(thread) == len(before) + 1 and thread[-1]["public"] is True, f"the approved reply: {thread[-1]}")

            answers.append("cancel")
            message = await call_error(session, "zendesk_delete_ticket", {"ticketId": ticket_id})
            check("Nothing was changed" in message, f"cancelled delete: {message}")
            check((await ticket(session, ticket_id))["id"] == int(ticket_id), "a cancelled delete deleted")

            # An internal note is no public reply: nobody is asked.
            await call_ok(session, "zendesk_add_internal_note", {"ticketId": ticket_id, "body": "Refund via Stripe"})
            check(len(asked) == 3 and not answers, f"asked exactly for the reply twice and the delete: {asked}")

    # A client that cannot ask a person: refused, naming the flag, nothing written.
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            before = await comments(session, ticket_id)
            message = await call_error(session, "zendesk_reply_to_ticket", {"ticketId": ticket_id, "body": "Hello"})
            check("--require-approval public-replies" in message and "elicitation" in message,
                  f"no elicitation: {message}")
            check(await comments(session, ticket_id) == before, "a refused reply was posted")


async def main(zd: str) -> None:
    await without_approval(zd)
    await with_approval(zd)
    print("mcp_safe: OK")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
