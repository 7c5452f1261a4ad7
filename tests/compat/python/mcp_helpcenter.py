"""Issue 13's workflow as a support agent's model runs it, through the official MCP Python SDK
over stdio against a fresh demo sandbox (`zd mcp --attachments-dir DIR`): open a view's
tickets, find a Help Center article that answers one, preview a macro on it (nothing
changes), reply with an attachment, and read the reply back with its attachment (a text file
as text, a picture as MCP image content). Then the refusals: an upload path outside the
attachments directory (`..`, an absolute path, a symlink leading out), a macro id that does not
exist, an article search with an empty query; each with a clear message and nothing changed.

Prints the bytes a model reads over the workflow: as a model calls the tools plainly, and with
`fields` and `maxBodyChars` cutting the answers to what it needs.

Runs under the 1.x line of the `mcp` package and under 2.x (snake_case result fields).

Usage: mcp_helpcenter.py ZD_BINARY
"""

import asyncio
import base64
import json
import os
import sys
import tempfile
from typing import Any

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def attr(obj: Any, snake: str) -> Any:
    """A result field under 2.x's snake_case name, or 1.x's camelCase one."""
    if hasattr(obj, snake):
        return getattr(obj, snake)
    first, *rest = snake.split("_")
    return getattr(obj, first + "".join(part.title() for part in rest))


