// The Activity panel: the organisation's events (GET /v1/account/events, admin keys only), newest first, a
// page at a time ("Load more" while the API says `has_more`), filtered by type. A key without the admin scope
// gets 403 from the API, and the panel stays hidden, as the buttons such a key cannot use are.
import { api } from './api.js';
import { EVENT_TYPES } from './constants.js';
import { $, el, showAlert, showError } from './dom.js';
import { detailsNode, eventPhrase, fromNodes, subjectNodes, whatNode, whoNodes } from './event-details.js';
import { timeNode } from './format.js';
import { isCurrent, ownPrefix, state } from './state.js';

// Rows a page of the panel shows: a display choice (the API allows up to 100), small enough to read.
const PAGE_SIZE = 20;
const COLUMNS = ['When', 'What', 'Who', 'Key', 'Details', 'From'];
// Bumped by every load: only the latest one's answer is shown (a filter changed twice, a refresh mid-page).
let loads = 0;

export function initActivity() {
  $('activity-type').replaceChildren(
    el('option', { value: '', text: 'All events' }),
    ...EVENT_TYPES.map((type) => el('option', { value: type, text: eventPhrase(type) })),
  );
  $('activity-type').addEventListener('change', () => loadActivity(false));
  $('activity-refresh').addEventListener('click', () => loadActivity(false));
  $('activity-more').addEventListener('click', () => loadActivity(true));
  const table = $('activity-table');
  // Explicit roles: on a phone the table is restyled as cards (display: block), which would drop them.
  table.setAttribute('role', 'table');
  table.tHead.setAttribute('role', 'rowgroup');
  table.tBodies[0].setAttribute('role', 'rowgroup');
  table.tHead.replaceChildren(
    el('tr', { role: 'row' }, COLUMNS.map((c) => el('th', { scope: 'col', role: 'columnheader', text: c }))),
  );
}

// The first page (`more` false: after sign-in, a change, the filter or Refresh), or the next one.
export async function loadActivity(more) {
  const mySession = state.session;
  const myLoad = ++loads;
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  const type = $('activity-type').value;
  if (type) params.set('type', type);
  const last = more && state.events.length ? state.events[state.events.length - 1] : null;
  if (last) params.set('starting_after', last.id);
  const moreButton = $('activity-more');
  const hadFocus = document.activeElement === moreButton;
  moreButton.disabled = true;
  showAlert('activity-alert', '');
  let page;
  try {
    page = await api('GET', '/v1/account/events?' + params.toString());
  } catch (err) {
    if (!isCurrent(mySession) || myLoad !== loads) return;
    moreButton.disabled = false;
    if (err.status === 403 && err.code === 'insufficient_scope') {
      resetActivity();
      return;
    }
    $('activity-section').hidden = false;
    showError('activity-alert', err);
    return;
  }
  if (!isCurrent(mySession) || myLoad !== loads) return;
  const items = Array.isArray(page.data) ? page.data : [];
  const own = ownPrefix();
  const rows = items.map((event) => eventRow(event, own));
  const body = $('activity-table').tBodies[0];
  if (last) {
    state.events = state.events.concat(items);
    body.append(...rows);
  } else {
    state.events = items;
    body.replaceChildren(...rows);
  }
  const hasMore = page.has_more === true && items.length > 0;
  moreButton.hidden = !hasMore;
  moreButton.disabled = false;
  $('activity-table').hidden = state.events.length === 0;
  $('activity-empty').hidden = state.events.length > 0;
  $('activity-empty').textContent = type ? 'No events of this type.' : 'No events yet.';
  $('activity-count').textContent = state.events.length
    ? 'Showing ' + state.events.length + (state.events.length === 1 ? ' event' : ' events') +
      (hasMore ? ', newest first; older ones below.' : ', newest first.')
    : '';
  $('activity-section').hidden = false;
  // "Load more" gone from under the keyboard's focus: carry on from the first row it brought.
  if (last && hadFocus && !hasMore && rows.length) rows[0].focus();
}

export function resetActivity() {
  loads++;
  $('activity-section').hidden = true;
  $('activity-table').tBodies[0].replaceChildren();
  $('activity-type').value = '';
  $('activity-more').hidden = true;
  $('activity-count').textContent = '';
  showAlert('activity-alert', '');
}

// One cell: its label (shown beside the value when the table stacks on a phone) and its content.
function cell(label, children, className) {
  return el('td', { role: 'cell', dataset: { label }, className }, [el('div', { className: 'cell-value' }, children)]);
}

function eventRow(event, own) {
  return el('tr', { role: 'row', tabindex: '-1', dataset: { eventId: event.id, type: event.type } }, [
    cell('When', [timeNode(event.occurred_at)], 'event-when'),
    cell('What', [whatNode(event)]),
    cell('Who', whoNodes(event.actor, own)),
    cell('Key', subjectNodes(event.subject)),
    cell('Details', [detailsNode(event)], 'event-details'),
    cell('From', fromNodes(event.request)),
  ]);
}
