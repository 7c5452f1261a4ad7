"""A person's approval over streamable HTTP: `zd mcp --http ... --require-approval public-replies`
asks through MCP elicitation on the call's own stream, as it does over stdio. A declined reply is
not posted and the result says so; an approved one is posted; an internal note asks nobody; a
client without the elicitation capability is refused, naming the flag, with nothing written.

Runs under the 1.x line of the `mcp` package and under 2.x.

Usage: mcp_http_approval.py URL TOKEN
The server must already be running (`zd mcp --http ... --require-approval public-replies`).
"""

import asyncio
import sys

try:
    import httpx
except ModuleNotFoundError:  # the 2.x line of the SDK brings its own fork
    import httpx2 as httpx
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from mcp_safe import call_error, call_ok, check, comments, scripted_person


async def main(url: str, token: str) -> None:
    asked, answers, elicitation_callback = scripted_person()

    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(30, read=300)) as http:
        # 1.x yields (read, write, session id), 2.x (read, write).
        async with streamable_http_client(url, http_client=http) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write, elicitation_callback=elicitation_callback) as session:
                await session.initialize()
                created = await call_ok(
                    session, "zendesk_create_ticket", {"subject": "Refund over HTTP", "description": "Refund please"}
                )
                ticket_id = str(created["ticket_id"])
                check(asked == [], "a create needs no approval")
                before = await comments(session, ticket_id)

                answers.append("decline")
                message = await call_error(
                    session, "zendesk_reply_to_ticket", {"ticketId": ticket_id, "body": "Refund sent"}
                )
                check("declined" in message and "Nothing was changed" in message, f"declined: {message}")
                check(await comments(session, ticket_id) == before, "a declined reply was posted")
                check(len(asked) == 1 and "Refund sent" in asked[0] and f"#{ticket_id}" in asked[0],
                      f"the person reads who receives what: {asked}")

                answers.append("approve")
                await call_ok(session, "zendesk_reply_to_ticket", {"ticketId": ticket_id, "body": "Refund sent today"})
                thread = await comments(session, ticket_id)
                check(len(thread) == len(before) + 1 and thread[-1]["public"] is True,
                      f"the approved reply: {thread[-1]}")

                await call_ok(session, "zendesk_add_internal_note", {"ticketId": ticket_id, "body": "Refund via Stripe"})
                check(len(asked) == 2 and not answers, f"asked for the reply twice, not the note: {asked}")

        # A client that cannot ask a person: refused, naming the flag, nothing written.
        async with streamable_http_client(url, http_client=http) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as session:
                await session.initialize()
                before = await comments(session, ticket_id)
                message = await call_error(session, "zendesk_reply_to_ticket", {"ticketId": ticket_id, "body": "Hello"})
                check("--require-approval public-replies" in message and "elicitation" in message,
                      f"no elicitation: {message}")
                check(await comments(session, ticket_id) == before, "a refused reply was posted")
    print("mcp_http_approval: OK")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
