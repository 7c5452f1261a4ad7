"""zd's MCP server over stdio, driven by the official MCP Python SDK.

Usage: mcp_stdio.py ZD_BINARY
The environment (sandbox connection) is passed on to every `zd mcp` the SDK spawns.
"""

import asyncio
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

import mcp_common as common


def server(zd: str, *extra: str) -> StdioServerParameters:
    return StdioServerParameters(command=zd, args=["mcp", *extra], env=dict(os.environ))


async def main(zd: str) -> None:
    async with stdio_client(server(zd)) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            common.check(init.serverInfo.name == "zd", f"server info: {init.serverInfo}")
            tools = await common.check_tool_list(session)
            ticket_id = await common.ticket_round_trip(session, "stdio")
            await common.failing_calls(session, ticket_id)
            updates = await common.bulk_with_progress(session)
            print(f"stdio: {len(tools)} tools, bulk job followed with {updates} progress update(s)")

    async with stdio_client(server(zd, "--read-only")) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await common.read_only_session(session, set(tools))

    async with stdio_client(server(zd, "--tools", "zendesk_get_ticket,zendesk_search")) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            listed = await session.list_tools()
            names = sorted(tool.name for tool in listed.tools)
            common.check(names == ["zendesk_get_ticket", "zendesk_search"], f"--tools: {names}")
    print("stdio: OK")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
