/* SPDX-License-Identifier: MIT */
/* The amd console: a single page over /console/api/ (the signed-in account's API). Every
 * value reaches the page through textContent or attributes set from script: nothing is
 * parsed as HTML. */
'use strict';
(function () {
  const SVGNS = 'http://www.w3.org/2000/svg';
  const API_PREFIX = /^\/2010-04-01\/Accounts\/AC[0-9a-fA-F]{32}\//;
  let session = null;          // {account_sid, csrf_token, tuning}
  let listUri = null;          // current calls page (console API path + query)
  let events = null;           // EventSource
  let refreshTimer = null;
  let currentCall = null;      // sid on the call page
  let currentSummary = null;
  let recordingMs = 0;         // length of the call's recording: the picture's time axis reaches it
  let recordingsDone = false;  // a completed recording is shown

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === 'class') e.className = v; else e.setAttribute(k, String(v));
    }
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k === null || k === undefined ? '' : String(k)));
    return e;
  }
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }

  async function api(method, path, body) {
    const opt = { method, credentials: 'same-origin', headers: {} };
    if (method !== 'GET') {
      opt.headers['X-CSRF-Token'] = session ? session.csrf_token : '';
      if (body !== undefined) {
        opt.headers['Content-Type'] = 'application/x-www-form-urlencoded';
        opt.body = body;
      }
    }
    const r = await fetch(path, opt);
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (r.status === 401 && path !== '/console/session') { signedOut(); }
    if (!r.ok) {
      const err = new Error(data && data.message ? data.message : ('HTTP ' + r.status));
      err.status = r.status;
      throw err;
    }
    return data;
  }

  function consolePath(apiUri) { return '/console/api/' + apiUri.replace(API_PREFIX, ''); }

  function show(page) {
    for (const p of document.querySelectorAll('.page')) p.hidden = p.id !== 'page-' + page;
    $('nav').hidden = page === 'signin';
    for (const a of document.querySelectorAll('#nav a')) {
      if (a.id === 'nav-' + page || (page === 'call' && a.id === 'nav-calls')) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  function focusHeading(id) { const h = $(id); if (h) { h.tabIndex = -1; h.focus({ preventScroll: true }); } }

  /* ---------------------------------------------------------------- sign-in */
  function signedOut() {
    session = null;
    if (events) { events.close(); events = null; }
    if (location.hash !== '#/signin') location.hash = '#/signin';
  }

  $('signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('signin-error').textContent = '';
    const body = new URLSearchParams({ Sid: $('signin-sid').value.trim(), Token: $('signin-token').value }).toString();
    try {
      const r = await fetch('/console/session', { method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
      const data = await r.json().catch(() => null);
      if (!r.ok) throw new Error(data && data.message ? data.message : 'Sign-in refused');
      session = data;
      $('signin-token').value = '';
      location.hash = '#/calls';
      route();
    } catch (e) {
      $('signin-error').textContent = e.message;
    }
  });

  $('signout').addEventListener('click', async () => {
    try { await api('DELETE', '/console/session'); } catch (e) { /* signed out anyway */ }
    signedOut();
  });

  /* ---------------------------------------------------------------- calls list */
  function fmtConf(c) { return c === undefined || c === null ? '' : Number(c).toFixed(2); }
  function fmtDate(d) { if (!d) return ''; const t = new Date(d); return isNaN(t) ? d : t.toISOString().replace('T', ' ').slice(0, 19); }

  function filtersQuery() {
    const q = new URLSearchParams();
    for (const e of $('filters').elements) {
      if (!e.name || !e.value) continue;
      q.set(e.name, e.value);
    }
    return q.toString();
  }

  async function loadCalls() {
    if (!session) return;
    if (!listUri) listUri = '/console/api/Calls.json?' + filtersQuery();
    let page;
    try { page = await api('GET', listUri); } catch (e) { $('page-info').textContent = e.message; return; }
    const calls = page.calls || [];
    let extra = {};
    if (calls.length) {
      const q = new URLSearchParams();
      for (const c of calls) q.append('CallSid', c.sid);
      try { extra = (await api('GET', '/console/api/AmdResults.json?' + q.toString())).results || {}; } catch (e) { extra = {}; }
    }
    const body = $('calls-body');
    body.replaceChildren();
    for (const c of calls) {
      const x = extra[c.sid] || {};
      const tr = el('tr', { 'data-sid': c.sid, 'data-status': c.status },
        el('td', {}, el('a', { href: '#/call/' + c.sid, class: 'call-link' }, c.sid)),
        el('td', { class: 'status status-' + c.status }, c.status),
        el('td', { class: 'answered-by' }, c.answered_by || ''),
        el('td', {}, x.decision_ms !== undefined ? x.decision_ms : ''),
        el('td', {}, x.cause || ''), el('td', {}, fmtConf(x.confidence)),
        el('td', { class: 'label' }, x.label || ''),
        el('td', {}, c.to), el('td', {}, c.from), el('td', {}, fmtDate(c.date_created)));
      body.append(tr);
    }
    $('calls-empty').hidden = calls.length > 0;
    $('page-info').textContent = calls.length ? ('Calls ' + (page.start + 1) + '–' + (page.start + calls.length)) : '';
    $('next-page').disabled = !page.next_page_uri;
    $('prev-page').disabled = !page.previous_page_uri;
    $('next-page').dataset.uri = page.next_page_uri ? consolePath(page.next_page_uri) : '';
    $('prev-page').dataset.uri = page.previous_page_uri ? consolePath(page.previous_page_uri) : '';
  }

  $('filters').addEventListener('submit', (ev) => { ev.preventDefault(); listUri = null; loadCalls(); });
  $('filters').addEventListener('reset', () => { setTimeout(() => { listUri = null; loadCalls(); }, 0); });
  $('next-page').addEventListener('click', () => { listUri = $('next-page').dataset.uri; loadCalls(); });
  $('prev-page').addEventListener('click', () => { listUri = $('prev-page').dataset.uri; loadCalls(); });

  /* Live updates: the server pushes "calls" when any call changed; refresh what is on screen
   * at most every 500 ms (one request per burst, no polling). */
  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      if (!$('page-calls').hidden) loadCalls();
      else if (!$('page-call').hidden && currentCall) loadCallSerial(currentCall, true);
    }, 500);
  }
  function startEvents() {
    if (events || !session) return;
    events = new EventSource('/console/events');
    events.addEventListener('calls', () => { $('live').textContent = 'live'; scheduleRefresh(); });
    events.addEventListener('error', () => { $('live').textContent = 'reconnecting'; });
  }

  /* ---------------------------------------------------------------- one call */
  function kv(dl, k, v) { dl.append(el('dt', {}, k), el('dd', {}, v === null || v === undefined ? '—' : v)); }

  function parseForm(s) { const o = {}; if (!s) return o; for (const [k, v] of new URLSearchParams(s)) o[k] = v; return o; }

  /* One call-page load at a time: a live refresh arriving mid-load waits for it, so the page
   * is never rebuilt under the reader's (or the audio player's) feet twice over. */
  let callLoad = null;
  async function loadCallSerial(sid, quiet) {
    while (callLoad) await callLoad.catch(() => null);
    callLoad = loadCall(sid, quiet);
    try { await callLoad; } finally { callLoad = null; }
  }

  async function loadCall(sid, quiet) {
    currentCall = sid;
    $('call-sid').textContent = sid;
    let c;
    try { c = await api('GET', '/console/api/Calls/' + sid + '.json'); } catch (e) { $('amd-summary-text').textContent = e.message; return; }
    const dl = $('call-details');
    dl.replaceChildren();
    kv(dl, 'Status', c.status); kv(dl, 'To', c.to); kv(dl, 'From', c.from); kv(dl, 'Direction', c.direction);
    kv(dl, 'Answered by', c.answered_by); kv(dl, 'Duration (s)', c.duration); kv(dl, 'Queue time (ms)', c.queue_time);
    const rel = $('call-related');
    rel.replaceChildren();
    if (c.parent_call_sid) rel.append(el('li', {}, 'Parent: ', el('a', { href: '#/call/' + c.parent_call_sid }, c.parent_call_sid)));
    try {
      const kids = await api('GET', '/console/api/Calls.json?ParentCallSid=' + encodeURIComponent(sid) + '&PageSize=50');
      for (const k of kids.calls || []) rel.append(el('li', {}, 'Child: ', el('a', { href: '#/call/' + k.sid }, k.sid), ' (' + k.status + ')'));
    } catch (e) { /* none */ }
    if (!rel.children.length) rel.append(el('li', {}, 'none'));

    const tl = $('call-timeline');
    tl.replaceChildren();
    tl.append(el('li', {}, fmtDate(c.date_created) + ' — created (queued)'));
    if (c.start_time) tl.append(el('li', {}, fmtDate(c.start_time) + ' — dialing started'));
    const evBody = $('events-body');
    evBody.replaceChildren();
    try {
      const evs = await api('GET', '/console/api/Calls/' + sid + '/Events.json?PageSize=200');
      for (const e of evs.events || []) {
        const req = e.request || {}, resp = e.response || {};
        const params = parseForm(req.parameters && typeof req.parameters === 'string' ? req.parameters : '');
        const p = req.parameters && typeof req.parameters === 'object' ? req.parameters : params;
        if (p.CallStatus) tl.append(el('li', {}, (p.Timestamp ? fmtDate(p.Timestamp) : '') + ' — ' + p.CallStatus + (p.AnsweredBy ? ' (AnsweredBy ' + p.AnsweredBy + ')' : '')));
        evBody.append(el('tr', {}, el('td', {}, p.Timestamp ? fmtDate(p.Timestamp) : ''),
          el('td', { class: 'wrap' }, (req.method || '') + ' ' + (req.url || '') + (Object.keys(p).length ? ' ' + JSON.stringify(p) : '')),
          el('td', { class: 'wrap' }, resp.response_code !== undefined ? String(resp.response_code) + ' ' + (resp.response_body || '') : JSON.stringify(resp))));
      }
    } catch (e) { evBody.append(el('tr', {}, el('td', { colspan: 3 }, e.message))); }
    if (c.end_time) tl.append(el('li', {}, fmtDate(c.end_time) + ' — ended: ' + c.status));
    else tl.append(el('li', {}, 'now — ' + c.status));

    /* live refreshes: fetch only what may still appear, never reset the label being edited */
    if (!quiet || !currentSummary || currentSummary.call !== sid) await loadSummary(sid);
    if (!quiet || !recordingsDone) await loadRecordings(sid);
    if (!quiet) await loadLabel(sid);
  }

  async function loadSummary(sid) {
    const pic = $('amd-picture');
    pic.replaceChildren();
    currentSummary = null;
    recordingMs = 0;
    let s;
    try { s = await api('GET', '/console/api/Calls/' + sid + '/AmdSummary.json'); } catch (e) {
      $('amd-summary-text').textContent = e.status === 404 ? 'No AMD decision for this call (AMD off, or not decided yet).' : e.message;
      return;
    }
    s.call = sid;
    currentSummary = s;
    $('amd-summary-text').textContent = 'AnsweredBy ' + s.answered_by + ' after ' + s.decision_ms + ' ms, cause ' + s.cause +
      ', confidence ' + fmtConf(s.confidence) + (s.beep_hz ? ', beep ' + s.beep_hz + ' Hz' : '') +
      (s.truncated ? ' (frames after 60 s not kept)' : '') + '.';
    drawPicture();
  }

  /* The decision picture: time runs left to right over the AMD frames (10 ms each). */
  function drawPicture(greetingEnd) {
    const s = currentSummary, pic = $('amd-picture');
    if (!s) return;
    pic.replaceChildren();
    const n = s.frames.level_db.length;
    const endMs = Math.max(s.t0_ms + (n - 1) * s.frame_ms, s.decision_ms || 0, 1000, greetingEnd || 0, recordingMs) + 200;
    const W = 1000, L = 60, R = 10, H = 300;
    const x = (ms) => L + (W - L - R) * ms / endMs;
    const root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', id: 'amd-svg', 'data-end-ms': endMs,
      'aria-label': 'AMD decision picture: ' + s.answered_by + ' at ' + s.decision_ms + ' ms' });
    root.append(svg('title', {}, 'Why AMD decided ' + s.answered_by));
    // level and noise floor, dBFS -90..0 in rows 10..130
    const y = (db) => 10 + 120 * Math.min(1, Math.max(0, -db / 90));
    root.append(svg('text', { x: 4, y: 20, 'font-size': 11 }, '0 dB'), svg('text', { x: 4, y: 130, 'font-size': 11 }, '-90 dB'));
    let lv = '', nf = '';
    for (let i = 0; i < n; i++) {
      const t = s.t0_ms + i * s.frame_ms;
      lv += (i ? 'L' : 'M') + x(t).toFixed(1) + ' ' + y(s.frames.level_db[i]).toFixed(1);
      nf += (i ? 'L' : 'M') + x(t).toFixed(1) + ' ' + y(s.frames.noise_floor_db[i]).toFixed(1);
    }
    if (n) {
      root.append(svg('path', { d: lv, fill: 'none', stroke: '#24292f', 'stroke-width': 1.2, id: 'level-line' }));
      root.append(svg('path', { d: nf, fill: 'none', stroke: '#8250df', 'stroke-dasharray': '4 3', 'stroke-width': 1.2 }));
    }
    // speech probability bars 140..170
    root.append(svg('text', { x: 4, y: 160, 'font-size': 11 }, 'P(speech)'));
    for (let i = 0; i < n; i++) {
      const p = s.frames.speech_prob[i];
      if (p <= 0) continue;
      const t = s.t0_ms + i * s.frame_ms;
      root.append(svg('rect', { x: x(t - s.frame_ms), y: 170 - 30 * p, width: Math.max(0.5, x(s.frame_ms) - L), height: 30 * p, fill: '#9ecbff' }));
    }
    const band = (y0, label, spans, color, cls) => {
      root.append(svg('text', { x: 4, y: y0 + 13, 'font-size': 11 }, label));
      for (const sp of spans) {
        const r = svg('rect', { x: x(sp.start_ms), y: y0, width: Math.max(1, x(sp.end_ms) - x(sp.start_ms)), height: 18, fill: color, class: cls });
        r.append(svg('title', {}, (sp.kind || sp.state || label) + ' ' + sp.start_ms + '–' + sp.end_ms + ' ms'));
        root.append(r);
      }
    };
    band(178, 'VAD', s.speech_segments, '#1a7f37', 'segment');
    band(200, 'tones', s.tones, '#bf8700', 'tone');
    const palette = ['#d0d7de', '#afb8c1', '#8c959f', '#c8e1ff', '#ffd8b5', '#d8b9ff'];
    root.append(svg('text', { x: 4, y: 235, 'font-size': 11 }, 'state'));
    s.states.forEach((st, i) => {
      const r = svg('rect', { x: x(st.start_ms), y: 222, width: Math.max(1, x(st.end_ms) - x(st.start_ms)), height: 18, fill: palette[i % palette.length], class: 'state' });
      r.append(svg('title', {}, st.state + ' ' + st.start_ms + '–' + st.end_ms + ' ms'));
      root.append(r);
      if (x(st.end_ms) - x(st.start_ms) > 40) root.append(svg('text', { x: x(st.start_ms) + 2, y: 235, 'font-size': 10 }, st.state));
    });
    // time axis
    const step = endMs > 20000 ? 5000 : endMs > 8000 ? 2000 : 1000;
    for (let t = 0; t <= endMs; t += step) {
      root.append(svg('line', { x1: x(t), x2: x(t), y1: 250, y2: 256, stroke: '#57606a' }));
      root.append(svg('text', { x: x(t) - 8, y: 270, 'font-size': 11 }, (t / 1000) + ' s'));
    }
    root.append(svg('line', { x1: L, x2: W - R, y1: 250, y2: 250, stroke: '#57606a' }));
    // decision marker
    const dm = svg('line', { id: 'decision-marker', 'data-ms': s.decision_ms, x1: x(s.decision_ms), x2: x(s.decision_ms), y1: 5, y2: 250, stroke: '#cf222e', 'stroke-width': 2 });
    dm.append(svg('title', {}, 'decision: ' + s.answered_by + ' at ' + s.decision_ms + ' ms'));
    const right = x(s.decision_ms) > W - 200;
    root.append(dm, svg('text', { x: x(s.decision_ms) + (right ? -3 : 3), y: 290, 'font-size': 12, fill: '#cf222e',
      'text-anchor': right ? 'end' : 'start' }, s.answered_by + ' @ ' + s.decision_ms + ' ms'));
    if (n && s.t0_ms + (n - 1) * s.frame_ms < endMs - 400) {
      const t = s.t0_ms + (n - 1) * s.frame_ms;
      root.append(svg('text', { x: x(t) + 4, y: 70, 'font-size': 11, fill: '#57606a' }, 'analysis stops at the decision; the axis runs on to the end of the recording'));
    }
    const ge = greetingEnd !== undefined ? greetingEnd : (Number($('label-ge').value) || null);
    if (ge) {
      root.append(svg('line', { id: 'greeting-marker', 'data-ms': ge, x1: x(ge), x2: x(ge), y1: 5, y2: 250, stroke: '#1a7f37', 'stroke-width': 2, 'stroke-dasharray': '6 3' }));
    }
    root.addEventListener('click', (ev) => {
      const box = root.getBoundingClientRect();
      const vx = (ev.clientX - box.left) * W / box.width;
      const ms = Math.max(0, Math.round((vx - L) / (W - L - R) * endMs / 10) * 10);
      $('label-ge').value = ms;
      drawPicture(ms);
      $('label-status').textContent = 'Greeting end set to ' + ms + ' ms (not saved yet).';
    });
    pic.append(root);
  }

  async function loadRecordings(sid) {
    const box = $('call-recordings');
    box.replaceChildren();
    recordingsDone = false;
    let recs;
    try { recs = await api('GET', '/console/api/Calls/' + sid + '/Recordings.json'); } catch (e) { box.append(el('p', {}, e.message)); return; }
    const list = recs.recordings || [];
    if (!list.length) { box.append(el('p', {}, 'No recordings (place the call with Record=true).')); return; }
    for (const r of list) {
      const desc = r.channels === '2' || r.channels === 2 ? 'dual: left channel our side, right channel the far end' : 'mono (' + (r.track || '') + ')';
      const id = 'audio-' + r.sid;
      box.append(el('p', {}, el('label', { for: id }, r.sid + ' — ' + r.status + ', ' + desc + (r.duration ? ', ' + r.duration + ' s' : ''))));
      if (r.status !== 'completed') continue;
      const a = el('audio', { id, controls: '', preload: 'metadata', src: '/console/api/Calls/' + sid + '/Recordings/' + r.sid + '.wav', class: 'recording' });
      if (!recordingsDone) {
        a.addEventListener('loadedmetadata', () => {
          if (currentSummary && currentSummary.call === sid && a.duration * 1000 > recordingMs) {
            recordingMs = Math.round(a.duration * 1000);
            drawPicture();
          }
        });
      }
      recordingsDone = true;
      box.append(a);
      if (r.channels === '2' || r.channels === 2) box.append(channelPicker(a, r.sid));
    }
  }

  /* Dual recordings: listen to both sides, or one side in both ears (Web Audio channel
   * splitter; the graph is built only when a single side is chosen). */
  function channelPicker(audio, rsid) {
    const id = 'chan-' + rsid;
    const sel = el('select', { id }, el('option', { value: 'both' }, 'both sides (left ours, right far end)'),
      el('option', { value: '1' }, 'far end only'), el('option', { value: '0' }, 'our side only'));
    let graph = null;
    sel.addEventListener('change', () => {
      if (!graph) {
        const ctx = new AudioContext();
        const src = ctx.createMediaElementSource(audio);
        const split = ctx.createChannelSplitter(2), merge = ctx.createChannelMerger(2);
        const gains = [ctx.createGain(), ctx.createGain()];
        src.connect(split);
        gains.forEach((g, ch) => { split.connect(g, ch); });
        graph = { ctx, split, merge, gains, src };
        merge.connect(ctx.destination);
      }
      const g = graph;
      g.gains.forEach((x) => { try { x.disconnect(); } catch (e) { /* not connected */ } });
      if (sel.value === 'both') { g.gains[0].connect(g.merge, 0, 0); g.gains[1].connect(g.merge, 0, 1); }
      else { const one = g.gains[Number(sel.value)]; one.connect(g.merge, 0, 0); one.connect(g.merge, 0, 1); }
      g.ctx.resume();
    });
    return el('p', {}, el('label', { for: id }, 'Listen to '), sel);
  }

  async function loadLabel(sid) {
    $('label-status').textContent = '';
    for (const r of document.querySelectorAll('#label-form input[name=Label]')) r.checked = false;
    $('label-ge').value = '';
    try {
      const l = await api('GET', '/console/api/Calls/' + sid + '/Label.json');
      const r = document.querySelector('#label-form input[value="' + l.label + '"]');
      if (r) r.checked = true;
      if (l.greeting_end_ms !== null) $('label-ge').value = l.greeting_end_ms;
      $('label-status').textContent = 'Labeled ' + l.label + '.';
      drawPicture();
    } catch (e) { if (e.status !== 404) $('label-status').textContent = e.message; }
  }

  $('label-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData($('label-form'));
    if (!f.get('Label')) { $('label-status').textContent = 'Choose what answered first.'; return; }
    const body = new URLSearchParams({ Label: f.get('Label'), GreetingEndMs: f.get('GreetingEndMs') || '' }).toString();
    try {
      const l = await api('POST', '/console/api/Calls/' + currentCall + '/Label.json', body);
      $('label-status').textContent = 'Saved: ' + l.label + (l.greeting_end_ms !== null ? ', greeting end ' + l.greeting_end_ms + ' ms' : '') + '.';
    } catch (e) { $('label-status').textContent = 'Not saved: ' + e.message; }
  });

  /* ---------------------------------------------------------------- labels and tuning */
  async function loadLabels() {
    const body = $('labels-body');
    body.replaceChildren();
    try {
      const r = await api('GET', '/console/api/Labels.json');
      for (const l of r.labels) body.append(el('tr', {}, el('td', {}, el('a', { href: '#/call/' + l.call_sid }, l.call_sid)),
        el('td', {}, l.label), el('td', {}, l.greeting_end_ms === null ? '' : l.greeting_end_ms),
        el('td', {}, l.answered_by_enable), el('td', {}, l.answered_by_detect_end)));
      if (!r.labels.length) body.append(el('tr', {}, el('td', { colspan: 5 }, 'No labeled calls yet: open a call and label it.')));
    } catch (e) { body.append(el('tr', {}, el('td', { colspan: 5 }, e.message))); }
    $('tune-run').disabled = !(session && session.tuning);
    if (session && !session.tuning) $('tune-status').textContent = 'Tuning needs the amd program (amd serve); this server embeds the library only.';
  }

  const pct = (m) => (m && m.rate !== null && m.rate !== undefined) ? (100 * m.rate).toFixed(1) + ' % (' + m.count + '/' + m.of + ')' : '—';

  function drawTune(sw) {
    const box = $('tune-plot');
    box.replaceChildren();
    const pts = sw.points || [];
    if (!pts.length) return;
    const W = 1000, H = 320, L = 60, R = 20, T = 10, B = 50;
    const v0 = pts[0].value, v1 = pts[pts.length - 1].value;
    const x = (v) => L + (W - L - R) * (v1 === v0 ? 0.5 : (v - v0) / (v1 - v0));
    const y = (r) => T + (H - T - B) * (1 - r);
    const root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', id: 'tune-svg', 'aria-label': 'Trade-off of ' + sw.param });
    for (let r = 0; r <= 1.0001; r += 0.25) {
      root.append(svg('line', { x1: L, x2: W - R, y1: y(r), y2: y(r), stroke: '#eaeef2' }));
      root.append(svg('text', { x: 8, y: y(r) + 4, 'font-size': 11 }, Math.round(r * 100) + ' %'));
    }
    for (const p of pts) root.append(svg('text', { x: x(p.value) - 14, y: H - 28, 'font-size': 11 }, p.value));
    root.append(svg('text', { x: W / 2 - 60, y: H - 8, 'font-size': 12 }, sw.param));
    const series = [['accuracy', '#0757b8'], ['human_as_machine', '#cf222e'], ['in_time_human', '#1a7f37']];
    for (const [key, color] of series) {
      let d = '';
      pts.forEach((p, i) => {
        const m = p.enable[key];
        const r = m && m.rate !== null ? m.rate : 0;
        d += (i ? 'L' : 'M') + x(p.value).toFixed(1) + ' ' + y(r).toFixed(1);
        root.append(svg('circle', { cx: x(p.value), cy: y(r), r: 3.5, fill: color, class: 'pt-' + key, 'data-value': p.value, 'data-rate': r }));
      });
      root.append(svg('path', { d, fill: 'none', stroke: color, 'stroke-width': 2 }));
    }
    box.append(root);
  }

  $('tune-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('tune-status').textContent = 'Running amd bench on the labeled calls…';
    $('tune-run').disabled = true;
    try {
      const r = await api('POST', '/console/tune', new URLSearchParams(new FormData($('tune-form'))).toString());
      const cur = r.current.enable;
      $('tune-status').textContent = r.exported + ' labeled call(s) scored' + (r.skipped ? ', ' + r.skipped + ' skipped (no far-end recording)' : '') + '.';
      const c = $('tune-current');
      c.replaceChildren(el('p', { id: 'tune-current-text' }, 'Current parameters: Enable accuracy ' + pct(cur.accuracy) +
        ', humans called machines ' + pct(cur.human_as_machine) + ', in-time human rate ' + pct(cur.in_time_human) +
        '; DetectMessageEnd accuracy ' + pct(r.current.detect_message_end.accuracy) + '.'));
      const tb = $('tune-body');
      tb.replaceChildren();
      for (const p of r.sweep.points) tb.append(el('tr', {}, el('td', {}, p.value), el('td', {}, pct(p.enable.accuracy)),
        el('td', {}, pct(p.enable.human_as_machine)), el('td', {}, pct(p.enable.in_time_human)), el('td', {}, pct(p.detect_message_end.accuracy))));
      drawTune(r.sweep);
    } catch (e) { $('tune-status').textContent = 'Bench failed: ' + e.message; }
    $('tune-run').disabled = false;
  });

  /* ---------------------------------------------------------------- routing */
  async function ensureSession() {
    if (session) return true;
    try { session = await api('GET', '/console/session'); return true; } catch (e) { return false; }
  }

  async function route() {
    const h = location.hash || '#/calls';
    if (h === '#/signin') { show('signin'); focusHeading('signin-h'); return; }
    if (!(await ensureSession())) { location.hash = '#/signin'; show('signin'); return; }
    $('who').textContent = session.account_sid;
    startEvents();
    const m = h.match(/^#\/call\/(CA[0-9a-fA-F]{32})$/);
    if (m) { show('call'); await loadCallSerial(m[1]); focusHeading('call-h'); return; }
    if (h === '#/labels') { show('labels'); currentCall = null; await loadLabels(); focusHeading('labels-h'); return; }
    show('calls'); currentCall = null; await loadCalls(); focusHeading('calls-h');
  }

  window.addEventListener('hashchange', route);
  route();
})();
