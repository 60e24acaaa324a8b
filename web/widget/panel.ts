// The bubble and the chat panel, inside a shadow root so the host page's CSS cannot reach them.

import { failureOf, type BotInfo, type ChatClient, type LeadField, type Rating } from './api.ts';
import { h, icon, ICONS } from './dom.ts';
import { threadStore, visitorId, type StoredMessage, type Thread } from './store.ts';
import css from './widget.css?inline';

export type WidgetOptions = { publicKey: string; client: ChatClient; accent?: string };

const MAX_MESSAGE = 4000;

const TEXT = {
  open: 'Open chat',
  close: 'Close chat',
  hide: 'Hide chat',
  connecting: 'Connecting…',
  refused: "Sorry, this chat isn't available on this website.",
  unreachable: "We can't reach the chat right now.",
  notSent: 'Not sent: check your connection.',
  tooFast: (s: number) => `You're sending messages too fast — try again in ${s} s`,
  rateFailed: "Your rating couldn't be saved; please try again.",
};

// What the visitor is asked for shapes the input, so the browser can offer to fill it in.
const LEAD_INPUT: Record<LeadField, { placeholder: string; autocomplete: string; inputmode: string }> = {
  name: { placeholder: 'Your name', autocomplete: 'name', inputmode: 'text' },
  email: { placeholder: 'you@example.com', autocomplete: 'email', inputmode: 'email' },
  phone: { placeholder: 'Your phone number', autocomplete: 'tel', inputmode: 'tel' },
};

