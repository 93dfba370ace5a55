/*
 * ev-view's review page: reads the runs' data from the element ev-data and
 * builds the summary, the per-tag table, the learning curve and the list of
 * cases, with filters, search, keyboard navigation and review labels.
 *
 * Every text from a record reaches the page as a text node or an attribute
 * value (createTextNode, setAttribute), never as markup: nothing here parses
 * a string as markup or code, and scripts/lint refuses any call that would.
 * Cases are rendered a few dozen at a time as the list scrolls, so ten
 * thousand open at once.
 *
 * Hooks for tests: each case's element has data-id; the filter and label
 * controls are buttons, selects and inputs named by their text or
 * aria-label; #count holds the number of cases shown in data-shown;
 * window.evExport() returns review.jsonl; window.evReady is true once the
 * first cases are on the page, at window.evRenderedMs (milliseconds since
 * the page was asked for), and window.evPaintedMs is when their first frame
 * was drawn (make bench).
 */
(function () {
  'use strict';

  var LABELS = ['model-wrong', 'expected-wrong', 'ambiguous', 'ok'];
  var KINDS = ['error', 'truncated', 'refusal', 'format', 'wrong'];
  var VIEWS = [
    { key: 'regressed', text: 'regressed', base: true },
    { key: 'fixed', text: 'fixed', base: true },
    { key: 'both-fail', text: 'both-fail', base: true },
    { key: 'failures', text: 'all failures', base: false },
    { key: 'all', text: 'every case', base: false }
  ];
  var CHUNK = 40;        /* cases rendered at a time */
  var FOLD_CHARS = 700;  /* longer texts, or ... */
  var FOLD_LINES = 8;    /* ... with more lines, start folded */
  var DIFF_CELLS = 400000; /* the largest token table a difference is worked out on */
  var SVG = 'http://www.w3.org/2000/svg';

  var data = JSON.parse(document.getElementById('ev-data').textContent);
  var cases = data.cases;
  var hasBase = data.baseline !== null;
  var state = { view: 'failures', tag: '', kind: '', label: '', q: '', run: 0 };
  var shown = [];    /* positions in 'cases' of the cases that pass the filters */
  var rendered = 0;  /* how many of 'shown' are in the list */
  var current = -1;  /* the position in 'shown' of the current case */
  var hay = [];      /* per case: its id, input and outputs in lower case */
  var labels = new Map(); /* case id -> {label, corrected, note} */
  var storageKey = 'ev-view:' + data.key;
  var storage = openStorage();

  function $(id) { return document.getElementById(id); }

  /* el makes an element; 'attrs' are set as attribute values, 'kids' are
   * elements or strings, which become text nodes. */
  function el(tag, attrs, kids) {
    return build(document.createElement(tag), attrs, kids);
  }

  function svg(tag, attrs, kids) {
    return build(document.createElementNS(SVG, tag), attrs, kids);
  }

  function build(e, attrs, kids) {
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) {
          e.setAttribute(k, String(attrs[k]));
        }
      });
    }
    append(e, kids);
    return e;
  }

  function append(e, kids) {
    if (kids === null || kids === undefined) {
      return;
    }
    if (!Array.isArray(kids)) {
      kids = [kids];
    }
    kids.forEach(function (k) {
      if (k === null || k === undefined) {
        return;
      }
      e.appendChild(typeof k === 'object' ? k : document.createTextNode(String(k)));
    });
  }

  /* --- labels, kept in the browser under a key made of the runs' content --- */

  function openStorage() {
    try {
      var s = window.localStorage;
      s.setItem(storageKey + ':probe', '1');
      s.removeItem(storageKey + ':probe');
      return s;
    } catch (e) {
      return null;
    }
  }

  function loadLabels() {
    if (!storage) {
      $('storage-note').hidden = false;
      return;
    }
    var saved;
    try {
      saved = JSON.parse(storage.getItem(storageKey) || 'null');
      $('reviewer').value = storage.getItem('ev-view:reviewer') || '';
    } catch (e) {
      saved = null;
    }
    if (!saved || !Array.isArray(saved.labels)) {
      return;
    }
    saved.labels.forEach(function (pair) {
      if (!Array.isArray(pair) || typeof pair[0] !== 'string' || !pair[1]) {
        return;
      }
      var l = pair[1];
      labels.set(pair[0], {
        label: LABELS.indexOf(l.label) >= 0 ? l.label : '',
        corrected: typeof l.corrected === 'string' ? l.corrected : '',
        note: typeof l.note === 'string' ? l.note : ''
      });
    });
  }

  function saveLabels() {
    updateLabelled();
    if (!storage) {
      return;
    }
    try {
      storage.setItem(storageKey, JSON.stringify({ v: 1, labels: Array.from(labels.entries()) }));
      storage.setItem('ev-view:reviewer', $('reviewer').value);
    } catch (e) {
      $('storage-note').hidden = false;
    }
  }

  function labelOf(id) {
    return labels.get(id) || { label: '', corrected: '', note: '' };
  }

  function setLabel(id, what, value) {
    var l = labelOf(id);
    var next = { label: l.label, corrected: l.corrected, note: l.note };
    next[what] = value;
    if (!next.label && !next.corrected && !next.note) {
      labels.delete(id);
    } else {
      labels.set(id, next);
    }
    saveLabels();
  }

  function updateLabelled() {
    var n = 0;
    labels.forEach(function (l) {
      if (l.label) {
        n++;
      }
    });
    $('labelled').textContent = n + ' labelled';
  }

  /* exportText is review.jsonl: one line per labelled case, in the page's
   * order: {id, label, corrected?, note?, reviewer?}. */
  function exportText() {
    var reviewer = $('reviewer').value.trim();
    var out = [];
    cases.forEach(function (c) {
      var l = labels.get(c.id);
      if (!l || !l.label) {
        return;
      }
      var rec = { id: c.id, label: l.label };
      if (l.corrected.trim() !== '') {
        rec.corrected = l.corrected;
      }
      if (l.note.trim() !== '') {
        rec.note = l.note;
      }
      if (reviewer !== '') {
        rec.reviewer = reviewer;
      }
      out.push(JSON.stringify(rec) + '\n');
    });
    return out.join('');
  }

  function download() {
    var url = URL.createObjectURL(new Blob([exportText()], { type: 'application/x-ndjson' }));
    var a = el('a', { download: 'review.jsonl' });
    a.href = url;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  /* --- filters --- */

  function entry(c) {
    return c.runs[state.run];
  }

  function statusOf(c) {
    return hasBase ? c.status[state.run] : null;
  }

  function inView(c, view) {
    var e = entry(c);
    switch (view) {
    case 'all':
      return true;
    case 'failures':
      return e !== null && !e.pass;
    default:
      return statusOf(c) === view;
    }
  }

  function inputText(input) {
    if (input === null) {
      return '';
    }
    if (typeof input === 'string') {
      return input;
    }
    return input.map(function (m) { return (m.role || '') + ': ' + m.content; }).join('\n');
  }

  function haystack(i) {
    if (hay[i] === undefined) {
      var c = cases[i];
      var parts = [c.id, inputText(c.input)];
      c.runs.concat(hasBase ? [c.base] : []).forEach(function (e) {
        if (e !== null && e.output !== null) {
          parts.push(e.output);
        }
      });
      hay[i] = parts.join('\n').toLowerCase();
    }
    return hay[i];
  }

  function matches(i) {
    var c = cases[i];
    if (!inView(c, state.view)) {
      return false;
    }
    if (state.tag !== '' && c.tags.indexOf(state.tag) < 0) {
      return false;
    }
    if (state.kind !== '') {
      var e = entry(c);
      if (e === null || e.kind !== state.kind) {
        return false;
      }
    }
    if (state.label !== '') {
      var l = labelOf(c.id).label;
      if (state.label === 'none' ? l !== '' : l !== state.label) {
        return false;
      }
    }
    return state.q === '' || haystack(i).indexOf(state.q) >= 0;
  }

  function applyFilters() {
    shown = [];
    for (var i = 0; i < cases.length; i++) {
      if (matches(i)) {
        shown.push(i);
      }
    }
    var list = $('cases');
    list.replaceChildren();
    rendered = 0;
    current = -1;
    renderMore(0);
    var count = $('count');
    count.textContent = shown.length + ' of ' + cases.length + ' cases';
    count.setAttribute('data-shown', shown.length);
    Array.prototype.forEach.call($('views').children, function (b) {
      b.setAttribute('aria-pressed', b.getAttribute('data-view') === state.view);
    });
  }

  function viewButtons() {
    var box = $('views');
    box.replaceChildren();
    VIEWS.forEach(function (v) {
      var n = 0;
      cases.forEach(function (c) {
        if ((!v.base || hasBase) && inView(c, v.key)) {
          n++;
        }
      });
      var b = el('button', {
        type: 'button',
        'data-view': v.key,
        'aria-label': v.text,
        'aria-pressed': v.key === state.view,
        title: v.base && !hasBase ? 'needs a baseline: ev-view --baseline BASE.jsonl' : null
      }, [v.text, el('span', { 'class': 'count' }, v.base && !hasBase ? '' : String(n))]);
      b.disabled = v.base && !hasBase;
      box.appendChild(b);
    });
  }

  function options(select, list) {
    select.replaceChildren();
    list.forEach(function (o) {
      var opt = el('option', { value: o[0] }, o[1]);
      select.appendChild(opt);
    });
  }

  function filterControls() {
    var tags = [];
    var seen = new Set();
    (data.tags[state.run] ? data.tags[state.run].tags : []).forEach(function (t) {
      seen.add(t.tag);
      tags.push(t.tag);
    });
    cases.forEach(function (c) {
      c.tags.forEach(function (t) {
        if (!seen.has(t)) {
          seen.add(t);
          tags.push(t);
        }
      });
    });
    options($('tag-filter'), [['', 'every tag']].concat(tags.map(function (t) { return [t, t]; })));
    $('tag-filter').value = seen.has(state.tag) ? state.tag : '';
    state.tag = $('tag-filter').value;
    options($('kind-filter'), [['', 'every kind']].concat(KINDS.map(function (k) { return [k, k]; })));
    options($('label-filter'), [['', 'any label'], ['none', 'no label']].concat(
      LABELS.map(function (l) { return [l, l]; })));
    if (data.runs.length > 1) {
      $('run-choice').hidden = false;
      options($('run-filter'), data.runs.map(function (r, k) { return [String(k), r]; }));
    }
    viewButtons();
  }

  /* --- differences, token by token --- */

  var TOKEN = /[\p{L}\p{N}_]+|\s+|[^\p{L}\p{N}_\s]/gu;

  /* diff marks the tokens of 'a' and of 'b' that are not in their longest
   * common subsequence. */
  function diff(a, b) {
    var ta = a.match(TOKEN) || [];
    var tb = b.match(TOKEN) || [];
    var ma = new Array(ta.length).fill(false);
    var mb = new Array(tb.length).fill(false);
    var p = 0;
    while (p < ta.length && p < tb.length && ta[p] === tb[p]) {
      p++;
    }
    var ea = ta.length;
    var eb = tb.length;
    while (ea > p && eb > p && ta[ea - 1] === tb[eb - 1]) {
      ea--;
      eb--;
    }
    var n = ea - p;
    var m = eb - p;
    var i, j;
    if (n * m > DIFF_CELLS) {
      for (i = p; i < ea; i++) {
        ma[i] = true;
      }
      for (j = p; j < eb; j++) {
        mb[j] = true;
      }
      return { ta: ta, tb: tb, ma: ma, mb: mb };
    }
    var w = m + 1;
    var t = new Uint32Array((n + 1) * w);
    for (i = n - 1; i >= 0; i--) {
      for (j = m - 1; j >= 0; j--) {
        t[i * w + j] = ta[p + i] === tb[p + j] ? t[(i + 1) * w + j + 1] + 1
          : Math.max(t[(i + 1) * w + j], t[i * w + j + 1]);
      }
    }
    i = 0;
    j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && ta[p + i] === tb[p + j]) {
        i++;
        j++;
      } else if (j >= m || (i < n && t[(i + 1) * w + j] >= t[i * w + j + 1])) {
        ma[p + i++] = true;
      } else {
        mb[p + j++] = true;
      }
    }
    return { ta: ta, tb: tb, ma: ma, mb: mb };
  }

  /* marked returns the tokens as text, with runs of marked ones in <mark>. */
  function marked(tokens, marks, cls) {
    var out = [];
    var k = 0;
    while (k < tokens.length) {
      var start = k;
      while (k < tokens.length && marks[k] === marks[start]) {
        k++;
      }
      var text = tokens.slice(start, k).join('');
      out.push(marks[start] ? el('mark', { 'class': cls }, text) : text);
    }
    return out;
  }

  /* --- one case --- */

  function folded(text) {
    return text.length > FOLD_CHARS || text.split('\n').length > FOLD_LINES;
  }

  /* block is a <pre> of 'text' (or of 'kids', its highlighted form), folded
   * when long, with the button that unfolds it. */
  function block(text, kids) {
    if (text === null || text === undefined) {
      return [el('pre', { 'class': 'none' }, 'none')];
    }
    var fold = folded(text);
    var pre = el('pre', { 'class': fold ? 'folded' : null }, kids || text);
    if (!fold) {
      return [pre];
    }
    return [pre, el('button', { type: 'button', 'class': 'link', 'data-fold': '1' }, 'unfold')];
  }

  function inputBlock(input) {
    if (input === null || typeof input === 'string') {
      return block(input);
    }
    var kids = [];
    input.forEach(function (m, k) {
      kids.push(el('span', { 'class': 'role' }, (m.role || '?') + ': '));
      kids.push(m.content + (k + 1 < input.length ? '\n' : ''));
    });
    return block(inputText(input), kids);
  }

  function meta(e) {
    var parts = [];
    if (e.samples > 1) {
      parts.push(e.passes + ' of ' + e.samples + ' samples pass');
    }
    if (e.kind) {
      parts.push(e.kind);
    }
    if (e.reason !== null && e.reason !== undefined) {
      parts.push(e.reason);
    }
    if (e.error) {
      parts.push(e.error);
    }
    if (e.latency_ms !== undefined) {
      parts.push(Math.round(e.latency_ms) + ' ms');
    }
    if (e.cost !== undefined) {
      parts.push('cost ' + e.cost);
    }
    return el('p', { 'class': 'meta' }, parts.join(' · '));
  }

  function answerColumn(title, e, expected, cls) {
    if (e === null) {
      return el('div', { 'class': 'col' }, [el('h4', null, title), el('pre', { 'class': 'none' }, 'not in this run')]);
    }
    var kids = null;
    if (typeof expected === 'string' && e.output !== null && e.output !== expected) {
      var d = diff(expected, e.output);
      kids = marked(d.tb, d.mb, cls);
    }
    var badge = el('span', { 'class': 'badge ' + (e.pass ? 'pass' : 'fail') }, e.pass ? 'pass' : 'fail');
    return el('div', { 'class': 'col' }, [el('h4', null, [title, ' ', badge])].concat(block(e.output, kids), [meta(e)]));
  }

  function reviewBox(c) {
    var l = labelOf(c.id);
    var buttons = LABELS.map(function (name) {
      return el('button', { type: 'button', 'data-label': name, 'aria-pressed': l.label === name }, name);
    });
    var corrected = el('textarea', { 'aria-label': 'corrected answer', placeholder: 'corrected answer', rows: 2, 'data-field': 'corrected' });
    corrected.value = l.corrected;
    var note = el('input', { type: 'text', 'aria-label': 'note', placeholder: 'note', 'data-field': 'note' });
    note.value = l.note;
    return el('div', { 'class': 'review-box', role: 'group', 'aria-label': 'review' }, [
      el('div', { 'class': 'labels', role: 'group', 'aria-label': 'label' }, buttons), corrected, note]);
  }

  function caseCard(i, pos) {
    var c = cases[i];
    var e = entry(c);
    var st = statusOf(c);
    var head = [el('span', { 'class': 'case-id' }, c.id)];
    if (st) {
      head.push(el('span', { 'class': 'badge ' + st }, st));
    }
    if (e !== null && e.kind) {
      head.push(el('span', { 'class': 'badge' }, e.kind));
    }
    c.tags.forEach(function (t) {
      head.push(el('button', { type: 'button', 'class': 'link tag', 'data-tag': t, title: 'show this tag only' }, t));
    });
    var expected = c.expected;
    var cols = [el('div', { 'class': 'col' }, [el('h4', null, 'expected')].concat(
      e !== null && typeof expected === 'string' && e.output !== null && e.output !== expected
        ? block(expected, (function () { var d = diff(expected, e.output); return marked(d.ta, d.ma, 'miss'); }()))
        : block(expected)))];
    c.runs.forEach(function (r, k) {
      var title = (data.runs.length > 1 ? '' : 'candidate: ') + data.runs[k];
      cols.push(answerColumn(title, r, expected, 'add'));
    });
    if (hasBase) {
      cols.push(answerColumn('baseline: ' + data.baseline, c.base, expected, 'add'));
    }
    return el('article', { 'class': 'case', 'data-id': c.id, 'data-pos': pos, tabindex: '-1' }, [
      el('div', { 'class': 'case-head' }, head),
      el('div', { 'class': 'col' }, [el('h4', null, 'input')].concat(inputBlock(c.input))),
      el('div', { 'class': 'cols' }, cols),
      reviewBox(c)
    ]);
  }

  /* --- the list, rendered as it scrolls --- */

  function renderMore(upto) {
    var end = Math.min(shown.length, Math.max(rendered + CHUNK, upto));
    var frag = document.createDocumentFragment();
    for (; rendered < end; rendered++) {
      frag.appendChild(caseCard(shown[rendered], rendered));
    }
    $('cases').appendChild(frag);
    $('more-button').hidden = rendered >= shown.length;
  }

  function nearEnd() {
    return rendered < shown.length && $('more').getBoundingClientRect().top < window.innerHeight + 600;
  }

  function fill() {
    if (nearEnd()) {
      renderMore(0);
      window.requestAnimationFrame(fill);
    }
  }

  function setCurrent(pos) {
    var list = $('cases');
    var old = list.querySelector('.case.current');
    if (old) {
      old.classList.remove('current');
    }
    current = pos;
    var card = list.children[pos];
    if (card) {
      card.classList.add('current');
      card.focus({ preventScroll: true });
      card.scrollIntoView({ block: 'nearest' });
    }
  }

  function move(by) {
    if (shown.length === 0) {
      return;
    }
    var next = Math.max(0, Math.min(shown.length - 1, current + by));
    if (next >= rendered) {
      renderMore(next + 1);
    }
    setCurrent(next);
  }

  function currentId() {
    var card = $('cases').children[current];
    return card ? card.getAttribute('data-id') : null;
  }

  /* pressLabel gives the case of 'card' the label 'name', or takes it away
   * when 'toggle' and the case has it already. */
  function pressLabel(card, name, toggle) {
    var id = card.getAttribute('data-id');
    var next = toggle && labelOf(id).label === name ? '' : name;
    setLabel(id, 'label', next);
    card.querySelectorAll('button[data-label]').forEach(function (b) {
      b.setAttribute('aria-pressed', b.getAttribute('data-label') === next);
    });
  }

  /* --- summary, tags and curve --- */

  function table(head, rows) {
    return el('table', null, [
      el('thead', null, el('tr', null, head.map(function (h) { return el('th', null, h); }))),
      el('tbody', null, rows.map(function (r) {
        return el('tr', null, r.map(function (v) { return el('td', null, v); }));
      }))
    ]);
  }

  function viewLink(view, text) {
    return el('button', { type: 'button', 'class': 'link', 'data-goto': view }, text);
  }

  function renderSummary() {
    var sec = $('summary');
    sec.appendChild(el('h2', null, 'Summary'));
    sec.appendChild(table(['run', 'cases', 'passes', 'accuracy', '95% CI', 'failed calls', 'p50 ms', 'p95 ms', 'cost/case'],
      data.cells.runs.map(function (r) {
        return [r.run, r.cases, r.passes, r.accuracy, r.ci, r.failed, r.p50, r.p95, r.cost];
      })));
    /* each comparison in ev-compare's own words; its counts of regressed
       and fixed cases are the filters' links */
    data.cells.comparisons.forEach(function (c, k) {
      sec.appendChild(el('h3', null, c.heading));
      sec.appendChild(el('ul', { 'class': 'lines', 'data-comparison': k }, c.lines.map(function (l) {
        var m = /^(regressed|fixed) \(\d+\)/.exec(l);
        if (m) {
          return el('li', null, [viewLink(m[1], m[0]), l.slice(m[0].length)]);
        }
        return el('li', l.indexOf('verdict: ') === 0 ? { 'class': 'verdict' } : null, l);
      })));
    });
  }

  function renderTags() {
    var sec = $('tags');
    sec.replaceChildren();
    var t = data.tags[state.run];
    if (!t) {
      return;
    }
    sec.appendChild(el('h2', null, 'Per tag: ' + t.run + ', ' + t.failures + ' failures in ' + t.cases + ' cases'));
    var head = ['tag', 'cases', 'failures', 'rate'].concat(KINDS, hasBase ? ['regressions'] : []);
    var rows = t.tags.map(function (r) {
      return [el('button', { type: 'button', 'class': 'link', 'data-tag': r.tag }, r.tag), r.cases, r.failures, r.rate]
        .concat(KINDS.map(function (k) { return r.kinds[k]; }), hasBase ? [r.regressions] : []);
    });
    sec.appendChild(table(head, rows));
  }

  function renderCurve() {
    var cv = data.curve;
    if (!cv) {
      return;
    }
    var sec = $('curve');
    sec.hidden = false;
    sec.appendChild(el('h2', null, 'Learning curve'));
    var W = 640;
    var H = 320;
    var L = 48;
    var R = 16;
    var T = 16;
    var B = 40;
    var lo = Math.log(cv.domain[0]);
    var hi = Math.log(cv.domain[1]);
    var ys = [];
    cv.points.forEach(function (p) { ys.push(p.accuracy, p.lo, p.hi); });
    if (cv.target) {
      ys.push(cv.target.accuracy, cv.target.lo, cv.target.hi);
    }
    ys = ys.filter(function (y) { return typeof y === 'number'; });
    var y0 = Math.max(0, Math.floor((Math.min.apply(null, ys) - 0.05) * 10) / 10);
    var y1 = Math.min(1, Math.ceil((Math.max.apply(null, ys) + 0.05) * 10) / 10);
    function X(n) { return L + (Math.log(n) - lo) / (hi - lo) * (W - L - R); }
    function Y(a) { return T + (y1 - Math.min(y1, Math.max(y0, a))) / (y1 - y0) * (H - T - B); }
    var g = [];
    for (var y = y0; y <= y1 + 1e-9; y += 0.1) {
      g.push(svg('line', { 'class': 'grid', x1: L, x2: W - R, y1: Y(y), y2: Y(y) }));
      g.push(svg('text', { x: L - 6, y: Y(y) + 4, 'text-anchor': 'end' }, Math.round(y * 100) + '%'));
    }
    cv.points.forEach(function (p) {
      g.push(svg('text', { x: X(p.n), y: H - B + 16, 'text-anchor': 'middle' }, String(p.n)));
    });
    g.push(svg('line', { 'class': 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
    g.push(svg('line', { 'class': 'axis', x1: L, x2: L, y1: T, y2: H - B }));
    g.push(svg('text', { x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle' }, 'training examples (log scale)'));
    if (cv.target) {
      if (typeof cv.target.lo === 'number' && typeof cv.target.hi === 'number') {
        g.push(svg('rect', { 'class': 'band', x: L, width: W - R - L, y: Y(cv.target.hi), height: Y(cv.target.lo) - Y(cv.target.hi) }));
      }
      g.push(svg('line', { 'class': 'target', x1: L, x2: W - R, y1: Y(cv.target.accuracy), y2: Y(cv.target.accuracy) }));
      /* at the left, where a learning curve is lowest, clear of the points */
      g.push(svg('text', { x: L + 6, y: Y(cv.target.accuracy) - 6, 'text-anchor': 'start' }, 'target ' + cv.target.text));
    }
    cv.fits.forEach(function (f) {
      if (!f.line || f.line.length < 2) {
        return;
      }
      var d = f.line.map(function (q, k) { return (k ? 'L' : 'M') + X(q[0]).toFixed(1) + ' ' + Y(q[1]).toFixed(1); }).join(' ');
      g.push(svg('path', { 'class': f.primary ? 'fit' : 'fit other', d: d, 'data-model': f.model }));
      if (f.primary && typeof f.n_star === 'number' && f.n_star >= cv.domain[0] && f.n_star <= cv.domain[1]) {
        g.push(svg('line', { 'class': 'nstar', x1: X(f.n_star), x2: X(f.n_star), y1: T, y2: H - B }));
      }
    });
    cv.points.forEach(function (p) {
      if (typeof p.lo === 'number' && typeof p.hi === 'number') {
        g.push(svg('line', { 'class': 'bar', x1: X(p.n), x2: X(p.n), y1: Y(p.lo), y2: Y(p.hi) }));
      }
      g.push(svg('circle', { 'class': 'point', cx: X(p.n), cy: Y(p.accuracy), r: 3.5 }));
    });
    sec.appendChild(svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'aria-label': 'accuracy against training examples' }, g));
    sec.appendChild(el('ul', { 'class': 'lines' }, cv.fits.map(function (f) {
      return el('li', null, (f.model || '?') + (f.primary ? ' (headline)' : '') + ': ' + f.text);
    }).concat(cv.target ? [el('li', null, 'target ' + cv.target.text + (cv.reached ? ': reached already' : ': not reached yet'))] : [])));
  }

  /* --- events --- */

  function goToList() {
    $('review').scrollIntoView({ block: 'start' });
  }

  function wire() {
    $('views').addEventListener('click', function (ev) {
      var b = ev.target.closest('button[data-view]');
      if (b && !b.disabled) {
        state.view = b.getAttribute('data-view');
        applyFilters();
      }
    });
    document.addEventListener('click', function (ev) {
      var b = ev.target.closest('button[data-tag], button[data-goto]');
      if (!b) {
        return;
      }
      if (b.hasAttribute('data-tag')) {
        state.tag = b.getAttribute('data-tag');
        $('tag-filter').value = state.tag;
      } else {
        state.view = b.getAttribute('data-goto');
      }
      applyFilters();
      goToList();
    });
    $('tag-filter').addEventListener('change', function (ev) { state.tag = ev.target.value; applyFilters(); });
    $('kind-filter').addEventListener('change', function (ev) { state.kind = ev.target.value; applyFilters(); });
    $('label-filter').addEventListener('change', function (ev) { state.label = ev.target.value; applyFilters(); });
    $('run-filter').addEventListener('change', function (ev) {
      state.run = Number(ev.target.value);
      renderTags();
      filterControls();
      applyFilters();
    });
    $('search').addEventListener('input', function (ev) {
      state.q = ev.target.value.trim().toLowerCase();
      applyFilters();
    });
    $('reviewer').addEventListener('input', saveLabels);
    $('export').addEventListener('click', download);
    $('more-button').addEventListener('click', function () { renderMore(0); });
    var list = $('cases');
    list.addEventListener('click', function (ev) {
      var card = ev.target.closest('.case');
      if (!card) {
        return;
      }
      var pos = Number(card.getAttribute('data-pos'));
      if (pos !== current && !ev.target.closest('textarea, input')) {
        setCurrent(pos);
      }
      var b = ev.target.closest('button[data-label]');
      if (b) {
        pressLabel(card, b.getAttribute('data-label'), true);
      }
      var f = ev.target.closest('button[data-fold]');
      if (f) {
        var pre = f.previousElementSibling;
        pre.classList.toggle('folded');
        f.textContent = pre.classList.contains('folded') ? 'unfold' : 'fold';
      }
    });
    list.addEventListener('input', function (ev) {
      var field = ev.target.getAttribute('data-field');
      var card = ev.target.closest('.case');
      if (field && card) {
        setLabel(card.getAttribute('data-id'), field, ev.target.value);
      }
    });
    document.addEventListener('keydown', function (ev) {
      var t = ev.target;
      if (ev.ctrlKey || ev.metaKey || ev.altKey) {
        return;
      }
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) {
        if (ev.key === 'Escape') {
          t.blur();
        }
        return;
      }
      var k = ev.key;
      if (k === 'j') {
        move(1);
      } else if (k === 'k') {
        move(-1);
      } else if (k === '/') {
        $('search').focus();
      } else if (k.length === 1 && k >= '0' && k <= '4' && currentId() !== null) {
        pressLabel($('cases').children[current], k === '0' ? '' : LABELS[Number(k) - 1], false);
      } else {
        return;
      }
      ev.preventDefault();
    });
    window.addEventListener('scroll', fill, { passive: true });
    window.addEventListener('resize', fill);
  }

  /* --- start --- */

  document.title = 'ev-view: ' + data.runs.join(', ');
  $('runs-line').textContent = 'runs: ' + data.runs.join(', ') + (hasBase ? '; baseline: ' + data.baseline : '') +
    '; ' + cases.length + ' cases';
  window.evExport = exportText;
  loadLabels();
  renderSummary();
  renderCurve();
  renderTags();
  filterControls();
  wire();
  applyFilters();
  updateLabelled();
  window.evRenderedMs = performance.now();
  window.evReady = true;
  window.requestAnimationFrame(function () {
    setTimeout(function () { window.evPaintedMs = performance.now(); }, 0);
    fill();
  });
}());
