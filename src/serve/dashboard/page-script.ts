/**
 * The dashboard's browser code, as text: no framework, no build step. It polls `/dashboard/state`
 * every second and builds the DOM with textContent only, so a key's name cannot inject markup.
 */
export const PAGE_SCRIPT = `
const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) k === 'class' ? (node.className = v) : node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
};
const tokenInput = $('#token');
tokenInput.value = sessionStorage.getItem('keymux-admin-token') ?? '';
tokenInput.addEventListener('change', () => sessionStorage.setItem('keymux-admin-token', tokenInput.value));
let state = null;
let lastSignature = '';
let asked = false;

function countdown(iso) {
  if (!iso) return '';
  const s = Math.max(0, Math.ceil((Date.parse(iso) - Date.now()) / 1000));
  return s >= 60 ? Math.floor(s / 60) + 'm ' + (s % 60) + 's' : s + 's';
}

function limitBars(limits) {
  const box = el('div', { class: 'limits' });
  for (const [name, u] of Object.entries(limits)) {
    const pct = Math.min(100, Math.round(u.percent));
    const fill = el('span', { class: pct > 85 ? 'hot' : '' });
    // Through the CSSOM: the page's CSP allows no style attributes.
    fill.style.width = pct + '%';
    const bar = el('div', { class: 'bar' }, fill);
    box.append(el('div', { class: 'limit' }, el('b', {}, name), bar, u.used + ' / ' + u.limit + (u.learned ? ' (learned)' : '')));
  }
  if (!box.childElementCount) box.append(el('span', { class: 'muted' }, 'no limits known yet'));
  return box;
}

function askToken() {
  const typed = prompt('Admin token');
  if (!typed) return false;
  tokenInput.value = typed;
  sessionStorage.setItem('keymux-admin-token', typed);
  return true;
}

function auth() {
  return tokenInput.value ? { authorization: 'Bearer ' + tokenInput.value } : {};
}

async function act(provider, name, action) {
  if (state?.adminTokenRequired && !tokenInput.value && !askToken()) return;
  const headers = auth();
  const url = '/admin/keys/' + encodeURIComponent(provider) + '/' + encodeURIComponent(name) + '/' + action;
  const res = await fetch(url, { method: 'POST', headers });
  $('#message').textContent = res.ok ? action + ' ' + provider + '/' + name + ': done' : action + ' failed: ' + res.status + (res.status === 401 ? ' (admin token?)' : '');
  await refresh();
}

function lastCheck(check) {
  if (!check) return '';
  const at = new Date(check.at).toLocaleTimeString();
  if (check.skipped) return 'check skipped (' + check.skipped + ')';
  return (check.ok ? 'check passed ' : 'check failed: ' + (check.status ?? '') + ' ' + (check.failureClass ?? '') + ', ') + at;
}

function keyRow(provider, key) {
  const button = (label, action) => {
    const b = el('button', { 'data-action': action, 'data-key': key.name }, label);
    b.addEventListener('click', () => act(provider, key.name, action));
    return b;
  };
  return el('tr', { 'data-provider': provider, 'data-key': key.name },
    el('td', {}, el('b', {}, key.name), el('div', { class: 'muted' }, key.label)),
    el('td', {}, el('span', { class: 'state ' + key.state, 'data-role': 'state' }, key.state),
      el('div', { class: 'muted', 'data-role': 'cooldown' }, key.cooldownUntil ? 'back in ' + countdown(key.cooldownUntil) : ''),
      el('div', { class: 'muted', 'data-role': 'check' }, lastCheck(key.lastCheck))),
    el('td', {}, key.inFlight + ' / ' + key.concurrency),
    el('td', {}, key.queued),
    el('td', {}, limitBars(key.limits)),
    el('td', {}, key.requests + ' req', el('div', { class: 'muted' }, key.rateLimited + ' × 429, ' + key.failures + ' failed')),
    el('td', {}, key.state === 'disabled' ? button('Enable', 'enable') : button('Disable', 'disable'), ' ', button('Reset', 'reset')),
  );
}

function chart(series) {
  const w = 600, h = 90, n = series.requests.length, max = Math.max(1, ...series.requests);
  const pts = (arr) => arr.map((v, i) => (i * w / (n - 1)).toFixed(1) + ',' + (h - v / max * (h - 4) - 2).toFixed(1)).join(' ');
  const rps = (arr) => (arr.at(-2) ?? 0) / series.bucketSeconds;
  return '<svg viewBox="0 0 ' + w + ' ' + h + '" class="chart"><polyline class="req" points="' + pts(series.requests) + '"/>' +
    '<polyline class="lim" points="' + pts(series.rateLimited) + '"/></svg>' +
    '<div class="muted">last ' + (n * series.bucketSeconds / 60) + ' min, ' + series.bucketSeconds + ' s buckets — ' +
    rps(series.requests).toFixed(1) + ' req/s, ' + rps(series.rateLimited).toFixed(2) + ' 429/s</div>';
}

function render() {
  const root = $('#providers');
  root.replaceChildren();
  for (const [provider, p] of Object.entries(state.stats.providers)) {
    const head = el('tr', {}, ...['key', 'state', 'in flight', 'queued', 'usage against limits', 'requests', ''].map((t) => el('th', {}, t)));
    const table = el('table', {}, el('thead', {}, head), el('tbody', {}, ...p.keys.map((k) => keyRow(provider, k))));
    root.append(el('section', {},
      el('h2', {}, provider, el('span', { class: 'muted' }, ' ' + p.healthyKeys + '/' + p.totalKeys + ' keys up · ' + p.strategy + ' · queued ' + p.queued + ' · in flight ' + p.inFlight)),
      table));
  }
  const spend = state.stats.spend;
  if (spend && (spend.budgets.length > 0 || spend.costs.length > 0)) root.append(spendSection(spend));
  $('#chart').innerHTML = chart(state.history);
}

function spendSection(spend) {
  const amount = (v, unit) => unit === 'tokens' ? v + ' tokens' : '$' + v.toFixed(6);
  const heads = (...titles) => el('thead', {}, el('tr', {}, ...titles.map((t) => el('th', {}, t))));
  const budgets = spend.budgets.map((b) => el('tr', { 'data-budget': b.name },
    el('td', {}, b.name), el('td', {}, amount(b.spent, b.unit)), el('td', {}, amount(b.reserved, b.unit)),
    el('td', {}, amount(b.left, b.unit)), el('td', {}, amount(b.limit, b.unit))));
  const costs = spend.costs.map((c) => el('tr', { 'data-cost': c.provider + '/' + c.key + '/' + c.model },
    el('td', {}, el('b', {}, c.key), el('div', { class: 'muted' }, c.provider)), el('td', {}, c.model),
    el('td', {}, '$' + c.usd.toFixed(6)),
    el('td', {}, c.calls + ' calls' + (c.unknownCalls ? ', ' + c.unknownCalls + ' without a price' : ''))));
  return el('section', { id: 'spend' }, el('h2', {}, 'spend'),
    el('table', {}, heads('budget', 'spent', 'reserved', 'left', 'limit'), el('tbody', {}, ...budgets)),
    el('table', {}, heads('key', 'model', 'cost', 'calls'), el('tbody', {}, ...costs)));
}

async function refresh() {
  try {
    let res = await fetch('/dashboard/state', { headers: auth() });
    // The state is the admin API's to guard: ask once for the token, then say when it is refused.
    if (res.status === 401 && !tokenInput.value && !asked) {
      asked = true;
      if (askToken()) res = await fetch('/dashboard/state', { headers: auth() });
    }
    if (res.status === 401) {
      $('#updated').textContent = 'the admin token is required to show the keys';
      return;
    }
    state = await res.json();
    // Rebuild only on change (a countdown changes every second), so buttons stay put between clicks.
    const providers = JSON.stringify(state.stats.providers);
    const signature = providers + JSON.stringify(state.history) + JSON.stringify(state.stats.spend) + (providers.includes('"cooldownUntil":"') ? Math.floor(Date.now() / 1000) : '');
    $('#updated').textContent = 'updated ' + new Date(state.stats.generatedAt).toLocaleTimeString();
    if (signature === lastSignature) return;
    lastSignature = signature;
    render();
  } catch (e) {
    $('#updated').textContent = 'gateway unreachable';
  }
}
refresh();
// ?refresh=ms polls faster or slower (tests use a short one).
const every = Number(new URLSearchParams(location.search).get('refresh')) || 1000;
setInterval(refresh, Math.max(100, every));
`;
