// node-zendesk's side of the peer benchmark (bench/peers/run.sh): the same workload as zd's
// `peer_bench` example and zenpy_bench.py, against the same sandbox; prints one JSON line.
//
// Environment: ZENDESK_BASE_URL, ZENDESK_EMAIL, ZENDESK_API_TOKEN, PEER_BENCH_MODE (paging,
// latency or startup), PEER_BENCH_IDS (comma-separated ticket IDs to show), PEER_BENCH_SHOWS
// (default 200), PEER_BENCH_SEARCHES (default 20), PEER_BENCH_QUERY (default status:open),
// PEER_BENCH_NODE_DIR (the directory whose node_modules holds node-zendesk).
// A measurement, not a test.

'use strict';

const path = require('node:path');

function env(name, fallback = '') {
  const value = (process.env[name] || '').trim();
  return value || fallback;
}

function fail(message) {
  console.error(`node_bench: ${message}`);
  process.exit(2);
}

function countEnv(name, fallback) {
  const raw = env(name, String(fallback));
  if (!/^\d+$/.test(raw)) fail(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function ticketIds() {
  const raw = env('PEER_BENCH_IDS');
  const parts = raw.split(',').map((p) => p.trim()).filter(Boolean);
  if (!parts.length) fail('PEER_BENCH_IDS must list at least one ticket ID');
  for (const p of parts) {
    if (!/^\d+$/.test(p)) fail(`PEER_BENCH_IDS must be comma-separated ticket IDs, got ${JSON.stringify(p)}`);
  }
  return parts.map(Number);
}

// Nearest rank, as the Rust and Python sides compute it.
function quantileMs(sortedMs, q) {
  const rank = Math.min(Math.max(Math.ceil(q * sortedMs.length), 1), sortedMs.length);
  return sortedMs[rank - 1];
}

function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

function client() {
  const base = env('ZENDESK_BASE_URL');
  if (!base) fail('ZENDESK_BASE_URL must be set');
  const nodeDir = env('PEER_BENCH_NODE_DIR', path.join(__dirname, '..', '..', 'tests', 'compat', 'node'));
  const zendesk = require(require.resolve('node-zendesk', { paths: [nodeDir] }));
  return zendesk.createClient({
    username: env('ZENDESK_EMAIL'),
    token: env('ZENDESK_API_TOKEN'),
    endpointUri: `${base.replace(/\/$/, '')}/api/v2`,
  });
}

async function paging(zd) {
  const started = nowMs();
  // `tickets.list()` is `getAll(['tickets'])` with no page size; the same getAll with
  // page[size]=100 gives cursor paging (node-zendesk follows links.next until it is null).
  // getAll buffers every page before answering: that is node-zendesk's behaviour, measured as is.
  const tickets = await zd.tickets.getAll(['tickets', { 'page[size]': 100 }]);
  const secs = (nowMs() - started) / 1e3;
  return { tickets: tickets.length, paging_s: secs, tickets_per_s: tickets.length / secs };
}

async function latency(zd) {
  const ids = ticketIds();
  const shows = countEnv('PEER_BENCH_SHOWS', 200);
  const searches = countEnv('PEER_BENCH_SEARCHES', 20);
  const query = env('PEER_BENCH_QUERY', 'status:open');

  const showTimes = [];
  for (let i = 0; i < shows; i += 1) {
    const id = ids[i % ids.length];
    const started = nowMs();
    const { result } = await zd.tickets.show(id);
    showTimes.push(nowMs() - started);
    if (result.id !== id) fail(`asked for ticket ${id}, got ${result.id}`);
  }

  const searchTimes = [];
  let results = 0;
  for (let i = 0; i < searches; i += 1) {
    const started = nowMs();
    const { result } = await zd.search.query(query); // one GET /search, first page
    searchTimes.push(nowMs() - started);
    results = result.length;
  }

  showTimes.sort((a, b) => a - b);
  searchTimes.sort((a, b) => a - b);
  return {
    shows,
    show_p50_ms: quantileMs(showTimes, 0.5),
    show_p99_ms: quantileMs(showTimes, 0.99),
    searches,
    search_results_per_page: results,
    search_p50_ms: quantileMs(searchTimes, 0.5),
    search_p99_ms: quantileMs(searchTimes, 0.99),
  };
}

async function startup(zd) {
  const { result } = await zd.tickets.show(ticketIds()[0]);
  return { first_ticket: result.id };
}

async function main() {
  const mode = env('PEER_BENCH_MODE', 'paging');
  const modes = { paging, latency, startup };
  if (!(mode in modes)) fail(`PEER_BENCH_MODE must be paging, latency or startup, got ${JSON.stringify(mode)}`);
  const out = await modes[mode](client());
  console.log(JSON.stringify({ ...out, client: 'node-zendesk', mode }));
}

main().catch((e) => {
  const status = e && e.statusCode ? ` (HTTP ${e.statusCode})` : '';
  fail(`${e && e.message ? e.message : e}${status}`);
});
