"""zenpy, unchanged, against the zd sandbox.

Drives the real zenpy client (pinned in tests/compat/requirements.txt) through the calls a
Zendesk integration makes: create / read / update / delete of tickets, users and
organizations, bulk creates followed by job status polling, ticket merge, search, search count,
search export, organization fields, comments with their authors, audits, ticket fields, group
memberships, macros (create, list, preview on a ticket changing nothing), views (create,
tickets, count, execute), Help Center categories, sections, articles and search, uploads
attached to a comment (the file served back at its content_url), and a missing record raising
zenpy's RecordNotFoundException.

Environment (set by crates/zd/tests/compat_clients.rs):
  ZD_SANDBOX_URL    http://127.0.0.1:PORT
  ZD_SANDBOX_EMAIL  the sandbox admin's email
  ZD_SANDBOX_TOKEN  the sandbox admin's API token
ZENPY_FORCE_NETLOC / ZENPY_FORCE_SCHEME (zenpy's own switches) are derived from ZD_SANDBOX_URL
when not set.

Every check runs even when an earlier one failed (those depending on a failed one report it);
one line per check is printed, and the exit status is 1 if any check failed.
"""

import io
import os
import sys
import time
import traceback
import uuid
from urllib.parse import urlparse

import requests

from zenpy import Zenpy
from zenpy.lib.api_objects import (
    Comment,
    Group,
    GroupMembership,
    Macro,
    Organization,
    OrganizationField,
    Ticket,
    TicketField,
    User,
    View,
)
from zenpy.lib.api_objects.help_centre_objects import Article, Category, Section
from zenpy.lib.exception import APIException, RecordNotFoundException, TooManyValuesException

RESULTS = []
STATE = {}
RUN = uuid.uuid4().hex[:10]


class Skip(Exception):
    """A check that cannot run because one it depends on failed."""


def check(fn):
    """Runs `fn` now, recording PASS / FAIL / SKIP with the reason."""
    name = fn.__name__
    started = time.monotonic()
    try:
        fn()
        RESULTS.append((name, "PASS", ""))
    except Skip as e:
        RESULTS.append((name, "SKIP", str(e)))
    except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the suite
        tb = traceback.extract_tb(e.__traceback__)
        where = next((f"line {f.lineno}" for f in reversed(tb) if f.filename == __file__), "")
        RESULTS.append((name, "FAIL", f"{type(e).__name__}: {e} ({where})"))
    status, reason = RESULTS[-1][1], RESULTS[-1][2]
    elapsed = time.monotonic() - started
    print(f"{status} {name} ({elapsed:.2f}s){': ' + reason if reason else ''}", flush=True)
    return fn


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def need(*keys):
    missing = [k for k in keys if k not in STATE]
    if missing:
        raise Skip("needs " + ", ".join(missing))
    return [STATE[k] for k in keys] if len(keys) > 1 else STATE[keys[0]]


def wait_job(zd, job_id, timeout=30.0):
    """Polls GET /job_statuses/{id} until the job is finished; returns the JobStatus."""
    deadline = time.monotonic() + timeout
    while True:
        job = zd.job_status(id=job_id)
        if job.status in ("completed", "failed", "killed"):
            return job
        expect(job.status in ("queued", "working"), f"job {job_id}: unexpected status {job.status!r}")
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job.status} after {timeout}s")
        time.sleep(0.2)


