// node-zendesk 6, unchanged, against the zd sandbox.
//
// Drives the real node-zendesk client (tests/compat/node/package.json) through the calls a
// Zendesk integration makes: create / read / update / delete of tickets, users and
// organizations, bulk creates followed by `jobstatuses.watch`, ticket merge, search, search
// count, search export, organization fields, comments with side-loaded authors, audits, ticket
// fields, group memberships, macros (create, list, preview on a ticket that changes nothing),
// views (create, tickets, count, execute), the Help Center (categories, sections, articles,
// search with snippets), an upload attached to a comment and served back, and a missing record
// answering 404. node-zendesk
// follows `links.next` / `next_page` until they are null, so every `getAll` here also checks
// that the sandbox's last page ends paging.
//
// Environment (set by crates/zd/tests/compat_clients.rs):
//   ZD_SANDBOX_URL    http://127.0.0.1:PORT
//   ZD_SANDBOX_EMAIL  the sandbox admin's email
//   ZD_SANDBOX_TOKEN  the sandbox admin's API token
// Every check runs even when an earlier one failed; one line per check is printed, and the exit
// status is 1 if any check failed.

'use strict';

const crypto = require('node:crypto');
const { Readable } = require('node:stream');
const zendesk = require('node-zendesk');

const url = process.env.ZD_SANDBOX_URL;
const email = process.env.ZD_SANDBOX_EMAIL;
const token = process.env.ZD_SANDBOX_TOKEN;
if (!url || !email || !token) {
  console.error('ZD_SANDBOX_URL, ZD_SANDBOX_EMAIL and ZD_SANDBOX_TOKEN must be set');
  process.exit(2);
}

const endpointUri = `${url.replace(/\/$/, '')}/api/v2`;
const client = zendesk.createClient({ username: email, token, endpointUri });
// The same client keeping node-zendesk's original errors (status code and body) for error checks.
const rawClient = zendesk.createClient({ username: email, token, endpointUri, throwOriginalException: true });
// node-zendesk's Help Center clients take the Help Center's own root as their endpoint.
const helpCenter = zendesk.createClient({
  username: email, token, endpointUri: `${endpointUri}/help_center`, apiType: ['helpcenter'],
}).helpcenter;

const RUN = crypto.randomBytes(5).toString('hex');
const results = [];
const state = {};

class Skip extends Error {}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

function need(...keys) {
  const missing = keys.filter((k) => !(k in state));
  if (missing.length) throw new Skip(`needs ${missing.join(', ')}`);
  return keys.length === 1 ? state[keys[0]] : keys.map((k) => state[k]);
}

async function check(name, fn) {
  const started = Date.now();
  let status = 'PASS';
  let reason = '';
  try {
    await fn();
  } catch (e) {
    status = e instanceof Skip ? 'SKIP' : 'FAIL';
    reason = e && e.message ? e.message : String(e);
    if (e && e.statusCode) reason += ` (HTTP ${e.statusCode}: ${JSON.stringify(e.result)})`;
  }
  results.push({ name, status, reason });
  const secs = ((Date.now() - started) / 1000).toFixed(2);
  console.log(`${status} ${name} (${secs}s)${reason ? `: ${reason}` : ''}`);
}

