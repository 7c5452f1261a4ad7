"""zd's MCP server over streamable HTTP, driven by the official MCP Python SDK.

Usage: mcp_http.py URL TOKEN
The server must already be running (`zd mcp --http ... --auth-token TOKEN`) on a fresh sandbox.
"""

import asyncio
import sys
from urllib.parse import urlsplit

import httpx
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

import mcp_common as common

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


async def refusals(url: str, token: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(url, json=INITIALIZE, headers=HEADERS)
        common.check(response.status_code == 401, f"no token: {response.status_code}")
        common.check(response.headers.get("www-authenticate", "").startswith("Bearer"), "WWW-Authenticate")
        response = await client.post(url, json=INITIALIZE, headers={**HEADERS, "Authorization": "Bearer nope"})
        common.check(response.status_code == 401, f"wrong token: {response.status_code}")

        authorized = {**HEADERS, "Authorization": f"Bearer {token}"}
        port = urlsplit(url).port
        response = await client.post(url, json=INITIALIZE, headers={**authorized, "Host": f"attacker.example:{port}"})
        common.check(response.status_code == 403, f"rebound Host: {response.status_code}")
        response = await client.post(url, json=INITIALIZE, headers={**authorized, "Origin": "https://attacker.example"})
        common.check(response.status_code == 403, f"foreign Origin: {response.status_code}")


async def main(url: str, token: str) -> None:
    await refusals(url, token)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(30, read=300)) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, _session_id):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                common.check(init.serverInfo.name == "zd", f"server info: {init.serverInfo}")
                tools = await common.check_tool_list(session)
                ticket_id = await common.ticket_round_trip(session, "http")
                await common.failing_calls(session, ticket_id)
                # The host's policy holds over HTTP as over stdio: who sees a comment is said.
                message = await common.call_error(
                    session, "zendesk_update_ticket", {"ticketId": ticket_id, "comment": "Vendor ETA Friday"}
                )
                common.check("commentPublic" in message and "Nothing was changed" in message, message)
                updates = await common.bulk_with_progress(session)
                print(f"http: {len(tools)} tools, bulk job followed with {updates} progress update(s)")
    print("http: OK")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
