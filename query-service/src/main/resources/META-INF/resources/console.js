// PIRStream operator console. Plain JS, no build step, no external network.
// The API key lives in sessionStorage (this tab only) and goes out as a bearer token; there are no cookies, so no
// other site can act for the user. EventSource cannot send headers, so the event streams are read with fetch.
'use strict';

const KEY = 'pirstream.apiKey';
const ALERT_CURSOR = 'pirstream.alertCursor';
const MAX_ALERTS = 200;
const MAX_FEED = 60;
const $ = (id) => document.getElementById(id);

let session = null; // {key, abort: AbortController}
const thumbnails = new Map(); // chipId -> object URL

// ---- HTTP

async function api(path, options = {}) {
  const headers = Object.assign({'Authorization': 'Bearer ' + session.key}, options.headers || {});
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(options.json);
  }
  const response = await fetch(path, {method: options.method || 'GET', headers, body: options.body,
    signal: session.abort.signal, credentials: 'omit'});
  if (response.status === 204) {
    return {status: 204};
  }
  const type = response.headers.get('Content-Type') || '';
  const body = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    const problem = new Error(body && body.detail ? body.detail : 'HTTP ' + response.status);
    problem.status = response.status;
    problem.reason = body && body.reason;
    throw problem;
  }
  return {status: response.status, body};
}

/** The thumbnail needs the bearer key, so it is fetched as a blob and shown from an object URL. */
async function thumbnail(img, chipId) {
  img.alt = 'chip ' + chipId.slice(0, 8);
  if (thumbnails.has(chipId)) {
    img.src = thumbnails.get(chipId);
    return;
  }
  try {
    let response;
    // a chip announced by the index feed may reach the searcher a refresh interval later: retry a 404 briefly
    for (let attempt = 0; ; attempt++) {
      response = await fetch('/v1/chips/' + encodeURIComponent(chipId) + '/thumbnail', {
        headers: {'Authorization': 'Bearer ' + session.key}, signal: session.abort.signal, credentials: 'omit'});
      if (response.status !== 404 || attempt >= 5) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
    }
    if (!response.ok) {
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    thumbnails.set(chipId, url);
    if (thumbnails.size > 1000) { // forget the oldest
      const [oldest, oldUrl] = thumbnails.entries().next().value;
      URL.revokeObjectURL(oldUrl);
      thumbnails.delete(oldest);
    }
    img.src = url;
  } catch (e) {
    // signed out or offline: the card keeps its empty frame
  }
}

// ---- server-sent events over fetch

/**
 * Reads an event stream until signed out, reconnecting with backoff; `cursor()` gives the Last-Event-ID to resume
 * from. `indicator` shows the connection state.
 */
function follow(path, indicator, onEvent, cursor) {
  let delay = 1000;
  const show = (state, text) => {
    indicator.dataset.state = state;
    indicator.querySelector('b').textContent = text;
  };
  const connect = async () => {
    while (session && !session.abort.signal.aborted) {
      show('connecting', 'connecting');
      try {
        const headers = {'Authorization': 'Bearer ' + session.key, 'Accept': 'text/event-stream'};
        const last = cursor ? cursor() : null;
        if (last) {
          headers['Last-Event-ID'] = last;
        }
        const response = await fetch(path(), {headers, signal: session.abort.signal, credentials: 'omit'});
        if (!response.ok) {
          const problem = await response.json().catch(() => ({}));
          show('error', problem.detail ? 'refused' : 'HTTP ' + response.status);
          indicator.title = problem.detail || ('HTTP ' + response.status);
          if (response.status === 401 || response.status === 403) {
            return;
          }
        } else {
          const reader = response.body.getReader();
          const decoder = new TextDecoder();
          let buffer = '';
          for (;;) {
            const {value, done} = await reader.read();
            if (done) {
              break;
            }
            buffer += decoder.decode(value, {stream: true});
            let end;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const event = parseEvent(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
              if (event.name === 'ready') {
                show('live', 'live');
                indicator.title = 'connected ' + new Date().toISOString();
                delay = 1000;
              }
              if (event.data !== null) {
                onEvent(event);
              }
            }
          }
        }
      } catch (e) {
        if (session && session.abort.signal.aborted) {
          return;
        }
      }
      show('reconnecting', 'reconnecting in ' + Math.round(delay / 1000) + ' s');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 30000);
    }
  };
  connect();
}

function parseEvent(block) {
  const event = {name: 'message', id: null, data: null};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      continue; // keep-alive comment
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') {
      event.name = value;
    } else if (field === 'id') {
      event.id = value;
    } else if (field === 'data') {
      event.data = event.data === null ? value : event.data + '\n' + value;
    }
  }
  return event;
}

