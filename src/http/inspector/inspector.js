// The maildog-ci web inspector: the message list (refreshed every few seconds) and one message
// in tabs. Plain DOM; every text from a message goes in through textContent, never as markup.
'use strict';

(function () {
  var REFRESH_MS = 2000;
  var RAW_SHOWN_MAX = 1024 * 1024;  // bytes of source shown in the page; the rest via /raw
  var TABS = [
    ['headers', 'Headers'], ['envelope', 'Envelope'], ['mime', 'MIME'], ['text', 'Text'],
    ['html', 'HTML'], ['auth', 'Auth'], ['raw', 'Raw'], ['transcript', 'Transcript']
  ];

  var state = { messages: [], openId: null, tab: 'headers', listKey: '' };

  // A token given once as ?token=... is kept for the tab's lifetime and sent as a bearer token.
  var params = new URLSearchParams(window.location.search);
  if (params.get('token')) {
    sessionStorage.setItem('maildog-token', params.get('token'));
  }

  function headers() {
    var token = sessionStorage.getItem('maildog-token');
    return token ? { Authorization: 'Bearer ' + token } : {};
  }

  function request(path, asText) {
    return fetch(path, { headers: headers(), cache: 'no-store' }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          var error = new Error(body.error || ('HTTP ' + response.status));
          error.status = response.status;
          throw error;
        });
      }
      return asText ? response.text() : response.json();
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

  // The list

  function matchesFilter(message) {
    var filter = document.getElementById('filter').value.trim().toLowerCase();
    if (!filter) {
      return true;
    }
    return [message.subject, message.from].concat(message.to).join(' ').toLowerCase().indexOf(filter) >= 0;
  }

  function renderList() {
    var list = clear(document.getElementById('message-list'));
    var shown = state.messages.filter(matchesFilter);
    shown.forEach(function (message) {
      var item = el('li', { dataset: { id: String(message.id) } },
        el('a', { href: '#/messages/' + message.id },
          el('span', { className: 'subject' }, message.subject || '(no subject)'),
          el('span', { className: 'meta' }, '#' + message.id + ' · ' + (message.from || '<>') + ' → ' + message.to.join(', ') + ' · ' + message.received)));
      if (message.id === state.openId) {
        item.className = 'selected';
      }
      list.appendChild(item);
    });
    document.getElementById('empty-list').hidden = state.messages.length > 0;
  }

  function refreshList() {
    return request('/api/v1/messages?limit=200').then(function (body) {
      var key = body.messages.map(function (m) { return m.id; }).join(',');
      setStatus(body.count + ' message' + (body.count === 1 ? '' : 's') + ' · updated ' + new Date().toLocaleTimeString());
      if (key !== state.listKey) {
        state.listKey = key;
        state.messages = body.messages;
        renderList();
      }
    }).catch(function (error) {
      setStatus(error.status === 401 ? 'a token is required: open this page as /?token=YOUR_TOKEN' : 'cannot load messages: ' + error.message, true);
    });
  }

  // One message

  function panel(name) {
    return document.getElementById('panel-' + name);
  }

  function showTab(name) {
    state.tab = name;
    TABS.forEach(function (tab) {
      document.getElementById('tab-' + tab[0]).setAttribute('aria-selected', tab[0] === name ? 'true' : 'false');
      panel(tab[0]).hidden = tab[0] !== name;
    });
  }

  function buildTabs() {
    var tabs = clear(document.getElementById('tabs'));
    var panels = clear(document.getElementById('panels'));
    TABS.forEach(function (tab) {
      var button = el('button', { type: 'button', id: 'tab-' + tab[0] }, tab[1]);
      button.setAttribute('role', 'tab');
      button.addEventListener('click', function () { showTab(tab[0]); });
      tabs.appendChild(button);
      panels.appendChild(el('div', { className: 'panel', id: 'panel-' + tab[0] }, el('p', { className: 'note' }, 'loading…')));
    });
    showTab(state.tab);
  }

  function fill(name, promise, render) {
    promise.then(function (data) {
      clear(panel(name)).appendChild(render(data));
    }).catch(function (error) {
      clear(panel(name)).appendChild(el('p', { className: error.status === 404 ? 'note' : 'error' }, error.message));
    });
  }

  function renderHeaders(body) {
    return table(body.headers.map(function (h) { return [h.name, h.value]; }));
  }

  function renderEnvelope(m) {
    var recipients = el('tbody');
    m.recipients.forEach(function (r) {
      recipients.appendChild(el('tr', {}, el('td', {}, r.address), el('td', {}, r.accepted ? 'accepted' : 'refused'), el('td', {}, reply(r.reply)), el('td', {}, String(r.attempt))));
    });
    var lint = el('ul');
    m.lint.forEach(function (note) {
      lint.appendChild(el('li', {}, note.name + (note.line ? ' (line ' + note.line + ')' : '') + ': ' + note.message));
    });
    return el('div', {},
      table([['MAIL FROM', '<' + m.envelope.mail_from + '> ' + m.envelope.mail_parameters],
             ['MAIL reply', reply(m.envelope.mail_reply)],
             ['DATA reply', reply(m.data_reply)],
             ['final reply', reply(m.final_reply)],
             ['session', '#' + m.session_id],
             ['received', m.received],
             ['size', m.size + ' bytes'],
             ['8-bit / bare LF', (m.eight_bit ? 'yes' : 'no') + ' / ' + (m.bare_lf ? 'yes' : 'no')]]),
      el('h3', {}, 'Recipients'),
      el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'address'), el('th', {}, 'outcome'), el('th', {}, 'reply'), el('th', {}, 'attempt'))), recipients),
      el('h3', {}, 'Sender lint'),
      m.lint.length ? lint : el('p', { className: 'note' }, 'no findings'));
  }

  function renderPart(id, part) {
    var details = [part.charset, part.transfer_encoding, part.disposition, part.filename, part.children.length ? '' : part.size + ' bytes']
      .filter(function (x) { return x; }).join(' · ');
    var label = el('span', { className: 'type' }, (part.path ? part.path + ' ' : '') + part.content_type);
    var item = el('li', { dataset: { path: part.path } }, label, el('span', { className: 'detail' }, details));
    if (!part.children.length && part.path) {
      item.appendChild(document.createTextNode(' '));
      item.appendChild(el('a', { href: '/api/v1/messages/' + id + '/parts/' + encodeURIComponent(part.path), target: '_blank', rel: 'noopener' }, 'open'));
    }
    if (part.children.length) {
      var children = el('ul');
      part.children.forEach(function (child) { children.appendChild(renderPart(id, child)); });
      item.appendChild(children);
    }
    return item;
  }

  function renderMime(id, body) {
    var problems = el('ul', { className: 'problems' });
    body.problems.forEach(function (p) { problems.appendChild(el('li', {}, p)); });
    return el('div', {}, el('ul', { className: 'mime-tree' }, renderPart(id, body.root)),
      body.problems.length ? el('div', {}, el('h3', {}, 'Problems'), problems) : el('p', { className: 'note' }, 'no MIME problems found'));
  }

  function renderText(text) {
    return el('pre', {}, text);
  }

  function renderHtml(html) {
    // No allow-scripts and no allow-same-origin: the message's markup cannot run or reach the API.
    var frame = el('iframe', { className: 'html-body', title: 'HTML body' });
    frame.setAttribute('sandbox', '');
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.srcdoc = html;
    return frame;
  }

  function renderAuth(body) {
    var rows = el('tbody');
    body.methods.forEach(function (m) {
      var props = Object.keys(m.properties).map(function (k) { return k + '=' + m.properties[k]; }).join(' ');
      rows.appendChild(el('tr', { className: 'auth-method' }, el('td', {}, m.method), el('td', {}, resultSpan(m.result)),
        el('td', {}, m.reason || ''), el('td', {}, [props, m.comment ? '(' + m.comment + ')' : ''].join(' ').trim())));
    });
    return el('div', {},
      body.methods.length
        ? el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'method'), el('th', {}, 'result'), el('th', {}, 'reason'), el('th', {}, 'details'))), rows)
        : el('p', { className: 'note' }, 'no sender checks ran for this message'),
      el('h3', {}, 'Authentication-Results'),
      el('pre', { className: 'authentication-results' }, body.authentication_results || '(none)'));
  }

  function renderRaw(text) {
    if (text.length <= RAW_SHOWN_MAX) {
      return el('pre', {}, text);
    }
    return el('div', {}, el('p', { className: 'note' }, 'The first ' + RAW_SHOWN_MAX + ' characters of ' + text.length + ':'),
      el('pre', {}, text.slice(0, RAW_SHOWN_MAX)));
  }

  function renderTranscript(body) {
    var prefix = { client: 'C: ', server: 'S: ', event: '* ' };
    var lines = el('pre', { className: 'transcript' });
    body.transcript.forEach(function (line) {
      lines.appendChild(el('span', { className: line.direction }, prefix[line.direction] + line.text + '\n'));
    });
    return el('div', {}, body.open ? el('p', { className: 'note' }, 'the session is still open') : null, lines);
  }

  function openMessage(id) {
    state.openId = id;
    renderList();
    document.getElementById('no-selection').hidden = true;
    var article = document.getElementById('message');
    var base = '/api/v1/messages/' + id;
    request(base).then(function (m) {
      article.hidden = false;
      document.getElementById('message-subject').textContent = m.subject || '(no subject)';
      document.getElementById('message-meta').textContent = '#' + m.id + ' from <' + m.from + '> to ' + m.to.join(', ') + ' · ' + (m.date || m.received);
      buildTabs();
      fill('headers', request(base + '/headers'), renderHeaders);
      fill('envelope', Promise.resolve(m), renderEnvelope);
      fill('mime', request(base + '/mime'), function (body) { return renderMime(id, body); });
      fill('text', request(base + '/body/plain', true), renderText);
      fill('html', request(base + '/body/html', true), renderHtml);
      fill('auth', request(base + '/auth'), renderAuth);
      fill('raw', request(base + '/raw', true), renderRaw);
      fill('transcript', request(base + '/transcript'), renderTranscript);
    }).catch(function (error) {
      article.hidden = true;
      var note = document.getElementById('no-selection');
      note.hidden = false;
      note.textContent = 'Message ' + id + ': ' + error.message;
    });
  }

  function route() {
    var match = /^#\/messages\/(\d+)$/.exec(window.location.hash);
    if (match) {
      openMessage(Number(match[1]));
    }
  }

  document.getElementById('filter').addEventListener('input', renderList);
  document.getElementById('delete-all').addEventListener('click', function () {
    if (!window.confirm('Delete every stored message?')) {
      return;
    }
    fetch('/api/v1/messages', { method: 'DELETE', headers: headers() }).then(function () {
      window.location.hash = '';
      document.getElementById('message').hidden = true;
      document.getElementById('no-selection').hidden = false;
      return refreshList();
    });
  });
  window.addEventListener('hashchange', route);
  refreshList().then(route);
  window.setInterval(refreshList, REFRESH_MS);
})();
