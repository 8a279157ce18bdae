// Where a leaked key was found, as the secret-scanning report said. The report's URL is anyone's string: it
// is always shown as text (isolated, like everything a user or a report wrote), and it is a link only when it
// starts with the https scheme and its two slashes and parses as such; javascript:, data:, http: or anything
// else is never one.
import { el, userText } from './dom.js';

const HTTPS_URL = /^https:\/\//;

// The link's target for `url` (HTTPS_URL, then the URL parser's own word), or null when it must stay text.
export function httpsHref(url) {
  if (typeof url !== 'string' || !HTTPS_URL.test(url)) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' ? parsed.href : null;
  } catch (_) {
    return null;
  }
}

// The URL as the page shows it: a link (new tab, no opener, no referrer) only for https.
export function reportUrl(url) {
  const href = httpsHref(url);
  if (!href) return el('span', { className: 'report-url' }, [userText(url)]);
  return el('a', { className: 'report-url', href, rel: 'noopener noreferrer', target: '_blank', referrerpolicy: 'no-referrer' }, [
    userText(url),
    el('span', { className: 'visually-hidden', text: ' (opens in a new tab)' }),
  ]);
}

// "Found at <url> (<source>)": a key's `leak`, or a leak event's `changes`.
export function leakPlace(leak) {
  const url = leak && typeof leak.url === 'string' && leak.url !== '' ? leak.url : null;
  const source = leak && typeof leak.source === 'string' && leak.source !== '' ? leak.source : null;
  const parts = url ? ['Found at ', reportUrl(url)] : ['Found in public (no URL reported)'];
  if (source) parts.push(' (', userText(source), ')');
  return parts;
}