// ---- formatting

const time = (iso) => iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–';
const score = (s) => (s >= 0 ? ' ' : '') + s.toFixed(3);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === 'class') {
      node.className = value;
    } else if (name.startsWith('data-')) {
      node.setAttribute(name, value);
    } else {
      node[name] = value;
    }
  }
  children.forEach((child) => node.append(child));
  return node;
}

// ---- search and results

function searchBody() {
  const filters = {};
  const from = $('f-from').value;
  const to = $('f-to').value;
  if (from) filters.from = new Date(from).toISOString();
  if (to) filters.to = new Date(to).toISOString();
  if ($('f-source').value) filters.sources = [$('f-source').value];
  if ($('f-platform').value.trim()) filters.platforms = $('f-platform').value.split(',').map((p) => p.trim()).filter(Boolean);
  if ($('f-min-score').value !== '') filters.minScore = Number($('f-min-score').value);
  return {text: $('search-text').value.trim(), k: Number($('f-k').value) || 24, filters};
}

async function search(event) {
  event.preventDefault();
  $('search-problem').textContent = '';
  const body = searchBody();
  try {
    const {body: answer} = await api('/v1/search', {method: 'POST', json: body});
    $('model-version').textContent = 'model ' + answer.modelVersion;
    $('results-meta').textContent = answer.count + ' results in ' + (answer.tookMicros / 1000).toFixed(1) + ' ms';
    renderResults(body.text, answer.results);
    renderFootprints(answer.results);
  } catch (e) {
    $('search-problem').textContent = e.message;
  }
}

function renderResults(queryText, results) {
  const grid = $('results');
  grid.replaceChildren();
  results.forEach((r, i) => {
    const img = el('img');
    thumbnail(img, r.chipId);
    const problem = el('p', {class: 'problem'});
    const judge = (relevant) => async (event) => {
      problem.textContent = '';
      try {
        const {body} = await api('/v1/feedback', {method: 'POST', json: {queryText, chipId: r.chipId, relevant}});
        yes.setAttribute('aria-pressed', String(body.relevant));
        no.setAttribute('aria-pressed', String(!body.relevant));
      } catch (e) {
        problem.textContent = e.message;
      }
    };
    const yes = el('button', {type: 'button', class: 'small fb-relevant', title: 'relevant to this search'}, 'relevant');
    const no = el('button', {type: 'button', class: 'small fb-not-relevant', title: 'not relevant'}, 'not relevant');
    yes.addEventListener('click', judge(true));
    no.addEventListener('click', judge(false));
    const facts = el('dl', {class: 'facts'},
      el('dt', {}, '#' + (i + 1)), el('dd', {class: 'score'}, score(r.score)),
      el('dt', {}, 'captured'), el('dd', {title: r.capturedAt}, time(r.capturedAt)),
      el('dt', {}, 'source'), el('dd', {}, r.source + ' / ' + r.platform),
      el('dt', {}, 'scene'), el('dd', {}, r.topScene),
      el('dt', {}, 'chip'), el('dd', {class: 'id', title: r.chipId}, r.chipId.slice(0, 12)));
    const card = el('article', {class: 'result', 'data-chip-id': r.chipId}, img, facts, el('div', {class: 'actions'}, yes, no), problem);
    card.addEventListener('mouseenter', () => highlight(r.chipId, true));
    card.addEventListener('mouseleave', () => highlight(r.chipId, false));
    grid.append(card);
  });
}

function highlight(chipId, on) {
  document.querySelectorAll('[data-chip-id="' + CSS.escape(chipId) + '"]').forEach((node) => node.classList.toggle('hover', on));
}