export function mountWidget({ publicKey, client, accent }: WidgetOptions): HTMLElement {
  const host = document.createElement('wirehub-chat');
  // Inline and !important: a host page's `div { display: none }` or `* { position: static }`
  // cannot hide or move the widget's container.
  host.style.cssText =
    'all: initial !important; position: fixed !important; z-index: 2147483000 !important; inset: auto 0 0 auto !important; display: block !important;';
  const root = host.attachShadow({ mode: 'open' });
  root.append(h('style', {}, css));
  if (accent && /^#[0-9a-f]{3,8}$|^[a-z]+$/i.test(accent)) host.style.setProperty('--wh-accent', accent);

  const store = threadStore(publicKey);
  const visitor = visitorId();
  let thread: Thread = store.load();
  let info: BotInfo | null = null;
  let loadingInfo: Promise<void> | null = null;
  let sending = false;
  let blockedUntil = 0;
  let countdown: ReturnType<typeof setInterval> | undefined;
  let refused = false;

  const title = h('h2', { id: 'wh-title', class: 'title' }, 'Chat');
  const closeButton = h('button', { type: 'button', class: 'icon-button', 'aria-label': TEXT.close, onclick: () => close() }, icon(ICONS.close));
  const log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': 'Conversation', tabindex: '0' });
  const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const input = h('textarea', {
    class: 'input',
    rows: 1,
    maxlength: MAX_MESSAGE,
    'aria-label': 'Message',
    placeholder: 'Type your message…',
    autocomplete: 'off',
  });
  const sendButton = h('button', { type: 'submit', class: 'send', 'aria-label': 'Send' }, icon(ICONS.send));
  const form = h('form', { class: 'composer', onsubmit: (e) => (e.preventDefault(), void submit()) }, input, sendButton);
  const panel = h(
    'section',
    { class: 'panel', id: 'wh-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'wh-title', hidden: true },
    h('header', { class: 'head' }, title, closeButton),
    log,
    status,
    form,
  );
  const bubble = h(
    'button',
    {
      type: 'button',
      class: 'bubble',
      'aria-label': TEXT.open,
      'aria-expanded': 'false',
      'aria-controls': 'wh-panel',
      onclick: () => (panel.hidden ? open() : close()),
    },
    icon(ICONS.chat),
  );
  root.append(panel, bubble);

  input.addEventListener('keydown', (e) => {
    // Enter sends; Shift+Enter is a new line; an IME composing text keeps its Enter.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void submit();
    }
  });
  input.addEventListener('input', () => autosize());
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      close();
    }
  });

  function autosize() {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
  }

  function open() {
    panel.hidden = false;
    bubble.setAttribute('aria-expanded', 'true');
    bubble.setAttribute('aria-label', TEXT.hide);
    input.focus();
    void ensureInfo();
  }

  function close() {
    panel.hidden = true;
    bubble.setAttribute('aria-expanded', 'false');
    bubble.setAttribute('aria-label', TEXT.open);
    bubble.focus();
  }

  function setStatus(text: string, kind: 'info' | 'error' = 'info', action?: { label: string; run: () => void }) {
    status.replaceChildren();
    status.className = `status ${kind}`;
    status.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    if (text) status.append(h('span', {}, text));
    if (action) status.append(h('button', { type: 'button', class: 'link', onclick: action.run }, action.label));
  }

  function updateControls() {
    const waiting = Date.now() < blockedUntil;
    const ready = info !== null && !refused;
    // The box stays usable while connecting (and focusable: a disabled one cannot take focus).
    input.disabled = refused;
    sendButton.disabled = !ready || sending || waiting;
  }

  function ensureInfo(): Promise<void> {
    if (info || refused) return Promise.resolve();
    loadingInfo ??= (async () => {
      setStatus(TEXT.connecting);
      updateControls();
      try {
        info = await client.info();
        title.textContent = info.name;
        setStatus('');
        render();
      } catch (err) {
        const f = failureOf(err);
        if (f.kind === 'refused') refuse();
        else setStatus(TEXT.unreachable, 'error', { label: 'Retry', run: () => void ensureInfo() });
      } finally {
        loadingInfo = null;
        updateControls();
      }
    })();
    return loadingInfo;
  }

  function refuse() {
    refused = true;
    setStatus('');
    log.replaceChildren(h('div', { class: 'notice', role: 'alert' }, TEXT.refused));
    form.hidden = true;
    updateControls();
  }

  function render() {
    log.replaceChildren();
    if (info?.welcome_message) log.append(bubbleFor({ role: 'bot', text: info.welcome_message }));
    for (const m of thread.messages) log.append(bubbleFor(m));
    scrollDown();
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function bubbleFor(m: StoredMessage): HTMLElement {
    const el = h('div', { class: `msg ${m.role}` }, h('span', { class: 'sr' }, m.role === 'bot' ? `${info?.name ?? 'Bot'}: ` : 'You: '), h('p', {}, m.text));
    if (m.role === 'bot' && m.id) el.append(ratingButtons(m));
    return el;
  }

  function ratingButtons(m: StoredMessage): HTMLElement {
    const make = (rating: Rating, label: string) =>
      h(
        'button',
        {
          type: 'button',
          class: `rate ${rating}`,
          'aria-label': label,
          'aria-pressed': String(m.rating === rating),
          onclick: () => void rate(m, rating, group),
        },
        icon(ICONS.thumb),
      );
    const group = h('div', { class: 'rating', role: 'group', 'aria-label': 'Was this helpful?' }, make('up', 'Helpful'), make('down', 'Not helpful'));
    return group;
  }

  async function rate(m: StoredMessage, rating: Rating, group: HTMLElement) {
    if (!thread.conversationId || !m.id) return;
    const before = m.rating;
    const show = (r: Rating | undefined) =>
      group.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(b.classList.contains(r ?? '-'))));
    m.rating = rating;
    show(rating);
    try {
      await client.rate(thread.conversationId, m.id, rating, visitor);
      store.save(thread);
    } catch (err) {
      m.rating = before;
      show(before);
      const f = failureOf(err);
      setStatus(f.kind === 'rate-limited' ? TEXT.tooFast(f.retryAfter) : TEXT.rateFailed, 'error');
    }
  }

  function askFor(field: LeadField | undefined) {
    const hint = field ? LEAD_INPUT[field] : { placeholder: 'Type your message…', autocomplete: 'off', inputmode: 'text' };
    input.placeholder = hint.placeholder;
    input.setAttribute('autocomplete', hint.autocomplete);
    input.setAttribute('inputmode', hint.inputmode);
  }

  function waitOut(seconds: number) {
    blockedUntil = Date.now() + seconds * 1000;
    clearInterval(countdown);
    const tick = () => {
      const left = Math.ceil((blockedUntil - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(countdown);
        setStatus('');
      } else setStatus(TEXT.tooFast(left), 'error');
      updateControls();
    };
    tick();
    countdown = setInterval(tick, 1000);
  }

  async function submit() {
    const text = input.value.trim();
    if (!text || sending || Date.now() < blockedUntil || !info || refused) return;
    input.value = '';
    autosize();
    await deliver(text);
  }

  /** Sends one visitor message; `failed` is the element of an earlier attempt being retried. */
  async function deliver(text: string, failed?: HTMLElement) {
    const mine: StoredMessage = { role: 'visitor', text };
    const el = failed ?? bubbleFor(mine);
    el.classList.remove('failed');
    el.querySelector('.retry')?.remove();
    if (!failed) log.append(el);
    const typing = h('div', { class: 'msg bot typing', 'aria-label': `${info?.name ?? 'Bot'} is typing` }, h('i'), h('i'), h('i'));
    log.append(typing);
    scrollDown();
    sending = true;
    setStatus('');
    updateControls();
    try {
      const out = await sendOnce(text);
      thread.conversationId = out.conversation_id;
      const bot: StoredMessage = { role: 'bot', text: out.reply, id: out.message_id };
      thread.messages.push(mine, bot);
      store.save(thread);
      typing.replaceWith(bubbleFor(bot));
      askFor(out.lead?.complete ? undefined : out.lead?.asking);
    } catch (err) {
      typing.remove();
      const f = failureOf(err);
      if (f.kind === 'network') {
        el.classList.add('failed');
        el.append(
          h(
            'div',
            { class: 'retry' },
            h('span', {}, TEXT.notSent),
            h('button', { type: 'button', class: 'link', onclick: () => void deliver(text, el) }, 'Retry'),
          ),
        );
      } else {
        // Not sent and not sendable as is: take it out of the thread and give the text back.
        el.remove();
        if (!input.value) input.value = text;
        autosize();
        if (f.kind === 'rate-limited') waitOut(f.retryAfter);
        else if (f.kind === 'refused') refuse();
        else setStatus(f.message, 'error');
      }
    } finally {
      sending = false;
      updateControls();
      scrollDown();
      if (!panel.hidden && document.activeElement !== host) input.focus();
    }
  }

  async function sendOnce(text: string) {
    try {
      return await client.send(visitor, thread.conversationId, text);
    } catch (err) {
      // The stored conversation is gone (ended or deleted): start a new one rather than fail.
      const f = failureOf(err);
      if (thread.conversationId && f.kind === 'rejected' && (f.status === 404 || f.status === 409)) {
        thread = { conversationId: null, messages: [] };
        store.save(thread);
        return await client.send(visitor, null, text);
      }
      throw err;
    }
  }

  updateControls();
  document.body.append(host);
  return host;
}