def eventually(fn, timeout=5.0):
    """Search indexes may lag behind writes (they do on Zendesk): retry briefly."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def result_ids(job):
    # zenpy turns each result item into a JobStatusResult object.
    results = list(job.results or [])
    expect(results, f"job results should be a non-empty list, got {job.results!r}")
    return [r.id for r in results]


def main():
    url = os.environ.get("ZD_SANDBOX_URL")
    email = os.environ.get("ZD_SANDBOX_EMAIL")
    token = os.environ.get("ZD_SANDBOX_TOKEN")
    if not (url and email and token):
        print("ZD_SANDBOX_URL, ZD_SANDBOX_EMAIL and ZD_SANDBOX_TOKEN must be set", file=sys.stderr)
        return 2
    parsed = urlparse(url)
    os.environ.setdefault("ZENPY_FORCE_NETLOC", parsed.netloc)
    os.environ.setdefault("ZENPY_FORCE_SCHEME", parsed.scheme)
    # The cache would answer reads from memory; every read here must reach the sandbox.
    zd = Zenpy(subdomain="sandbox", email=email, token=token, disable_cache=True, timeout=30)

    @check
    def users_me():
        me = zd.users.me()
        expect(me.email == email, f"me.email = {me.email!r}")
        expect(me.role == "admin", f"me.role = {me.role!r}")
        STATE["me"] = me

    @check
    def ticket_create():
        audit = zd.tickets.create(
            Ticket(
                subject=f"zenpy {RUN} printer",
                comment=Comment(body="The printer is on fire"),
                priority="high",
                tags=["zenpy", f"run{RUN}"],
            )
        )
        t = audit.ticket
        expect(isinstance(t.id, int), f"ticket id {t.id!r}")
        expect(t.status == "new", f"status {t.status!r}")
        expect(t.priority == "high", f"priority {t.priority!r}")
        expect(t.description == "The printer is on fire", f"description {t.description!r}")
        expect(sorted(t.tags) == sorted(["zenpy", f"run{RUN}"]), f"tags {t.tags!r}")
        expect(t.via.channel == "api", f"via.channel {t.via.channel!r}")
        events = audit.audit.events
        expect(any(e["type"] == "Comment" for e in events), f"audit events {events!r}")
        STATE["ticket"] = t.id

    @check
    def ticket_show():
        tid = need("ticket")
        t = zd.tickets(id=tid)
        expect(t.id == tid and t.subject == f"zenpy {RUN} printer", f"got {t.id} {t.subject!r}")
        me = STATE.get("me")
        if me is not None:
            expect(t.requester_id == me.id, f"requester_id {t.requester_id} != caller {me.id}")

    @check
    def ticket_update_with_private_comment():
        tid = need("ticket")
        t = zd.tickets(id=tid)
        t.status = "open"
        t.comment = Comment(body="Extinguisher on the way", public=False)
        audit = zd.tickets.update(t)
        expect(audit.ticket.status == "open", f"status {audit.ticket.status!r}")

    @check
    def ticket_comments():
        tid = need("ticket")
        comments = list(zd.tickets.comments(ticket=tid))
        bodies = [c.body for c in comments]
        expect(bodies == ["The printer is on fire", "Extinguisher on the way"], f"bodies {bodies!r}")
        expect(comments[0].public is True and comments[1].public is False,
               f"public flags {[c.public for c in comments]!r}")

    @check
    def ticket_comment_authors_and_audits():
        tid = need("ticket")
        comments = list(zd.tickets.comments(ticket=tid))
        # zenpy resolves each author from the users side-loaded (or fetched) by id.
        authors = [c.author for c in comments]
        expect(all(a is not None and a.name for a in authors), f"authors {authors!r}")
        audits = list(zd.tickets.audits(ticket=tid))
        expect(len(audits) >= 2, f"{len(audits)} audits")
        # zenpy hands audit events over as dicts.
        events = [dict(e) for a in audits for e in a.events]
        expect(any(e.get("type") == "Change" and e.get("field_name") == "status" for e in events),
               f"events {[(e.get('type'), e.get('field_name')) for e in events]!r}")

    @check
    def ticket_fields_system_and_custom():
        fields = list(zd.ticket_fields())
        kinds = [f.type for f in fields]
        expect("status" in kinds and "subject" in kinds, f"system fields {kinds!r}")
        created = zd.ticket_fields.create(TicketField(type="text", title=f"zenpy {RUN} order"))
        expect(created.id is not None and created.type == "text", f"created {created!r}")
        STATE["ticket_field"] = created.id
        fetched = zd.ticket_fields(id=created.id)
        expect(fetched.title == f"zenpy {RUN} order", f"title {fetched.title!r}")

    @check
    def group_memberships():
        me = STATE.get("me")
        if me is None:
            raise Skip("needs the current user")
        group = zd.groups.create(Group(name=f"zenpy {RUN} team"))
        membership = zd.group_memberships.create(GroupMembership(user_id=me.id, group_id=group.id))
        expect(membership.group_id == group.id and membership.user_id == me.id, f"{membership!r}")
        listed = [m.id for m in zd.group_memberships()]
        expect(membership.id in listed, f"membership {membership.id} not in {listed!r}")
        of_group = [m.user_id for m in zd.groups.memberships(group)]
        expect(of_group == [me.id], f"members {of_group!r}")

    @check
    def ticket_list_cursor_paging():
        tid = need("ticket")
        ids = [t.id for t in zd.tickets()]
        expect(tid in ids, f"ticket {tid} not in list of {len(ids)}")
        expect(len(ids) == len(set(ids)), "a ticket was listed twice")

    def _search_users(address):
        found = [x.id for x in zd.users.search(query=address)]
        expect(found, "no user found yet")
        return found

    @check
    def user_create_show_update_search():
        address = f"zenpy-{RUN}@example.com"
        u = zd.users.create(User(name=f"Zenpy User {RUN}", email=address, role="end-user"))
        expect(isinstance(u.id, int) and u.email == address, f"created {u.id} {u.email!r}")
        expect(u.role == "end-user" and u.active is True, f"role {u.role!r} active {u.active!r}")
        got = zd.users(id=u.id)
        expect(got.name == f"Zenpy User {RUN}", f"name {got.name!r}")
        got.notes = "prefers email"
        updated = zd.users.update(got)
        expect(updated.notes == "prefers email", f"notes {updated.notes!r}")
        found = eventually(lambda: _search_users(address))
        expect(u.id in found, f"users/search for {address} gave {found!r}")
        STATE["user"] = u.id

    @check
    def user_delete_deactivates():
        uid = need("user")
        deleted = zd.users.delete(zd.users(id=uid))
        expect(deleted.active is False, f"deleted user active = {deleted.active!r}")

    @check
    def organization_create_show_update_delete():
        org = zd.organizations.create(
            Organization(name=f"Zenpy Org {RUN}", domain_names=[f"z{RUN}.example.com"], tags=["vip"])
        )
        expect(isinstance(org.id, int), f"org id {org.id!r}")
        expect(list(org.domain_names) == [f"z{RUN}.example.com"], f"domains {org.domain_names!r}")
        got = zd.organizations(id=org.id)
        got.notes = "key account"
        updated = zd.organizations.update(got)
        expect(updated.notes == "key account", f"notes {updated.notes!r}")
        zd.organizations.delete(updated)
        try:
            zd.organizations(id=org.id)
        except RecordNotFoundException:
            return
        raise AssertionError("deleted organization still readable")

    @check
    def organization_duplicate_name_is_api_exception():
        name = f"Zenpy Dup {RUN}"
        zd.organizations.create(Organization(name=name))
        try:
            zd.organizations.create(Organization(name=name))
        except APIException as e:
            text = str(e)
            expect("RecordInvalid" in text and "DuplicateValue" in text, f"error body {text}")
            return
        raise AssertionError("a second organization with the same name was accepted")

    @check
    def tickets_bulk_create_job():
        job = zd.tickets.create(
            [Ticket(subject=f"zenpy {RUN} bulk {i}", comment=Comment(body=f"bulk body {i}")) for i in range(3)]
        )
        expect(job.id, f"job status {job!r}")
        done = wait_job(zd, job.id)
        expect(done.status == "completed", f"job ended {done.status!r}: {done.message!r}")
        ids = result_ids(done)
        expect(len(ids) == 3, f"results {done.results!r}")
        shown = sorted(t.id for t in zd.tickets(ids=ids))
        expect(shown == sorted(ids), f"show_many gave {shown!r} for {ids!r}")
        STATE["bulk"] = ids

    @check
    def ticket_list_in_cursor_pages_of_two():
        bulk = need("bulk")
        ids = [t.id for t in zd.tickets(cursor_pagination=2)]  # GET /tickets.json?page[size]=2, then links.next
        expect(len(ids) >= 4, f"only {len(ids)} tickets listed")
        expect(set(bulk) <= set(ids), f"bulk tickets {bulk!r} missing from {ids!r}")
        expect(len(ids) == len(set(ids)), f"a ticket was listed twice: {ids!r}")
        expect(ids == sorted(ids), f"default order should be ascending id: {ids!r}")

    @check
    def users_bulk_create_job():
        job = zd.users.create([User(name=f"Bulk {RUN} {i}", email=f"bulk{i}-{RUN}@example.com") for i in range(2)])
        done = wait_job(zd, job.id)
        expect(done.status == "completed", f"job ended {done.status!r}")
        ids = result_ids(done)
        expect(len(ids) == 2, f"results {done.results!r}")
        names = sorted(u.name for u in zd.users(ids=ids))
        expect(names == [f"Bulk {RUN} 0", f"Bulk {RUN} 1"], f"names {names!r}")
        STATE["bulk_users"] = ids

    @check
    def organizations_bulk_create_job():
        job = zd.organizations.create([Organization(name=f"Bulk Org {RUN} {i}") for i in range(2)])
        done = wait_job(zd, job.id)
        expect(done.status == "completed", f"job ended {done.status!r}")
        expect(len(result_ids(done)) == 2, f"results {done.results!r}")

    @check
    def tickets_merge_job():
        target = zd.tickets.create(Ticket(subject=f"zenpy {RUN} merge target", comment=Comment(body="target"))).ticket
        source = zd.tickets.create(Ticket(subject=f"zenpy {RUN} merge source", comment=Comment(body="source"))).ticket
        job = zd.tickets.merge(target.id, [source.id], target_comment="merged in", source_comment="merged away")
        done = wait_job(zd, job.id)
        expect(done.status == "completed", f"merge job ended {done.status!r}: {done.message!r}")
        closed = zd.tickets(id=source.id)
        expect(closed.status == "closed", f"source status {closed.status!r}")
        bodies = [c.body for c in zd.tickets.comments(ticket=target.id)]
        expect("merged in" in bodies, f"target comments {bodies!r}")

    @check
    def search_tickets():
        bulk = need("bulk")

        def run():
            results = list(zd.search(f"bulk {RUN}", type="ticket"))
            expect(all(isinstance(r, Ticket) for r in results), f"result types {[type(r).__name__ for r in results]!r}")
            found = sorted(r.id for r in results)
            expect(found == sorted(bulk), f"search gave {found!r}, expected {sorted(bulk)!r}")

        eventually(run)

    @check
    def search_users_and_organizations():
        users = need("bulk_users")

        def run():
            found = list(zd.search(f"Bulk {RUN}", type="user"))
            expect(all(isinstance(r, User) for r in found), f"result types {[type(r).__name__ for r in found]!r}")
            expect(sorted(r.id for r in found) == sorted(users), f"user search gave {[r.id for r in found]!r}")
            orgs = list(zd.search(f"\"Bulk Org {RUN}\"", type="organization"))
            expect(len(orgs) == 2 and all(isinstance(r, Organization) for r in orgs), f"organization search gave {orgs!r}")

        eventually(run)

    @check
    def search_count():
        need("bulk")

        def run():
            n = zd.search.count(f"bulk {RUN}", type="ticket")
            expect(n == 3, f"count {n!r}")

        eventually(run)

    @check
    def search_export():
        bulk = need("bulk")

        def run():
            found = sorted(r.id for r in zd.search_export(f"bulk {RUN}", type="ticket"))
            expect(found == sorted(bulk), f"export gave {found!r}")

        eventually(run)

    @check
    def tickets_bulk_update_job():
        bulk = need("bulk")
        tickets = list(zd.tickets(ids=bulk))
        for t in tickets:
            t.status = "pending"
        job = zd.tickets.update(tickets)  # PUT /tickets/update_many.json {"tickets": [{id, status}]}
        done = wait_job(zd, job.id)
        expect(done.status == "completed", f"job ended {done.status!r}: {done.message!r}")
        statuses = sorted({t.status for t in zd.tickets(ids=bulk)})
        expect(statuses == ["pending"], f"statuses after update_many {statuses!r}")

    @check
    def more_than_100_tickets_raise_too_many_values():
        try:
            zd.tickets.create([Ticket(subject=f"zenpy {RUN} too many {i}") for i in range(101)])
        except TooManyValuesException:
            return
        raise AssertionError("101 tickets in one create_many were accepted")

    @check
    def tickets_bulk_delete_job():
        bulk = need("bulk")
        job = zd.tickets.delete([Ticket(id=i) for i in bulk])  # DELETE /tickets/destroy_many.json?ids=
        done = wait_job(zd, job.id)
        expect(done.status == "completed", f"job ended {done.status!r}: {done.message!r}")
        for tid in bulk:
            try:
                zd.tickets(id=tid)
            except RecordNotFoundException:
                continue
            raise AssertionError(f"ticket {tid} still readable after destroy_many")

    @check
    def organization_field_create_and_list():
        key = f"plan_{RUN}"
        field = zd.organization_fields.create(
            OrganizationField(
                type="dropdown",
                title="Support plan",
                key=key,
                custom_field_options=[{"name": "Gold", "value": "gold"}, {"name": "Silver", "value": "silver"}],
            )
        )
        expect(isinstance(field.id, int) and field.key == key, f"field {field.id} {field.key!r}")
        expect(field.type == "dropdown", f"type {field.type!r}")
        values = sorted(o.value for o in field.custom_field_options)
        expect(values == ["gold", "silver"], f"options {values!r}")
        listed = [f.key for f in zd.organization_fields()]
        expect(key in listed, f"{key} not listed in {listed!r}")
        STATE["field"] = field.id
        STATE["field_key"] = key

    @check
    def organization_field_update_title():
        # zenpy re-sends a fetched dropdown's options as `[{"id": ...}]` (ids only, since only
        # dirty attributes are serialised) whenever any attribute of the field changes.
        field = zd.organization_fields(id=need("field"))
        field.title = "Support plan (renamed)"
        updated = zd.organization_fields.update(field)
        expect(updated.title == "Support plan (renamed)", f"title {updated.title!r}")
        values = sorted(o.value for o in updated.custom_field_options)
        expect(values == ["gold", "silver"], f"options after a title change {values!r}")

    @check
    def organization_field_values_on_organizations():
        key = need("field_key")
        org = zd.organizations.create(Organization(name=f"Zenpy Fields {RUN}"))
        org.organization_fields = {key: "gold"}
        org = zd.organizations.update(org)
        expect(org.organization_fields.get(key) == "gold", f"organization_fields {dict(org.organization_fields)!r}")
        bad = zd.organizations(id=org.id)
        bad.organization_fields = {key: "platinum"}
        try:
            zd.organizations.update(bad)
        except APIException as e:
            expect("RecordInvalid" in str(e), f"error body {e}")
            return
        raise AssertionError("a value outside the dropdown's options was accepted")

    @check
    def organization_field_delete():
        field_id = need("field")
        zd.organization_fields.delete(zd.organization_fields(id=field_id))
        try:
            zd.organization_fields(id=field_id)
        except RecordNotFoundException:
            return
        raise AssertionError("deleted organization field still readable")

    @check
    def oauth_bearer_token():
        # Mint a token through the sandbox's POST /oauth/tokens, then let zenpy send it as
        # `Authorization: Bearer ...`; a read-only token must not write.
        def mint(scopes):
            r = requests.post(f"{url}/api/v2/oauth/tokens", json={"token": {"scopes": scopes}},
                              auth=(f"{email}/token", token), timeout=30)
            expect(r.status_code == 201, f"POST /oauth/tokens answered {r.status_code}: {r.text[:200]}")
            return r.json()["token"]["full_token"]

        bearer = Zenpy(subdomain="sandbox", oauth_token=mint(["read", "write"]), disable_cache=True, timeout=30)
        expect(bearer.users.me().email == email, "bearer token did not authenticate as the admin")
        created = bearer.tickets.create(Ticket(subject=f"zenpy {RUN} oauth", comment=Comment(body="via OAuth")))
        expect(isinstance(created.ticket.id, int), "ticket create with a bearer token failed")
        reader = Zenpy(subdomain="sandbox", oauth_token=mint(["read"]), disable_cache=True, timeout=30)
        expect(reader.tickets(id=created.ticket.id).id == created.ticket.id, "read-only token cannot read")
        try:
            reader.tickets.create(Ticket(subject=f"zenpy {RUN} read-only", comment=Comment(body="x")))
        except APIException as e:
            expect(e.response is not None and e.response.status_code == 403, f"read-only write answered {e}")
            return
        raise AssertionError("a read-only token created a ticket")

    @check
    def macro_create_list_and_preview_changing_nothing():
        tid = need("ticket")
        created = zd.macros.create(Macro(
            title=f"zenpy {RUN} solve with thanks",
            actions=[{"field": "status", "value": "solved"},
                     {"field": "comment_value", "value": "Thanks {{ticket.requester.first_name}}!"}],
        ))
        expect(isinstance(created.id, int), f"macro id {created.id!r}")
        expect(created.id in [m.id for m in zd.macros()], "listed")
        expect(zd.macros(id=created.id).title == f"zenpy {RUN} solve with thanks", "shown")
        before = zd.tickets(id=tid)
        effect = zd.tickets.show_macro_effect(tid, created.id)
        expect(effect.ticket.status == "solved", f"previewed status {effect.ticket.status!r}")
        comment = effect.comment if isinstance(effect.comment, dict) else effect.comment.to_dict()
        expect(comment["body"].startswith("Thanks "), f"comment {comment!r}")
        after = zd.tickets(id=tid)
        expect(after.status == before.status and after.updated_at == before.updated_at, "the preview changed the ticket")
        changes = zd.macros.apply(created.id)
        expect(changes.ticket.status == "solved", f"changes {changes.to_dict()!r}")
        created.title = f"zenpy {RUN} solved"
        expect(zd.macros.update(created).title == f"zenpy {RUN} solved", "renamed")
        zd.macros.delete(created)
        try:
            zd.macros(id=created.id)
        except RecordNotFoundException:
            return
        raise AssertionError("a deleted macro is still readable")

    @check
    def view_tickets_count_and_execute():
        tid = need("ticket")
        view = zd.views.create(View(
            title=f"zenpy {RUN} open high",
            all=[{"field": "status", "operator": "less_than", "value": "solved"},
                 {"field": "current_tags", "operator": "includes", "value": f"run{RUN}"}],
            output={"columns": ["status", "description", "priority"]},
        ))
        expect(isinstance(view.id, int), f"view id {view.id!r}")
        ids = [t.id for t in zd.views.tickets(view)]
        expect(tid in ids, f"ticket {tid} not in the view's {ids}")
        count = zd.views.count(view)
        expect(count.value == len(ids), f"count {count.value} for {len(ids)} tickets")
        # zenpy reads an executed view's `view` (its rows stay in the raw answer).
        executed = zd.views.execute(view)
        expect(executed.id == view.id, f"executed {executed.to_dict()!r}")
        expect(view.id in [v.id for v in zd.views.active()], "active views list it")
        zd.views.delete(view)

    @check
    def help_center_articles_and_search():
        category = zd.help_center.categories.create(Category(name=f"zenpy {RUN} printers"))
        section = zd.help_center.sections.create(Section(category_id=category.id, name="Toner"))
        article = zd.help_center.articles.create(section, Article(
            title=f"Replace the toner {RUN}",
            body="<p>Open the front cover and pull the <b>toner</b> cartridge out.</p>",
            locale="en-us",
        ))
        expect(isinstance(article.id, int), f"article id {article.id!r}")
        expect(zd.help_center.articles(id=article.id).title == f"Replace the toner {RUN}", "shown")
        hits = list(zd.help_center.articles.search(query=f"toner cartridge {RUN}"))
        expect(article.id in [h.id for h in hits], f"search found {[h.id for h in hits]}")
        hit = next(h for h in hits if h.id == article.id)
        expect("<em>" in hit.snippet, f"snippet {hit.snippet!r}")
        in_section = [a.id for a in zd.help_center.sections.articles(section)]
        expect(in_section == [article.id], f"section articles {in_section}")

    @check
    def upload_attached_to_a_comment_and_served():
        tid = need("ticket")
        upload = zd.attachments.upload(io.BytesIO(b"printer log line"), target_name="printer.log",
                                       content_type="text/plain")
        expect(upload.token, f"upload {upload.to_dict()!r}")
        ticket = zd.tickets(id=tid)
        ticket.comment = Comment(body="The log is attached", uploads=[upload.token], public=False)
        zd.tickets.update(ticket)
        last = list(zd.tickets.comments(ticket=tid))[-1]
        files = last.attachments
        expect(len(files) == 1 and files[0].file_name == "printer.log", f"attachments {files!r}")
        served = requests.get(files[0].content_url, auth=(f"{email}/token", token), timeout=30)
        expect(served.status_code == 200 and served.content == b"printer log line",
               f"content_url answered {served.status_code}")
        expect(zd.attachments(id=files[0].id).size == len(b"printer log line"), "shown")
        spare = zd.attachments.upload(io.BytesIO(b"x"), target_name="spare.txt", content_type="text/plain")
        zd.attachments.delete(spare.token)

    @check
    def ticket_delete_then_not_found():
        tid = need("ticket")
        zd.tickets.delete(zd.tickets(id=tid))
        try:
            zd.tickets(id=tid)
        except RecordNotFoundException:
            return
        raise AssertionError("deleted ticket still readable")

    @check
    def missing_records_raise_record_not_found():
        for what, call in (("ticket", lambda: zd.tickets(id=987654321)),
                           ("user", lambda: zd.users(id=987654321)),
                           ("organization", lambda: zd.organizations(id=987654321))):
            try:
                call()
            except RecordNotFoundException:
                continue
            raise AssertionError(f"missing {what} did not raise RecordNotFoundException")

    @check
    def webhooks_create_show_list_update_secret_delete():
        from zenpy.lib.api_objects import Webhook
        created = zd.webhooks.create(Webhook(
            name=f"Orders {RUN}", endpoint="http://127.0.0.1:9/orders", http_method="POST",
            request_format="json", status="active", subscriptions=["conditional_ticket_events"],
            authentication={"type": "basic_auth", "add_position": "header",
                            "data": {"username": "jane", "password": f"pw-{RUN}"}}))
        hook_id = created.id
        expect(isinstance(hook_id, str) and len(hook_id) == 26, f"a ULID id, got {hook_id!r}")
        shown = zd.webhooks(id=hook_id)
        expect(shown.name == f"Orders {RUN}" and shown.status == "active", f"shown {shown.to_dict()!r}")
        expect(f"pw-{RUN}" not in repr(shown.to_dict()), "the password is never answered")
        listed = [w.id for w in zd.webhooks.list()]
        expect(hook_id in listed, f"list {listed}")
        shown.name = f"Orders v2 {RUN}"
        zd.webhooks.update(hook_id, shown)
        expect(zd.webhooks(id=hook_id).name == f"Orders v2 {RUN}", "renamed")
        secret = zd.webhooks.show_secret(hook_id)
        expect(len(secret.secret) >= 32 and secret.algorithm == "SHA256", f"secret {secret.algorithm!r}")
        reset = zd.webhooks.reset_secret(hook_id)
        expect(reset.secret != secret.secret, "reset gives another secret")
        invocations = list(zd.webhooks.invocations(hook_id))
        expect(invocations == [], f"invocations {invocations!r}")
        zd.webhooks.delete(zd.webhooks(id=hook_id))
        try:
            zd.webhooks(id=hook_id)
        except RecordNotFoundException:
            return
        raise AssertionError("deleted webhook still readable")

    # Business rules: triggers and automations created, read and deleted as zenpy sends them,
    # and a trigger firing on a ticket zenpy creates.
    from zenpy.lib.api_objects import Automation, Trigger

    @check
    def trigger_created_fires_and_is_read_back():
        trigger = zd.triggers.create(Trigger(
            title=f"Tag urgent {RUN}",
            conditions={"all": [{"field": "update_type", "operator": "is", "value": "Create"},
                                {"field": "priority", "operator": "is", "value": "urgent"}],
                        "any": []},
            actions=[{"field": "current_tags", "value": f"hot{RUN}"}],
        ))
        expect(isinstance(trigger.id, int), f"trigger id {trigger.id!r}")
        STATE["trigger"] = trigger.id
        expect(zd.triggers(id=trigger.id).title == f"Tag urgent {RUN}", "shown")
        expect(trigger.id in [t.id for t in zd.triggers()], "listed")
        created = zd.tickets.create(Ticket(subject=f"Urgent {RUN}", priority="urgent",
                                           comment=Comment(body="down"))).ticket
        expect(f"hot{RUN}" in zd.tickets(id=created.id).tags, f"tags {created.tags!r}")

    @check
    def automation_created_read_and_deleted():
        automation = zd.automations.create(Automation(
            title=f"Close solved {RUN}",
            conditions={"all": [{"field": "status", "operator": "is", "value": "solved"},
                                {"field": "hours_since_solved", "operator": "greater_than",
                                 "value": "96"}],
                        "any": []},
            actions=[{"field": "status", "value": "closed"}],
        ))
        expect(isinstance(automation.id, int), f"automation id {automation.id!r}")
        expect(zd.automations(id=automation.id).title == f"Close solved {RUN}", "shown")
        zd.automations.delete(automation)
        try:
            zd.automations(id=automation.id)
        except RecordNotFoundException:
            pass
        else:
            raise AssertionError("deleted automation still readable")
        zd.triggers.delete(zd.triggers(id=need("trigger")))

    # Incremental exports: tickets by cursor and by time, users, organizations, ticket events
    # with their comments, and a start time under a minute old refused. Zendesk exports
    # nothing changed in the last minute, so the checks wait for the records made here to
    # be a minute old.
    @check
    def incremental_fixtures():
        STATE["exported_since"] = int(time.time()) - 5
        tickets = [zd.tickets.create(Ticket(subject=f"zenpy {RUN} export {n}",
                                            comment=Comment(body=f"export {n}"))).ticket.id
                   for n in range(3)]
        update = zd.tickets(id=tickets[0])
        update.comment = Comment(body="Exported with its comment", public=False)
        update.status = "open"
        zd.tickets.update(update)
        user = zd.users.create(User(name=f"Zenpy Export {RUN}", email=f"zenpy-export-{RUN}@example.com"))
        org = zd.organizations.create(Organization(name=f"zenpy export {RUN}"))
        STATE["exported"] = {"tickets": tickets, "user": user.id, "organization": org.id}
        STATE["exported_at"] = time.monotonic()

    def exported():
        fixtures, since = need("exported", "exported_since")
        # Zendesk exports only changes at least a minute old.
        waited = time.monotonic() - STATE["exported_at"]
        if waited < 62:
            time.sleep(62 - waited)
        return fixtures, since

    @check
    def incremental_start_time_must_be_a_minute_old():
        try:
            list(zd.tickets.incremental(start_time=int(time.time()) - 10))
        except APIException as e:
            expect("Too recent start_time" in str(e), f"refusal {e}")
            return
        raise AssertionError("a start_time ten seconds ago was accepted")

    @check
    def tickets_incremental_cursor():
        fixtures, since = exported()
        pages = zd.tickets.incremental(start_time=since, per_page=2)
        ids = [t.id for t in pages]
        expect(len(ids) == len(set(ids)), f"a ticket came twice: {ids!r}")
        expect(set(fixtures["tickets"]) <= set(ids), f"{fixtures['tickets']!r} not all in {ids!r}")
        expect(pages.end_of_stream is True, f"end_of_stream {pages.end_of_stream!r}")
        # The last page's cursor is where a later run starts: nothing has changed since.
        later = [t.id for t in zd.tickets.incremental(cursor=pages.after_cursor)]
        expect(not set(fixtures["tickets"]) & set(later), f"resumed with {later!r}")

    @check
    def tickets_incremental_by_time():
        fixtures, since = exported()
        tickets = list(zd.tickets.incremental(start_time=since, paginate_by_time=True))
        ids = [t.id for t in tickets]
        expect(set(fixtures["tickets"]) <= set(ids), f"{fixtures['tickets']!r} not all in {ids!r}")
        first = next(t for t in tickets if t.id == fixtures["tickets"][0])
        expect(first.status == "open", f"status {first.status!r}")
        expect(isinstance(first.generated_timestamp, int) and first.generated_timestamp >= since,
               f"generated_timestamp {first.generated_timestamp!r}")

    @check
    def users_incremental():
        fixtures, since = exported()
        by_cursor = [u.id for u in zd.users.incremental(start_time=since)]
        expect(fixtures["user"] in by_cursor, f"user {fixtures['user']} not in {by_cursor!r}")
        by_time = [u.id for u in zd.users.incremental(start_time=since, paginate_by_time=True)]
        expect(fixtures["user"] in by_time, f"user {fixtures['user']} not in {by_time!r}")

    @check
    def organizations_incremental():
        fixtures, since = exported()
        ids = [o.id for o in zd.organizations.incremental(start_time=since)]
        expect(fixtures["organization"] in ids, f"{fixtures['organization']} not in {ids!r}")

    @check
    def ticket_events_with_comments():
        fixtures, since = exported()
        events = [e for e in zd.tickets.events(start_time=since, include="comment_events")
                  if e.ticket_id in fixtures["tickets"]]
        expect(len(events) == 4, f"3 creations and an update, got {len(events)}")
        children = [dict(c) for e in events for c in e.child_events]
        comments = [c for c in children if c.get("event_type") == "Comment"]
        expect(any(c.get("body") == "Exported with its comment" and c.get("public") is False
                   for c in comments), f"comments {comments!r}")
        expect(any(c.get("field_name") == "status" and c.get("status") == "open" for c in children),
               f"child events {children!r}")

    failed = [r for r in RESULTS if r[1] != "PASS"]
    print(f"zenpy suite: {len(RESULTS) - len(failed)}/{len(RESULTS)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