def texts(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


class Meter:
    """Bytes of text a model reads, per way of calling."""

    def __init__(self) -> None:
        self.bytes = {"plain": 0, "lean": 0}
        self.image_bytes = 0

    def add(self, size: int, *ways: str) -> None:
        for way in ways or ("plain", "lean"):
            self.bytes[way] += size


async def call(session: ClientSession, meter: Meter | None, name: str, arguments: dict[str, Any], *ways: str) -> dict[str, Any]:
    """The tool's structured result; its text counted on `ways` of the meter."""
    result = await session.call_tool(name, arguments)
    text = texts(result)
    check(not attr(result, "is_error"), f"{name}({arguments}) failed: {text}")
    structured = attr(result, "structured_content")
    check(json.loads(result.content[0].text) == structured, f"{name}: text differs from structured content")
    if meter is not None:
        meter.add(len(text.encode()), *ways)
    return structured


async def refused(session: ClientSession, name: str, arguments: dict[str, Any], *expected: str) -> str:
    result = await session.call_tool(name, arguments)
    text = texts(result)
    check(bool(attr(result, "is_error")), f"{name}({arguments}) should be refused: {text}")
    for words in expected:
        check(words in text, f"{name}({arguments}): {words!r} not in {text!r}")
    print(f"refused {name}({json.dumps(arguments)}): {text.splitlines()[0]}")
    return text


async def main(zd: str) -> None:
    work = tempfile.mkdtemp(prefix="zd-helpcenter-")
    attachments = os.path.join(work, "attachments")
    outside = os.path.join(work, "outside")
    os.makedirs(attachments)
    os.makedirs(outside)
    with open(os.path.join(attachments, "reset-steps.txt"), "w") as f:
        f.write("1. Open the login page\n2. Click Forgot password\n3. Check spam for the email\n")
    with open(os.path.join(attachments, "login-screen.png"), "wb") as f:
        f.write(PNG)
    with open(os.path.join(outside, "secret.txt"), "w") as f:
        f.write("not for the model")
    os.symlink(os.path.join(outside, "secret.txt"), os.path.join(attachments, "escape.txt"))

    params = StdioServerParameters(command=zd, args=["mcp", "--attachments-dir", attachments], env=dict(os.environ))
    meter = Meter()
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = {tool.name for tool in (await session.list_tools()).tools}
            for name in ["zendesk_get_views", "zendesk_get_view_tickets", "zendesk_get_view_count", "zendesk_search_articles",
                         "zendesk_get_article", "zendesk_get_macros", "zendesk_apply_macro", "zendesk_get_attachment",
                         "zendesk_upload_attachment"]:
                check(name in tools, f"{name} is listed")

            # 1. The queue: the views, then the unassigned tickets.
            views = await call(session, meter, "zendesk_get_views", {}, "plain")
            await call(session, meter, "zendesk_get_views", {"fields": "title"}, "lean")
            view = next(v for v in views["views"] if v["title"] == "Unassigned tickets")
            count = await call(session, meter, "zendesk_get_view_count", {"viewId": str(view["id"])})
            queue = await call(session, meter, "zendesk_get_view_tickets", {"viewId": str(view["id"])}, "plain")
            lean_queue = await call(session, meter, "zendesk_get_view_tickets",
                                    {"viewId": str(view["id"]), "fields": "subject,status,priority"}, "lean")
            check(count["count"] == len(queue["tickets"]) == len(lean_queue["tickets"]), f"count {count} vs {queue['metadata']}")
            check(all(set(t) == {"id", "subject", "status", "priority"} for t in lean_queue["tickets"]), "fields cut the tickets")
            ticket = next(t for t in lean_queue["tickets"] if t["subject"] == "Cannot log in to the portal")
            ticket_id = str(ticket["id"])
            before = await call(session, None, "zendesk_get_ticket", {"ticketId": ticket_id})
            thread = await call(session, meter, "zendesk_get_ticket_comments", {"ticketId": ticket_id}, "plain")
            await call(session, meter, "zendesk_get_ticket_comments",
                       {"ticketId": ticket_id, "fields": "public,body,author"}, "lean")
            comments_before = len(thread["comments"])

            # 2. An article that answers it.
            found = await call(session, meter, "zendesk_search_articles", {"query": "log in password reset"}, "plain")
            lean_found = await call(session, meter, "zendesk_search_articles",
                                    {"query": "log in password reset", "perPage": "3", "maxBodyChars": "300",
                                     "fields": "title,url,snippet,body"}, "lean")
            article = lean_found["articles"][0]
            check(article["title"] == "Reset your password", f"best match: {article}")
            check(found["articles"][0]["id"] == article["id"], "the same best match either way")
            check("<" not in article["body"] and "<" not in article["snippet"], f"plain text: {article}")
            check(len(article["body"]) <= 300, f"body bounded: {len(article['body'])}")
            whole = await call(session, None, "zendesk_get_article", {"articleId": str(article["id"])})
            check("spam folder" in whole["article"]["body"], f"the whole article: {whole}")

            # 3. A macro, previewed on the ticket: nothing changes.
            macros = await call(session, meter, "zendesk_get_macros", {"query": "password"})
            macro = macros["macros"][0]
            preview = await call(session, meter, "zendesk_apply_macro", {"ticketId": ticket_id, "macroId": str(macro["id"])})
            check(preview["applied"] is False, f"a preview: {preview}")
            check({"field": "status", "from": "new", "to": "pending"} in preview["changes"], f"changes: {preview['changes']}")
            check(preview["comment"]["body"].startswith("Hi Wile,"), f"placeholders filled: {preview['comment']}")
            check(preview["to_apply"]["tool"] == "zendesk_update_ticket", f"how to apply: {preview['to_apply']}")
            after = await call(session, None, "zendesk_get_ticket", {"ticketId": ticket_id})
            check(after == before, "the preview changed nothing")

            # 4. The reply: the macro's text, the article's link, two files.
            upload = await call(session, meter, "zendesk_upload_attachment", {"fileName": "reset-steps.txt"})
            upload = await call(session, meter, "zendesk_upload_attachment",
                                {"fileName": "login-screen.png", "uploadToken": upload["token"]})
            check(len(upload["attachments"]) == 2, f"two files under one token: {upload}")
            body = f"{preview['comment']['body']}\n\nStep by step: {article['url']}"
            reply = await call(session, meter, "zendesk_reply_to_ticket",
                               {"ticketId": ticket_id, "body": body, "status": preview["to_apply"]["params"]["status"],
                                "uploadTokens": [upload["token"]]})
            check(reply["status"] == "pending" and reply["comment"]["public"] is True, f"reply: {reply}")
            check({a["file_name"] for a in reply["comment"]["attachments"]} == {"reset-steps.txt", "login-screen.png"},
                  f"the reply carries the files: {reply}")

            # 5. The reply read back with its attachments.
            thread = await call(session, meter, "zendesk_get_ticket_comments",
                                {"ticketId": ticket_id, "sortOrder": "desc", "perPage": "1"}, "plain")
            await call(session, meter, "zendesk_get_ticket_comments",
                       {"ticketId": ticket_id, "sortOrder": "desc", "perPage": "1", "fields": "body,attachments"}, "lean")
            last = thread["comments"][0]
            check(article["url"] in last["body"], f"the reply as sent: {last}")
            files = {a["file_name"]: a for a in last["attachments"]}
            text_file = await call(session, meter, "zendesk_get_attachment", {"attachmentId": str(files["reset-steps.txt"]["id"])})
            check(text_file["content"].startswith("1. Open the login page"), f"text content: {text_file}")
            result = await session.call_tool("zendesk_get_attachment", {"attachmentId": str(files["login-screen.png"]["id"])})
            check(not attr(result, "is_error"), texts(result))
            images = [block for block in result.content if getattr(block, "type", "") == "image"]
            check(len(images) == 1, f"an image block: {result.content}")
            check(attr(images[0], "mime_type") == "image/png", "image/png")
            check(base64.b64decode(images[0].data) == PNG, "the picture's bytes")
            structured = attr(result, "structured_content")
            check("data" not in structured["image"], "the base64 is not sent twice")
            meter.add(len(texts(result).encode()))
            meter.image_bytes += len(images[0].data)

            # 6. Refusals: clear messages, nothing changed.
            await refused(session, "zendesk_upload_attachment", {"fileName": "../outside/secret.txt"}, "`..`")
            await refused(session, "zendesk_upload_attachment", {"fileName": os.path.join(outside, "secret.txt")},
                          "outside the attachments directory")
            await refused(session, "zendesk_upload_attachment", {"fileName": "/etc/passwd"}, "outside the attachments directory")
            await refused(session, "zendesk_upload_attachment", {"fileName": "escape.txt"}, "outside the attachments directory")
            await refused(session, "zendesk_upload_attachment", {"fileName": "missing.pdf"},
                          "no file named", "login-screen.png, reset-steps.txt")
            await refused(session, "zendesk_apply_macro", {"ticketId": ticket_id, "macroId": "39999999999"},
                          "404", "zendesk_get_macros")
            await refused(session, "zendesk_search_articles", {"query": ""}, "missing required param", "query")
            await refused(session, "zendesk_search_articles", {"query": "   "}, "missing required param", "query")
            await refused(session, "zendesk_reply_to_ticket",
                          {"ticketId": ticket_id, "body": "again", "uploadTokens": [upload["token"]]}, "not a pending upload")
            final = await call(session, None, "zendesk_get_ticket_comments", {"ticketId": ticket_id})
            check(len(final["comments"]) == comments_before + 1, "only the reply was added")
            state = await call(session, None, "zendesk_get_ticket", {"ticketId": ticket_id})
            check(state["ticket"]["status"] == "pending", "the status the reply set, nothing more")

    print(
        "helpcenter: bytes a model reads over the workflow: "
        f"{meter.bytes['plain']} plain, {meter.bytes['lean']} with fields and maxBodyChars "
        f"(plus a {meter.image_bytes}-byte image block)"
    )
    print("helpcenter: OK")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
