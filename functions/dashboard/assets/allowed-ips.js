// A key's allowed IPs: the create and edit dialogs' text field (one address or CIDR block per line, or
// comma-separated, at most MAX_ALLOWED_IPS; empty is anywhere) and how the key table shows the list.
import { MAX_ALLOWED_IPS } from './constants.js';
import { $, el } from './dom.js';

// The field's hint, from the service's own limit.
export function initAllowedIpsField(hintId, emptyMeaning) {
  $(hintId).textContent =
    'One IPv4 or IPv6 address or CIDR block per line (or comma-separated), at most ' + MAX_ALLOWED_IPS + '. ' +
    emptyMeaning;
}

// The field's text as the list the API takes: entries split on new lines, commas and spaces, blanks dropped.
export function parseAllowedIps(text) {
  return String(text || '').split(/[\s,]+/).filter((entry) => entry !== '');
}

// Why the list cannot be sent as it is, or null (the API checks each entry and names a bad one).
export function allowedIpsProblem(list) {
  if (list.length > MAX_ALLOWED_IPS) {
    return 'A key may be bound to at most ' + MAX_ALLOWED_IPS + ' addresses or blocks, not ' + list.length + '.';
  }
  return null;
}

// The list as the field shows it: one entry a line.
export function allowedIpsText(list) {
  return Array.isArray(list) ? list.join('\n') : '';
}

export function sameAllowedIps(a, b) {
  const x = Array.isArray(a) ? a : [];
  const y = Array.isArray(b) ? b : [];
  return x.length === y.length && x.every((entry, i) => entry === y[i]);
}

// The list in the key table and the activity panel: "Anywhere" for an empty one.
export function allowedIpsNode(list) {
  if (!Array.isArray(list) || list.length === 0) return el('span', { className: 'anywhere', text: 'Anywhere' });
  return el('ul', { className: 'ip-list' }, list.map((entry) => el('li', null, [ipCode(entry)])));
}

// An address or block in a <code>, with a line break allowed before its prefix length and after each colon
// (a long IPv6 address), never inside a number.
export function ipCode(entry) {
  const parts = String(entry).split(/(?<=:)|(?=\/)/);
  const children = [];
  parts.forEach((part, i) => {
    if (i > 0) children.push(el('wbr'));
    children.push(part);
  });
  return el('code', null, children);
}
