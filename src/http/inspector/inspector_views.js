  // One attempt: the cause first, with the diagnosis beside it.

  function causeText(cause) {
    if (!cause) {
      return el('p', {}, 'accepted: nothing was refused');
    }
    if (cause.kind === 'envelope') {
      return el('p', { className: 'cause-what' }, cause.field + ' ', el('mark', { className: 'cause-value' }, '<' + cause.value + '>'),
        ' was refused (' + cause.reason + ')');
    }
    if (cause.kind === 'check') {
      return el('p', { className: 'cause-what' }, 'the ', el('mark', { className: 'cause-value' }, cause.check.toUpperCase() + ' result: ' + (cause.result || 'none')),
        ' refused it at ' + (cause.command === 'END_OF_DATA' ? 'the end of data' : cause.command));
    }
    if (cause.kind === 'session') {
      return el('p', { className: 'cause-what' }, 'refused at ' + cause.field + ': ', el('mark', { className: 'cause-value' }, cause.value || '(empty)'),
        ' (' + cause.reason + ')');
    }
    if (cause.kind === 'message') {
      return el('p', { className: 'cause-what' }, 'the message was refused at ' + (cause.command === 'END_OF_DATA' ? 'the end of data' : cause.command) + ' (',
        el('mark', { className: 'cause-value' }, cause.reason), ')');
    }
    if (cause.kind === 'fault') {
      return el('p', { className: 'cause-what' }, 'a fault rule: ', el('mark', { className: 'cause-value' }, cause.fault), ' (no reply was sent)');
    }
    if (cause.kind === 'reply') {
      return el('p', { className: 'cause-what' }, 'a negative reply ended it (no refusal reason recorded)');
    }
    return el('p', { className: 'cause-what' }, 'the transaction ended unfinished');
  }

  function renderDiagnosis(d) {
    if (!d) {
      return el('p', { className: 'note' }, 'no negative reply to explain');
    }
    var causes = el('ul', { className: 'diagnosis-causes' });
    d.causes.forEach(function (c) { causes.appendChild(el('li', {}, c)); });
    var fixes = el('ul', { className: 'diagnosis-fixes' });
    d.fixes.forEach(function (f) { fixes.appendChild(el('li', {}, f)); });
    return el('div', { className: 'diagnosis' },
      el('p', {}, el('strong', { className: 'diagnosis-title' }, d.title)),
      el('p', { className: 'diagnosis-meaning' }, d.meaning + (d.permanent ? ' Permanent: retrying the same message will not help.' : '')),
      el('h4', {}, 'Likely causes'), causes, el('h4', {}, 'Fixes'), fixes,
      d.scenario ? el('p', { className: 'note' }, 'reproduce it with ' + d.scenario) : null);
  }

  function renderAttemptTranscript(lines, cause, from, to) {
    var prefix = { client: 'C: ', server: 'S: ', event: '* ' };
    var excerpt = from !== undefined;
    var pre = el('pre', { className: excerpt ? 'transcript excerpt' : 'transcript' });
    var marked = null;
    lines.forEach(function (line, index) {
      if (excerpt && (index < from || index >= to)) {
        return;
      }
      var classes = [line.direction];
      if (cause && index === cause.transcript_line) {
        classes.push('cause');
      } else if (cause && index === cause.command_line) {
        classes.push('cause-command');
      }
      var span = el('span', { className: classes.join(' '), dataset: { line: String(index) } }, prefix[line.direction] + line.text + '\n');
      if (cause && index === cause.transcript_line) {
        marked = span;
      }
      pre.appendChild(span);
    });
    return { node: pre, marked: marked };
  }

  // The transcript lines from the command (or check) to the refusing reply, marked as below.
  function causeExcerpt(lines, cause) {
    if (!cause || cause.transcript_line === null || cause.transcript_line >= lines.length) {
      return null;
    }
    var first = cause.command_line === null ? cause.transcript_line : Math.max(cause.command_line, cause.transcript_line - 5);
    return renderAttemptTranscript(lines, cause, first, cause.transcript_line + 1).node;
  }

  function renderAttempt(a) {
    var recipients = el('tbody');
    a.recipients.forEach(function (r) {
      recipients.appendChild(el('tr', { className: r.accepted ? 'accepted' : 'refused' }, el('td', {}, r.address),
        el('td', {}, r.accepted ? 'accepted' : 'refused'), el('td', {}, reply(r.reply))));
    });
    var auth = el('tbody');
    Object.keys(a.auth).forEach(function (method) {
      auth.appendChild(el('tr', { className: 'auth-method' }, el('td', {}, method), el('td', {}, resultSpan(a.auth[method]))));
    });
    var transcript = renderAttemptTranscript(a.transcript, a.cause);
    var envelope = a.envelope ? table([['MAIL FROM', '<' + a.envelope.mail_from + '> ' + a.envelope.mail_parameters],
      ['MAIL reply', reply(a.envelope.mail_reply)], ['DATA reply', reply(a.envelope.data_reply)],
      ['final reply', reply(a.envelope.final_reply)]]) : el('p', { className: 'note' }, 'refused before MAIL: no envelope');
    var body = el('div', {},
      el('div', { className: 'cause-grid' },
        el('section', { className: 'card cause', id: 'cause' }, el('h3', {}, 'Cause'), causeText(a.cause),
          el('p', {}, el('span', { className: 'reply-code' }, replyCode(a.reply)), ' ', a.reply ? a.reply.text : ''),
          causeExcerpt(a.transcript, a.cause),
          a.fault ? el('p', { className: 'note' }, 'fault: ' + a.fault) : null,
          a.ended ? el('p', { className: 'note' }, 'ended: ' + a.ended) : null,
          a.message_id ? el('p', {}, el('a', { href: '#/messages/' + a.message_id }, 'open message #' + a.message_id + ' (kept for the accepted recipients)')) : null),
        el('section', { className: 'card', id: 'diagnosis' }, el('h3', {}, 'Diagnosis'), renderDiagnosis(a.diagnosis))),
      el('h3', {}, 'Transcript'), el('div', { className: 'panel transcript-box', id: 'attempt-transcript' }, transcript.node),
      el('h3', {}, 'Envelope'), envelope,
      el('h3', {}, 'Recipients'),
      a.recipients.length ? el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'address'), el('th', {}, 'outcome'), el('th', {}, 'reply'))), recipients)
        : el('p', { className: 'note' }, 'none'),
      el('h3', {}, 'Sender checks'),
      Object.keys(a.auth).length ? el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'method'), el('th', {}, 'result'))), auth)
        : el('p', { className: 'note' }, 'no sender checks ran'),
      a.authentication_results ? el('pre', { className: 'authentication-results' }, a.authentication_results) : null);
    return { node: body, marked: transcript.marked };
  }

  function showOnly(which) {
    document.getElementById('no-selection').hidden = which !== 'none';
    document.getElementById('attempt').hidden = which !== 'attempt';
    document.getElementById('message').hidden = which !== 'message';
  }

  function openAttempt(id) {
    state.open = 'attempt:' + id;
    renderList();
    request('/api/v1/attempts/' + id).then(function (a) {
      showOnly('attempt');
      var title = document.getElementById('attempt-title');
      clear(title).appendChild(badge(a.status));
      title.appendChild(el('span', { className: 'reply-code' }, replyCode(a.reply)));
      title.appendChild(document.createTextNode(' ' + (a.subject || (a.reasons.length ? a.reasons.join(', ') : 'attempt #' + a.id))));
      var meta = clear(document.getElementById('attempt-meta'));
      meta.appendChild(document.createTextNode('#' + a.id + ' · ' + a.client_address + (a.helo ? ' (' + a.helo + ')' : '') + ' · ' +
        (a.from === null ? 'no envelope' : '<' + a.from + '>') + ' · session #' + a.session_id + ' · '));
      meta.appendChild(timeEl(a.at));
      var rendered = renderAttempt(a);
      clear(document.getElementById('attempt-body')).appendChild(rendered.node);
      // The page stays on the cause; the transcript box scrolls to its line.
      if (rendered.marked) {
        var box = document.getElementById('attempt-transcript');
        box.scrollTop = Math.max(0, rendered.marked.offsetTop - box.offsetTop - box.clientHeight / 2);
      }
      document.getElementById('message-pane').scrollTop = 0;
    }).catch(function (error) {
      showOnly('none');
      document.getElementById('no-selection').textContent = 'Attempt ' + id + ': ' + error.message;
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
      var path = '/api/v1/messages/' + id + '/parts/' + encodeURIComponent(part.path);
      var open = el('a', { href: path, className: 'open-part' }, 'open');
      open.addEventListener('click', function (event) {
        event.preventDefault();
        openBytes(id, path, part.content_type, 'part ' + part.path + ' of message #' + id, part.filename || 'part-' + part.path);
      });
      item.appendChild(document.createTextNode(' '));
      item.appendChild(open);
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

  // Remote content stays blocked (this page's policy applies in the frame) until the user asks:
  // then the frame is our viewer page with remote images allowed, and the HTML goes in there.
  function renderHtml(id, html) {
    // No allow-scripts and no allow-same-origin: the message's markup cannot run or reach the API.
    var frame = el('iframe', { className: 'html-body', title: 'HTML body' });
    frame.setAttribute('sandbox', '');
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.srcdoc = html;
    var remote = el('button', { type: 'button', id: 'load-remote', title: 'remote images; scripts, frames, media and style sheets stay blocked' },
      'Load remote content');
    var open = el('button', { type: 'button', id: 'open-html' }, 'Open in a new window');
    var note = el('span', { className: 'note' }, 'remote content is blocked');
    var box = el('div', {}, el('div', { className: 'html-tools' }, remote, ' ', open, ' ', note), frame);
    remote.addEventListener('click', function () {
      var viewer = el('iframe', { className: 'html-body', title: 'HTML body with remote images', id: 'html-remote' });
      viewer.addEventListener('load', function () { fillViewer(viewer.contentWindow, html, 'message #' + id); });
      viewer.src = '/view?remote=1';
      box.replaceChild(viewer, frame);
      remote.disabled = true;
      note.textContent = 'remote images loaded';
    });
    open.addEventListener('click', function () {
      var view = window.open('/view', '_blank');
      if (view) {
        whenViewerLoaded(view, function () { fillViewer(view, html, 'message #' + id); });
      }
    });
    return box;
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

  function renderRaw(id, text) {
    var path = '/api/v1/messages/' + id + '/raw';
    var save = el('a', { href: path, id: 'download-raw' }, 'download message-' + id + '.eml');
    save.addEventListener('click', function (event) {
      event.preventDefault();
      saveAs(path, 'message-' + id + '.eml');
    });
    if (text.length <= RAW_SHOWN_MAX) {
      return el('div', {}, el('p', {}, save), el('pre', {}, text));
    }
    return el('div', {}, el('p', { className: 'note' }, 'The first ' + RAW_SHOWN_MAX + ' characters of ' + text.length + ' (', save, '):'),
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

  function leaves(part, out) {
    if (!part.children.length) {
      out.push(part);
    }
    part.children.forEach(function (child) { leaves(child, out); });
    return out;
  }

  function size(bytes) {
    return bytes < 1024 ? bytes + ' B' : bytes < 1048576 ? (bytes / 1024).toFixed(1) + ' KiB' : (bytes / 1048576).toFixed(1) + ' MiB';
  }

  // Attachments with their size and a download link (the API sends them as attachments).
  function renderAttachments(id, body) {
    var files = leaves(body.root, []).filter(function (p) { return p.disposition === 'attachment' || p.filename; });
    if (!files.length) {
      return el('p', { className: 'note' }, 'no attachments');
    }
    var list = el('ul', { className: 'attachment-list' });
    files.forEach(function (p) {
      var path = '/api/v1/messages/' + id + '/parts/' + encodeURIComponent(p.path);
      var name = p.filename || 'part-' + p.path;
      var link = el('a', { href: path, className: 'download-part' }, p.filename || p.path);
      link.setAttribute('download', name);
      link.addEventListener('click', function (event) {
        event.preventDefault();
        saveAs(path, name);
      });
      list.appendChild(el('li', { className: 'attachment' }, link, ' ', el('span', { className: 'note' }, size(p.size) + ' · ' + p.content_type)));
    });
    return el('div', {}, el('strong', {}, 'Attachments: '), list);
  }

  function openMessage(id) {
    state.open = 'message:' + id;
    renderList();
    var article = document.getElementById('message');
    var base = '/api/v1/messages/' + id;
    request(base).then(function (m) {
      showOnly('message');
      document.getElementById('message-subject').textContent = m.subject || '(no subject)';
      document.getElementById('message-meta').textContent = '#' + m.id + ' from <' + m.from + '> to ' + m.to.join(', ') + ' · ' + (m.date || m.received);
      buildTabs();
      fill('headers', request(base + '/headers'), renderHeaders);
      fill('envelope', Promise.resolve(m), renderEnvelope);
      var mime = request(base + '/mime');
      mime.then(function (body) {
        clear(document.getElementById('attachments')).appendChild(renderAttachments(id, body));
      }).catch(function () { clear(document.getElementById('attachments')); });
      fill('mime', mime, function (body) { return renderMime(id, body); });
      fill('text', request(base + '/body/plain', true), renderText);
      fill('html', request(base + '/body/html', true).then(function (html) { return linkedParts(id, html); }), function (html) { return renderHtml(id, html); });
      fill('auth', request(base + '/auth'), renderAuth);
      fill('raw', request(base + '/raw', true), function (text) { return renderRaw(id, text); });
      fill('transcript', request(base + '/transcript'), renderTranscript);
    }).catch(function (error) {
      article.hidden = true;
      showOnly('none');
      document.getElementById('no-selection').textContent = 'Message ' + id + ': ' + error.message;
    });
  }

  function route() {
    var match = /^#\/(messages|attempts)\/(\d+)$/.exec(window.location.hash);
    if (match && match[1] === 'messages') {
      openMessage(Number(match[2]));
    } else if (match) {
      openAttempt(Number(match[2]));
    }
  }

  initFilters();
  initTokenForm();
  document.getElementById('delete-all').addEventListener('click', function () {
    if (!window.confirm('Delete every stored message?')) {
      return;
    }
    fetch('/api/v1/messages', { method: 'DELETE', headers: headers() }).then(function () {
      window.location.hash = '';
      showOnly('none');
      return refreshList();
    });
  });
  window.addEventListener('hashchange', route);
  refreshList().then(route);
  window.setInterval(refreshList, REFRESH_MS);
})();
