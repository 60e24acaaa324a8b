'use strict';

/**
 * Wirehub is self-hosted, so every request goes to the address the user gave when connecting.
 * Accepts what people paste: no scheme, a trailing slash, or the API prefix itself.
 */
function baseUrl(bundle) {
  let url = String(bundle.authData?.baseUrl || '').trim();
  if (!url) return '';
  if (!/^https?:\/\//i.test(url)) url = `https://${url}`;
  return url.replace(/\/+$/, '').replace(/\/api(\/v1)?$/i, '');
}

/** The full URL of a Wirehub API path, e.g. apiUrl(bundle, '/hooks'). */
function apiUrl(bundle, path) {
  const base = baseUrl(bundle);
  if (!base) throw new Error('Enter your Wirehub address (for example https://wirehub.example.com) when connecting your account.');
  return `${base}/api/v1${path}`;
}

/** beforeRequest: the API key as a bearer token, and only to the connected Wirehub. */
function addApiKey(request, _z, bundle) {
  const key = bundle.authData?.apiKey;
  const base = baseUrl(bundle);
  if (key && base && typeof request.url === 'string' && (request.url === base || request.url.startsWith(`${base}/`))) {
    request.headers = { ...request.headers, Authorization: `Bearer ${String(key).trim()}` };
  }
  request.headers = { Accept: 'application/json', ...request.headers };
  return request;
}

function wirehubError(response) {
  try {
    const body = JSON.parse(response.content);
    if (body?.error && typeof body.error.message === 'string') return { code: String(body.error.code || ''), message: body.error.message };
  } catch {
    // not JSON: not an answer from Wirehub's API (a proxy, a wrong address)
  }
  return null;
}

/**
 * afterResponse: Wirehub's `{error: {code, message}}` answers become errors a Zapier user can act
 * on. A request made with `skipThrowForStatus: true` gets the response to handle itself. (A 429 is
 * turned into Zapier's ThrottledError before this runs, so Zapier retries it later.)
 */
function handleErrors(response, z) {
  if (response.status < 400 || response.skipThrowForStatus) return response;
  const err = wirehubError(response);
  const url = response.request?.url;
  if (response.status === 401) {
    throw new z.errors.Error(
      `Wirehub did not accept the API key${err ? ` (${err.message})` : ''}. Check that the key is complete and has not been revoked, or create a new one in Wirehub, then reconnect.`,
      'AuthenticationFailed',
      401,
    );
  }
  if (response.status === 403) {
    throw new z.errors.Error(
      `The API key may not do this${err ? ` (${err.message})` : ''}. Connect with a key that has the read and write scopes.`,
      err ? err.code || 'Forbidden' : 'Forbidden',
      403,
    );
  }
  if (err) throw new z.errors.Error(err.message, err.code || `HTTP_${response.status}`, response.status);
  if (response.status === 404) {
    throw new z.errors.Error(`Nothing answered at ${url}: check the Wirehub address of your connection.`, 'NotFound', 404);
  }
  throw new z.errors.Error(`Wirehub answered ${response.status} to ${url}.`, `HTTP_${response.status}`, response.status);
}

module.exports = { baseUrl, apiUrl, addApiKey, handleErrors };
