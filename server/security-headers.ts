import type { RequestHandler } from 'express';
import helmet from 'helmet';

/** Google Identity Services, which the log-in page loads when Google sign-in is configured. */
const GIS = 'https://accounts.google.com/gsi/';

/**
 * helmet on every response, the portal's and the health checks' included (it used to be on /api
 * alone). The CSP is the portal's: its own scripts and styles, Google's sign-in button (script,
 * iframe, its calls and stylesheet), no plugins, no framing by other sites. React sets inline
 * `style` attributes through the DOM, which CSP allows; the flow editor's library adds <style>
 * elements, hence 'unsafe-inline' for styles only. The chat widget is not governed by it: it runs
 * in other sites' pages, under their policy; its script says itself that any site may load it
 * (Cross-Origin-Resource-Policy: cross-origin, set by its route).
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'", `${GIS}client`],
        'style-src': ["'self'", "'unsafe-inline'", `${GIS}style`],
        'connect-src': ["'self'", GIS],
        'frame-src': [GIS],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'self'"],
      },
    },
    // Google's sign-in may open a pop-up that must be able to answer the portal.
    crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
  });
}
