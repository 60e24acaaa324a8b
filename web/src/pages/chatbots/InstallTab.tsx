import { CopyButton } from '../gateway/parts.tsx';
import type { Chatbot } from './types.ts';

export function embedSnippet(bot: Chatbot, origin = window.location.origin): string {
  return `<script src="${origin}/widget.js" data-chatbot="${bot.public_key}" async></script>`;
}

/** The one line a site owner pastes before </body>, and what must be true for it to work. */
export function InstallTab({ bot }: { bot: Chatbot }) {
  const snippet = embedSnippet(bot);
  return (
    <div className="card">
      <h2>Add the chat to your website</h2>
      <p>Paste this line into your site's HTML, just before the closing &lt;/body&gt; tag:</p>
      <div className="row nowrap snippet">
        <pre data-testid="embed-snippet">{snippet}</pre>
        <CopyButton text={snippet} testId="copy-snippet" label="Copy snippet" />
      </div>
      {bot.settings.allowed_origins.length === 0 ? (
        <p className="warn" role="note">
          No website is allowed yet: add your site's address (e.g. https://www.example.com) under Settings → Allowed origins, or the chat will refuse to answer
          there.
        </p>
      ) : (
        <p className="muted">
          The chat answers on: <span className="mono">{bot.settings.allowed_origins.join(', ')}</span>
        </p>
      )}
    </div>
  );
}
