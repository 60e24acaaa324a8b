import type { Agent } from 'undici';
import { guardedAgent } from '../../connectors/shared/guarded-http.ts';
import type { DeliveryContext } from '../../connectors/types.ts';
import type { Config } from '../config.ts';
import { VERSION } from '../version.ts';

type AddressConfig = Pick<Config, 'allowPrivateDestinations' | 'allowedPrivateHosts'> & Partial<Pick<Config, 'googleOAuth'>>;

/** A pooled HTTP agent that refuses private addresses when it connects, unless the operator allows them. */
export function createDispatcher(config: AddressConfig, connections: number): Agent {
  return guardedAgent({ allowPrivate: config.allowPrivateDestinations, allowedPrivateHosts: config.allowedPrivateHosts }, connections);
}

/** `destination` and `mockApi` let the built-in MOCK_API receiver record what it is sent. */
export function deliveryContext(config: AddressConfig, dispatcher: Agent, extra: Pick<DeliveryContext, 'destination' | 'mockApi'> = {}): DeliveryContext {
  return {
    dispatcher,
    allowPrivateDestinations: config.allowPrivateDestinations,
    allowedPrivateHosts: config.allowedPrivateHosts,
    userAgent: `Wirehub/${VERSION}`,
    ...(config.googleOAuth
      ? { googleOAuth: { clientId: config.googleOAuth.clientId, clientSecret: config.googleOAuth.clientSecret, tokenUrl: config.googleOAuth.tokenUrl } }
      : {}),
    ...extra,
  };
}
