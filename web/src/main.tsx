import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';

// Placeholder until the portal lands: shows that the server is up and where to start.
function App() {
  const [health, setHealth] = useState<string>('checking…');
  useEffect(() => {
    fetch('/api/health')
      .then((r) => r.json() as Promise<{ status: string }>)
      .then((h) => setHealth(h.status))
      .catch(() => setHealth('unreachable'));
  }, []);
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 640, margin: '4rem auto', lineHeight: 1.5 }}>
      <h1>Wirehub</h1>
      <p>
        Server status: <strong>{health}</strong>
      </p>
      <p>
        The visual flow editor is on its way. Meanwhile, everything works through the REST API under <code>/api/v1</code>: sign up
        with <code>POST /api/v1/auth/signup</code>, create an API key, a source, a destination and a connection, and send webhooks to
        the source's URL.
      </p>
    </main>
  );
}

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