/** Result boxes in lon/lat on a plain graticule: no map tiles, the machine may be offline. */
function renderFootprints(results) {
  const svg = $('footprint');
  const ns = 'http://www.w3.org/2000/svg';
  svg.replaceChildren();
  const boxes = results.map((r, i) => ({r, i, b: r.bounds})).filter((x) => x.b);
  $('footprint-meta').textContent = boxes.length + ' of ' + results.length + ' results have lon/lat bounds';
  if (boxes.length === 0) {
    return;
  }
  let [w, s, e, n] = [180, 90, -180, -90];
  boxes.forEach(({b}) => { w = Math.min(w, b.west); s = Math.min(s, b.south); e = Math.max(e, b.east); n = Math.max(n, b.north); });
  const padX = Math.max((e - w) * 0.08, 0.005);
  const padY = Math.max((n - s) * 0.08, 0.005);
  w -= padX; e += padX; s -= padY; n += padY;
  const [W, H] = [600, 260];
  const scale = Math.min(W / (e - w), H / (n - s));
  const ox = (W - (e - w) * scale) / 2;
  const oy = (H - (n - s) * scale) / 2;
  const x = (lon) => ox + (lon - w) * scale;
  const y = (lat) => oy + (n - lat) * scale;
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  const step = niceStep(Math.max(e - w, n - s) / 6);
  for (let lon = Math.ceil(w / step) * step; lon <= e; lon += step) {
    add('line', {class: 'graticule', x1: x(lon), x2: x(lon), y1: 0, y2: H});
    add('text', {class: 'label', x: x(lon) + 2, y: H - 3}, lon.toFixed(decimals(step)) + '°');
  }
  for (let lat = Math.ceil(s / step) * step; lat <= n; lat += step) {
    add('line', {class: 'graticule', x1: 0, x2: W, y1: y(lat), y2: y(lat)});
    add('text', {class: 'label', x: 2, y: y(lat) - 2}, lat.toFixed(decimals(step)) + '°');
  }
  boxes.forEach(({r, i, b}) => {
    const rect = add('rect', {class: 'box', 'data-chip-id': r.chipId, x: x(b.west), y: y(b.north),
      width: Math.max(2, (b.east - b.west) * scale), height: Math.max(2, (b.north - b.south) * scale)});
    rect.addEventListener('mouseenter', () => highlight(r.chipId, true));
    rect.addEventListener('mouseleave', () => highlight(r.chipId, false));
    add('title', {}, '#' + (i + 1) + ' ' + score(r.score) + ' ' + r.platform);
    rect.append(svg.lastChild);
    add('text', {class: 'rank', x: x(b.west) + 2, y: y(b.north) + 10}, String(i + 1));
  });
}

function niceStep(raw) {
  const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
  const unit = raw / magnitude;
  return (unit < 2 ? 1 : unit < 5 ? 2 : 5) * magnitude;
}

const decimals = (step) => Math.max(0, -Math.floor(Math.log10(step)));

// ---- subscriptions

async function loadSubscriptions() {
  try {
    const {body} = await api('/v1/subscriptions');
    renderSubscriptions(body);
  } catch (e) {
    $('sub-problem').textContent = e.message;
  }
}

function renderSubscriptions(subscriptions) {
  $('subs-meta').textContent = subscriptions.length + ' watching';
  $('subscriptions').replaceChildren(...subscriptions.map((s) => {
    const remove = el('button', {type: 'button', class: 'small quiet sub-delete', title: 'stop watching'}, 'delete');
    remove.addEventListener('click', async () => {
      try {
        await api('/v1/subscriptions/' + encodeURIComponent(s.id), {method: 'DELETE'});
        loadSubscriptions();
      } catch (e) {
        $('sub-problem').textContent = e.message;
      }
    });
    const filters = [];
    if (s.filters.sources.length) filters.push(s.filters.sources.join('/'));
    if (s.filters.platforms.length) filters.push(s.filters.platforms.join(','));
    if (s.filters.bbox) filters.push('bbox ' + s.filters.bbox.join(','));
    if (s.webhookUrl) filters.push('webhook');
    if (!s.active) filters.push('other model: not matched here');
    return el('li', {class: 'subscription', 'data-id': s.id},
      el('div', {class: 'what'}, el('div', {}, s.text),
        el('div', {class: 'sub'}, '≥ ' + s.threshold.toFixed(2) + (filters.length ? ' · ' + filters.join(' · ') : ''))),
      remove);
  }));
}

async function createSubscription(event) {
  event.preventDefault();
  $('sub-problem').textContent = '';
  $('sub-secret').hidden = true;
  const filters = {};
  if ($('sub-source').value) filters.sources = [$('sub-source').value];
  if ($('sub-platforms').value.trim()) filters.platforms = $('sub-platforms').value.split(',').map((p) => p.trim()).filter(Boolean);
  if ($('sub-bbox').value.trim()) filters.bbox = $('sub-bbox').value.split(',').map(Number);
  const body = {text: $('sub-text').value.trim(), threshold: Number($('sub-threshold').value), filters};
  if ($('sub-webhook').value.trim()) body.webhookUrl = $('sub-webhook').value.trim();
  try {
    const {body: created} = await api('/v1/subscriptions', {method: 'POST', json: body});
    if (created.webhookSecret) {
      $('sub-secret').textContent = 'Webhook signing secret (shown once): ' + created.webhookSecret;
      $('sub-secret').hidden = false;
    }
    $('sub-text').value = '';
    loadSubscriptions();
  } catch (e) {
    $('sub-problem').textContent = e.message;
  }
}