async function eventually(fn, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function watchJob(jobId) {
  // node-zendesk's own follower: polls GET /job_statuses/{id} every 200 ms until finished.
  const job = await client.jobstatuses.watch(jobId, 200, 5);
  expect(job.status === 'completed', `job ${jobId} ended ${job.status}: ${job.message}`);
  expect(Array.isArray(job.results), `job results ${JSON.stringify(job.results)}`);
  return job;
}

async function expectStatus(promise, status, what) {
  try {
    await promise;
  } catch (e) {
    expect(e.statusCode === status, `${what}: expected HTTP ${status}, got ${e.statusCode} ${e.message}`);
    return e;
  }
  throw new Error(`${what}: expected HTTP ${status}, the call succeeded`);
}

async function main() {
  await check('users_me', async () => {
    const { result } = await client.users.me();
    expect(result.email === email, `me.email ${result.email}`);
    expect(result.role === 'admin', `me.role ${result.role}`);
    state.me = result;
  });

  await check('ticket_create', async () => {
    const { response, result } = await client.tickets.create({
      ticket: {
        subject: `node ${RUN} printer`,
        comment: { body: 'The printer is on fire' },
        priority: 'high',
        tags: ['node', `run${RUN}`],
      },
    });
    expect(response.status === 201, `status ${response.status}`);
    expect(Number.isInteger(result.id), `ticket id ${result.id}`);
    expect(result.status === 'new' && result.priority === 'high', `status ${result.status} priority ${result.priority}`);
    expect(result.description === 'The printer is on fire', `description ${result.description}`);
    state.ticket = result.id;
  });

  await check('ticket_show', async () => {
    const id = need('ticket');
    const { result } = await client.tickets.show(id);
    expect(result.id === id && result.subject === `node ${RUN} printer`, `got ${result.id} ${result.subject}`);
    if (state.me) expect(result.requester_id === state.me.id, `requester_id ${result.requester_id}`);
  });

  await check('ticket_update_with_private_comment', async () => {
    const id = need('ticket');
    const { result } = await client.tickets.update(id, {
      ticket: { status: 'open', comment: { body: 'Extinguisher on the way', public: false } },
    });
    expect(result.status === 'open', `status ${result.status}`);
  });

  await check('ticket_comments', async () => {
    const id = need('ticket');
    // getAll answers with the records of every page, flattened.
    const comments = await client.tickets.getComments(id);
    const bodies = comments.map((c) => c.body);
    expect(JSON.stringify(bodies) === JSON.stringify(['The printer is on fire', 'Extinguisher on the way']), `bodies ${JSON.stringify(bodies)}`);
    expect(comments[0].public === true && comments[1].public === false, 'public flags');
  });

  await check('ticket_side_loads_and_audits', async () => {
    const id = need('ticket');
    // node-zendesk's own side-loading: with include=users the ticket's people come resolved.
    const sideLoading = zendesk.createClient({ username: email, token, endpointUri });
    sideLoading.tickets.setSideLoad(['users', 'organizations']);
    const { result: ticket } = await sideLoading.tickets.show(id);
    expect(ticket.requester && ticket.requester.id === ticket.requester_id, `requester ${JSON.stringify(ticket.requester)}`);
    expect(typeof ticket.requester.name === 'string' && ticket.requester.name.length > 0, 'requester name');
    const audits = await client.ticketaudits.list(id);
    const changes = audits.flatMap((a) => a.events.filter((e) => e.type === 'Change'));
    expect(changes.some((e) => e.field_name === 'status'), `changes ${JSON.stringify(changes)}`);
  });

  await check('ticket_fields_system_and_custom', async () => {
    const fields = await client.ticketfields.list();
    const kinds = fields.map((f) => f.type);
    expect(kinds.includes('status') && kinds.includes('subject'), `system fields ${kinds}`);
    const { result } = await client.ticketfields.create({ ticket_field: { type: 'checkbox', title: `node ${RUN} urgent`, tag: `urgent_${RUN}` } });
    expect(result.id && result.type === 'checkbox', `created ${JSON.stringify(result)}`);
  });

  await check('group_memberships', async () => {
    const { result: me } = await client.users.me();
    const { result: group } = await client.groups.create({ group: { name: `node ${RUN} team` } });
    const { result: membership } = await client.groupmemberships.create({ group_membership: { user_id: me.id, group_id: group.id } });
    expect(membership.group_id === group.id && membership.user_id === me.id, JSON.stringify(membership));
    const ofGroup = await client.groupmemberships.listByGroup(group.id);
    expect(ofGroup.map((m) => m.user_id).join() === String(me.id), `members ${JSON.stringify(ofGroup)}`);
    const ofUser = await client.groupmemberships.listByUser(me.id);
    expect(ofUser.some((m) => m.id === membership.id), `memberships of the user ${JSON.stringify(ofUser)}`);
  });

  await check('ticket_list_follows_links_to_the_end', async () => {
    const id = need('ticket');
    const tickets = await client.tickets.list();
    const ids = tickets.map((t) => t.id);
    expect(ids.includes(id), `ticket ${id} not in list of ${ids.length}`);
    expect(new Set(ids).size === ids.length, 'a ticket was listed twice');
  });

  await check('user_create_show_update_search', async () => {
    const address = `node-${RUN}@example.com`;
    const created = await client.users.create({ user: { name: `Node User ${RUN}`, email: address } });
    const u = created.result;
    expect(created.response.status === 201, `status ${created.response.status}`);
    expect(Number.isInteger(u.id) && u.email === address && u.role === 'end-user', `created ${JSON.stringify(u)}`);
    const shown = (await client.users.show(u.id)).result;
    expect(shown.name === `Node User ${RUN}`, `name ${shown.name}`);
    const updated = (await client.users.update(u.id, { user: { notes: 'prefers email' } })).result;
    expect(updated.notes === 'prefers email', `notes ${updated.notes}`);
    await eventually(async () => {
      const found = await client.users.search({ query: address });
      expect(found.some((x) => x.id === u.id), `users/search gave ${JSON.stringify(found.map((x) => x.id))}`);
    });
    state.user = u.id;
  });

  await check('user_delete_deactivates', async () => {
    const id = need('user');
    const { response, result } = await client.users.delete(id);
    expect(response.status === 200, `status ${response.status}`);
    expect(result.active === false, `active ${result.active}`);
  });

  await check('organization_create_show_update_autocomplete_delete', async () => {
    const created = await client.organizations.create({
      organization: { name: `Node Org ${RUN}`, domain_names: [`n${RUN}.example.com`], tags: ['vip'] },
    });
    const org = created.result;
    expect(created.response.status === 201 && Number.isInteger(org.id), `created ${created.response.status}`);
    const shown = (await client.organizations.show(org.id)).result;
    expect(shown.name === `Node Org ${RUN}`, `name ${shown.name}`);
    const updated = (await client.organizations.update(org.id, { organization: { notes: 'key account' } })).result;
    expect(updated.notes === 'key account', `notes ${updated.notes}`);
    const auto = await client.organizations.autocomplete({ name: `node org ${RUN}` });
    expect(auto.some((o) => o.id === org.id), `autocomplete gave ${JSON.stringify(auto.map((o) => o.name))}`);
    const deleted = await client.organizations.delete(org.id);
    expect(deleted.response.status === 204, `delete status ${deleted.response.status}`);
    const e = await expectStatus(rawClient.organizations.show(org.id), 404, 'show deleted organization');
    expect(e.result && e.result.error === 'RecordNotFound', `body ${JSON.stringify(e.result)}`);
  });

  await check('tickets_bulk_create_and_watch_job', async () => {
    const { result } = await client.tickets.createMany({
      tickets: [0, 1, 2].map((i) => ({ subject: `node ${RUN} bulk ${i}`, comment: { body: `bulk body ${i}` } })),
    });
    expect(result.job_status && result.job_status.id, `body ${JSON.stringify(result)}`);
    const job = await watchJob(result.job_status.id);
    const ids = job.results.map((r) => r.id);
    expect(ids.length === 3, `results ${JSON.stringify(job.results)}`);
    const shown = (await client.tickets.showMany(ids)).result.map((t) => t.id).sort();
    expect(JSON.stringify(shown) === JSON.stringify([...ids].sort()), `show_many ${JSON.stringify(shown)}`);
    state.bulk = ids;
  });

  await check('users_bulk_create_and_watch_job', async () => {
    const { result } = await client.users.createMany({
      users: [0, 1].map((i) => ({ name: `Node Bulk ${RUN} ${i}`, email: `nbulk${i}-${RUN}@example.com` })),
    });
    const job = await watchJob(result.job_status.id);
    expect(job.results.length === 2, `results ${JSON.stringify(job.results)}`);
  });

  await check('organizations_bulk_create_and_watch_job', async () => {
    const { result } = await client.organizations.createMany({
      organizations: [0, 1].map((i) => ({ name: `Node Bulk Org ${RUN} ${i}` })),
    });
    const job = await watchJob(result.job_status.id);
    expect(job.results.length === 2, `results ${JSON.stringify(job.results)}`);
  });

  await check('tickets_merge_job', async () => {
    const target = (await client.tickets.create({ ticket: { subject: `node ${RUN} merge target`, comment: { body: 'target' } } })).result;
    const source = (await client.tickets.create({ ticket: { subject: `node ${RUN} merge source`, comment: { body: 'source' } } })).result;
    const { result } = await client.tickets.merge(target.id, {
      ids: [source.id],
      target_comment: 'merged in',
      source_comment: 'merged away',
    });
    await watchJob(result.job_status.id);
    const closed = (await client.tickets.show(source.id)).result;
    expect(closed.status === 'closed', `source status ${closed.status}`);
    const bodies = (await client.tickets.getComments(target.id)).map((c) => c.body);
    expect(bodies.includes('merged in'), `target comments ${JSON.stringify(bodies)}`);
  });

  await check('search_query_and_query_all', async () => {
    const bulk = need('bulk');
    const want = JSON.stringify([...bulk].sort());
    await eventually(async () => {
      const one = (await client.search.query(`type:ticket bulk ${RUN}`)).result.map((r) => r.id).sort();
      expect(JSON.stringify(one) === want, `search gave ${JSON.stringify(one)}`);
    });
    const all = (await client.search.queryAll(`type:ticket bulk ${RUN}`)).map((r) => r.id).sort();
    expect(JSON.stringify(all) === want, `queryAll gave ${JSON.stringify(all)}`);
  });

  await check('search_count', async () => {
    need('bulk');
    await eventually(async () => {
      const { result } = await client.search.showResultsCount(`type:ticket bulk ${RUN}`);
      expect(result.count === 3, `count ${JSON.stringify(result)}`);
    });
  });

  await check('search_export_follows_cursor_to_the_end', async () => {
    const bulk = need('bulk');
    await eventually(async () => {
      const rows = await client.search.exportResults(`bulk ${RUN}`, 'ticket', 2);
      const ids = rows.map((r) => r.id).sort();
      expect(JSON.stringify(ids) === JSON.stringify([...bulk].sort()), `export gave ${JSON.stringify(ids)}`);
    });
  });

  await check('tickets_bulk_update_job', async () => {
    const bulk = need('bulk');
    const { result } = await client.tickets.updateMany(bulk, { ticket: { status: 'pending', additional_tags: ['bulk-updated'] } });
    await watchJob(result.job_status.id);
    const shown = (await client.tickets.showMany(bulk)).result;
    expect(shown.length === bulk.length, `show_many gave ${shown.length}`);
    expect(shown.every((t) => t.status === 'pending' && t.tags.includes('bulk-updated')), `after update_many ${JSON.stringify(shown.map((t) => [t.status, t.tags]))}`);
  });

  await check('more_than_100_tickets_answer_400_too_many_values', async () => {
    const tickets = Array.from({ length: 101 }, (_, i) => ({ subject: `node ${RUN} too many ${i}`, comment: { body: 'x' } }));
    const e = await expectStatus(rawClient.tickets.createMany({ tickets }), 400, 'create_many of 101');
    expect(e.result && e.result.error === 'TooManyValues', `body ${JSON.stringify(e.result)}`);
  });

  await check('tickets_bulk_delete_job', async () => {
    const bulk = need('bulk');
    const { result } = await client.tickets.deleteMany(bulk);
    await watchJob(result.job_status.id);
    for (const id of bulk) await expectStatus(rawClient.tickets.show(id), 404, `show ticket ${id} after destroy_many`);
  });

  await check('organization_fields_crud_and_reorder', async () => {
    const key = `tier_${RUN}`;
    const created = await client.organizationfields.create({
      organization_field: { type: 'integer', title: 'Tier', key },
    });
    const field = created.result;
    expect(created.response.status === 201 && field.key === key && field.type === 'integer', `created ${JSON.stringify(field)}`);
    expect(field.active === true && field.system === false, `active ${field.active} system ${field.system}`);
    const byKey = (await client.organizationfields.show(key)).result;
    expect(byKey.id === field.id, `show by key gave ${byKey.id}`);
    const listed = await client.organizationfields.list();
    expect(listed.some((f) => f.id === field.id), 'field not listed');
    const updated = (await client.organizationfields.update(field.id, { organization_field: { title: 'Tier level' } })).result;
    expect(updated.title === 'Tier level', `title ${updated.title}`);
    const ids = listed.map((f) => f.id).reverse();
    const reordered = await client.organizationfields.reorder(ids);
    expect(reordered.response.status === 200, `reorder status ${reordered.response.status}`);

    const org = (await client.organizations.create({ organization: { name: `Node Fields ${RUN}`, organization_fields: { [key]: 3 } } })).result;
    expect(org.organization_fields[key] === 3, `organization_fields ${JSON.stringify(org.organization_fields)}`);
    const e = await expectStatus(
      rawClient.organizations.update(org.id, { organization: { organization_fields: { [key]: 'three' } } }),
      422,
      'non-integer value for an integer field',
    );
    expect(e.result && e.result.error === 'RecordInvalid', `body ${JSON.stringify(e.result)}`);

    const deleted = await client.organizationfields.delete(field.id);
    expect(deleted.response.status === 204, `delete status ${deleted.response.status}`);
    await expectStatus(rawClient.organizationfields.show(field.id), 404, 'show deleted field');
  });

  await check('macro_create_list_and_preview_changing_nothing', async () => {
    const id = need('ticket');
    // node-zendesk unwraps records by its list names only: one macro comes back enveloped.
    const { result: createdBody } = await client.macros.create({
      macro: {
        title: `node ${RUN} ask for details`,
        actions: [{ field: 'status', value: 'pending' },
          { field: 'comment_value', value: 'Hi {{ticket.requester.first_name}}, which printer?' }],
      },
    });
    const created = createdBody.macro || createdBody;
    expect(Number.isInteger(created.id), `macro ${JSON.stringify(created)}`);
    const listed = await client.macros.list();
    expect(listed.some((m) => m.id === created.id), 'listed among the active macros');
    const { result: found } = await client.macros.search(`${RUN} ask`);
    const hits = Array.isArray(found) ? found : found.macros;
    expect(hits.some((m) => m.id === created.id), `search found ${JSON.stringify(hits)}`);
    const { result: before } = await client.tickets.show(id);
    const { result: applied } = await client.macros.applyTicket(id, created.id);
    const preview = applied.result || applied;
    expect(preview.ticket.status === 'pending', `previewed ${JSON.stringify(preview.ticket)}`);
    expect(/^Hi /.test(preview.comment.body), `comment ${JSON.stringify(preview.comment)}`);
    const { result: after } = await client.tickets.show(id);
    expect(after.status === before.status && after.updated_at === before.updated_at, 'the preview changed the ticket');
    const { response } = await client.macros.delete(created.id);
    expect(response.status === 204, `delete ${response.status}`);
  });

  await check('view_tickets_count_and_execute', async () => {
    const id = need('ticket');
    const { result: view } = await client.views.create({
      view: {
        title: `node ${RUN} queue`,
        all: [{ field: 'status', operator: 'less_than', value: 'solved' },
          { field: 'current_tags', operator: 'includes', value: `run${RUN}` }],
        output: { columns: ['status', 'description', 'priority'] },
      },
    });
    expect(Number.isInteger(view.id), `view ${JSON.stringify(view)}`);
    // The pages of a view's tickets come back whole (node-zendesk knows views, not tickets, here).
    const pages = await client.views.tickets(view.id);
    const ids = pages.flatMap((page) => (page.tickets ? page.tickets : [page])).map((t) => t.id);
    expect(ids.includes(id), `ticket ${id} not in ${JSON.stringify(ids)}`);
    const { result: counted } = await client.views.showCount(view.id);
    const count = counted.view_count || counted;
    expect(count.value === ids.length, `count ${JSON.stringify(count)}`);
    // node-zendesk reads an executed view's `view` (its rows stay in the raw answer).
    const executed = await client.views.execute(view.id, {});
    expect(executed.some((page) => page.id === view.id), `executed ${JSON.stringify(executed).slice(0, 300)}`);
    // node-zendesk 6's views.delete calls itself forever: delete through its generic request.
    const { response } = await client.views.request('DELETE', ['views', view.id]);
    expect(response.status === 204, `delete ${response.status}`);
  });

  await check('help_center_articles_and_search', async () => {
    const { result: category } = await helpCenter.categories.create({ category: { name: `node ${RUN} printers` } });
    const { result: section } = await helpCenter.sections.create(category.id, { section: { name: 'Paper' } });
    const { result: article } = await helpCenter.articles.create(section.id, {
      article: { title: `Clear a paper jam ${RUN}`, body: '<p>Open tray 2 and pull the <b>jammed</b> paper out.</p>', locale: 'en-us' },
    });
    expect(Number.isInteger(article.id), `article ${JSON.stringify(article)}`);
    const { result: shown } = await helpCenter.articles.show(article.id);
    expect(shown.title === `Clear a paper jam ${RUN}`, `shown ${JSON.stringify(shown)}`);
    const { result: found } = await helpCenter.search.searchArticles(`paper jam ${RUN}`);
    const hits = Array.isArray(found) ? found : found.results;
    const hit = hits.find((h) => h.id === article.id);
    expect(hit && /<em>/.test(hit.snippet), `search ${JSON.stringify(found).slice(0, 400)}`);
    const inSection = await helpCenter.articles.listBySection(section.id);
    expect(inSection.length === 1 && inSection[0].id === article.id, `section articles ${JSON.stringify(inSection)}`);
  });

  await check('upload_attached_to_a_comment_and_served', async () => {
    const id = need('ticket');
    const upload = await client.attachments.upload(Readable.from([Buffer.from('toner level: 3%')]), { filename: 'toner.txt' });
    const body = upload.result || upload;
    const tokenOf = (body.upload || body).token;
    expect(typeof tokenOf === 'string' && tokenOf.length > 0, `upload ${JSON.stringify(body)}`);
    await client.tickets.update(id, { ticket: { comment: { body: 'Toner report attached', uploads: [tokenOf], public: false } } });
    const comments = await client.tickets.getComments(id);
    const files = comments[comments.length - 1].attachments;
    expect(files.length === 1 && files[0].file_name === 'toner.txt', `attachments ${JSON.stringify(files)}`);
    const auth = Buffer.from(`${email}/token:${token}`).toString('base64');
    const served = await fetch(files[0].content_url, { headers: { Authorization: `Basic ${auth}` } });
    expect(served.status === 200 && (await served.text()) === 'toner level: 3%', `content_url answered ${served.status}`);
    const { result: shownBody } = await client.attachments.show(files[0].id);
    const shown = shownBody.attachment || shownBody;
    expect(shown.size === 15, `shown ${JSON.stringify(shown)}`);
  });

  await check('ticket_delete_then_404', async () => {
    const id = need('ticket');
    const { response } = await client.tickets.delete(id);
    expect(response.status === 204, `delete status ${response.status}`);
    // node-zendesk's default error: a plain Error whose message carries the status.
    try {
      await client.tickets.show(id);
    } catch (e) {
      expect(/404/.test(e.message), `message ${e.message}`);
      const raw = await expectStatus(rawClient.tickets.show(id), 404, 'show deleted ticket');
      expect(raw.result.error === 'RecordNotFound', `body ${JSON.stringify(raw.result)}`);
      return;
    }
    throw new Error('deleted ticket still readable');
  });

  await check('webhooks_create_show_list_update_secret_delete', async () => {
    const { result: made } = await client.webhooks.create({ webhook: {
      name: `Refunds ${RUN}`, endpoint: 'http://127.0.0.1:9/refunds', http_method: 'POST',
      request_format: 'json', status: 'active', subscriptions: ['zen:event-type:ticket.created'],
      authentication: { type: 'bearer_token', add_position: 'header', data: { token: `tok-${RUN}` } },
    } });
    const id = (made.webhook || made).id;
    expect(typeof id === 'string' && id.length === 26, `a ULID id, got ${JSON.stringify(made)}`);
    const { result: shownBody } = await client.webhooks.show(id);
    const shown = shownBody.webhook || shownBody;
    expect(shown.name === `Refunds ${RUN}`, `shown ${JSON.stringify(shown)}`);
    expect(!JSON.stringify(shown).includes(`tok-${RUN}`), 'the token is never answered');
    const listed = await client.webhooks.list();
    const ids = (Array.isArray(listed) ? listed : listed.webhooks || []).map((w) => w.id);
    expect(ids.includes(id), `list ${JSON.stringify(listed).slice(0, 400)}`);
    await client.webhooks.patch(id, { webhook: { status: 'inactive' } });
    const { result: patched } = await client.webhooks.show(id);
    expect((patched.webhook || patched).status === 'inactive', `patched ${JSON.stringify(patched)}`);
    const { result: secret } = await client.webhooks.getSigningSecret(id);
    expect(secret.signing_secret.secret.length >= 32, 'a signing secret');
    const { result: reset } = await client.webhooks.resetSigningSecret(id);
    expect(reset.signing_secret.secret !== secret.signing_secret.secret, 'reset gives another secret');
    const { result: invocations } = await client.webhooks.listInvocations(id);
    expect(Array.isArray(invocations.invocations || invocations), `invocations ${JSON.stringify(invocations)}`);
    await client.webhooks.delete(id);
    await expectStatus(rawClient.webhooks.show(id), 404, 'show deleted webhook');
  });

  // Business rules: triggers and automations created, read and deleted as node-zendesk sends
  // them, and a trigger firing on a ticket it creates.
  await check('trigger_created_fires_and_is_read_back', async () => {
    const { result: createdBody } = await client.triggers.create({
      trigger: {
        title: `node ${RUN} tag urgent`,
        conditions: {
          all: [{ field: 'update_type', operator: 'is', value: 'Create' },
            { field: 'priority', operator: 'is', value: 'urgent' }],
          any: [],
        },
        actions: [{ field: 'current_tags', value: `hot${RUN}` }],
      },
    });
    const trigger = createdBody.trigger || createdBody;
    expect(Number.isInteger(trigger.id), `trigger ${JSON.stringify(createdBody)}`);
    const { result: shownBody } = await client.triggers.show(trigger.id);
    const shown = shownBody.trigger || shownBody;
    expect(shown.title === `node ${RUN} tag urgent`, `shown ${JSON.stringify(shown)}`);
    const listed = await client.triggers.list();
    const all = Array.isArray(listed) ? listed : listed.result || listed.triggers;
    expect(all.some((t) => t.id === trigger.id), 'listed');
    const { result: ticketBody } = await client.tickets.create({
      ticket: { subject: `node ${RUN} urgent`, priority: 'urgent', comment: { body: 'down' } },
    });
    const ticket = ticketBody.ticket || ticketBody;
    expect(ticket.tags.includes(`hot${RUN}`), `tags ${JSON.stringify(ticket.tags)}`);
    const deleted = await client.triggers.delete(trigger.id);
    expect(deleted.response.status === 204, `delete status ${deleted.response.status}`);
  });

  await check('automation_created_read_and_deleted', async () => {
    const { result: createdBody } = await client.automations.create({
      automation: {
        title: `node ${RUN} close solved`,
        conditions: {
          all: [{ field: 'status', operator: 'is', value: 'solved' },
            { field: 'hours_since_solved', operator: 'greater_than', value: '96' }],
          any: [],
        },
        actions: [{ field: 'status', value: 'closed' }],
      },
    });
    const automation = createdBody.automation || createdBody;
    expect(Number.isInteger(automation.id), `automation ${JSON.stringify(createdBody)}`);
    const { result: shownBody } = await client.automations.show(automation.id);
    const shown = shownBody.automation || shownBody;
    expect(shown.title === `node ${RUN} close solved`, `shown ${JSON.stringify(shown)}`);
    await client.automations.delete(automation.id);
    await expectStatus(rawClient.automations.show(automation.id), 404, 'show deleted automation');
  });

  // Incremental exports: ticketexport's cursor and time-based exports, users, organizations
  // and ticket events (with comments). Zendesk exports nothing changed in the last minute, so
  // the checks wait for the records made here to be a minute old.
  await check('incremental_fixtures', async () => {
    state.exportedSince = Math.floor(Date.now() / 1000) - 5;
    const tickets = [];
    for (let n = 0; n < 3; n += 1) {
      const { result } = await client.tickets.create({
        ticket: { subject: `node ${RUN} export ${n}`, comment: { body: `export ${n}` } },
      });
      tickets.push(result.id);
    }
    await client.tickets.update(tickets[0], {
      ticket: { status: 'open', comment: { body: 'Exported with its comment', public: false } },
    });
    const { result: user } = await client.users.create({
      user: { name: `Node Export ${RUN}`, email: `node-export-${RUN}@example.com` },
    });
    const { result: org } = await client.organizations.create({ organization: { name: `node export ${RUN}` } });
    state.exported = { tickets, user: user.id, organization: org.id };
    state.exportedAt = Date.now();
  });

  async function exported() {
    const [fixtures, since] = need('exported', 'exportedSince');
    // Zendesk exports only changes at least a minute old.
    const waited = Date.now() - state.exportedAt;
    if (waited < 62000) await new Promise((r) => setTimeout(r, 62000 - waited));
    return [fixtures, since];
  }

  await check('ticketexport_export_cursor', async () => {
    const [fixtures, since] = await exported();
    const { result } = await client.ticketexport.exportCursor(since);
    const ids = result.tickets.map((t) => t.id);
    expect(fixtures.tickets.every((id) => ids.includes(id)), `${fixtures.tickets} not all in ${ids}`);
    expect(new Set(ids).size === ids.length, `a ticket came twice: ${ids}`);
    expect(result.end_of_stream === true, `end_of_stream ${result.end_of_stream}`);
    expect(typeof result.after_cursor === 'string' && result.after_url.includes('cursor='),
      `after ${result.after_cursor} ${result.after_url}`);
    // The cursor is where a later run starts: nothing of these has changed since.
    const { result: later } = await client.ticketexport.exportCursor(undefined, result.after_cursor);
    const again = later.tickets.map((t) => t.id);
    expect(!again.some((id) => fixtures.tickets.includes(id)), `resumed with ${again}`);
  });

  await check('ticketexport_export_by_time', async () => {
    const [fixtures, since] = await exported();
    const { result } = await client.ticketexport.export(since);
    const ids = result.tickets.map((t) => t.id);
    expect(fixtures.tickets.every((id) => ids.includes(id)), `${fixtures.tickets} not all in ${ids}`);
    expect(result.count === ids.length && result.end_of_stream === true, `count ${result.count}`);
    expect(Number.isInteger(result.end_time) && result.next_page.includes(`start_time=${result.end_time}`),
      `end_time ${result.end_time} next_page ${result.next_page}`);
    const first = result.tickets.find((t) => t.id === fixtures.tickets[0]);
    expect(first.status === 'open' && first.generated_timestamp >= since, `${JSON.stringify(first)}`);
  });

  await check('users_incremental', async () => {
    const [fixtures, since] = await exported();
    const users = await client.users.incremental(since);
    const ids = users.map((u) => u.id);
    expect(ids.includes(fixtures.user), `user ${fixtures.user} not in ${ids}`);
  });

  await check('organizations_incremental', async () => {
    const [fixtures, since] = await exported();
    const orgs = await client.organizations.incremental(since);
    const ids = orgs.map((o) => o.id);
    expect(ids.includes(fixtures.organization), `organization ${fixtures.organization} not in ${ids}`);
  });

  await check('ticketevents_incremental', async () => {
    const [fixtures, since] = await exported();
    const events = (await client.ticketevents.incremental(since))
      .filter((e) => fixtures.tickets.includes(e.ticket_id));
    expect(events.length === 4, `3 creations and an update, got ${events.length}`);
    const children = events.flatMap((e) => e.child_events);
    expect(children.some((c) => c.event_type === 'Comment' && c.comment_present === true && c.body === undefined),
      `without comment_events: ${JSON.stringify(children)}`);
    const withComments = (await client.ticketevents.incrementalInclude(since, 'comment_events'))
      .filter((e) => fixtures.tickets.includes(e.ticket_id))
      .flatMap((e) => e.child_events);
    expect(withComments.some((c) => c.body === 'Exported with its comment' && c.public === false),
      `comment events ${JSON.stringify(withComments)}`);
  });

  const failed = results.filter((r) => r.status !== 'PASS');
  console.log(`node-zendesk suite: ${results.length - failed.length}/${results.length} checks passed`);
  process.exit(failed.length ? 1 : 0);
}

main().catch((e) => {
  console.error('suite crashed:', e);
  process.exit(1);
});
