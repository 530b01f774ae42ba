// The maildog-ci web inspector: every mail attempt, newest first (refreshed every few seconds),
// marked accepted / partly refused / refused; a refusal opens on its cause, highlighted in the
// transcript, with explain's diagnosis beside it; an accepted message in tabs. Plain DOM; every
// text from a message goes in through textContent, never as markup.
'use strict';

(function () {
  var REFRESH_MS = 2000;
  var RAW_SHOWN_MAX = 1024 * 1024;  // bytes of source shown in the page; the rest via /raw
  var TABS = [
    ['headers', 'Headers'], ['envelope', 'Envelope'], ['mime', 'MIME'], ['text', 'Text'],
    ['html', 'HTML'], ['auth', 'Auth'], ['raw', 'Raw'], ['transcript', 'Transcript']
  ];

  var REASONS = ['rule', 'spf', 'dkim', 'dmarc', 'ptr', 'dnsbl', 'authentication', 'rfc5322', 'unsubscribe', 'relay',
    'unknown_user', 'too_many_recipients', 'size', 'bare_lf', 'auth_required', 'tls_required', 'smtputf8'];
  var STATUS_TEXT = { accepted: 'accepted', partial: 'partly refused', refused: 'refused' };

  // open: "attempt:ID" or "message:ID"; cursor: the list index j/k moved to.
  var state = { attempts: [], open: null, tab: 'headers', listKey: '', cursor: -1 };

  // The theme follows the system setting; the root says which one applies (CSS does the rest).
  var dark = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  function applyTheme() {
    document.documentElement.dataset.theme = dark && dark.matches ? 'dark' : 'light';
  }
  applyTheme();
  if (dark && dark.addEventListener) {
    dark.addEventListener('change', applyTheme);
  }

  var params = new URLSearchParams(window.location.search);

  // The API token, when serve has one, is asked for once (the form in the header) and kept in
  // this tab's sessionStorage. It travels only in the Authorization header: never in a URL (which
  // ends up in history and logs) nor in a cookie (which every other app on 127.0.0.1 would get).
  // So links to the API's bytes are fetched here and opened or saved as blob: URLs.
  var TOKEN_KEY = 'maildog-token';

  function headers() {
    var token = sessionStorage.getItem(TOKEN_KEY);
    return token ? { Authorization: 'Bearer ' + token } : {};
  }

  function fetched(path) {
    return fetch(path, { headers: headers(), cache: 'no-store' }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          var error = new Error(body.error || ('HTTP ' + response.status));
          error.status = response.status;
          throw error;
        });
      }
      return response;
    });
  }

  function request(path, asText) {
    return fetched(path).then(function (response) { return asText ? response.text() : response.json(); });
  }

  function askForToken(wrong) {
    var form = document.getElementById('token-form');
    form.hidden = false;
    document.getElementById('token-note').textContent = wrong ? 'that token was refused; ' : '';
    document.getElementById('token-input').focus();
  }

  function initTokenForm() {
    document.getElementById('token-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var input = document.getElementById('token-input');
      if (!input.value) {
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, input.value);
      input.value = '';
      document.getElementById('token-form').hidden = true;
      refreshList().then(route);
    });
  }

  // Bytes of the API as a blob: URL, revoked once the tab or download had time to read it.
  function blobUrl(blob) {
    var url = URL.createObjectURL(blob);
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    return url;
  }

  function saveAs(path, filename) {
    return fetched(path).then(function (response) { return response.blob(); }).then(function (blob) {
      var link = el('a', { href: blobUrl(blob), download: filename, hidden: true });
      document.body.appendChild(link);
      link.click();
      link.remove();
    }).catch(function (error) { setStatus('cannot download ' + filename + ': ' + error.message, true); });
  }

  // Types a browser shows inertly (no script, no markup of the sender's running in our origin).
  function shownInertly(type) {
    return /^(image\/(png|jpeg|gif|webp|bmp|avif)|audio\/|video\/|application\/pdf$|text\/(plain|csv)$)/.test(type);
  }

  // Puts `html` into a viewer window or frame (GET /view: our empty page, whose policy blocks or
  // allows remote images) inside a frame sandboxed like the HTML tab's: no script, no origin.
  function fillViewer(view, html, title) {
    var doc = view.document;
    var frame = doc.createElement('iframe');
    frame.setAttribute('sandbox', '');
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.title = title;
    frame.srcdoc = html;
    doc.title = title;
    doc.body.appendChild(frame);
  }

  function whenViewerLoaded(view, then) {
    var started = Date.now();
    (function check() {
      var ready = false;
      try {
        ready = view.location.pathname === '/view' && view.document.readyState === 'complete';
      } catch (e) {
        ready = false;
      }
      if (ready) {
        then();
      } else if (!view.closed && Date.now() - started < 15000) {
        window.setTimeout(check, 50);
      }
    })();
  }

  // The inspector's "open": HTML in a viewer window, inert types as a blob: URL, anything else
  // (which a browser could run or would download anyway) saved. The window opens on the click
  // itself, so no pop-up blocker stops it, and is pointed at the bytes once they are here.
  function openBytes(id, path, type, title, filename) {
    if (type !== 'text/html' && !shownInertly(type)) {
      saveAs(path, filename);
      return;
    }
    var view = window.open(type === 'text/html' ? '/view' : 'about:blank', '_blank');
    if (!view) {
      setStatus('the browser blocked the window for ' + title, true);
      return;
    }
    var failed = function (error) {
      view.close();
      setStatus('cannot open ' + title + ': ' + error.message, true);
    };
    if (type === 'text/html') {
      request(path, true).then(function (html) { return linkedParts(id, html); }).then(function (html) {
        whenViewerLoaded(view, function () { fillViewer(view, html, title); });
      }).catch(failed);
    } else {
      // The blob gets the type judged inert above, whatever the response said.
      fetched(path).then(function (response) { return response.blob(); }).then(function (blob) {
        view.location.href = blobUrl(new Blob([blob], { type: /^text\//.test(type) ? type + ';charset=utf-8' : type }));
      }).catch(failed);
    }
  }

  // The server links the HTML's cid: images to the message's parts; a frame's image requests
  // carry no token, so each such part of message `id` is fetched here and put in as a data: URL.
  function linkedParts(id, html) {
    var paths = {};
    var pattern = new RegExp('/api/v1/messages/' + Number(id) + '/parts/[0-9]+(\\.[0-9]+)*', 'g');
    var found;
    while ((found = pattern.exec(html)) !== null) {
      paths[found[0]] = true;
    }
    var urls = Object.keys(paths);
    return Promise.all(urls.map(function (url) {
      return fetched(url).then(function (response) { return response.blob(); }).then(function (blob) {
        return new Promise(function (resolve) {
          var reader = new FileReader();
          reader.onload = function () { resolve(reader.result); };
          reader.onerror = function () { resolve(url); };
          reader.readAsDataURL(blob);
        });
      }).catch(function () { return url; });
    })).then(function (dataUrls) {
      var inlined = {};
      urls.forEach(function (url, i) { inlined[url] = dataUrls[i]; });
      // One pass with the same pattern: ".../parts/1" never replaces the start of ".../parts/1.2".
      return html.replace(pattern, function (url) { return inlined[url] || url; });
    });
  }

  // el('td', {className: 'x'}, 'text', child): strings become text nodes.
  function el(tag, props) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === 'dataset') {
        Object.keys(props.dataset).forEach(function (name) { node.dataset[name] = props.dataset[name]; });
      } else {
        node[key] = props[key];
      }
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) {
        continue;
      }
      node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
    return node;
  }

  function setStatus(text, isError) {
    var status = document.getElementById('status');
    status.textContent = text;
    status.className = isError ? 'error' : '';
  }

  function table(rows) {
    var body = el('tbody');
    rows.forEach(function (row) {
      body.appendChild(el('tr', {}, el('th', { scope: 'row' }, row[0]), row[1] instanceof Node ? el('td', {}, row[1]) : el('td', {}, String(row[1]))));
    });
    return el('table', {}, body);
  }

  function reply(r) {
    return r ? [r.code, r.enhanced || '', r.text].join(' ').replace(/\s+/g, ' ').trim() : '';
  }

  function resultSpan(result) {
    return el('span', { className: 'result-' + String(result).replace(/[^a-z]/g, '') }, result);
  }

  // Human times: "12 s ago", the exact time on hover.

  function ago(iso) {
    var seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (seconds < 60) {
      return seconds + ' s ago';
    }
    if (seconds < 3600) {
      return Math.floor(seconds / 60) + ' min ago';
    }
    if (seconds < 86400) {
      return Math.floor(seconds / 3600) + ' h ago';
    }
    return Math.floor(seconds / 86400) + ' d ago';
  }

  function timeEl(iso) {
    var node = el('time', { dateTime: iso, title: new Date(iso).toLocaleString() + ' (' + iso + ')' }, ago(iso));
    return node;
  }

  function badge(status) {
    return el('span', { className: 'badge ' + status }, STATUS_TEXT[status] || status);
  }

  function replyCode(r) {
    return r ? r.code + (r.enhanced ? ' ' + r.enhanced : '') : '';
  }

  // The list and its filters

  // Filters start from the page's query (?status=refused&code=550&enhanced=5.1.1&reason=dmarc&q=...).
  function initFilters() {
    var reason = document.getElementById('filter-reason');
    REASONS.forEach(function (word) { reason.appendChild(el('option', { value: word }, word)); });
    document.getElementById('filter').value = params.get('q') || '';
    document.getElementById('filter-status').value = params.get('status') || '';
    document.getElementById('filter-code').value = params.get('code') || '';
    document.getElementById('filter-enhanced').value = params.get('enhanced') || '';
    reason.value = params.get('reason') || '';
    ['filter', 'filter-code', 'filter-enhanced'].forEach(function (id) {
      document.getElementById(id).addEventListener('input', renderList);
    });
    ['filter-status', 'filter-reason'].forEach(function (id) {
      document.getElementById(id).addEventListener('change', renderList);
    });
    document.getElementById('filters').addEventListener('submit', function (event) { event.preventDefault(); });
  }

  function addresses(attempt) {
    return [attempt.from || ''].concat(attempt.recipients.map(function (r) { return r.address; }));
  }

  function replies(attempt) {
    var all = attempt.refusals.map(function (refusal) { return refusal.reply; });
    if (attempt.reply) {
      all.push(attempt.reply);
    }
    return all;
  }

  function matchesFilter(attempt) {
    var text = document.getElementById('filter').value.trim().toLowerCase();
    var status = document.getElementById('filter-status').value;
    var code = document.getElementById('filter-code').value.trim();
    var enhanced = document.getElementById('filter-enhanced').value.trim();
    var reason = document.getElementById('filter-reason').value;
    if (status && attempt.status !== status) {
      return false;
    }
    if (code && !replies(attempt).some(function (r) { return String(r.code) === code; })) {
      return false;
    }
    if (enhanced && !replies(attempt).some(function (r) { return r.enhanced === enhanced; })) {
      return false;
    }
    if (reason && attempt.reasons.indexOf(reason) < 0) {
      return false;
    }
    return !text || addresses(attempt).concat([attempt.subject]).join(' ').toLowerCase().indexOf(text) >= 0;
  }

  function attemptHref(attempt) {
    // An accepted message opens as a message; anything refused opens on its cause.
    return attempt.status === 'accepted' && attempt.message_id ? '#/messages/' + attempt.message_id : '#/attempts/' + attempt.id;
  }

  function isOpen(attempt) {
    return state.open === 'attempt:' + attempt.id || (attempt.message_id && state.open === 'message:' + attempt.message_id);
  }

  function shownAttempts() {
    return state.attempts.filter(matchesFilter);
  }

  function renderList() {
    var list = clear(document.getElementById('message-list'));
    var shown = shownAttempts();
    shown.forEach(function (attempt, index) {
      var refusal = attempt.refusals.length ? attempt.refusals[0] : null;
      var what = refusal ? (refusal.command === 'END_OF_DATA' ? 'end of DATA' : refusal.command) + (refusal.argument ? ' <' + refusal.argument + '>' : '')
        : attempt.fault ? 'fault: ' + attempt.fault : '';
      var to = attempt.recipients.map(function (r) { return r.address; }).join(', ');
      var item = el('li', { className: 'status-' + attempt.status, dataset: { id: String(attempt.id), status: attempt.status } },
        el('a', { href: attemptHref(attempt) },
          el('span', { className: 'line' }, badge(attempt.status),
            el('span', { className: 'reply-code' }, replyCode(attempt.reply)), ' ',
            el('span', { className: 'reason' }, attempt.reasons.join(', ')), ' · ', timeEl(attempt.at)),
          el('span', { className: 'subject' }, attempt.subject || (what || '(no subject)')),
          el('span', { className: 'meta' }, '#' + attempt.id + ' · ' + (attempt.from === null ? attempt.client_address : (attempt.from || '<>') + ' → ' + to) +
            (what && attempt.subject ? ' · ' + what : ''))));
      var classes = ['status-' + attempt.status];
      if (isOpen(attempt)) {
        classes.push('selected');
      }
      if (index === state.cursor) {
        classes.push('cursor');
      }
      item.className = classes.join(' ');
      list.appendChild(item);
    });
    document.getElementById('empty-list').hidden = state.attempts.length > 0;
  }

  function refreshList() {
    return request('/api/v1/attempts?limit=200').then(function (body) {
      var key = body.attempts.map(function (a) { return a.id; }).join(',');
      var counts = { accepted: 0, partial: 0, refused: 0 };
      body.attempts.forEach(function (a) { counts[a.status] += 1; });
      setStatus(body.count + ' attempt' + (body.count === 1 ? '' : 's') + ' (' + counts.accepted + ' accepted, ' + counts.partial +
        ' partly refused, ' + counts.refused + ' refused) · updated ' + new Date().toLocaleTimeString());
      if (key !== state.listKey) {
        state.listKey = key;
        state.attempts = body.attempts;
        renderList();
      } else {
        // Only the "12 s ago" texts move on.
        Array.prototype.forEach.call(document.querySelectorAll('#message-list time'), function (node) {
          node.textContent = ago(node.dateTime);
        });
      }
    }).catch(function (error) {
      if (error.status === 401) {
        setStatus('this server needs its API token', true);
        askForToken(Boolean(sessionStorage.getItem(TOKEN_KEY)));
      } else {
        setStatus('cannot load attempts: ' + error.message, true);
      }
    });
  }

  // Keyboard: j/k move through the list, / goes to the filter, Enter opens.

  function moveCursor(step) {
    var shown = shownAttempts();
    if (!shown.length) {
      return;
    }
    state.cursor = Math.min(shown.length - 1, Math.max(0, state.cursor + step));
    renderList();
    var item = document.querySelectorAll('#message-list li')[state.cursor];
    if (item) {
      item.scrollIntoView({ block: 'nearest' });
    }
  }

  document.addEventListener('keydown', function (event) {
    var typing = /^(INPUT|SELECT|TEXTAREA)$/.test(event.target.tagName);
    if (event.key === 'Escape' && typing) {
      event.target.blur();
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    if (event.key === 'j') {
      moveCursor(1);
    } else if (event.key === 'k') {
      moveCursor(-1);
    } else if (event.key === '/') {
      event.preventDefault();
      document.getElementById('filter').focus();
    } else if (event.key === 'Enter') {
      var shown = shownAttempts();
      if (state.cursor >= 0 && state.cursor < shown.length) {
        window.location.hash = attemptHref(shown[state.cursor]);
      }
    }
  });

