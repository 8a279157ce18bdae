// The page's DOM helpers: elements by id, new elements (text only through textContent, never as HTML),
// user-supplied text isolated from its surroundings, alerts and status lines.
import { state } from './state.js';

export const $ = (id) => document.getElementById(id);

export function el(tag, props, children) {
  const node = document.createElement(tag);
  if (props) {
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'text') node.textContent = value;
      else if (name === 'className') node.className = value;
      else if (name === 'dataset') Object.assign(node.dataset, value);
      else if (name === 'hidden') node.hidden = true;
      else node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children || []) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// Text a user typed (a key or organisation name, an email), in its own <bdi>: right-to-left letters and
// digits in it cannot reorder the words, quotes or prefix around it, nor be reordered by them.
export function userText(text) {
  return el('bdi', { className: 'user-text', text: text === undefined || text === null ? '' : String(text) });
}

// The same for an attribute (an aria-label), which cannot hold an element: FIRST STRONG ISOLATE .. POP
// DIRECTIONAL ISOLATE around the text, the plain-text form of <bdi>.
export function isolated(text) {
  return '\u2068' + String(text) + '\u2069';
}

export function showAlert(id, message) {
  const node = $(id);
  node.textContent = message || '';
}

export function clearAlerts() {
  for (const node of document.querySelectorAll('.alert')) node.textContent = '';
}

export function showError(id, err) {
  if (err && err.code === 'stale_session') return;
  if (err && err.status === 401 && !state.signedIn) return; // the sign-out already said it
  showAlert(id, err && err.message ? err.message : String(err));
}

// `message`: a string, or an array of strings and nodes (a line with a userText() in it).
export function setStatus(id, message) {
  if (Array.isArray(message)) $(id).replaceChildren(...message);
  else $(id).textContent = message || '';
}
