// /widget.js: `<script src="https://HOST/widget.js" data-chatbot="pk_…" async></script>` puts a chat
// bubble on the page that talks to the Wirehub at HOST.

import { chatClient } from './api.ts';
import { mountWidget } from './panel.ts';

function ownScript(): HTMLScriptElement | null {
  // currentScript is set while a classic script (async included) runs; the attribute is the fallback
  // for loaders that inject the tag's contents some other way.
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && current.dataset.chatbot) return current;
  return (
    document.querySelector<HTMLScriptElement>('script[data-chatbot][src*="widget.js"]') ?? document.querySelector<HTMLScriptElement>('script[data-chatbot]')
  );
}

function boot() {
  const script = ownScript();
  const publicKey = script?.dataset.chatbot;
  if (!script || !publicKey) {
    console.warn('Wirehub widget: add data-chatbot="pk_…" to the <script> tag that loads widget.js.');
    return;
  }
  const w = window as unknown as Record<string, unknown>;
  const mark = `__wirehubChat_${publicKey}`;
  if (w[mark]) return;
  w[mark] = true;
  const origin = new URL(script.src || location.href, location.href).origin;
  const start = () => mountWidget({ publicKey, client: chatClient(origin, publicKey), accent: script.dataset.color });
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
}

boot();
