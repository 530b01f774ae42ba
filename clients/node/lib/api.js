'use strict';
// A base URL of serve's API (serve's root, or a sandbox's /api/v1/sandboxes/{id}/) with its
// token: what the server and sandbox objects send their requests through.

const { call, query } = require('./http');

class Api {
  constructor(url, token) {
    this.url = url.endsWith('/') ? url : `${url}/`;
    this.token = token || undefined;
  }

  request(method, path, options = {}) {
    return call(this.url, method, path, { ...options, token: this.token });
  }

  // A sub-API rooted at `url` with the same token (a sandbox of this serve).
  at(url) {
    return new Api(url, this.token);
  }
}

module.exports = { Api, query };