// ---- live lists

function onAlert(event) {
  if (event.name !== 'alert') {
    return;
  }
  sessionStorage.setItem(ALERT_CURSOR, event.id);
  const a = JSON.parse(event.data);
  if (document.querySelector('#alerts [data-alert-id="' + CSS.escape(a.alertId) + '"]')) {
    return;
  }
  const img = el('img');
  thumbnail(img, a.chipId);
  const latency = a.ingestedAt ? ((Date.parse(a.alertedAt) - Date.parse(a.ingestedAt)) / 1000).toFixed(2) + ' s after ingest' : '';
  const item = el('li', {class: 'alert fresh', 'data-chip-id': a.chipId, 'data-alert-id': a.alertId}, img,
    el('div', {class: 'what'}, el('div', {}, a.queryText),
      el('div', {class: 'sub'}, (a.source || '') + ' / ' + a.platform + ' · ' + a.topScene + ' · captured ' + time(a.capturedAt)),
      el('div', {class: 'sub id'}, a.chipId.slice(0, 16) + ' ' + latency)),
    el('span', {class: 'mono'}, score(a.score)));
  const list = $('alerts');
  list.prepend(item);
  while (list.children.length > MAX_ALERTS) list.lastChild.remove();
  $('alerts-meta').textContent = list.children.length + ' shown · last ' + time(a.alertedAt);
}

function onIndexed(event) {
  if (event.name !== 'indexed') {
    return;
  }
  const {chip, droppedBefore} = JSON.parse(event.data);
  const img = el('img');
  thumbnail(img, chip.chipId);
  const item = el('li', {class: 'fresh', 'data-chip-id': chip.chipId}, img,
    el('div', {class: 'what'}, el('div', {}, chip.topScene + ' · ' + chip.source + ' / ' + chip.platform),
      el('div', {class: 'sub'}, 'captured ' + time(chip.capturedAt))),
    el('span', {class: 'meta'}, time(chip.embeddedAt).slice(11)));
  const list = $('feed');
  list.prepend(item);
  while (list.children.length > MAX_FEED) list.lastChild.remove();
  $('feed-meta').textContent = droppedBefore > 0 ? droppedBefore + ' skipped (slow connection)' : 'live';
}

// ---- session

async function signIn(key) {
  session = {key, abort: new AbortController()};
  try {
    await api('/v1/subscriptions');
  } catch (e) {
    session.abort.abort();
    session = null;
    sessionStorage.removeItem(KEY);
    $('sign-in-problem').textContent = e.status === 401 ? 'This key is not known to the service.' : e.message;
    return;
  }
  sessionStorage.setItem(KEY, key);
  $('sign-in-panel').hidden = true;
  $('console').hidden = false;
  $('sign-out').hidden = false;
  $('signed-in-as').textContent = 'key …' + key.slice(-4);
  $('results').dataset.empty = 'Search to see matching chips.';
  $('alerts').dataset.empty = 'No alerts yet: alerts of your subscriptions appear here as they are raised.';
  $('subscriptions').dataset.empty = 'No subscriptions.';
  $('feed').dataset.empty = 'Chips appear here as they become searchable.';
  fetch('/q/health/ready').then((r) => r.json()).then((health) => {
    const store = (health.checks || []).find((c) => c.name === 'vector-store');
    if (store && store.data) $('model-version').textContent = 'model ' + store.data.modelVersion + ' · ' + store.data.indexSize + ' chips';
  }).catch(() => {});
  loadSubscriptions();
  const since = new Date(Date.now() - 3600 * 1000).toISOString(); // a new tab shows the last hour
  follow(() => '/v1/alerts/stream' + (sessionStorage.getItem(ALERT_CURSOR) ? '' : '?since=' + since), $('alerts-state'),
    onAlert, () => sessionStorage.getItem(ALERT_CURSOR));
  follow(() => '/v1/index/stream', $('index-state'), onIndexed, null);
}

function signOut() {
  if (session) session.abort.abort();
  session = null;
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(ALERT_CURSOR);
  thumbnails.forEach((url) => URL.revokeObjectURL(url));
  thumbnails.clear();
  location.reload();
}

$('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  $('sign-in-problem').textContent = '';
  signIn($('api-key').value.trim());
});
$('sign-out').addEventListener('click', signOut);
$('search-form').addEventListener('submit', search);
$('sub-form').addEventListener('submit', createSubscription);
if (sessionStorage.getItem(KEY)) {
  signIn(sessionStorage.getItem(KEY));
}
