'use strict';
// serve's JSON is snake_case; the client hands out camelCase (sessionId, mailFrom), the way
// JavaScript code names things. Values are left as they are.

function camelKey(key) {
  return key.replace(/_([a-z0-9])/g, (_, letter) => letter.toUpperCase());
}

function camelize(value) {
  if (Array.isArray(value)) return value.map(camelize);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const out = {};
  for (const [key, item] of Object.entries(value)) out[camelKey(key)] = camelize(item);
  return out;
}

// A rule as the client takes it (camelCase or snake_case) in serve's words: mailFrom -> mail_from,
// clientIp -> client_ip, authUser -> auth_user. Header names inside match.header stay as given.
function snakeKey(key) {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function ruleToApi(rule) {
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) return rule;
  const out = {};
  for (const [key, value] of Object.entries(rule)) {
    if (key === 'match' && value && typeof value === 'object' && !Array.isArray(value)) {
      const match = {};
      for (const [name, test] of Object.entries(value)) match[name === 'header' ? name : snakeKey(name)] = test;
      out.match = match;
    } else {
      out[key === 'timesLeft' ? 'times_left' : key] = value;
    }
  }
  return out;
}

module.exports = { camelize, ruleToApi };
