'use strict';
// Pulse dashboard: no framework, no build. Reads /v1 with the token in the
// Authorization header and stays current through the /v1 stream.
(() => {
  const $ = (s) => document.querySelector(s);
  const SPAN = { '1m': '2h', '5m': '12h', '1h': '48h', '1d': '1440h' };
  const BAND_HISTORY = 12; // windows before a point that make its band
  const state = {
    token: '', tenant: '', size: '1h',
    windows: new Map(), incidents: new Map(), insights: [],
    stream: null, drawQueued: false,
  };
  const charts = [
    { id: 'chart-revenue', money: true, value: (m) => parseFloat(m.revenue), text: (m) => m.revenue + ' ' + m.currency },
    { id: 'chart-orders', value: (m) => m.orders, text: (m) => String(m.orders) },
    { id: 'chart-aov', money: true, value: (m) => parseFloat(m.average_order_value), text: (m) => m.average_order_value + ' ' + m.currency },
    { id: 'chart-customers', value: (m) => m.unique_customers, text: (m) => String(m.unique_customers) },
  ];

  function message(text) { $('#message').textContent = text || ''; }
  function setStatus(cls, text) { const s = $('#status'); s.className = 'status ' + cls; s.textContent = text; }
  const enc = encodeURIComponent;

  async function api(path) {
    const r = await fetch(path, { headers: { Authorization: 'Bearer ' + state.token }, cache: 'no-store' });
    let body = {};
    try { body = await r.json(); } catch (e) { /* not JSON: keep the status */ }
    if (!r.ok) throw new Error((body.error && body.error.message) || ('HTTP ' + r.status));
    return body;
  }

  // ---- login and tenant choice ----
  $('#login').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    state.token = $('#token').value.trim();
    if (!state.token) { message('Enter an API token.'); return; }
    try {
      const page = await api('/v1/tenants?limit=1000');
      sessionStorage.setItem('pulse_token', state.token);
      const sel = $('#tenant');
      sel.replaceChildren(new Option('choose a tenant', ''));
      for (const t of page.items) sel.add(new Option(t.tenant_id + (t.has_data ? '' : ' (no data yet)'), t.tenant_id));
      sel.disabled = false;
      message(page.items.length ? '' : 'This token may read no tenant with data yet.');
      setStatus('off', 'connected');
    } catch (e) {
      message('Could not connect: ' + e.message);
      setStatus('off', 'not connected');
    }
  });
  $('#tenant').addEventListener('change', () => { state.tenant = $('#tenant').value; load(); });
  $('#size').addEventListener('change', () => { state.size = $('#size').value; if (state.tenant) load(); });

  // ---- data ----
  function key(item) { return item.window.start + '|' + item.currency; }
  function putWindow(item) {
    if (item.window.size !== state.size) return;
    const k = key(item);
    const cur = state.windows.get(k);
    if (!cur || cur.partial || item.revision >= cur.revision) state.windows.set(k, item);
  }

  async function fetchAll() {
    const t = enc(state.tenant);
    state.windows.clear();
    let cursor = '';
    for (let i = 0; i < 10; i++) {
      const page = await api(`/v1/tenants/${t}/metrics?window=${state.size}&from=${SPAN[state.size]}&limit=1000` + (cursor ? '&cursor=' + enc(cursor) : ''));
      page.items.forEach(putWindow);
      cursor = page.next_cursor || '';
      if (!cursor) break;
    }
    const inc = await api(`/v1/tenants/${t}/incidents?state=open&limit=100`);
    state.incidents = new Map(inc.items.map((x) => [x.incident_id, x]));
    const ins = await api(`/v1/tenants/${t}/insights?kind=anomaly&limit=30`);
    state.insights = ins.items;
  }

  async function load() {
    if (state.stream) state.stream.abort();
    state.stream = null;
    if (!state.tenant) { $('#board').hidden = true; return; }
    try {
      await fetchAll();
    } catch (e) {
      message('Could not load ' + state.tenant + ': ' + e.message);
      return;
    }
    message('');
    $('#board').hidden = false;
    drawAll();
    openStream(state.tenant, state.size);
  }

  // ---- live stream (fetch, so the token stays in a header) ----
  function openStream(tenant, size) {
    const ctrl = new AbortController();
    state.stream = ctrl;
    (async () => {
      let backoff = 1000, first = true;
      while (!ctrl.signal.aborted) {
        try {
          const r = await fetch(`/v1/tenants/${enc(tenant)}/stream?window=${size}`,
            { headers: { Authorization: 'Bearer ' + state.token }, signal: ctrl.signal, cache: 'no-store' });
          if (!r.ok) throw new Error('HTTP ' + r.status);
          if (!first) { await fetchAll(); drawAll(); } // catch up on what the gap missed
          first = false;
          setStatus('live', 'live');
          backoff = 1000;
          const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
          let buf = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += value.replace(/\r\n/g, '\n');
            let i;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              const block = buf.slice(0, i);
              buf = buf.slice(i + 2);
              handleEvent(block);
            }
          }
        } catch (e) {
          if (ctrl.signal.aborted) return;
        }
        setStatus('warn', 'reconnecting');
        await new Promise((res) => setTimeout(res, backoff));
        backoff = Math.min(backoff * 2, 30000);
      }
    })();
  }

  function handleEvent(block) {
    let name = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (!data.length) return;
    let v;
    try { v = JSON.parse(data.join('\n')); } catch (e) { return; }
    if (name === 'window') putWindow(v);
    else if (name === 'incident') state.incidents.set(v.incident_id, v);
    else if (name === 'insight' && String(v.kind).startsWith('anomaly')) {
      state.insights.unshift(v);
      state.insights.length = Math.min(state.insights.length, 30);
    }
    queueDraw();
  }

  function queueDraw() {
    if (state.drawQueued) return;
    state.drawQueued = true;
    requestAnimationFrame(() => { state.drawQueued = false; drawAll(); });
  }

  // ---- drawing ----
  function drawAll() {
    drawCharts();
    drawIncidents();
    drawInsights();
  }

  // The currency shown is the one with the most windows.
  function series() {
    const byCur = new Map();
    for (const it of state.windows.values()) {
      if (!byCur.has(it.currency)) byCur.set(it.currency, []);
      byCur.get(it.currency).push(it);
    }
    let best = [];
    for (const list of byCur.values()) if (list.length > best.length) best = list;
    return best.sort((a, b) => Date.parse(a.window.start) - Date.parse(b.window.start));
  }

  function band(vals, i) {
    const prev = [];
    for (let j = i - 1; j >= 0 && prev.length < BAND_HISTORY; j--) if (!vals[j].partial) prev.push(vals[j].v);
    if (prev.length < 3) return null;
    const mean = prev.reduce((a, b) => a + b, 0) / prev.length;
    const sd = Math.sqrt(prev.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (prev.length - 1));
    return { lo: Math.max(0, mean - 2 * sd), hi: mean + 2 * sd };
  }

  const NS = 'http://www.w3.org/2000/svg';
  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function label(iso) {
    const d = new Date(iso);
    return state.size === '1d' ? d.toLocaleDateString([], { month: 'short', day: 'numeric' })
      : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function drawCharts() {
    const items = series();
    for (const c of charts) {
      const fig = document.getElementById(c.id);
      const svg = fig.querySelector('svg');
      const vals = items.map((it) => ({ v: c.value(it.metrics), partial: it.partial, it }));
      const bands = vals.map((_, i) => band(vals, i));
      svg.replaceChildren();
      svg.dataset.points = String(vals.length);
      fig.querySelector('.last').textContent = items.length ? c.text(items[items.length - 1].metrics) : 'no data';
      if (!vals.length) continue;
      const W = 400, H = 160, top = 14, bottom = 16;
      let hi = 0;
      vals.forEach((p, i) => { hi = Math.max(hi, p.v, bands[i] ? bands[i].hi : 0); });
      if (hi <= 0) hi = 1;
      const x = (i) => (vals.length === 1 ? W / 2 : (i * (W - 8)) / (vals.length - 1) + 4);
      const y = (v) => top + (H - top - bottom) * (1 - v / hi);
      svg.append(el('line', { class: 'axis', x1: 0, x2: W, y1: y(0), y2: y(0) }));
      // band: upper edge forward, lower edge back, over the points that have one
      const idx = bands.map((b, i) => (b ? i : -1)).filter((i) => i >= 0);
      if (idx.length > 1) {
        const up = idx.map((i) => `${x(i).toFixed(1)},${y(bands[i].hi).toFixed(1)}`);
        const lo = idx.slice().reverse().map((i) => `${x(i).toFixed(1)},${y(bands[i].lo).toFixed(1)}`);
        svg.append(el('polygon', { class: 'band', points: up.concat(lo).join(' ') }));
      }
      svg.append(el('polyline', { class: 'line', points: vals.map((p, i) => `${x(i).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ') }));
      vals.forEach((p, i) => {
        const b = bands[i];
        const out = b && !p.partial && (p.v > b.hi || p.v < b.lo);
        const dot = el('circle', { class: 'pt' + (out ? ' out' : ''), cx: x(i).toFixed(1), cy: y(p.v).toFixed(1), r: vals.length > 60 ? 1.5 : 2.5 });
        dot.append(el('title', {}, label(p.it.window.start) + ': ' + c.text(p.it.metrics) + (p.partial ? ' (partial)' : '')));
        svg.append(dot);
      });
      svg.append(el('text', { x: 2, y: 10 }, c.money ? hi.toFixed(2) : String(Math.round(hi))));
      svg.append(el('text', { x: 2, y: H - 3 }, label(items[0].window.start)));
      svg.append(el('text', { x: W - 2, y: H - 3, 'text-anchor': 'end' }, label(items[items.length - 1].window.start)));
    }
  }

  function when(iso) { return new Date(iso).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }); }

  function li(sev, text, sub, attrs) {
    const e = document.createElement('li');
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    const s = document.createElement('span');
    s.className = 'sev ' + sev;
    s.textContent = sev;
    const w = document.createElement('span');
    w.className = 'when';
    w.textContent = sub;
    e.append(s, document.createTextNode(text), w);
    return e;
  }

  function drawIncidents() {
    const open = [...state.incidents.values()].filter((x) => x.state === 'open')
      .sort((a, b) => Date.parse(b.opened_at) - Date.parse(a.opened_at));
    $('#incident-count').textContent = String(open.length);
    const ul = $('#incidents');
    ul.replaceChildren(...open.map((x) => li(x.severity, `${x.metric}${x.currency ? ' ' + x.currency : ''}: ${x.message}`,
      `opened ${when(x.opened_at)} · peak score ${Number(x.peak_score).toFixed(1)} · ${x.updates} update(s)`,
      { 'data-incident-id': x.incident_id })));
    if (!open.length) { const e = document.createElement('li'); e.className = 'empty'; e.textContent = 'none'; ul.append(e); }
  }

  function drawInsights() {
    const ul = $('#insights');
    ul.replaceChildren(...state.insights.map((x) => li(x.severity, `${x.kind}: ${x.message}`, when(x.generated_at), { 'data-insight-id': x.insight_id })));
    if (!state.insights.length) { const e = document.createElement('li'); e.className = 'empty'; e.textContent = 'none'; ul.append(e); }
  }

  // ---- ask ----
  $('#askform').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const q = $('#question').value.trim();
    if (!q || !state.tenant) return;
    try {
      const r = await api(`/v1/tenants/${enc(state.tenant)}/ask?q=${enc(q)}`);
      const u = r.understood;
      let text = r.answer;
      if (u.intent !== 'unknown') {
        text += `\n(understood: ${u.intent}${u.metric ? ', ' + u.metric : ''}, ${u.period.label}${u.compare ? ' vs ' + u.compare.label : ''})`;
      }
      if (r.suggestions) text += '\nTry: ' + r.suggestions.join(' · ');
      $('#answer').textContent = text;
    } catch (e) {
      $('#answer').textContent = e.message;
    }
  });

  const saved = sessionStorage.getItem('pulse_token');
  if (saved) $('#token').value = saved;
})();
