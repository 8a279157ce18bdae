// The API client: one fetch per call, with the signed-in key, on the same origin; the envelope
// ({success, data} or {success: false, error}) unwrapped; every failure an ApiError with the API's message.
import { isCurrent, state } from './state.js';

export class ApiError extends Error {
  constructor(message, code, status, param) {
    super(message);
    this.code = code;
    this.status = status;
    this.param = param;
  }
}

let unauthorized = () => {};

// What to do when the key stops working while the page is open (a 401 from any call).
export function whenUnauthorized(handler) {
  unauthorized = handler;
}

// The payload of a successful answer, with `data` (and `has_more` on lists).
export async function api(method, path, body, extraHeaders) {
  const mySession = state.session;
  const headers = { Accept: 'application/json', Authorization: 'Bearer ' + state.apiKey };
  if (extraHeaders) Object.assign(headers, extraHeaders);
  const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error', referrerPolicy: 'no-referrer' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (_) {
    throw new ApiError('Could not reach the service. Check your connection and try again.', 'network_error', 0);
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch (_) {
    payload = null;
  }
  if (!isCurrent(mySession)) throw new ApiError('Signed out.', 'stale_session', 0);
  if (response.ok && payload && payload.success === true) return payload;
  if (payload && payload.success === false && payload.error && typeof payload.error.message === 'string') {
    const e = payload.error;
    const err = new ApiError(e.message, e.code, response.status, e.param);
    if (response.status === 401) unauthorized(err);
    throw err;
  }
  const requestId = response.headers.get('x-request-id');
  throw new ApiError(
    'The service answered HTTP ' + response.status + ' without a message' +
      (requestId ? ' (request id ' + requestId + ').' : '.'),
    'unexpected_response',
    response.status,
  );
}

function randomId() {
  if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// The Idempotency-Key for `body`: the previous one if it was for the same body, else a new one.
export function idempotencyFor(previous, body) {
  const fingerprint = JSON.stringify(body);
  if (previous && previous.body === fingerprint) return previous;
  return { body: fingerprint, key: randomId() };
}
