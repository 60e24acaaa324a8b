'use strict';

const { apiUrl, baseUrl } = require('./lib/http');

/** The connection test: who this API key belongs to. Its answer is also the connection label's input. */
async function test(z, bundle) {
  const url = apiUrl(bundle, '/auth/me');
  let response;
  try {
    response = await z.request({ url });
  } catch (err) {
    if (err && err.name === 'FetchError') {
      // No answer at all: the address is mistyped, or Wirehub is not reachable from the internet.
      throw new z.errors.Error(
        `Could not reach Wirehub at ${baseUrl(bundle)} (${err.message}). Check the address, and that Zapier can reach it over the internet.`,
        'Unreachable',
        502,
      );
    }
    throw err;
  }
  return response.data;
}

/** "Acme Co (Zapier key)": the workspace, and which key, so that several connections can be told apart. */
function connectionLabel(_z, bundle) {
  const me = bundle.inputData || {};
  const team = me.team || {};
  const key = me.key || {};
  const workspace = team.name || team.id || 'Wirehub';
  return key.name ? `${workspace} (${key.name})` : workspace;
}

module.exports = {
  type: 'custom',
  fields: [
    {
      key: 'baseUrl',
      label: 'Wirehub Address',
      type: 'string',
      required: true,
      placeholder: 'https://wirehub.example.com',
      helpText: 'The address you open Wirehub at, for example `https://wirehub.example.com`. Wirehub is self-hosted: ask whoever runs yours if you are unsure.',
    },
    {
      key: 'apiKey',
      label: 'API Key',
      type: 'password',
      required: true,
      helpText:
        'A Wirehub API key with the **read** and **write** scopes; it starts with `wh_live_`. Create one in Wirehub, or ask whoever runs your Wirehub for one.',
    },
  ],
  test,
  connectionLabel,
};
