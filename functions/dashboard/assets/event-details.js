// How the Activity panel words one event: what happened (a phrase per type), who did it, which key, what
// changed. Everything the event carries that someone typed or a report said (names, URLs, sources) is
// isolated text (userText), never HTML.
import { ipCode } from './allowed-ips.js';
import { el, userText } from './dom.js';
import { timeNode } from './format.js';
import { leakPlace } from './leak.js';

// A phrase per event type; a type the page has no words for is shown by its name.
const PHRASES = new Map([
  ['signup', 'Signed up'],
  ['api_key.created', 'Key created'],
  ['api_key.edited', 'Key edited'],
  ['api_key.rolled', 'Key rolled'],
  ['api_key.revoked', 'Key revoked'],
  ['api_key.leaked', 'Key leaked, revoked'],
  ['api_key.minted', 'Admin key minted by an operator'],
  ['organization.deactivated', 'Organisation deactivated'],
  ['organization.reactivated', 'Organisation reactivated'],
]);

const ACTORS = new Map([
  ['github_secret_scanning', 'GitHub secret scanning'],
  ['operator', 'Operator'],
  ['signup', 'Sign-up'],
]);

export function eventPhrase(type) {
  return PHRASES.get(type) || String(type);
}

// What: the phrase, marked when a key leaked.
export function whatNode(event) {
  const leaked = event.type === 'api_key.leaked';
  return el('span', { className: leaked ? 'event-type event-leaked' : 'event-type', text: eventPhrase(event.type) });
}

// Who: the calling key's prefix (and "this key" for the one signed in), or who else acted.
export function whoNodes(actor, own) {
  if (!actor) return ['—'];
  if (actor.type === 'api_key') {
    return [
      el('code', { text: actor.key_prefix || actor.key_id || '?' }),
      own !== null && actor.key_prefix === own ? el('span', { className: 'tag', text: 'this key' }) : null,
    ];
  }
  return [ACTORS.get(actor.type) || String(actor.type)];
}

// Which key: its prefix, and its environment when it is a test key; the organisation's own events have none.
export function subjectNodes(subject) {
  if (!subject) return [el('span', { className: 'muted', text: 'Organisation' })];
  return [
    el('code', { text: subject.key_prefix || subject.key_id }),
    subject.environment === 'test' ? el('span', { className: 'env env-test', text: 'test' }) : null,
  ];
}

// From: the request's source IP (its user agent on hover); an operator's change has no request.
export function fromNodes(request) {
  if (!request || !request.source_ip) return [el('span', { className: 'muted', text: '—' })];
  const props = { text: request.source_ip };
  if (request.user_agent) props.title = 'User agent: ' + request.user_agent;
  return [el('code', props)];
}

const list = (values) => (Array.isArray(values) && values.length ? values.join(', ') : 'none');

// One "Label: value" line of the details.
function line(label, children) {
  return el('li', null, [el('span', { className: 'change-label', text: label + ': ' })].concat(children));
}

// A name (someone typed it), in quotes, isolated.
function quoted(text) {
  return ['“', userText(text), '”'];
}

// A `{from, to}` change: "from → to", each side shown by `show`.
function fromTo(change, show) {
  return show(change.from).concat([' → '], show(change.to));
}

const showName = (value) => quoted(value);
const showScopes = (value) => [list(value)];
// An allowlist on one line: "Anywhere" for an empty one, else the entries, comma-separated.
function showIps(value) {
  if (!Array.isArray(value) || value.length === 0) return ['Anywhere'];
  return value.flatMap((entry, i) => (i === 0 ? [] : [', ']).concat([ipCode(entry)]));
}
const showTime = (value) => [timeNode(value, 'Never')];

// What a key was made with (created, minted, signup's first key).
function madeLines(made) {
  if (!made || typeof made !== 'object') return [];
  const { name, scopes, expires_at: expires, allowed_ips: ips } = made;
  const out = [];
  if (name !== undefined) out.push(line('Name', showName(name)));
  if (scopes !== undefined) out.push(line('Scopes', showScopes(scopes)));
  if (expires !== undefined) out.push(line('Expires', showTime(expires)));
  if (ips !== undefined) out.push(line('Allowed IPs', showIps(ips)));
  return out;
}

// Anything the page has no words for: each field and its value as JSON text.
function genericLines(changes) {
  return Object.entries(changes).map(([field, value]) => line(field, [userText(JSON.stringify(value))]));
}

function detailLines(event) {
  const changes = event.changes && typeof event.changes === 'object' ? event.changes : {};
  switch (event.type) {
    case 'signup': {
      const { organization, key } = changes;
      const out = [];
      if (organization && typeof organization === 'object') {
        const { name } = organization;
        if (name !== undefined) out.push(line('Organisation', showName(name)));
      }
      return out.concat(madeLines(key));
    }
    case 'api_key.created':
    case 'api_key.minted':
      return madeLines(changes);
    case 'api_key.edited': {
      const { name, scopes, allowed_ips: ips } = changes;
      const out = [];
      if (name) out.push(line('Name', fromTo(name, showName)));
      if (scopes) out.push(line('Scopes', fromTo(scopes, showScopes)));
      if (ips) out.push(line('Allowed IPs', fromTo(ips, showIps)));
      return out;
    }
    case 'api_key.rolled': {
      const { successor, expires_at: expires } = changes;
      const out = [];
      if (successor) out.push(line('Replaced by', [el('code', { text: successor.key_prefix || successor.key_id })]));
      if (expires && expires.to) out.push(line('Old key works until', [timeNode(expires.to)]));
      return out;
    }
    case 'api_key.leaked':
      return [el('li', null, leakPlace(changes))];
    default:
      return genericLines(changes);
  }
}

// Details: what changed, a line per field; nothing to say is a dash.
export function detailsNode(event) {
  const lines = detailLines(event);
  if (lines.length === 0) return el('span', { className: 'muted', text: '—' });
  return el('ul', { className: 'changes' }, lines);
}
